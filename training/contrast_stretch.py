"""The contrast stretch of the editor's input (bundle 2.7.0; stretch_edit.py measured it), as the
runtime's src/model/contrast-stretch.ts computes it."""
import torch

from image_noise import noise_level

LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def stretch_contrast(x: torch.Tensor, percentile: float, max_gain: float, max_span: float, noise_threshold: float | None = None) -> torch.Tensor:
    """x: [B, 3, H, W] in [0, 1] -> the same pictures, flat ones stretched about their luma
    mid-band: where the luma span between the percentile and 1 - percentile quantiles is below
    max_span, by 1 / span (at most max_gain), one affine map on the three channels. With a
    noise_threshold, pictures whose noise level (image_noise.py) reaches it are left alone: a
    stretch would amplify their noise."""
    luma = (x * LUMA).sum(dim=1).flatten(1)
    lo = torch.quantile(luma, percentile, dim=1)
    hi = torch.quantile(luma, 1 - percentile, dim=1)
    span = (hi - lo).clamp_min(1e-6)
    flat = span < max_span
    if noise_threshold is not None:
        flat &= noise_level(x) < noise_threshold
    gain = torch.where(flat, (1 / span).clamp(1, max_gain), torch.ones_like(span)).view(-1, 1, 1, 1)
    mid = ((lo + hi) / 2).view(-1, 1, 1, 1)
    stretched = ((x - mid) * gain + 0.5).clamp(0, 1)
    return torch.where(gain > 1, stretched, x)
