"""KL autoencoder with a 4-channel latent (Stable-Diffusion-style, shrunk for 32x32 frames).

Images in [-1, 1]. The encoder works on a space-to-depth view of the image (downsampling factor
2 or 4), which keeps every convolution at the latent resolution: cheap on a CPU.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import cifar
from common import CHECKPOINTS, RUNS, RunLog, flip_and_translate, resume_epochs, save_checkpoint, save_epoch, setup, to_float


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, ch)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.norm2 = nn.GroupNorm(8, ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return x + h


class Encoder(nn.Module):
    """[B,3,H,W] in [-1,1] -> mean and log-variance, each [B,C,H/f,W/f]."""

    def __init__(self, factor: int, ch: int, latent_ch: int = 4, blocks: int = 2):
        super().__init__()
        self.factor = factor
        self.conv_in = nn.Conv2d(3 * factor * factor, ch, 3, padding=1)
        self.blocks = nn.Sequential(*[ResBlock(ch) for _ in range(blocks)])
        self.norm_out = nn.GroupNorm(8, ch)
        self.conv_out = nn.Conv2d(ch, 2 * latent_ch, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(F.pixel_unshuffle(x, self.factor))
        h = self.conv_out(F.silu(self.norm_out(self.blocks(h))))
        mean, logvar = h.chunk(2, dim=1)
        return mean, logvar.clamp(-30, 20)


class Decoder(nn.Module):
    """[B,C,H/f,W/f] (unscaled latent) -> [B,3,H,W] in [-1,1]."""

    def __init__(self, factor: int, ch: int, latent_ch: int = 4, blocks: int = 2):
        super().__init__()
        self.factor = factor
        self.conv_in = nn.Conv2d(latent_ch, ch, 3, padding=1)
        self.blocks = nn.Sequential(*[ResBlock(ch) for _ in range(blocks)])
        self.norm_out = nn.GroupNorm(8, ch)
        self.conv_out = nn.Conv2d(ch, 3 * factor * factor, 3, padding=1)

    def forward(self, z):
        h = self.conv_out(F.silu(self.norm_out(self.blocks(self.conv_in(z)))))
        return torch.tanh(F.pixel_shuffle(h, self.factor))


class VAE(nn.Module):
    def __init__(self, factor: int = 2, ch: int = 64, latent_ch: int = 4, blocks: int = 2, decoder_blocks: int | None = None):
        super().__init__()
        decoder_blocks = decoder_blocks or blocks
        self.config = dict(factor=factor, ch=ch, latent_ch=latent_ch, blocks=blocks, decoder_blocks=decoder_blocks)
        self.encoder = Encoder(factor, ch, latent_ch, blocks)
        self.decoder = Decoder(factor, ch, latent_ch, decoder_blocks)

    def forward(self, x):
        mean, logvar = self.encoder(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        return self.decoder(z), mean, logvar


def load_trained(path=CHECKPOINTS / "vae.pt") -> tuple[VAE, float]:
    """Returns the VAE and its latent scale factor (1 / std of training latents)."""
    state = torch.load(path, map_location="cpu")
    model = VAE(**state["config"])
    model.load_state_dict(state["model"])
    return model.eval(), state["scale_factor"]


@torch.no_grad()
def evaluate(model: VAE, images01: torch.Tensor, batch: int = 500) -> dict:
    model.eval()
    se, latents = 0.0, []
    for i in range(0, len(images01), batch):
        x = images01[i:i + batch] * 2 - 1
        mean, _ = model.encoder(x)
        recon = model.decoder(mean)
        se += F.mse_loss((recon + 1) / 2, (x + 1) / 2, reduction="sum").item()
        latents.append(mean)
    mse = se / images01.numel()
    z = torch.cat(latents)
    return {"mse": mse, "psnr": 10 * torch.log10(torch.tensor(1.0 / mse)).item(), "latent_std": z.std().item()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--factor", type=int, default=2, choices=[2, 4])
    parser.add_argument("--ch", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--kl", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default="vae")
    parser.add_argument("--out", default="vae.pt", help="file name under training/checkpoints")
    args = parser.parse_args()
    setup(args.seed, args.threads)

    train_x = to_float(cifar.load_split("train")[0])
    val_x = to_float(cifar.load_split("val")[0])
    model = VAE(args.factor, args.ch, 4, args.blocks)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    steps_per_epoch = len(train_x) // args.batch
    total = args.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.1)

    log = RunLog(args.name)
    ckpt_path = RUNS / args.name / "last.pt"
    start_epoch, best = resume_epochs(ckpt_path, log, float("inf"), model=model, opt=opt, sched=sched)

    for epoch in range(start_epoch, args.epochs):
        model.train()
        perm = torch.randperm(len(train_x))
        t0, total_rec = time.time(), 0.0
        for i in range(steps_per_epoch):
            x = flip_and_translate(train_x[perm[i * args.batch:(i + 1) * args.batch]]) * 2 - 1
            recon, mean, logvar = model(x)
            rec = F.mse_loss(recon, x) + 0.5 * F.l1_loss(recon, x)
            kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum((1, 2, 3)).mean()
            loss = rec + args.kl * kl
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_rec += rec.item()
        metrics = evaluate(model, val_x)
        log.write(event="epoch", epoch=epoch + 1, rec=total_rec / steps_per_epoch, epoch_s=round(time.time() - t0, 1), **metrics)
        if metrics["mse"] <= best:
            best = metrics["mse"]
            save_checkpoint(CHECKPOINTS / args.out, model=model.state_dict(), config=model.config,
                            scale_factor=1.0 / metrics["latent_std"], val=metrics, epoch=epoch + 1)
        save_epoch(ckpt_path, epoch + 1, best, model=model, opt=opt, sched=sched)
    log.write(event="done", best_val_mse=best)


if __name__ == "__main__":
    main()
