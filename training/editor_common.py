"""Pieces shared by the DPM teacher and the CM student trainings."""
import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

import cifar
import vae as vae_mod
from common import CHECKPOINTS, flip_and_translate, save_checkpoint, to_float
from corruption_model import CorruptionModel
from panel import PanelMember, default_panel
from schedule import EpsFromV
from unet import LatentUNet


class LatentPairs:
    """Yields (clean scaled latent z0, corrupted-image latent c, clean images, corrupted images)."""

    def __init__(self, split: str = "train", seed: int = 0, vae: str = "vae.pt", wider: bool = False, device: str | torch.device = "cpu"):
        # Images and corruptions on the CPU; the VAE, and so the latents it returns, on `device`.
        self.images = to_float(cifar.load_split(split)[0])
        self.device = torch.device(device)
        self.vae, self.scale = vae_mod.load_trained(CHECKPOINTS / vae)
        self.vae.to(self.device)
        for p in self.vae.parameters():
            p.requires_grad_(False)
        self.corrupt = CorruptionModel(seed, wider=wider)
        self.gen = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def encode(self, images01: torch.Tensor) -> torch.Tensor:
        return self.vae.encoder(images01.to(self.device) * 2 - 1)[0]

    @torch.no_grad()
    def decode(self, scaled_latent: torch.Tensor) -> torch.Tensor:
        return (self.vae.decoder(scaled_latent / self.scale) + 1) / 2

    @torch.no_grad()
    def batch(self, size: int):
        idx = torch.randint(0, len(self.images), (size,), generator=self.gen)
        clean = flip_and_translate(self.images[idx])
        corrupted = self.corrupt(clean)
        both = self.encode(torch.cat([clean, corrupted]))
        return both[:size] * self.scale, both[size:], clean, corrupted


def drop_condition(cond: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """InstructPix2Pix condition dropout: a zero latent stands for "no image", so guidance works."""
    keep = (torch.rand(cond.shape[0], generator=gen) >= p).float().view(-1, 1, 1, 1).to(cond.device)
    return cond * keep


def ema_update(target: torch.nn.Module, online: torch.nn.Module, decay: float) -> None:
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.mul_(decay).add_(o.detach(), alpha=1 - decay)


def _entropy(p: torch.Tensor) -> torch.Tensor:
    return -(p * p.clamp_min(1e-12).log()).sum(1, keepdim=True)


# The runtime's ensemble modes (src/model/ensemble.ts) and edit-weighted sums, as levers to compare.
ENSEMBLE_RULES = {
    "confidence": lambda src, edit: torch.where(edit.max(1, keepdim=True).values > src.max(1, keepdim=True).values, edit, src),
    "entropy": lambda src, edit: torch.where(_entropy(edit) < _entropy(src), edit, src),
    "edit0.65": lambda src, edit: 0.35 * src + 0.65 * edit,
    "product": lambda src, edit: src.clamp_min(1e-12).log() + edit.clamp_min(1e-12).log(),
}


def load_editor(path) -> EpsFromV:
    """A trained editor checkpoint (teacher or student) with the epsilon interface; its raw
    v-predicting UNet is `.unet`."""
    state = torch.load(path, map_location="cpu")
    model = LatentUNet(**state["config"])
    model.load_state_dict(state["model"])
    return EpsFromV(model).eval()


def validation_batches(n: int, start: int, seed: int, batch: int, wider: bool = False):
    """Yields (clean, corrupted, labels) for validation images [start, start + n), corrupted by the
    training corruption model (validation corruptions only: test types are never looked at), with
    the wider family mixed in if `wider`. The same seed gives the same corruptions."""
    images, labels = cifar.load_split("val")
    val = to_float(images[start:start + n])
    labels = torch.from_numpy(labels[start:start + n])
    corrupt = CorruptionModel(seed, wider=wider)
    for i in range(0, n, batch):
        clean = val[i:i + batch]
        yield clean, corrupt(clean), labels[i:i + batch]


def family_batches(family: str, n: int, start: int, batch: int = 250):
    """Validation pictures through a corruption family: `base` and `wider` as the editor's
    training, or `blur`: every picture through the strong half of that family's Gaussian blur
    (sigma 1.2-2.0; Hendrycks' validation blur, none of the 15 test types), which the families'
    mixtures hold too rarely for a validation check to see what smoothing costs."""
    if family != "blur":
        yield from validation_batches(n, start, 99, batch, family == "wider")
        return
    rng = np.random.default_rng(99)
    for clean, _, y in validation_batches(n, start, 99, batch):
        sigmas = rng.uniform(1.2, 2.0, size=len(clean))
        yield clean, torch.stack([TF.gaussian_blur(c, kernel_size=9, sigma=float(s)) for c, s in zip(clean, sigmas)]), y


@torch.no_grad()
def edit_quality(edit_fn, pairs: LatentPairs, n: int = 500, seed: int = 99, batch: int = 250, start: int = 0,
                 panel: list[PanelMember] | None = None, wider: bool = False) -> dict:
    """MSE to the clean image of the corrupted input vs the edit, and accuracy (source / edited /
    ensemble) averaged over the selection panel (panel.py: never a held-out classifier), with each
    member's own numbers under `per_member`, on validation_batches(n, start, seed, batch, wider)."""
    gen = torch.Generator().manual_seed(seed)
    panel = default_panel() if panel is None else panel
    mse_in = mse_out = 0.0
    numel = 0
    correct = {m.name: {"source": 0, "edited": 0, "ensemble": 0, **{f"ensemble_{r}": 0 for r in ENSEMBLE_RULES}} for m in panel}
    for clean, corrupted, y in validation_batches(n, start, seed, batch, wider):
        edited = edit_fn(pairs.encode(corrupted), gen).clamp(0, 1).cpu()   # the panel runs on the CPU
        mse_in += F.mse_loss(corrupted, clean, reduction="sum").item()
        mse_out += F.mse_loss(edited, clean, reduction="sum").item()
        numel += clean.numel()
        for member in panel:
            p_src = member.features(corrupted)[-1].exp()
            p_edit = member.features(edited)[-1].exp()
            counts = correct[member.name]
            counts["source"] += (p_src.argmax(1) == y).sum().item()
            counts["edited"] += (p_edit.argmax(1) == y).sum().item()
            counts["ensemble"] += ((p_src + p_edit).argmax(1) == y).sum().item()
            for rule, combine in ENSEMBLE_RULES.items():
                counts[f"ensemble_{rule}"] += (combine(p_src, p_edit).argmax(1) == y).sum().item()
    out = {"mse_corrupted": mse_in / numel, "mse_edited": mse_out / numel}
    if panel:
        for kind in ("source", "edited", "ensemble", *(f"ensemble_{r}" for r in ENSEMBLE_RULES)):
            out[f"acc_{kind}"] = sum(c[kind] for c in correct.values()) / (n * len(panel))
        out["per_member"] = {name: {k: v / n for k, v in c.items()} for name, c in correct.items()}
    return out


class StepCheckpoint:
    """The resumable state of a step-based editor training: named modules, the optimizer, the step,
    and every random generator, so that a resumed run draws what an uninterrupted one would."""

    def __init__(self, path, modules: dict, opt, gen: torch.Generator, pairs: LatentPairs):
        self.path, self.modules, self.opt, self.gen, self.pairs = path, modules, opt, gen, pairs

    def restore(self) -> int:
        """Loads the last checkpoint if there is one; returns the step to continue from."""
        if not self.path.exists():
            return 0
        state = torch.load(self.path, map_location="cpu")
        for name, module in self.modules.items():
            module.load_state_dict(state[name])
        self.opt.load_state_dict(state["opt"])
        torch.set_rng_state(state["rng"])
        self.gen.set_state(state["gen"])
        self.pairs.gen.set_state(state["pairs_gen"])
        return state["step"]

    def save(self, step: int) -> None:
        save_checkpoint(self.path, **{name: m.state_dict() for name, m in self.modules.items()}, opt=self.opt.state_dict(),
                        step=step, rng=torch.get_rng_state(), gen=self.gen.get_state(), pairs_gen=self.pairs.gen.get_state())


def seeded_noise(shape, gen: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=gen)


__all__ = ["LatentPairs", "StepCheckpoint", "drop_condition", "ema_update", "edit_quality", "seeded_noise", "np"]
