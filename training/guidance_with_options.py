"""Issue 14, on validation: is 1.5 still the CM's best guidance scale now that its edit runs with
the contrast stretch and the detail residual?

The scale was chosen for bundle 2.5.0 (sweep_guidance.py), before either option existed: the
stretch changes what the student is conditioned on, the residual what is added to its output. This
script measures the selection panel's (bundled + VGG; never the held-out classifier) sum ensemble
with the runtime's whole CM edit (edit_decoder.RuntimeCmEdit: pinned noise, both options) at each
scale, on val[500:3000] through the base, wider and strong-blur families and clean.

The rule, written before the run: the scale with the best three-family mean replaces 1.5 if it
gains >= 0.3 on that mean, no family or panel member loses more than 0.2 and the clean ensemble
loses no more than 0.2. A replacement is then read once on the test split with the bundled
classifier as the go/no-go (not below 2.8.0's 63.3); the held-out classifier is reported only.

    /usr/bin/python3 guidance_with_options.py     # logs/guidance_with_options.jsonl
"""
import torch

from common import ROOT, setup
from bundle_manifests import shipped_editors
from edit_decoder import RuntimeCmEdit
from variant_tally import check_families, families_parser, gains_over

LOG = ROOT / "logs" / "guidance_with_options.jsonl"
SHIPPED = 1.5


def verdict(records: list[dict], scales: list[float], members: list[str]) -> dict:
    """The rule above (variant_tally.gains_over's) for the scale with the best mean."""
    candidates = {str(s): gains_over(records, str(SHIPPED), str(s), members) for s in scales if s != SHIPPED}
    best = max(candidates, key=lambda s: candidates[s]["mean_gain"])
    return {"best": float(best), "passed": candidates[best]["passed"], "candidates": candidates}


@torch.no_grad()
def main():
    parser = families_parser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.25, 1.5, 1.75, 2.0])
    args = parser.parse_args()
    setup(0, 2)
    cm = shipped_editors()["cm"]
    variants = {str(scale): RuntimeCmEdit({**cm, "guidanceScale": scale}) for scale in args.scales}
    check_families(variants, args, LOG, lambda records, members: verdict(records, args.scales, members))


if __name__ == "__main__":
    main()
