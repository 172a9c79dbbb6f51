"""Issue 14, on validation: should the DPM-20 teacher get the CM student's input options?

The bundle's CM entry runs with a contrast stretch of the input and a detail residual on the
output (stretch_edit.py, residual_edit.py chose them for the CM on validation); the DPM entry runs
with neither, so `--editor dpm` and `--editor cm` compare unequal pipelines. On the test split,
once (bench/eval-dpm-s5-with-cm-options.txt), DPM-20 with both read 62.7 against 58.9 without,
but a test-split number may not choose a bundle option. This script makes that choice on
validation: the selection panel's (bundled + VGG; never the held-out classifier) sum ensemble
with DPM-20 as the runtime runs it (pinned noise seed, guidance schedule), plain and with the CM
entry's `contrastStretch` and `detailResidual` values unchanged, on val[500:3000] through the
`base`, `wider` and `blur` families (editor_common.family_batches) and clean.

The rule for shipping, written before the run: the options go into the DPM entry if the mean over
the three families of the panel's corrupted ensemble gains >= 0.3 points, no family loses more
than 0.2, no panel member loses more than 0.2 on that mean, and the clean ensemble loses no more
than 0.2.

    /usr/bin/python3 dpm_options.py          # logs/dpm_options.jsonl
    /usr/bin/python3 dpm_options.py --write  # copies the CM entry's two options into every bundle's DPM entry

It passed (val[500:3000]): +1.11 on the three-family mean (base +0.28, wider +0.64, blur +2.42),
bundled +1.13, VGG +1.09, clean +0.42; written into the bundles in 2.8.0.
"""
import torch

from bundle_manifests import set_editor_entry, shipped_editors
from choose_noise import editor_sampler
from common import ROOT, setup
from editor_common import LatentPairs
from noise import editor_noises
from runtime_edit import runtime_edit
from variant_tally import check_families, families_parser, gains_over

LOG = ROOT / "logs" / "dpm_options.jsonl"


def verdict(records: list[dict], members: list[str]) -> dict:
    """The rule above (variant_tally.gains_over's), the options against the plain DPM."""
    return gains_over(records, "plain", "options", members)


@torch.no_grad()
def main():
    parser = families_parser()
    parser.add_argument("--write", action="store_true", help="write the CM's options into the bundles' DPM entries and stop")
    args = parser.parse_args()
    setup(0, 2)
    editors = shipped_editors()
    dpm, cm = editors["dpm"], editors["cm"]
    if args.write:
        for key in ("contrastStretch", "detailResidual"):
            set_editor_entry("dpm", key, cm[key])
        return
    pairs = LatentPairs("val", seed=0)
    count, sample = editor_sampler("dpm", "dpm_unet.pt", 0.0)
    noises = editor_noises(dpm["noiseSeed"], count, tuple(pairs.encode(torch.zeros(1, 3, 32, 32)).shape[1:]))
    variants = {"plain": lambda x: runtime_edit(sample, pairs, x, noises),
                "options": lambda x: runtime_edit(sample, pairs, x, noises, cm["contrastStretch"], cm["detailResidual"])}
    check_families(variants, args, LOG, verdict)


if __name__ == "__main__":
    main()
