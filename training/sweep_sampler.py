"""Edit quality of the CM student under sampler variants, on the validation split.

Each variant keeps the bundle's 4 steps at [999, 759, 499, 259] and changes one thing about the
noise the sampler uses, to see whether the edits can be made better (or more faithful in pixels)
without retraining:

  baseline  fresh Gaussian noise per image and per step (what `lcm_sample` does)
  leak      start from the corrupted latent noised to t = 999 instead of pure noise
  det       re-noise between steps with the model's own epsilon instead of fresh noise
  temp=X    every noise scaled by X
  shared=S  one noise (seed S) for every image, as the product's per-stream noise is for a stream
  structure=W:F  after every step, pull the clean estimate's low frequencies (F x F latent cells)
            toward the input's by W (DDA-style structure preservation)

    /usr/bin/python3 sweep_sampler.py --cm cm_unet.pt --variants baseline leak det temp=0.8 shared=0 shared=1
"""
import argparse
import json

import torch

import distill
from common import CHECKPOINTS, setup
from editor_common import LatentPairs, edit_quality
from schedule import CM_TIMESTEPS, alphas_cumprod, lcm_sample


def parse_variant(text: str) -> tuple[str, dict]:
    """A variant's name as given and the keyword arguments of `sample` it stands for."""
    name, _, value = text.partition("=")
    if name == "baseline":
        return text, {}
    if name in ("leak", "det"):
        return text, {name: True}
    if name == "temp":
        return text, {"temp": float(value)}
    if name == "shared":
        return text, {"shared": int(value)}
    if name == "structure":
        weight, _, factor = value.partition(":")
        return text, {"structure": (float(weight), int(factor or 2))}
    raise argparse.ArgumentTypeError(f"unknown variant {text!r}")


def sample(model, cond, gen, latent_scale, guidance, leak=False, det=False, temp=1.0, shared=None, structure=None):
    if shared is not None:
        shared_gen = torch.Generator().manual_seed(shared)
        noises = [torch.randn((1,) + cond.shape[1:], generator=shared_gen).expand_as(cond) for _ in CM_TIMESTEPS]
    else:
        noises = [torch.randn(cond.shape, generator=gen) for _ in CM_TIMESTEPS]
    noises = [n * temp for n in noises]
    if leak:
        a = alphas_cumprod()[CM_TIMESTEPS[0]]
        noises[0] = a.sqrt() * cond * latent_scale + (1 - a).sqrt() * noises[0]
    if structure is not None:
        structure = (*structure, cond * latent_scale)
    return lcm_sample(model, cond, noises, guidance=guidance, deterministic=det, structure=structure)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cm", default="cm_unet.pt", help="consistency student under training/checkpoints")
    parser.add_argument("--variants", type=parse_variant, nargs="+", default=[("baseline", {})])
    parser.add_argument("--guidance", type=float, default=1.5)
    parser.add_argument("--n", type=int, default=500, help="validation images")
    parser.add_argument("--vae", default="vae.pt", help="the VAE (its decoder) under training/checkpoints")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    setup(0, args.threads)
    pairs = LatentPairs("train", seed=0, vae=args.vae)
    model = distill.load_trained(CHECKPOINTS / args.cm)
    for name, variant in args.variants:
        quality = edit_quality(lambda cond, gen: pairs.decode(sample(model, cond, gen, pairs.scale, args.guidance, **variant)),
                               pairs, n=args.n)
        print(json.dumps({"model": args.cm, "vae": args.vae, "variant": name, **quality}), flush=True)


if __name__ == "__main__":
    main()
