"""A lever for issues 14 and 20, measured on validation only: trust the edit alone on noisy frames.

On the noise types the edit is far better than the source for every classifier, and the plain sum
lets the source's confident wrong answer pull it down. This rule needs no classifier: where the
gate lets a frame through and its noise level (image_noise.py, no model) is at least the level
that 2% of clean validation pictures reach, the label is the edit's; elsewhere the ensemble is
unchanged (the sum or the learned rule). The threshold is fixed by clean pictures alone, before any
accuracy is looked at; the accuracies are those of the selection panel (never a held-out
classifier) on validation images [n, 2n) through the training corruption model (ensemble_rule.collect).

    /usr/bin/python3 noise_rule.py            # ~3 min on 2 cores; appends to logs/noise_rule.jsonl

The rule set before the run: ship when, on the corrupted frames, the panel's pooled accuracy
gains at least 0.2 points over the same ensemble without it and no member loses, clean or corrupted.
"""
import argparse

import torch

import cifar
from bundle_manifests import shipped_editors
from common import CHECKPOINTS, ROOT, echo_and_append, setup, to_float
from ensemble_rule import FEATURES, collect, features
from image_noise import noise_level
from panel import default_panel

CLEAN_RATE = 0.02


def threshold_from_clean(n: int) -> float:
    """The noise level that CLEAN_RATE of clean validation pictures [0, n) reach (8-bit, as frames are)."""
    clean = (to_float(cifar.load_split("val")[0][:n]) * 255).round() / 255
    return float(torch.quantile(noise_level(clean), 1 - CLEAN_RATE))


def accuracies(data: dict, gate_threshold: float, noise_threshold: float, rule: torch.Tensor, members: list[str]) -> dict:
    ps, pe, y = data["p_source"], data["p_edited"], data["labels"]
    edited = (data["score"] >= gate_threshold)[:, None]
    noisy = (data["noise"] >= noise_threshold)[:, None]
    w = torch.sigmoid(features(ps, pe, data["score"]) @ rule)[:, None]
    learned = (1 - w) * ps + w * pe
    rules = {
        "gate+sum": torch.where(edited, ps + pe, ps),
        "gate+sum+noisy-edit": torch.where(edited, torch.where(noisy, pe, ps + pe), ps),
        "gate+learned": torch.where(edited, learned, ps),
        "gate+learned+noisy-edit": torch.where(edited, torch.where(noisy, pe, learned), ps),
        "edit-all+sum": ps + pe,
        "edit-all+sum+noisy-edit": torch.where(noisy, pe, ps + pe),
    }
    per = len(y) // len(members)
    out = {}
    for subset, sel in [("clean", ~data["corrupted"]), ("corrupted", data["corrupted"])]:
        out[subset] = {}
        for name, p in rules.items():
            hit = (p.argmax(1) == y) & sel
            out[subset][name] = {"pooled": round(float(hit.sum() / sel.sum()), 4),
                                 **{m: round(float(hit[i * per:(i + 1) * per].sum() / sel[i * per:(i + 1) * per].sum()), 4)
                                    for i, m in enumerate(members)}}
    out["flagged"] = {"clean": round(float(noisy[~data["corrupted"]].float().mean()), 4),
                      "corrupted": round(float(noisy[data["corrupted"]].float().mean()), 4),
                      "corrupted_and_edited": round(float((noisy & edited)[data["corrupted"]].float().mean()), 4)}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="clean pictures [0, n) for the threshold; report on [n, 2n)")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    setup(args.seed, 2)
    cm = shipped_editors()["cm"]
    assert cm["ensembleRule"]["features"] == FEATURES
    rule = torch.tensor(cm["ensembleRule"]["weights"])
    gate_threshold = torch.load(CHECKPOINTS / "gate.pt", map_location="cpu")["threshold"]
    noise_threshold = threshold_from_clean(args.n)
    panel = default_panel()
    data = collect(args.n, args.n, args.seed, cm["guidanceScale"], cm["noiseSeed"], panel)
    record = {"noise_threshold": round(noise_threshold, 5), "clean_rate": CLEAN_RATE, "gate_threshold": gate_threshold,
              "slice": f"val[{args.n}:{2 * args.n}]", "seed": args.seed, "panel": [m.name for m in panel],
              **accuracies(data, gate_threshold, noise_threshold, rule, [m.name for m in panel])}
    echo_and_append(ROOT / "logs" / "noise_rule.jsonl", record)


if __name__ == "__main__":
    main()
