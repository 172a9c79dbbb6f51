"""Shared training utilities: seeding, checkpoints, metric logs, batch augmentation."""
import json
import random
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent
RUNS = ROOT / "runs"            # logs and resumable checkpoints (ignored by git)
CHECKPOINTS = ROOT / "checkpoints"  # small final weights that later stages need (committed)


def setup(seed: int, threads: int = 2) -> None:
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(name: str) -> torch.device:
    """`--device` of the editor trainings: 'cpu' or 'cuda' (the device machine's GPU). Random draws stay
    on CPU generators and are moved, so a run draws the same numbers on either device."""
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: this machine has no CUDA device that PyTorch can use")
    return torch.device(name)


def cpu_state_dict(module: torch.nn.Module) -> dict:
    """The weights as shipped checkpoints hold them: on the CPU, whichever device trained them."""
    return {name: tensor.cpu() for name, tensor in module.state_dict().items()}


def to_float(images_u8: np.ndarray) -> torch.Tensor:
    """uint8 [N,3,H,W] -> float32 in [0,1]."""
    return torch.from_numpy(images_u8).float().div_(255.0)


def flip_and_translate(x: torch.Tensor, pad: int = 2, mode: str = "reflect") -> torch.Tensor:
    """Random horizontal flip and random translation by up to `pad` pixels (`mode`: torch padding mode)."""
    n = x.shape[0]
    flip = torch.rand(n) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode=mode)
    h, w = x.shape[2], x.shape[3]
    dx = torch.randint(0, 2 * pad + 1, (n,))
    dy = torch.randint(0, 2 * pad + 1, (n,))
    out = torch.empty_like(x)
    for ox in range(2 * pad + 1):
        for oy in range(2 * pad + 1):
            sel = (dx == ox) & (dy == oy)
            if sel.any():
                out[sel] = padded[sel, :, oy:oy + h, ox:ox + w]
    return out


class RunLog:
    """Appends one JSON line per event to runs/<name>/log.jsonl and echoes it."""

    def __init__(self, name: str):
        self.dir = RUNS / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "log.jsonl"
        self.started = time.time()

    def write(self, **record) -> None:
        record["wall_s"] = round(time.time() - self.started, 1)
        echo_and_append(self.path, record)


def echo_and_append(path: Path, record: dict) -> None:
    """Prints one JSON line and appends it to a .jsonl log."""
    line = json.dumps(record)
    print(line, flush=True)
    with path.open("a") as f:
        f.write(line + "\n")


def save_checkpoint(path: Path, **state) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path):
    return torch.load(path, map_location="cpu") if path.exists() else None


def resume_epochs(path: Path, log: "RunLog", best, **restorable) -> tuple[int, object]:
    """Continues an epoch-based training from its last checkpoint at `path` (written by
    save_epoch), if there is one: each named module, optimizer or scheduler in `restorable` takes
    its saved state, and the CPU generator its saved position. Returns (the epoch to continue from,
    the best score so far), or (0, best) for a new run."""
    ckpt = load_checkpoint(path)
    if ckpt is None:
        return 0, best
    for name, part in restorable.items():
        part.load_state_dict(ckpt[name])
    torch.set_rng_state(ckpt["rng"])
    log.write(event="resume", epoch=ckpt["epoch"])
    return ckpt["epoch"], ckpt["best"]


def save_epoch(path: Path, epoch: int, best, **restorable) -> None:
    """What resume_epochs needs after `epoch` epochs: every part's state, the best score, the CPU generator."""
    save_checkpoint(path, **{name: part.state_dict() for name, part in restorable.items()}, epoch=epoch, best=best,
                    rng=torch.get_rng_state())


def warmup_then_linear_decay(peak: float, warmup: int, total: int):
    """The learning rate at each step: linear from 0 to `peak` over `warmup` steps, then linear to 0 at `total`."""
    def lr_at(step: int) -> float:
        if step < warmup:
            return peak * step / warmup
        return peak * max(0.0, (total - step) / (total - warmup))
    return lr_at
