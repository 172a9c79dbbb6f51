"""Python twin of the runtime's editor noise (src/model/noise.ts), so that a noise chosen here on
validation is, bit for bit up to float32 rounding, the noise the product samples with.

    GaussianRng(seed).fill(n)   Weyl sequence + murmur3 finaliser -> uniforms -> Box-Muller normals
    editor_noises(seed, count, latent_shape)   the `count` arrays a runtime editor draws from one seed
"""
import math

import numpy as np
import torch

MASK = 0xFFFFFFFF


class GaussianRng:
    def __init__(self, seed: int):
        self.state = seed & MASK
        self.spare = None

    def uniform(self) -> float:
        self.state = (self.state + 0x9E3779B9) & MASK
        z = self.state
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK
        z ^= z >> 16
        return (z + 0.5) / 4294967296

    def next(self) -> float:
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        radius = math.sqrt(-2 * math.log(self.uniform()))
        angle = 2 * math.pi * self.uniform()
        self.spare = radius * math.sin(angle)
        return radius * math.cos(angle)

    def fill(self, n: int) -> np.ndarray:
        return np.array([self.next() for _ in range(n)], dtype=np.float32)


def editor_noises(seed: int, count: int, latent_shape=(4, 16, 16)) -> list[torch.Tensor]:
    """The runtime's fixed editor noise: `count` arrays of one latent each ([1, C, h, w]), drawn in
    order from one generator (a consistency editor uses one per step, DDIM only the first)."""
    rng = GaussianRng(seed)
    size = math.prod(latent_shape)
    return [torch.from_numpy(rng.fill(size)).view(1, *latent_shape) for _ in range(count)]
