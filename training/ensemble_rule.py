"""The learned ensemble rule (issue 20, item 3): how far to trust the edit, per frame.

The runtime's `sum` ensemble averages the source and edited class distributions with equal
weights whatever the frame looks like. The learned rule weighs them per frame,

    p = (1 - w) p_source + w p_edited,    w = sigmoid(a . f),

from features f the runtime has for every edited frame: a bias, the corruption gate's score, the
top probability and the entropy (divided by log K) of each prediction, and whether their labels
agree. The weights a are fitted by maximum likelihood of the true label on validation images
[0, n) and reported on [n, 2n), each a third clean and two thirds through the training corruption
model, edited by the CM exactly as the bundle runs it (4 steps, the manifest's guidance and noise),
classified by each classifier of the panel (panel.py: the bundled one and the zoo's non-held-out
ones, never the held-out ResNet-20; issue 14's rule), the members' predictions pooled. The rule
weighs only frames the corruption gate lets through to the editor (the others answer with the
source prediction), so it is fitted on those; the report gives both the gated pipeline's
accuracy (gate, then the rule or the plain sum) and every rule on all frames.

    /usr/bin/python3 ensemble_rule.py              # fit, report, write editors.cm.ensembleRule into the bundles

Writes logs/ensemble_rule.jsonl and the rule into models/cifar10/manifest.json and the zoo
bundles' manifests (their classifiers never took part: the rule is a function of the two
predictions and the gate's score, whichever classifier made them).
"""
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

import cifar
import distill
from bundle_manifests import set_editor_entry, shipped_editors
from common import CHECKPOINTS, ROOT, echo_and_append, setup, to_float
from corruption_model import CorruptionModel
from editor_common import LatentPairs
from gate import load_trained as load_gate
from image_noise import noise_level
from noise import editor_noises
from panel import PanelMember, default_panel
from runtime_edit import quantize, runtime_edit
from schedule import CM_TIMESTEPS, lcm_sample

FEATURES = ["bias", "gate", "sourceConfidence", "editedConfidence", "sourceEntropy", "editedEntropy", "agreement"]


def features(p_source: torch.Tensor, p_edited: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
    """[B, len(FEATURES)], the runtime's order (src/model/ensemble.ts computes the same)."""
    k = p_source.shape[1]
    entropy = lambda p: -(p * p.clamp_min(1e-12).log()).sum(1) / math.log(k)
    agree = (p_source.argmax(1) == p_edited.argmax(1)).float()
    return torch.stack([torch.ones_like(score), score, p_source.amax(1), p_edited.amax(1), entropy(p_source), entropy(p_edited), agree], 1)


@torch.no_grad()
def collect(n: int, start: int, seed: int, guidance: float, noise_seed: int, panel: list[PanelMember], batch: int = 250,
            residual: dict | None = None, stretch: dict | None = None) -> dict:
    """Predictions of each panel classifier on validation images [start, start + n) and on their
    CM edits, stacked member after member (the images and edits are the same for all). `residual`,
    `stretch`: the manifest's detailResidual and contrastStretch, applied as the runtime does
    (None: off)."""
    images, labels = cifar.load_split("val")
    clean = to_float(images[start:start + n])
    labels = torch.from_numpy(labels[start:start + n])
    corrupt = CorruptionModel(seed)
    rng = np.random.default_rng(seed)
    pairs = LatentPairs("val", seed=seed)
    cm = distill.load_trained(CHECKPOINTS / "cm_unet.pt")
    gate, _ = load_gate()
    sample = lambda cond, noises: lcm_sample(cm, cond, noises, guidance=guidance)
    latent_shape = tuple(pairs.encode(torch.zeros(1, 3, 32, 32)).shape[1:])
    out = {"p_source": [[] for _ in panel], "p_edited": [[] for _ in panel], "score": [], "noise": [], "corrupted": []}
    for i in range(0, n, batch):
        x = clean[i:i + batch]
        is_corrupted = torch.from_numpy(rng.random(len(x)) < 2 / 3)
        x = quantize(torch.where(is_corrupted[:, None, None, None], corrupt(x), x))
        noises = editor_noises(noise_seed, len(CM_TIMESTEPS), latent_shape)
        edited = runtime_edit(sample, pairs, x, noises, stretch, residual)
        for m, member in enumerate(panel):
            out["p_source"][m].append(member.features(x)[-1].exp())
            out["p_edited"][m].append(member.features(edited)[-1].exp())
        out["score"].append(gate(x))
        out["noise"].append(noise_level(x))
        out["corrupted"].append(is_corrupted)
    members = len(panel)
    return {"p_source": torch.cat([torch.cat(p) for p in out["p_source"]]), "p_edited": torch.cat([torch.cat(p) for p in out["p_edited"]]),
            "score": torch.cat(out["score"]).repeat(members), "noise": torch.cat(out["noise"]).repeat(members),
            "corrupted": torch.cat(out["corrupted"]).repeat(members),
            "labels": labels.repeat(members)}


def fit(data: dict, threshold: float, l2: float = 1e-3, columns: list[int] | None = None) -> torch.Tensor:
    """The rule's weights on the frames the gate lets through; `columns`: only those features (default all)."""
    edited = data["score"] >= threshold
    ps, pe, y = data["p_source"][edited], data["p_edited"][edited], data["labels"][edited]
    f = features(ps, pe, data["score"][edited])
    if columns is not None:
        f = f[:, columns]
    a = torch.zeros(f.shape[1], requires_grad=True)
    opt = torch.optim.LBFGS([a], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        w = torch.sigmoid(f @ a)[:, None]
        p = (1 - w) * ps + w * pe
        loss = -p.gather(1, y[:, None]).clamp_min(1e-12).log().mean() + l2 * (a[1:] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return a.detach()


def accuracies(data: dict, a: torch.Tensor, threshold: float) -> dict:
    ps, pe, y = data["p_source"], data["p_edited"], data["labels"]
    w = torch.sigmoid(features(ps, pe, data["score"]) @ a)[:, None]
    edited = (data["score"] >= threshold)[:, None]
    entropy = lambda p: -(p * p.clamp_min(1e-12).log()).sum(1)
    rules = {
        "source": ps, "edited": pe, "sum": ps + pe,
        "confidence": torch.where((pe.amax(1) > ps.amax(1))[:, None], pe, ps),
        "entropy": torch.where((entropy(pe) < entropy(ps))[:, None], pe, ps),
        "learned": (1 - w) * ps + w * pe,
        "gate+sum": torch.where(edited, ps + pe, ps),
        "gate+learned": torch.where(edited, (1 - w) * ps + w * pe, ps),
    }
    result = {}
    for subset, sel in [("all", torch.ones_like(y, dtype=torch.bool)), ("clean", ~data["corrupted"]), ("corrupted", data["corrupted"])]:
        result[subset] = {name: round(float((p[sel].argmax(1) == y[sel]).float().mean()), 4) for name, p in rules.items()}
    result["mean_weight"] = {"clean": round(float(w[~data["corrupted"]].mean()), 3), "corrupted": round(float(w[data["corrupted"]].mean()), 3)}
    result["edit_rate"] = {"clean": round(float(edited[~data["corrupted"]].float().mean()), 3), "corrupted": round(float(edited[data["corrupted"]].float().mean()), 3)}
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="validation images to fit on (as many more to report on)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--guidance", type=float, help="default: the manifest's guidanceScale")
    parser.add_argument("--noise-seed", type=int, help="default: the manifest's noiseSeed")
    parser.add_argument("--panel", nargs="+", help="classifiers whose predictions the rule is fitted on (panel.py; held-out "
                                                   "ones are refused); default: the bundled one and the zoo's non-held-out ones")
    parser.add_argument("--compare", help="report these weights too (comma-separated), e.g. the shipped rule's")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup(args.seed, 2)
    cm = shipped_editors()["cm"]
    args.guidance = cm["guidanceScale"] if args.guidance is None else args.guidance
    args.noise_seed = cm["noiseSeed"] if args.noise_seed is None else args.noise_seed
    threshold = torch.load(CHECKPOINTS / "gate.pt", map_location="cpu")["threshold"]
    panel = [PanelMember(name) for name in args.panel] if args.panel else default_panel()
    residual, stretch = cm.get("detailResidual"), cm.get("contrastStretch")
    fitting = collect(args.n, 0, args.seed, args.guidance, args.noise_seed, panel, residual=residual, stretch=stretch)
    a = fit(fitting, threshold)
    held = collect(args.n, args.n, args.seed + 1, args.guidance, args.noise_seed, panel, residual=residual, stretch=stretch)
    record = {"features": FEATURES, "weights": [round(float(v), 4) for v in a], "gate_threshold": threshold, "detail_residual": residual,
              "contrast_stretch": stretch,
              "guidance": args.guidance, "noise_seed": args.noise_seed, "panel": [m.name for m in panel],
              "fit": accuracies(fitting, a, threshold), "report": accuracies(held, a, threshold), "n": args.n}
    if args.compare:
        other = torch.tensor([float(v) for v in args.compare.split(",")])
        record["compare"] = {"weights": args.compare, "report": accuracies(held, other, threshold)}
    echo_and_append(ROOT / "logs" / "ensemble_rule.jsonl", record)
    if args.no_write:
        return
    set_editor_entry("cm", "ensembleRule", {"features": FEATURES, "weights": [round(float(v), 5) for v in a]})


if __name__ == "__main__":
    main()
