"""For users, on validation: does the CM editor do better with more (or fewer) steps than its 4?

The runtime takes 1-8 steps on the LCM schedule (`--steps`, `model.steps`); the bundle's 4 are the
method's, and the product's speed target is set for them. Whether more steps pay has not been
measured since the stretch and the residual came in. This script measures the selection panel's
(bundled + VGG; never the held-out classifier) sum ensemble with the runtime's whole CM edit at 2,
4, 6 and 8 steps (the bundle's pinned noise, one per step as the runtime draws it), on
val[500:3000] through the base, wider and strong-blur families and clean.

No bundle option changes with this: the default stays 4. The rule for recommending another count
in the docs, written before the run: its three-family mean gains >= 0.3 over 4 steps, no family or
panel member loses more than 0.2, clean loses no more than 0.2. A recommended count is then read
once on the test split (bundled and held out, reported for users).

    /usr/bin/python3 cm_steps.py      # logs/cm_steps.jsonl
"""
import torch

from common import ROOT, setup
from bundle_manifests import shipped_editors
from edit_decoder import RuntimeCmEdit
from variant_tally import check_families, families_parser, gains_over

LOG = ROOT / "logs" / "cm_steps.jsonl"
BUNDLE_STEPS = 4


def verdict(records: list[dict], counts: list[int], members: list[str]) -> dict:
    """The rule above (variant_tally.gains_over's), each count against the bundle's 4."""
    return {str(n): gains_over(records, str(BUNDLE_STEPS), str(n), members) for n in counts if n != BUNDLE_STEPS}


@torch.no_grad()
def main():
    parser = families_parser()
    parser.add_argument("--counts", type=int, nargs="+", default=[2, 4, 6, 8])
    args = parser.parse_args()
    setup(0, 2)
    cm = shipped_editors()["cm"]
    variants = {str(steps): RuntimeCmEdit(cm, steps=steps) for steps in args.counts}
    check_families(variants, args, LOG, lambda records, members: verdict(records, args.counts, members))


if __name__ == "__main__":
    main()
