"""The detail residual of an edit (bundle 2.6.0; residual_edit.py measured it): the edit plus
alpha x what the VAE lost of the input, except where the input looks noisy (image_noise.py), as
the runtime's src/model/detail-residual.ts computes it."""
import torch

from image_noise import noise_level


def detail_residual(edit: torch.Tensor, inputs: torch.Tensor, reconstructed: torch.Tensor, alpha: float, noise_threshold: float) -> torch.Tensor:
    """The edit plus alpha x what the VAE lost of the input, except on noisy inputs (the runtime's
    src/model/detail-residual.ts). All in [0, 1]; `edit` clamped, the result not yet."""
    noisy = (noise_level(inputs) >= noise_threshold).view(-1, 1, 1, 1)
    return torch.where(noisy, edit, edit + alpha * (inputs - reconstructed))
