"""The one ONNX export convention of the project's models and fixtures: opset 17, named tensors,
a dynamic batch dimension (the runtime splits batches for a fixed one, but prefers not to)."""
from pathlib import Path

import torch

OPSET = 17


def export_onnx(module, args, inputs, output, path: Path, dynamic=True):
    batch = {0: "batch"}
    torch.onnx.export(module.eval(), args, str(path), opset_version=OPSET, input_names=inputs, output_names=[output],
                      dynamic_axes={n: batch for n in inputs + [output]} if dynamic else None, do_constant_folding=True)
    print(f"{path.name}: {path.stat().st_size} bytes")
