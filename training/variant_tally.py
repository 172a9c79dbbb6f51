"""Tallies, for named variants of an edit, the selection panel's accuracy (source, edited and the
sum ensemble) and the pixel MSE to the clean picture, per condition (corrupted, clean): the
bookkeeping residual_edit.py and stretch_edit.py share, with their common arguments, and
(tally_families) the per-family check of edit_decoder.py, dpm_options.py and guidance_with_options.py."""
import argparse

import torch

from common import echo_and_append
from editor_common import family_batches
from panel import PanelMember, default_panel
from runtime_edit import quantize


class VariantTally:
    def __init__(self, panel: list[PanelMember]):
        self.panel = panel
        self.correct = {m.name: {} for m in panel}
        self.mse = {}
        self.seen = {}

    def add(self, condition: str, inputs: torch.Tensor, clean: torch.Tensor, labels: torch.Tensor, variants: dict[str, torch.Tensor]) -> None:
        """One batch of `inputs` (what the source prediction sees) and its edits by variant."""
        self.seen[condition] = self.seen.get(condition, 0) + len(labels)
        for name, v in variants.items():
            key = f"{condition}/{name}"
            self.mse[key] = self.mse.get(key, 0.0) + ((v - clean) ** 2).mean(dim=(1, 2, 3)).sum().item()
        for member in self.panel:
            p_src = member.features(inputs)[-1].exp()
            hits = self.correct[member.name]
            hits[f"{condition}/source"] = hits.get(f"{condition}/source", 0) + (p_src.argmax(1) == labels).sum().item()
            for name, v in variants.items():
                p_edit = member.features(v)[-1].exp()
                for kind, p in (("edited", p_edit), ("ensemble", p_src + p_edit)):
                    key = f"{condition}/{name}/{kind}"
                    hits[key] = hits.get(key, 0) + (p.argmax(1) == labels).sum().item()

    def share(self, key: str) -> int:
        """How many pictures a key's condition has seen."""
        return self.seen[key.split("/")[0]]

    def result(self) -> dict:
        kinds = next(iter(self.correct.values())).keys()
        return {
            "panel": {k: round(sum(c[k] for c in self.correct.values()) / (self.share(k) * len(self.panel)), 4) for k in kinds},
            "per_member": {name: {k: round(v / self.share(k), 4) for k, v in c.items()} for name, c in self.correct.items()},
            "mse": {k: round(v / self.share(k), 5) for k, v in self.mse.items()},
        }


@torch.no_grad()
def tally_families(panel: list[PanelMember], variants: dict, families: list[str], n: int, start: int, log, **fields) -> list[dict]:
    """Each variant (name -> edit of 8-bit pictures) on val[start, start + n) through each corruption
    family (editor_common.family_batches), one record per family appended to `log` (with `fields`).
    The clean pictures are the same in every family, so they are measured once, with the first."""
    records = []
    for i, family in enumerate(families):
        tally = VariantTally(panel)
        for clean, corrupted, labels in family_batches(family, n, start):
            conditions = [("corrupted", quantize(corrupted))] + ([("clean", quantize(clean))] if i == 0 else [])
            for condition, inputs in conditions:
                tally.add(condition, inputs, clean, labels, {name: edit(inputs) for name, edit in variants.items()})
        record = {"family": family, "slice": f"val[{start}:{start + n}]", **fields, **tally.result()}
        echo_and_append(log, record)
        records.append(record)
    return records


def gains_over(records: list[dict], baseline: str, candidate: str, members: list[str]) -> dict:
    """The panel's sum-ensemble gain in points of one variant over another, from tally_families'
    records: per family, per member (its mean over the families), the three-family mean and clean
    (measured with the first family); `passed` is the rule the lever scripts share, written before
    their runs: mean >= +0.3, no family and no member below -0.2, clean not below -0.2."""
    def gain(values: dict, condition: str) -> float:
        return 100 * (values[f"{condition}/{candidate}/ensemble"] - values[f"{condition}/{baseline}/ensemble"])

    families = {r["family"]: gain(r["panel"], "corrupted") for r in records}
    per_member = {m: sum(gain(r["per_member"][m], "corrupted") for r in records) / len(records) for m in members}
    mean, clean = sum(families.values()) / len(families), gain(records[0]["panel"], "clean")
    return {"mean_gain": round(mean, 2), "family_gains": {k: round(v, 2) for k, v in families.items()},
            "member_gains": {k: round(v, 2) for k, v in per_member.items()}, "clean_gain": round(clean, 2),
            "passed": mean >= 0.3 and min(families.values()) >= -0.2 and min(per_member.values()) >= -0.2 and clean >= -0.2}


def families_parser() -> argparse.ArgumentParser:
    """The arguments of a per-family check: which families, and the validation slice."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", nargs="*", default=["base", "wider", "blur"])
    parser.add_argument("--start", type=int, default=500)
    parser.add_argument("--n", type=int, default=2500)
    return parser


def check_families(variants: dict, args: argparse.Namespace, log, verdict) -> None:
    """tally_families on the default panel and args' families and slice, then the rule's
    verdict(records, member names) appended to `log`."""
    panel = default_panel()
    records = tally_families(panel, variants, args.families, args.n, args.start, log)
    echo_and_append(log, {"verdict": verdict(records, [m.name for m in panel]), "slice": records[0]["slice"]})


def lever_parser() -> argparse.ArgumentParser:
    """The CM editor to measure (the bundle's: checkpoint, guidance, pinned noise seed) and the
    validation slices to measure it on."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="cm_unet.pt")
    parser.add_argument("--guidance", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=8, help="the bundle's pinned CM noise seed")
    parser.add_argument("--starts", type=int, nargs="*", default=[0, 500], help="validation slices to measure (none: only --write)")
    parser.add_argument("--n", type=int, default=500)
    return parser
