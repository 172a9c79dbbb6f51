"""Does a fitted ensemble rule carry over to a classifier it was not fitted on? (issue 14, validation only)

ensemble_rule.py fits how far to trust the edit on the panel's pooled predictions. A user's
classifier took no part in that fit, so the question that matters is transfer. This answers it
without the held-out classifier: leave one panel member out. Each rule (a subset of
ensemble_rule.FEATURES) is fitted on one member's predictions on validation [0, n) and measured on
every member's on [n, 2n), against the plain `sum`, with the gate off (every image edited, as
issue 14's table is measured) and on (ensemble_rule.py's setting).

    /usr/bin/python3 ensemble_transfer.py         # ~5 min on 2 cores; logs/ensemble_transfer.jsonl
"""
import argparse

import torch

import ensemble_rule
from bundle_manifests import shipped_editors
from common import CHECKPOINTS, ROOT, echo_and_append, setup
from panel import default_panel

SUBSETS = {
    "full": ensemble_rule.FEATURES,
    "gate_only": ["bias", "gate"],
    "bias_only": ["bias"],
    "no_source_confidence": ["bias", "gate", "editedConfidence", "editedEntropy"],
    "gate_agreement": ["bias", "gate", "agreement"],
}


def member_rows(data: dict, member: int, members: int) -> dict:
    """collect() stacks the members' predictions one after the other."""
    n = len(data["labels"]) // members
    return {key: value[member * n:(member + 1) * n] for key, value in data.items()}


def accuracy(data: dict, columns: list[int], a: torch.Tensor, threshold: float) -> dict:
    """Accuracy (%) of the rule and of the plain sum, on all images / the corrupted / the clean."""
    ps, pe, y = data["p_source"], data["p_edited"], data["labels"]
    w = torch.sigmoid(ensemble_rule.features(ps, pe, data["score"])[:, columns] @ a)[:, None]
    edited = (data["score"] >= threshold)[:, None]
    corrupted = data["corrupted"]
    out = {}
    for name, p in {"source": ps, "sum": torch.where(edited, ps + pe, ps), "rule": torch.where(edited, (1 - w) * ps + w * pe, ps)}.items():
        right = p.argmax(1) == y
        out[name] = {"all": round(100 * right.float().mean().item(), 2), "corrupted": round(100 * right[corrupted].float().mean().item(), 2),
                     "clean": round(100 * right[~corrupted].float().mean().item(), 2)}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup(args.seed, 2)
    manifest = shipped_editors()["cm"]
    panel = default_panel()
    names = [m.name for m in panel]
    fitting = ensemble_rule.collect(args.n, 0, args.seed, manifest["guidanceScale"], manifest["noiseSeed"], panel)
    held = ensemble_rule.collect(args.n, args.n, args.seed + 1, manifest["guidanceScale"], manifest["noiseSeed"], panel)
    gate_threshold = torch.load(CHECKPOINTS / "gate.pt", map_location="cpu")["threshold"]
    log = ROOT / "logs" / "ensemble_transfer.jsonl"
    for gate, threshold in [("off", float("-inf")), ("auto", gate_threshold)]:
        for subset, feature_names in SUBSETS.items():
            columns = [ensemble_rule.FEATURES.index(f) for f in feature_names]
            for fit_on in range(len(names)):
                a = ensemble_rule.fit(member_rows(fitting, fit_on, len(names)), threshold, columns=columns)
                for eval_on in range(len(names)):
                    record = {"gate": gate, "subset": subset, "features": feature_names, "weights": [round(float(v), 3) for v in a],
                              "fit_on": names[fit_on], "eval_on": names[eval_on],
                              **accuracy(member_rows(held, eval_on, len(names)), columns, a, threshold)}
                    echo_and_append(log, record)


if __name__ == "__main__":
    main()
