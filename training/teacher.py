"""Train the Decorruptor-DPM teacher: a latent InstructPix2Pix-style editor (v-prediction; exported
with an epsilon output, see schedule.EpsFromV).

Input pairs come from the corruption model; the target is the clean image's scaled latent and the
condition is the corrupted image's (unscaled) latent, dropped to zero 10% of the time so that
image guidance works at sampling time.
"""
import argparse
import copy
import time

import torch
import torch.nn.functional as F

from common import CHECKPOINTS, RUNS, RunLog, cpu_state_dict, pick_device, save_checkpoint, setup
from editor_common import LatentPairs, StepCheckpoint, drop_condition, edit_quality, ema_update, load_editor
from schedule import NUM_TRAIN_TIMESTEPS, EpsFromV, alphas_cumprod, ddim_sample, v_target
from unet import LatentUNet


def load_trained(path=CHECKPOINTS / "dpm_unet.pt") -> EpsFromV:
    """The teacher with the epsilon interface (its raw v-predicting UNet is `.unet`)."""
    return load_editor(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--cond-drop", type=float, default=0.1)
    parser.add_argument("--widths", type=int, nargs=3, default=[24, 48, 96])
    parser.add_argument("--eval-every", type=int, default=2000)
    parser.add_argument("--save-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on the device machine (random draws stay on the CPU)")
    parser.add_argument("--name", default="dpm_v")
    parser.add_argument("--wider", action="store_true", help="train on the wider corruption model (wider_corruptions.py)")
    parser.add_argument("--init", help="start from these weights (a checkpoints/*.pt of this script) instead of scratch")
    parser.add_argument("--out", default="dpm_unet.pt", help="file name of the EMA weights under training/checkpoints")
    args = parser.parse_args()
    setup(args.seed, args.threads)

    device = pick_device(args.device)
    pairs = LatentPairs("train", seed=args.seed, wider=args.wider, device=device)
    unet = LatentUNet(4, tuple(args.widths))
    if args.init:
        # Continue from committed EMA weights (no optimizer state is kept between sessions).
        unet.load_state_dict(torch.load(args.init, map_location="cpu")["model"])
    unet.to(device)
    ema = copy.deepcopy(unet).eval()
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    ab = alphas_cumprod().to(device)
    gen = torch.Generator().manual_seed(args.seed + 1)

    log = RunLog(args.name)
    checkpoint = StepCheckpoint(RUNS / args.name / "last.pt", {"unet": unet, "ema": ema}, opt, gen, pairs)
    step = checkpoint.restore()
    if step:
        log.write(event="resume", step=step)

    def lr_at(s):  # warm-up, then cosine to 10%
        if s < 500:
            return args.lr * s / 500
        progress = min(1.0, (s - 500) / max(1, args.steps - 500))
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + torch.cos(torch.tensor(progress * 3.14159265)).item()))

    def save():
        save_checkpoint(CHECKPOINTS / args.out, model=cpu_state_dict(ema), config=unet.config, step=step, init=args.init)
        checkpoint.save(step)

    t0, running = time.time(), 0.0
    while step < args.steps:
        unet.train()
        z0, cond, _, _ = pairs.batch(args.batch)
        cond = drop_condition(cond, args.cond_drop, gen)
        t = torch.randint(0, NUM_TRAIN_TIMESTEPS, (args.batch,), generator=gen).to(device)
        noise = torch.randn(z0.shape, generator=gen).to(device)
        a = ab[t].view(-1, 1, 1, 1)
        z_t = a.sqrt() * z0 + (1 - a).sqrt() * noise
        loss = F.mse_loss(unet(z_t, cond, t.float()), v_target(z0, noise, ab[t]))
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        ema_update(ema, unet, args.ema if step > 1000 or args.init else 0.9)
        step += 1
        running += loss.item()
        if step % 100 == 0:
            log.write(event="train", step=step, loss=running / 100, lr=lr_at(step), s_per_step=round((time.time() - t0) / 100, 3))
            t0, running = time.time(), 0.0
        if step % args.save_every == 0 or step == args.steps:
            save()
        if step % args.eval_every == 0 or step == args.steps:
            def edit(cond_latent, g):
                z = ddim_sample(EpsFromV(ema).to(device), cond_latent, torch.randn(cond_latent.shape, generator=g).to(device))
                return pairs.decode(z)
            log.write(event="eval", step=step, **edit_quality(edit, pairs, n=250))
    log.write(event="done", step=step)


if __name__ == "__main__":
    main()
