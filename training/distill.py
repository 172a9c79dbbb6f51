"""Distil the DPM teacher into Decorruptor-CM, a latent consistency model (LCM-style).

Each step: noise a clean latent to t_{n+k} on the 50-step DDIM grid (skip k = 20 over 1000 steps),
take one guided DDIM step of the frozen teacher to t_n, and pull the student's consistency
function at t_{n+k} toward the EMA target's at t_n (pseudo-Huber). The image-guidance scale w is
drawn per sample and given to the student, so sampling needs one UNet call per step.
"""
import argparse
import copy
import time

import torch

import teacher as teacher_mod
from common import CHECKPOINTS, RUNS, RunLog, cpu_state_dict, pick_device, save_checkpoint, setup
from editor_common import LatentPairs, StepCheckpoint, drop_condition, edit_quality, ema_update, load_editor
from schedule import EpsFromV, alphas_cumprod, boundary_scalings, guided_eps, lcm_sample, predict_x0
from unet import LatentUNet

SKIP = 20
SOLVER_STEPS = 1000 // SKIP   # 50 teacher timesteps: 19, 39, ..., 999
HUBER_C = 0.001


def consistency(unet, z_t, cond, t, w, ab):
    c_skip, c_out = boundary_scalings(t)
    x0 = predict_x0(z_t, unet(z_t, cond, t, w), ab[t.long()])
    return c_skip.view(-1, 1, 1, 1) * z_t + c_out.view(-1, 1, 1, 1) * x0


def load_trained(path=CHECKPOINTS / "cm_unet.pt") -> EpsFromV:
    """The student with the epsilon interface (its raw v-predicting UNet is `.unet`)."""
    return load_editor(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--target-ema", type=float, default=0.95)
    parser.add_argument("--sample-ema", type=float, help="save and evaluate a slow EMA of the student with this "
                                                           "decay instead of the consistency target")
    parser.add_argument("--w-min", type=float, default=1.0)
    parser.add_argument("--w-max", type=float, default=1.5)
    parser.add_argument("--cond-drop", type=float, default=0.05)
    parser.add_argument("--eval-every", type=int, default=1000)
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument("--wider", action="store_true", help="distill on the wider corruption model (wider_corruptions.py)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on the device machine (random draws stay on the CPU)")
    parser.add_argument("--name", default="cm_v")
    parser.add_argument("--teacher", default="dpm_unet.pt", help="teacher weights under training/checkpoints")
    parser.add_argument("--init", help="start the student from these weights (a checkpoints/*.pt of this script) "
                                       "instead of the teacher's")
    parser.add_argument("--out", default="cm_unet.pt", help="file name of the sampled weights under training/checkpoints")
    args = parser.parse_args()
    setup(args.seed, args.threads)

    device = pick_device(args.device)
    pairs = LatentPairs("train", seed=args.seed + 10, wider=args.wider, device=device)
    teacher = teacher_mod.load_trained(CHECKPOINTS / args.teacher).to(device)
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = LatentUNet(teacher.config["latent_ch"], tuple(teacher.config["widths"]), guidance_conditioned=True)
    if args.init:
        # Continue an earlier distillation (no optimizer state is kept between sessions).
        student.load_state_dict(torch.load(CHECKPOINTS / args.init, map_location="cpu")["model"])
    else:
        missing = student.load_state_dict(teacher.unet.state_dict(), strict=False)
        assert all(k.startswith("guidance_proj") for k in missing.missing_keys), missing
    student.to(device)
    target = copy.deepcopy(student).eval()
    # The target's fast EMA (0.95) tracks the noisy online student; a slow EMA averages it out.
    sampled = copy.deepcopy(student).eval() if args.sample_ema else target
    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.0)
    ab = alphas_cumprod().to(device)
    gen = torch.Generator().manual_seed(args.seed + 2)

    log = RunLog(args.name)
    checkpoint = StepCheckpoint(RUNS / args.name / "last.pt", {"student": student, "target": target, **({"sampled": sampled} if args.sample_ema else {})}, opt, gen, pairs)
    step = checkpoint.restore()
    if step:
        log.write(event="resume", step=step)

    def save():
        save_checkpoint(CHECKPOINTS / args.out, model=cpu_state_dict(sampled), config=student.config, step=step,
                        teacher=args.teacher, init=args.init, sample_ema=args.sample_ema)
        checkpoint.save(step)

    # Epsilon views of the two networks (they share the weights), with the schedule on the device.
    student_eps, target_eps = EpsFromV(student).to(device), EpsFromV(target).to(device)
    t0, running = time.time(), 0.0
    while step < args.steps:
        student.train()
        z0, cond, _, _ = pairs.batch(args.batch)
        cond = drop_condition(cond, args.cond_drop, gen)
        n = torch.randint(0, SOLVER_STEPS, (args.batch,), generator=gen).to(device)
        t = (n + 1) * SKIP - 1                      # t_{n+k}
        s = (t - SKIP).clamp_min(0)                 # t_n (0 at the boundary)
        w = (args.w_min + (args.w_max - args.w_min) * torch.rand(args.batch, generator=gen)).to(device)
        noise = torch.randn(z0.shape, generator=gen).to(device)
        a_t = ab[t].view(-1, 1, 1, 1)
        z_t = a_t.sqrt() * z0 + (1 - a_t).sqrt() * noise
        with torch.no_grad():
            eps = guided_eps(teacher, z_t, cond, t.float(), w)
            x0 = predict_x0(z_t, eps, ab[t])
            a_s = ab[s].view(-1, 1, 1, 1)
            z_s = a_s.sqrt() * x0 + (1 - a_s).sqrt() * eps   # one DDIM step of the teacher
            goal = consistency(target_eps, z_s, cond, s.float(), w, ab)
        pred = consistency(student_eps, z_t, cond, t.float(), w, ab)
        loss = (torch.sqrt((pred - goal) ** 2 + HUBER_C ** 2) - HUBER_C).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        ema_update(target, student, args.target_ema)
        if args.sample_ema:
            ema_update(sampled, student, min(args.sample_ema, (1 + step) / (10 + step)))   # warm-up, then the set decay
        step += 1
        running += loss.item()
        if step % 100 == 0:
            log.write(event="train", step=step, loss=running / 100, s_per_step=round((time.time() - t0) / 100, 3))
            t0, running = time.time(), 0.0
        if step % args.save_every == 0 or step == args.steps:
            save()
        if step % args.eval_every == 0 or step == args.steps:
            def edit(cond_latent, g):
                noises = [torch.randn(cond_latent.shape, generator=g).to(device) for _ in range(4)]
                return pairs.decode(lcm_sample(EpsFromV(sampled).to(device), cond_latent, noises))
            log.write(event="eval", step=step, **edit_quality(edit, pairs, n=250))
    log.write(event="done", step=step)


if __name__ == "__main__":
    main()
