"""Edit quality of an editor at several image-guidance scales, on the validation split.

Uses the training corruption model (never the 15 test corruption types) and editor_common's
edit_quality, so the numbers compare directly with the `eval` lines of the training logs. Picks the
scale the bundle's manifest samples the CM at (export.py --cm-guidance).

    /usr/bin/python3 sweep_guidance.py --cm cm_unet.pt --scales 1.0 1.1 1.3 1.5 2.0
    /usr/bin/python3 sweep_guidance.py --dpm dpm_unet.pt --scales 1.1 1.5    # constant DDIM-20 scale
"""
import argparse
import json

import torch

import distill
import teacher
from common import CHECKPOINTS, setup
from editor_common import LatentPairs, edit_quality
from schedule import ddim_sample, lcm_sample


def main():
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--cm", help="consistency student under training/checkpoints")
    group.add_argument("--dpm", help="DDIM teacher under training/checkpoints")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 1.1, 1.3, 1.5, 2.0])
    parser.add_argument("--n", type=int, default=250, help="validation images")
    parser.add_argument("--vae", default="vae.pt", help="the VAE (its decoder) under training/checkpoints")
    parser.add_argument("--wider", action="store_true", help="validation corruptions: the wider training family (wider_corruptions.py) mixed in")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    setup(0, args.threads)
    pairs = LatentPairs("train", seed=0, vae=args.vae)

    if args.cm:
        model = distill.load_trained(CHECKPOINTS / args.cm)

        def sampler(cond, gen, scale):
            return lcm_sample(model, cond, [torch.randn(cond.shape, generator=gen) for _ in range(4)], guidance=scale)
    else:
        model = teacher.load_trained(CHECKPOINTS / args.dpm)

        def sampler(cond, gen, scale):
            return ddim_sample(model, cond, torch.randn(cond.shape, generator=gen), image_guidance=(scale, scale))

    for scale in args.scales:
        quality = edit_quality(lambda cond, gen: pairs.decode(sampler(cond, gen, scale)), pairs, n=args.n, wider=args.wider)
        family = {"val_family": "wider"} if args.wider else {}
        print(json.dumps({"model": args.cm or args.dpm, "vae": args.vae, "scale": scale, **family, **quality}), flush=True)


if __name__ == "__main__":
    main()
