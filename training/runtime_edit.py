"""The CM edit of 8-bit pictures as the runtime makes it (src/model/batch-inference.ts), with the
options a bundle's manifest turns on: the contrast stretch of the input (contrast_stretch.py),
then encode, sample, decode, and the detail residual (detail_residual.py)."""
import torch

from contrast_stretch import stretch_contrast
from detail_residual import detail_residual
from editor_common import LatentPairs


def quantize(x: torch.Tensor) -> torch.Tensor:
    """What the runtime classifies and shows: 8-bit pictures."""
    return (x.clamp(0, 1) * 255).round() / 255


def runtime_edit(sample, pairs: LatentPairs, inputs: torch.Tensor, noises: list[torch.Tensor],
                 stretch: dict | None = None, residual: dict | None = None) -> torch.Tensor:
    """inputs: [B, 3, 32, 32] 8-bit pictures in [0, 1] -> their 8-bit edits. `sample(cond, noises)`
    runs the sampler; `stretch` and `residual` are the manifest's contrastStretch and detailResidual
    entries (None: off)."""
    if stretch is not None:
        inputs = quantize(stretch_contrast(inputs, stretch["percentile"], stretch["maxGain"], stretch["maxSpan"], stretch.get("noiseThreshold")))
    cond = pairs.encode(inputs)
    edited = pairs.decode(sample(cond, [z.expand_as(cond) for z in noises])).clamp(0, 1)
    if residual is not None:
        edited = detail_residual(edited, inputs, pairs.decode(cond * pairs.scale), residual["alpha"], residual["noiseThreshold"])
    return quantize(edited)
