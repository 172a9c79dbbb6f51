"""A lever for issue 14, chosen without any classifier: tune the VAE decoder on what the CM
student actually hands it.

The decoder was trained to reconstruct clean pictures from their own latents. At run time it
decodes the student's edits instead, latents a little off the encoder's manifold, and every
classifier pays for the gap (clean pictures: the edit classifies 2-4 points below the source).
This script fine-tunes the decoder alone on the runtime's whole CM edit (contrast stretch,
encode, 4 student steps with the bundle's pinned noise and guidance, decode, detail residual,
as runtime_edit.py makes it, but without the stretch: the decoder would learn to undo it), with
the clean picture as the target and a pixel loss (MSE + 0.5 L1, the VAE's), plus the same loss
on the plain reconstruction of the clean picture, which the DPM path and the residual decode. The encoder, and so the latent space both editors work in, stays
frozen; the student is not retrained. Training pictures: the training split through the
training corruption model (its 20% identity keeps clean pictures in the mix).

The checkpoint kept is the one with the lowest pixel MSE of runtime edits to the clean picture on
val[0:500] (corrupted and clean pooled): no classifier takes part in training or in that choice.

    /usr/bin/python3 edit_decoder.py --steps 2400        # ~0.22 s/step here (9 min); logs/edit_decoder.jsonl
    /usr/bin/python3 edit_decoder.py --measure           # the panel check below, logs/edit_decoder_check.jsonl

The rule for shipping, written before any run: on val[500:1000] through both corruption families
(base and --wider), the selection panel's (never the held-out classifier's) corrupted sum ensemble
must gain at least 0.3 points over 2.7.0's decoder on the two-family average, neither family may
lose more than 0.2, no panel member more than 0.2 on the average, and the clean ensemble may lose
no more than 0.2.

Round 1 (2,100 steps kept, logs/edit_decoder_check.jsonl) failed that rule on val[500:1000]: the
two-family average -0.2 (base -0.7, wider +0.3), the bundled classifier -0.6, clean +0.4; on
val[0:500] it had gained +0.9. 500 pictures leave a paired difference of about 1.4 points of
noise per classifier, so a second round, written down before it ran: the same thresholds on
val[500:3000] pooled (`--measure --starts 500 --n 2500`; 2,500 pictures, the failed slice
included, 2,000 never looked at). The decoder ships only if that passes.
It passed (+0.52); the test split then read -1.0 bundled, -0.5 held out, so it was not
shipped (training/README.md): the decoder had come closer to clean in MSE by getting smoother
(defocus -4.4, Gaussian noise -1.3 bundled; contrast +2.4).

Round 3 (a second candidate, `--sharpness 1.0 --out vae_edit_sharp.pt`), written before it ran:
the same training with the gradient difference term (weight 1.0) added to both pixel losses, so
that blur costs; the checkpoint is chosen on val[0:500] by MSE + 1.0 x gradient difference (no
classifier). The shipping rule is round 2's on val[500:3000] (two-family +0.3 over 2.7.0's decoder,
no family or member -0.2, clean -0.2), with a third family that must not lose more than 0.2
either: `blur` (every picture Gaussian-blurred, sigma 1.2-2.0: `--families base wider blur`),
the check round 2 lacked. If it passes, the test split is read once with the bundled classifier
as the go/no-go (it must not fall below 2.7.0's 63.3); the held-out ResNet-20 is reported, not
consulted.
It failed on `blur`: panel ensemble 45.30 -> 42.44 (round 2's decoder: 42.42), with base +0.38,
wider +0.60 and clean +0.34; not shipped, the test split not read (training/README.md).
"""
import argparse
import time

import torch
import torch.nn.functional as F

import cifar
import distill
import vae as vae_mod
from bundle_manifests import shipped_editors
from common import CHECKPOINTS, ROOT, echo_and_append, flip_and_translate, save_checkpoint, setup, to_float
from contrast_stretch import stretch_contrast
from corruption_model import CorruptionModel
from detail_residual import detail_residual
from editor_common import validation_batches
from noise import editor_noises
from panel import default_panel
from runtime_edit import quantize
from schedule import lcm_sample, lcm_timesteps
from variant_tally import tally_families

LOG = ROOT / "logs" / "edit_decoder.jsonl"
CHECK_LOG = ROOT / "logs" / "edit_decoder_check.jsonl"


class RuntimeCmEdit:
    """The runtime's CM edit with a decoder of one's choice (gradients flow into the decoder only)."""

    def __init__(self, cm: dict, vae_name: str = "vae.pt", steps: int | None = None):
        self.vae, self.scale = vae_mod.load_trained(CHECKPOINTS / vae_name)
        for p in self.vae.encoder.parameters():
            p.requires_grad_(False)
        self.student = distill.load_trained(CHECKPOINTS / "cm_unet.pt")
        for p in self.student.parameters():
            p.requires_grad_(False)
        self.guidance = cm["guidanceScale"]
        self.stretch = cm["contrastStretch"]
        self.residual = cm["detailResidual"]
        shape = tuple(self.encode(torch.zeros(1, 3, 32, 32)).shape[1:])
        # The runtime's step count and schedule (other counts on the LCM schedule, as `--steps`).
        self.timesteps = lcm_timesteps(steps or cm["steps"], cm["originalSteps"])
        self.noises = editor_noises(cm["noiseSeed"], len(self.timesteps), shape)

    @torch.no_grad()
    def encode(self, images01: torch.Tensor) -> torch.Tensor:
        return self.vae.encoder(images01 * 2 - 1)[0]

    def decode(self, scaled_latent: torch.Tensor) -> torch.Tensor:
        return (self.vae.decoder(scaled_latent / self.scale) + 1) / 2

    @torch.no_grad()
    def latents(self, inputs: torch.Tensor, stretch: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """8-bit inputs -> (the (stretched) input, its scaled latent, the student's edit latent)."""
        s = self.stretch
        stretched = quantize(stretch_contrast(inputs, s["percentile"], s["maxGain"], s["maxSpan"], s.get("noiseThreshold"))) if stretch else inputs
        cond = self.encode(stretched)
        edit = lcm_sample(self.student, cond, [z.expand_as(cond) for z in self.noises], self.timesteps, guidance=self.guidance)
        return stretched, cond * self.scale, edit

    def finish(self, stretched: torch.Tensor, scaled_cond: torch.Tensor, edit: torch.Tensor) -> torch.Tensor:
        """Decode the edit and add the detail residual (not yet 8-bit). Gradients reach the decoder
        through the edit only: the reconstruction in the residual is held by its own loss."""
        return detail_residual(self.decode(edit).clamp(0, 1), stretched, self.decode(scaled_cond).detach(),
                               self.residual["alpha"], self.residual["noiseThreshold"])

    @torch.no_grad()
    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return quantize(self.finish(*self.latents(inputs)))


def pixel_loss(out: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """The VAE's pixel loss."""
    return F.mse_loss(out, clean) + 0.5 * F.l1_loss(out, clean)


def gradient_difference(out: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Per picture, the mean gap between the magnitudes of the two pictures' horizontal and vertical
    differences (the gradient difference loss of video prediction). A pixel loss is least for the
    mean of the plausible pictures, which is a blurred one; this term is least only when the
    output's edges are as strong as the clean picture's, so it charges for blur."""
    gaps = [((o.abs() - c.abs()).abs()).mean(dim=(1, 2, 3))
            for o, c in ((out.diff(dim=3), clean.diff(dim=3)), (out.diff(dim=2), clean.diff(dim=2)))]
    return gaps[0] + gaps[1]


def edit_loss(out: torch.Tensor, clean: torch.Tensor, sharpness: float) -> torch.Tensor:
    loss = pixel_loss(out, clean)
    return loss + sharpness * gradient_difference(out, clean).mean() if sharpness else loss


@torch.no_grad()
def validation_mse(edit: RuntimeCmEdit, sharpness: float = 0.0, n: int = 500, start: int = 0, seed: int = 99, batch: int = 250) -> dict:
    """Pixel MSE to the clean picture of the runtime edits (`mse`) and their gradient difference
    (`gd`), corrupted and clean pooled, and, to watch only, the MSE of the plain reconstruction the
    DPM path and the residual rely on. The checkpoint is chosen by `choice`: the MSE plus
    `sharpness` times the gradient difference, the training loss's own balance."""
    se = {"corrupted": 0.0, "clean": 0.0, "recon": 0.0}
    gd = 0.0
    for clean, corrupted, _ in validation_batches(n, start, seed, batch):
        for condition, inputs in (("corrupted", quantize(corrupted)), ("clean", quantize(clean))):
            out = edit(inputs)
            se[condition] += ((out - clean) ** 2).mean(dim=(1, 2, 3)).sum().item()
            gd += gradient_difference(out, clean).sum().item() / 2
        recon = edit.decode(edit.encode(quantize(clean)) * edit.scale).clamp(0, 1)
        se["recon"] += ((recon - clean) ** 2).mean(dim=(1, 2, 3)).sum().item()
    mse = {k: v / n for k, v in se.items()}
    pooled = (mse["corrupted"] + mse["clean"]) / 2
    return {**{f"mse_{k}": round(v, 6) for k, v in mse.items()}, "mse": round(pooled, 6), "gd": round(gd / n, 6),
            "choice": round(pooled + sharpness * gd / n, 6)}


def train(args) -> None:
    setup(args.seed, 2)
    edit = RuntimeCmEdit(shipped_editors()["cm"])
    images = to_float(cifar.load_split("train")[0])
    corrupt = CorruptionModel(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    opt = torch.optim.Adam(edit.vae.decoder.parameters(), lr=args.lr)
    best = {"step": 0, **validation_mse(edit, args.sharpness)}
    echo_and_append(LOG, {"decoder": args.out, "sharpness": args.sharpness, **best})
    started = time.time()
    for step in range(1, args.steps + 1):
        clean = flip_and_translate(images[torch.randint(0, len(images), (args.batch,), generator=gen)])
        # No stretch here: with the clean picture as the target, the decoder would learn to undo it.
        stretched, scaled_cond, latent = edit.latents(quantize(corrupt(clean)), stretch=False)
        out = edit.finish(stretched, scaled_cond, latent)
        recon = edit.decode(edit.encode(clean) * edit.scale)
        loss = edit_loss(out, clean, args.sharpness) + edit_loss(recon, clean, args.sharpness)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % args.eval_every == 0 or step == args.steps:
            record = {"decoder": args.out, "step": step, "loss": round(loss.item(), 6), **validation_mse(edit, args.sharpness),
                      "s_per_step": round((time.time() - started) / step, 3)}
            if record["choice"] < best["choice"]:
                best = record
                save_checkpoint(CHECKPOINTS / args.out, model=edit.vae.state_dict(), config=edit.vae.config,
                                scale_factor=edit.scale, step=step, validation=record)
            record["best_step"] = best["step"]
            echo_and_append(LOG, record)


@torch.no_grad()
def measure(args) -> None:
    """The shipping rule's check: the panel on each family, 2.7.0's decoder against the candidate."""
    setup(0, 2)
    cm = shipped_editors()["cm"]
    edits = {"2.7.0": RuntimeCmEdit(cm), "edit-decoder": RuntimeCmEdit(cm, args.out)}
    for start in args.starts:
        tally_families(default_panel(), edits, args.families, args.n, start, CHECK_LOG, candidate=args.out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2400)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", default="vae_edit.pt")
    parser.add_argument("--sharpness", type=float, default=0.0, help="weight of the gradient difference term (round 3: 1.0)")
    parser.add_argument("--families", nargs="*", default=["base", "wider", "blur"], choices=["base", "wider", "blur"])
    parser.add_argument("--measure", action="store_true", help="run the shipping rule's panel check on --out")
    parser.add_argument("--starts", type=int, nargs="*", default=[0, 500])
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    measure(args) if args.measure else train(args)


if __name__ == "__main__":
    main()
