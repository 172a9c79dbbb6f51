"""A wider family of training corruptions for the editor (issue 14's "wider corruption model").

In the spirit of CIFAR-10-C-bar (Mintun et al. 2021): corruptions chosen to be unlike the 15
CIFAR-10-C test types, so that the editor learns to undo more kinds of damage without ever seeing
the ones it is measured on. None of them is one of the 15: there is no Gaussian/shot/impulse noise,
no disc, glass, motion or zoom blur, no plasma fog, frost, snow, no HSV brightness or contrast
scaling, no elastic transform, no box pixelation and no JPEG.

  brownish noise         additive 1/f^2 noise (low-frequency blotches)
  smooth noise           additive bicubically upsampled coarse random grid (Perlin-like)
  refraction ripple      pixels displaced by sine waves (caustic-like), bilinear resampling
  chromatic aberration   red and blue planes scaled about the centre against green
  low light              gamma darkening with a colour cast
  low-pass ringing       an ideal low-pass in the Fourier domain (blur with ringing, not a kernel)
  resampling blur        antialiased bilinear downscale, bicubic upscale (soft, no blocks)
  sine grating           an additive single-frequency grating, greyscale
Severity is uniform in [0.3, 1]; with probability 0.3 a second, different one is applied on top.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

KINDS = ("brownish_noise", "smooth_noise", "refraction_ripple", "chromatic_aberration",
         "low_light", "lowpass_ringing", "resampling_blur", "sine_grating")


class WiderCorruptions:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: [3,H,W] in [0,1] -> corrupted [3,H,W] (not clamped)."""
        first, second = self.rng.choice(len(KINDS), size=2, replace=False)
        x = self.apply(KINDS[first], x, float(self.rng.uniform(0.3, 1.0)))
        if self.rng.random() < 0.3:
            x = self.apply(KINDS[second], x.clamp(0, 1), float(self.rng.uniform(0.3, 1.0)))
        return x

    def apply(self, kind: str, x: torch.Tensor, severity: float) -> torch.Tensor:
        return getattr(self, kind)(x, severity)

    def _normal(self, *shape) -> torch.Tensor:
        return torch.from_numpy(self.rng.normal(size=shape).astype(np.float32))

    def brownish_noise(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        _, h, w = x.shape
        fy = torch.fft.fftfreq(h).view(-1, 1)
        fx = torch.fft.rfftfreq(w).view(1, -1)
        radius = (fy ** 2 + fx ** 2).sqrt().clamp_min(1.0 / max(h, w))
        channels = 3 if self.rng.random() < 0.5 else 1
        spectrum = torch.fft.rfft2(self._normal(channels, h, w)) / radius ** 2   # 1/f^2 power falls as 1/f^4
        field = torch.fft.irfft2(spectrum, s=(h, w))
        field = (field - field.mean()) / field.std().clamp_min(1e-6)
        return x + field * (0.04 + 0.12 * severity)

    def smooth_noise(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        _, h, w = x.shape
        cells = int(self.rng.integers(3, 9))
        grid = self._normal(1, 3 if self.rng.random() < 0.5 else 1, cells, cells)
        field = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)[0]
        return x + field * (0.04 + 0.12 * severity)

    def _resample(self, x: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
        """Samples x at (pixel + displacement), displacements in pixels, [H,W] each (or [C,H,W])."""
        c, h, w = x.shape
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
        gx = (xs + dx) / (w - 1) * 2 - 1
        gy = (ys + dy) / (h - 1) * 2 - 1
        grid = torch.stack([gx.expand(c, h, w), gy.expand(c, h, w)], dim=-1)
        return F.grid_sample(x.unsqueeze(1), grid, mode="bilinear", padding_mode="reflection", align_corners=True)[:, 0]

    def refraction_ripple(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        _, h, w = x.shape
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
        amplitude = 0.4 + 1.4 * severity
        wavelength = float(self.rng.uniform(6, 16))
        phase = self.rng.uniform(0, 2 * math.pi, size=2)
        dx = amplitude * torch.sin(2 * math.pi * ys / wavelength + float(phase[0]))
        dy = amplitude * torch.sin(2 * math.pi * xs / wavelength + float(phase[1]))
        return self._resample(x, dx, dy)

    def chromatic_aberration(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        _, h, w = x.shape
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
        cy, cx = (h - 1) / 2, (w - 1) / 2
        scale = 0.015 + 0.05 * severity
        planes = []
        for channel, sign in ((0, 1.0), (1, 0.0), (2, -1.0)):
            s = sign * scale
            planes.append(self._resample(x[channel:channel + 1], (xs - cx) * s, (ys - cy) * s))
        return torch.cat(planes)

    def low_light(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        gamma = 1.3 + 1.2 * severity
        gain = 1.0 - 0.35 * severity
        cast = torch.from_numpy(self.rng.uniform(0.85, 1.15, size=(3, 1, 1)).astype(np.float32))
        return x.clamp_min(0) ** gamma * gain * cast

    def lowpass_ringing(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        _, h, w = x.shape
        fy = torch.fft.fftfreq(h).view(-1, 1)
        fx = torch.fft.rfftfreq(w).view(1, -1)
        cutoff = 0.4 - 0.28 * severity   # cycles per pixel; Nyquist is 0.5
        mask = ((fy ** 2 + fx ** 2).sqrt() <= cutoff).float()
        return torch.fft.irfft2(torch.fft.rfft2(x) * mask, s=(h, w))

    def resampling_blur(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        _, h, w = x.shape
        factor = 1.3 + 1.7 * severity
        small = (max(4, round(h / factor)), max(4, round(w / factor)))
        down = F.interpolate(x.unsqueeze(0), size=small, mode="bilinear", antialias=True, align_corners=False)
        return F.interpolate(down, size=(h, w), mode="bicubic", align_corners=False)[0]

    def sine_grating(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        _, h, w = x.shape
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
        angle = float(self.rng.uniform(0, math.pi))
        period = float(self.rng.uniform(3, 12))
        along = xs * math.cos(angle) + ys * math.sin(angle)
        grating = torch.sin(2 * math.pi * along / period + float(self.rng.uniform(0, 2 * math.pi)))
        return x + grating * (0.04 + 0.12 * severity)
