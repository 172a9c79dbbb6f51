"""Tallies, for named variants of an edit, the selection panel's accuracy (source, edited and the
sum ensemble) and the pixel MSE to the clean picture, per condition (corrupted, clean): the
bookkeeping residual_edit.py and stretch_edit.py share, with their common arguments, and
(tally_families) the per-family check of edit_decoder.py, dpm_options.py and guidance_with_options.py."""
import argparse

import torch

from common import echo_and_append
from editor_common import family_batches
from panel import PanelMember
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
