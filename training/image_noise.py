"""How noisy a picture looks, with no model: Immerkaer's fast noise estimate (1996).

The picture is filtered with the difference of two Laplacians, which cancels smooth shading and
straight edges and keeps pixel-to-pixel noise; sigma = sqrt(pi / 2) / 6 times the mean absolute
response (the mean over the valid (H-2) x (W-2) positions and the three colour channels). Used by
noise_rule.py, a lever that was not shipped: the runtime does not compute it.
"""
import math

import torch
import torch.nn.functional as F

_MASK = torch.tensor([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]]).view(1, 1, 3, 3).repeat(3, 1, 1, 1)


def noise_level(x: torch.Tensor) -> torch.Tensor:
    """x: [B, 3, H, W] in [0, 1] -> [B], the estimated noise standard deviation."""
    return math.sqrt(math.pi / 2) / 6 * F.conv2d(x, _MASK.to(x), groups=3).abs().mean(dim=(1, 2, 3))
