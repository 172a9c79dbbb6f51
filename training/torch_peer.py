"""The bench's peer: the shipped weights in PyTorch eager, the pipeline as a user would write it by
hand (no grad, batch 16, 2 threads): classifier alone, and CM-4 + ensemble (classify, VAE encode,
4 consistency steps, VAE decode, the edit as an 8-bit picture, classify, sum of softmax).

Before timing it checks that its modules are the bundle's: the PyTorch outputs export.py stored in
the bundle's parity.json must come out again. Prints one JSON line; `decorruptor bench` runs it.
Exit status 3 when PyTorch is missing (the bench then notes the peer as skipped)."""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

try:
    import torch
except ImportError:
    print(json.dumps({"available": False, "note": "PyTorch is not installed for this python"}))
    sys.exit(3)

import classifier as classifier_mod
import distill as distill_mod
import vae as vae_mod
from export import EncoderMean
from schedule import CM_TIMESTEPS, lcm_sample

PARITY_TOLERANCE = 1e-3


def weights_match(parity_file: Path, modules: dict) -> tuple[bool, str]:
    """Whether each module reproduces the outputs the bundle's parity.json holds for its file."""
    if not parity_file.exists():
        return False, f"no {parity_file.name} in the bundle to match the checkpoints against"
    for entry in json.loads(parity_file.read_text()):
        module = modules.get(entry["file"])
        if module is None:
            continue
        inputs = [torch.tensor(v["data"]).view(v["shape"]) for v in entry["inputs"].values()]
        expected = torch.tensor(entry["output"]["data"]).view(entry["output"]["shape"])
        with torch.no_grad():
            diff = (module(*inputs) - expected).abs().max().item()
        if diff > PARITY_TOLERANCE:
            return False, f"{entry['file']}: the checkpoint differs from the bundle (max abs {diff:.3g})"
    return True, "checkpoints reproduce the bundle's parity outputs"


def timed_fps(step, batch: int, warmup: int, rounds: int, batches_per_round: int) -> list:
    for _ in range(warmup):
        step()
    fps = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(batches_per_round):
            step()
        fps.append(batch * batches_per_round / (time.perf_counter() - started))
    return fps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches-per-round", type=int, default=6)
    parser.add_argument("--guidance", type=float, default=1.5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    clf = classifier_mod.load_trained().eval()
    vae, scale = vae_mod.load_trained()
    vae.eval()
    cm = distill_mod.load_trained().eval()
    encoder = EncoderMean(vae.encoder).eval()
    match, note = weights_match(Path(args.bundle) / "parity.json",
                                {"classifier.onnx": clf, "vae_encoder.onnx": encoder, "vae_decoder.onnx": vae.decoder, "cm_unet.onnx": cm})
    result = {"available": True, "torch_version": torch.__version__, "threads": args.threads, "batch": args.batch,
              "weights_match": match, "note": note}
    if not match:
        print(json.dumps(result))
        return

    frames = torch.randint(0, 256, (args.batch, 3, 32, 32), dtype=torch.uint8)
    noises = [torch.randn(args.batch, 4, 16, 16) for _ in CM_TIMESTEPS]

    @torch.no_grad()
    def classify_only():
        clf(classifier_mod.normalize(frames.float() / 255))

    @torch.no_grad()
    def cm4_ensemble():
        x = frames.float() / 255
        source = clf(classifier_mod.normalize(x))
        cond = encoder(x * 2 - 1)
        latent = lcm_sample(cm, cond, noises, CM_TIMESTEPS, guidance=args.guidance) / scale
        edited = ((vae.decoder(latent) + 1) * 127.5).round().clamp(0, 255) / 255
        edit = clf(classifier_mod.normalize(edited))
        return source.softmax(1) + edit.softmax(1)

    timing = dict(warmup=args.warmup, rounds=args.rounds, batches_per_round=args.batches_per_round, batch=args.batch)
    for name, step in (("classifier", classify_only), ("cm4", cm4_ensemble)):
        rounds = timed_fps(step, **timing)
        result[f"{name}_fps"] = round(statistics.median(rounds), 1)
        result[f"{name}_round_fps"] = [round(f, 1) for f in rounds]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
