"""A lever for issue 14, measured on validation only: more than one edit per frame.

The runtime edits each frame once, with the bundle's pinned noise. Editing it again with a second
(and third) pinned noise and summing the classifier's probabilities over the source and every edit
costs one CM-4 pass per extra edit; this measures what it buys, on the selection panel (never a
held-out classifier), over two disjoint validation slices, with the candidate seeds taken from
choose_noise.py's finalists (logs/noise_choice.jsonl).

    /usr/bin/python3 multi_edit.py --seeds 8 5 --seeds 8 5 13     # ~1 min per line on 2 cores

Variants per line: `ens1` source + the first edit (what ships), `ens_all` source + every edit,
`ens_mean` source + the mean of the edits (the source keeps half the weight), `edits` the edits alone.
"""
import argparse

import torch

import distill
from common import CHECKPOINTS, ROOT, echo_and_append, setup
from editor_common import LatentPairs, validation_batches
from noise import editor_noises
from panel import default_panel
from schedule import CM_TIMESTEPS, lcm_sample

LOG = ROOT / "logs" / "multi_edit.jsonl"


@torch.no_grad()
def measure(sample, pairs: LatentPairs, seeds: list[int], start: int, n: int, corruption_seed: int = 99, batch: int = 250) -> dict:
    shape = tuple(pairs.encode(torch.zeros(1, 3, 32, 32)).shape[1:])
    panel = default_panel()
    correct = {m.name: {} for m in panel}
    for _, corrupted, y in validation_batches(n, start, corruption_seed, batch):
        cond = pairs.encode(corrupted)
        edits = [pairs.decode(sample(cond, [z.expand_as(cond) for z in editor_noises(seed, len(CM_TIMESTEPS), shape)])).clamp(0, 1)
                 for seed in seeds]
        for member in panel:
            p_src = member.features(corrupted)[-1].exp()
            p_edits = [member.features(e)[-1].exp() for e in edits]
            variants = {"source": p_src, "edited": p_edits[0], "ens1": p_src + p_edits[0], "ens_all": p_src + sum(p_edits),
                        "ens_mean": p_src + sum(p_edits) / len(p_edits), "edits": sum(p_edits)}
            for name, p in variants.items():
                correct[member.name][name] = correct[member.name].get(name, 0) + (p.argmax(1) == y).sum().item()
    kinds = next(iter(correct.values())).keys()
    return {**{f"acc_{k}": sum(c[k] for c in correct.values()) / (n * len(panel)) for k in kinds},
            "per_member": {name: {k: v / n for k, v in c.items()} for name, c in correct.items()}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="cm_unet.pt")
    parser.add_argument("--guidance", type=float, default=1.5)
    parser.add_argument("--seeds", type=int, nargs="+", action="append", required=True, help="pinned noise seeds, the shipped one first")
    parser.add_argument("--starts", type=int, nargs="+", default=[0, 500], help="validation slices [start, start + n)")
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    setup(0, 2)
    pairs = LatentPairs("train", seed=0, vae="vae.pt")
    model = distill.load_trained(CHECKPOINTS / args.checkpoint)
    sample = lambda cond, noises: lcm_sample(model, cond, noises, guidance=args.guidance)
    for seeds in args.seeds:
        for start in args.starts:
            record = {"checkpoint": args.checkpoint, "guidance": args.guidance, "seeds": seeds, "slice": f"val[{start}:{start + args.n}]",
                      **measure(sample, pairs, seeds, start, args.n)}
            echo_and_append(LOG, record)


if __name__ == "__main__":
    main()
