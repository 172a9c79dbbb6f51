"""Fine-tune (or retrain) the VAE decoder with a perceptual loss taken from classifiers' features.

Pixel losses alone leave reconstructions slightly soft, and the classifier loses a few points on
them. Matching the classifier's intermediate features (and its predicted distribution) on the clean
image and on its reconstruction is a perceptual loss, as LPIPS is for Stable Diffusion's
autoencoder; it pushes the decoder to keep the detail a classifier relies on.

Only the decoder learns: the encoder, and with it the latent space both editors were trained in,
stays frozen, so the teacher and the student remain valid. Model selection is on the validation
split (accuracy on reconstructions), never on the test set.

Issue 14: a decoder tuned with one classifier's features helps that classifier more than others.
`--panel classifier.pt zoo:vgg` takes the perceptual loss and the selection from several
classifiers (the mean over the panel), and `--from-scratch` re-initialises the decoder so that
nothing learnt from one classifier carries over. Held-out classifiers are refused as members.
"""
import argparse
import time

import torch
import torch.nn.functional as F

import cifar
import classifier as classifier_mod
import vae as vae_mod
from panel import PanelMember
from common import CHECKPOINTS, RunLog, flip_and_translate, save_checkpoint, setup, to_float


def perceptual_loss(member: PanelMember, recon01: torch.Tensor, clean01: torch.Tensor) -> torch.Tensor:
    """Feature distances normalised by each stage's energy, plus KL(clean prediction || recon)."""
    with torch.no_grad():
        goal = member.features(clean01)
    got = member.features(recon01)
    loss = sum(F.mse_loss(g, t) / t.pow(2).mean().clamp_min(1e-6) for g, t in zip(got[:-1], goal[:-1]))
    return loss + F.kl_div(got[-1], goal[-1], log_target=True, reduction="batchmean")


@torch.no_grad()
def reconstruction_quality(panel: list[PanelMember], vae, images01, labels, batch: int = 500) -> dict:
    """Each member's accuracy on reconstructions (of the posterior mean), their mean, and pixel MSE."""
    correct, se = [0] * len(panel), 0.0
    for i in range(0, len(images01), batch):
        x = images01[i:i + batch]
        recon = ((vae.decoder(vae.encoder(x * 2 - 1)[0]) + 1) / 2).clamp(0, 1)
        for k, member in enumerate(panel):
            correct[k] += (member.predict(recon) == labels[i:i + batch]).sum().item()
        se += F.mse_loss(recon, x, reduction="sum").item()
    accs = {m.name: c / len(images01) for m, c in zip(panel, correct)}
    return {"recon_acc": sum(accs.values()) / len(panel), "per_member": accs, "mse": se / images01.numel()}


def grow_decoder(vae: vae_mod.VAE, blocks: int) -> vae_mod.VAE:
    """A copy of `vae` whose decoder has `blocks` residual blocks. The added blocks' last convolution
    is zero, so each starts as the identity and the grown decoder reconstructs exactly as before."""
    grown = vae_mod.VAE(**{**vae.config, "decoder_blocks": blocks})
    missing = grown.load_state_dict(vae.state_dict(), strict=False).missing_keys
    assert all(k.startswith("decoder.blocks.") for k in missing), missing
    for block in grown.decoder.blocks[vae.config["decoder_blocks"]:]:
        torch.nn.init.zeros_(block.conv2.weight)
        torch.nn.init.zeros_(block.conv2.bias)
    return grown.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vae", default="vae.pt", help="starting weights under training/checkpoints")
    parser.add_argument("--panel", nargs="+", default=["classifier.pt"],
                        help="perceptual networks: checkpoints of classifier.py under training/checkpoints, or zoo:<arch>")
    parser.add_argument("--from-scratch", action="store_true", help="re-initialise the decoder (the encoder stays)")
    parser.add_argument("--out", default="vae_tuned.pt", help="file name under training/checkpoints")
    parser.add_argument("--steps", type=int, default=700)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--perceptual", type=float, default=0.05, help="weight of the perceptual loss")
    parser.add_argument("--decoder-blocks", type=int, help="grow the decoder to this many residual blocks; the new "
                                                            "ones start as identities, so tuning starts from the old decoder")
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-size", type=int, default=2000, help="validation images per evaluation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default="vae_decoder")
    args = parser.parse_args()
    setup(args.seed, args.threads)

    train_x = to_float(cifar.load_split("train")[0])
    val_x, val_y = cifar.load_split("val")
    val_x, val_y = to_float(val_x[:args.eval_size]), torch.from_numpy(val_y[:args.eval_size])
    source = torch.load(CHECKPOINTS / args.vae, map_location="cpu")
    vae, scale_factor = vae_mod.load_trained(CHECKPOINTS / args.vae)
    if args.decoder_blocks:
        vae = grow_decoder(vae, args.decoder_blocks)
    if args.from_scratch:
        vae.decoder = vae_mod.Decoder(vae.config["factor"], vae.config["ch"], vae.config["latent_ch"], vae.config["decoder_blocks"])
    panel = [PanelMember(name) for name in args.panel]
    for p in vae.encoder.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(vae.decoder.parameters(), lr=args.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    log = RunLog(args.name)

    def evaluate(step: int) -> float:
        vae.eval()
        quality = reconstruction_quality(panel, vae, val_x, val_y)
        log.write(event="eval", step=step, **quality)
        return quality["recon_acc"]

    best = evaluate(0)
    t0, running = time.time(), 0.0
    for step in range(1, args.steps + 1):
        vae.decoder.train()
        x = flip_and_translate(train_x[torch.randint(0, len(train_x), (args.batch,))]) * 2 - 1
        with torch.no_grad():
            mean, logvar = vae.encoder(x)
            z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        recon = vae.decoder(z)
        pixel = F.mse_loss(recon, x) + 0.5 * F.l1_loss(recon, x)
        perceptual = sum(perceptual_loss(m, (recon + 1) / 2, (x + 1) / 2) for m in panel) / len(panel)
        loss = pixel + args.perceptual * perceptual
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        if step % 50 == 0:
            log.write(event="train", step=step, loss=running / 50, pixel=pixel.item(), s_per_step=round((time.time() - t0) / 50, 3))
            t0, running = time.time(), 0.0
        if step % args.eval_every == 0 or step == args.steps:
            acc = evaluate(step)
            if acc >= best:
                best = acc
                save_checkpoint(CHECKPOINTS / args.out, model=vae.state_dict(), config=vae.config, scale_factor=scale_factor,
                                val=source.get("val"), val_recon_acc=acc, decoder_tuned_from=args.vae,
                                perceptual_panel=args.panel, from_scratch=args.from_scratch, step=step)
    log.write(event="done", best_val_recon_acc=best)


if __name__ == "__main__":
    main()
