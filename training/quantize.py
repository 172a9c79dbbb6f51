"""Writes the bundle's int8 variant: a QDQ copy of each model (qdq.py) from the activation ranges
that `decorruptor bundle calibrate` measured on training images, named <model>.int8.onnx in the
bundle folder, and the manifest's `variants.int8` entry that lets `model.precision: int8 | auto` find them.
Run it after every export (quantize.sh does both steps); it never touches the fp32 models."""
import argparse
import json
from pathlib import Path

import onnx

from qdq import QUANTIZED_OPS, last_layers, quantize_model


def int8_name(file: str) -> str:
    """<stem>.int8.onnx in the bundle folder itself, also for a model it names by a relative path
    (a bundle variant that shares another's editor gets int8 copies of its own)."""
    path = Path(file)
    return f"{path.stem}.int8{path.suffix}"


def first_quantizable(model, count: int) -> list:
    return [n.name for n in model.graph.node if n.op_type in QUANTIZED_OPS][:count]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", default=str(Path(__file__).resolve().parent.parent / "models" / "cifar10"))
    parser.add_argument("--ranges", required=True, help="JSON written by `decorruptor bundle calibrate`")
    parser.add_argument("--skip", nargs="*", default=[], help="model files to keep fp32 only (e.g. one that loses accuracy)")
    parser.add_argument("--range", default="p99_99", choices=["minmax", "p99_9", "p99_99", "p99_999"],
                        help="activation range: min/max, or the percentile range leaving out the rarest values on each side")
    parser.add_argument("--keep-fp32", nargs="*", default=[], help="node names to leave unquantized (any model)")
    # The classifier's whitening stem spreads its channels over -358..358 where most values stay
    # below 5: one uint8 scale for all of them cost 3-4 points on fog and contrast (severity 5).
    # Its first two convolutions (2 % of its multiply-adds) stay fp32; measured in training/README.md.
    parser.add_argument("--classifier-keep-first", type=int, default=2,
                        help="leave the classifier's first N Conv/Gemm/MatMul nodes in fp32")
    # The layer that writes a model's output stays fp32 too: the decoder's last convolution is the
    # picture (its uint8 step was about 2 grey levels after the Tanh), the UNet's the noise estimate.
    parser.add_argument("--quantize-last", action="store_true", help="quantize the layers that make each graph output as well")
    args = parser.parse_args()
    bundle = Path(args.bundle)
    calibration = json.loads(Path(args.ranges).read_text())
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())

    files = {}
    report = {}
    for file, ranges in sorted(calibration["models"].items()):
        if file in args.skip:
            continue
        model = onnx.load(str(bundle / file))
        chosen = {t: ([r["min"], r["max"]] if args.range == "minmax" else r[args.range]) for t, r in ranges.items()}
        keep = list(args.keep_fp32) + ([] if args.quantize_last else last_layers(model))
        if file == manifest["classifier"]["file"]:
            keep += first_quantizable(model, args.classifier_keep_first)
        quantized, done, skipped = quantize_model(model, chosen, keep)
        if not done:
            print(json.dumps({"model": file, "int8": None, "reason": "no Conv, Gemm or MatMul with constant weights and calibrated input"}))
            continue
        target = int8_name(file)
        onnx.save(quantized, str(bundle / target))
        files[file] = target
        report[file] = {"quantized_nodes": len(done), "fp32_nodes": skipped, "bytes": (bundle / target).stat().st_size}
        print(json.dumps({"model": file, "int8": target, **report[file]}))

    for file in args.skip:
        stale = bundle / int8_name(file)
        if stale.exists():
            stale.unlink()
    manifest["variants"] = {**manifest.get("variants", {}), "int8": {
        "files": files,
        "info": {
            "method": "static QDQ: uint8 activations, int8 per-channel symmetric weights, int32 bias",
            "activation_range": args.range,
            "classifier_fp32_first": args.classifier_keep_first,
            "fp32_last_layers": not args.quantize_last,
            "fp32_nodes": sorted(args.keep_fp32),
            "calibration": {"images": calibration["images"], "split": "CIFAR-10 training", "editors": calibration["editors"],
                            "corruptions": calibration["corruptions"]},
            "fp32_only": sorted(args.skip),
        },
    }}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
