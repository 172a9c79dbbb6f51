"""How Decorruptor training pairs are made: clean image -> a corrupted input.

Mixture (per image):
  20% identity (the editor must leave clean images alone)
  50% PixMix-style: one light augmentation, then 1-4 rounds of mixing in another augmented copy or a
      procedural fractal, by weighted add or multiply with Beta(beta=4) weights
  15% SimSiam-style: colour jitter (0.4, 0.4, 0.4, 0.1) p 0.8, grayscale p 0.2, Gaussian blur p 0.5
  15% the extra Hendrycks validation corruptions (speckle noise, Gaussian blur, spatter, saturate)
The paper uses 20/60/20 without the extras; we take 10 points from PixMix and 5 from SimSiam for the
extras (the issue allows them) because they are the only noise- and spatter-like signal available.
None of the 15 evaluation corruptions is ever used here.
Blur sigma is scaled from the paper's 0.1-6.5 (224 px) to 0.1-1.5 for 32 px images.

wider=True (teacher dpm_v5 on): PixMix gives 15 of its 50 points to wider_corruptions.py, eight
CIFAR-10-C-bar-style types that are also none of the 15.
"""
import numpy as np
import torch
import torchvision.transforms.functional as TF

from fractals import fractal_bank
from wider_corruptions import WiderCorruptions

BETA = 4.0


class CorruptionModel:
    def __init__(self, seed: int = 0, fractal_count: int = 2000, wider: bool = False):
        self.rng = np.random.default_rng(seed)
        self.fractals = torch.from_numpy(fractal_bank(fractal_count))
        self.wider = WiderCorruptions(self.rng) if wider else None
        # identity, PixMix, SimSiam, validation corruptions[, wider]
        self.mixture = [0.2, 0.35, 0.15, 0.15, 0.15] if wider else [0.2, 0.5, 0.15, 0.15]

    def __call__(self, clean: torch.Tensor) -> torch.Tensor:
        """clean: [B,3,H,W] in [0,1] -> corrupted [B,3,H,W] in [0,1]."""
        out = clean.clone()
        kinds = self.rng.choice(len(self.mixture), size=clean.shape[0], p=self.mixture)
        for i, kind in enumerate(kinds):
            if kind == 1:
                out[i] = self.pixmix(clean[i])
            elif kind == 2:
                out[i] = self.simsiam(clean[i])
            elif kind == 3:
                out[i] = self.validation_corruption(clean[i])
            elif kind == 4:
                out[i] = self.wider(clean[i])
        return out.clamp_(0, 1)

    # --- PixMix -------------------------------------------------------------------------------
    def light_augmentation(self, x: torch.Tensor, geometric: bool = True) -> torch.Tensor:
        """One PixMix augmentation. Geometric ones only for the pictures mixed in: the base image must
        stay pixel-aligned with its clean target."""
        op = self.rng.integers(7 if geometric else 4)
        u8 = (x * 255).round().to(torch.uint8)
        if op == 0:
            return TF.autocontrast(x)
        if op == 1:
            return TF.equalize(u8).float() / 255
        if op == 2:
            return TF.posterize(u8, int(self.rng.integers(4, 8))).float() / 255
        if op == 3:
            return TF.solarize(x, float(self.rng.uniform(0.5, 1.0)))
        if op == 4:
            return TF.rotate(x, float(self.rng.uniform(-30, 30)))
        if op == 5:
            return TF.affine(x, angle=0.0, translate=[0, 0], scale=1.0, shear=[float(self.rng.uniform(-20, 20)), 0.0])
        shift = [int(v) for v in self.rng.integers(-6, 7, size=2)]
        return TF.affine(x, angle=0.0, translate=shift, scale=1.0, shear=[0.0, 0.0])

    def mixing_weights(self) -> tuple[float, float]:
        if self.rng.random() < 0.5:
            return float(self.rng.beta(BETA, 1)), float(self.rng.beta(1, BETA))
        return 1 + float(self.rng.beta(1, BETA)), -float(self.rng.beta(1, BETA))

    def pixmix(self, x: torch.Tensor) -> torch.Tensor:
        mixed = self.light_augmentation(x, geometric=False) if self.rng.random() < 0.5 else x
        for _ in range(int(self.rng.integers(1, 5))):
            if self.rng.random() < 0.5:
                other = self.fractals[int(self.rng.integers(len(self.fractals)))]
            else:
                other = self.light_augmentation(x)
            a, b = self.mixing_weights()
            if self.rng.random() < 0.5:   # weighted add, in [-1, 1]
                mixed = ((a * (mixed * 2 - 1) + b * (other * 2 - 1)) + 1) / 2
            else:                         # weighted multiply, in [0, 2]
                mixed = ((mixed * 2) ** a * (other * 2).clamp_min(1e-6) ** b) / 2
            mixed = mixed.clamp(0, 1)
        return mixed

    # --- SimSiam ------------------------------------------------------------------------------
    def simsiam(self, x: torch.Tensor) -> torch.Tensor:
        if self.rng.random() < 0.8:
            ops = self.rng.permutation(4)
            for op in ops:
                if op == 0:
                    x = TF.adjust_brightness(x, float(self.rng.uniform(0.6, 1.4)))
                elif op == 1:
                    x = TF.adjust_contrast(x, float(self.rng.uniform(0.6, 1.4)))
                elif op == 2:
                    x = TF.adjust_saturation(x, float(self.rng.uniform(0.6, 1.4)))
                else:
                    x = TF.adjust_hue(x, float(self.rng.uniform(-0.1, 0.1)))
        if self.rng.random() < 0.2:
            x = TF.rgb_to_grayscale(x, num_output_channels=3)
        if self.rng.random() < 0.5:
            x = TF.gaussian_blur(x, kernel_size=7, sigma=float(self.rng.uniform(0.1, 1.5)))
        return x

    # --- Hendrycks' four validation corruptions (not among the 15 test types) -------------------
    def validation_corruption(self, x: torch.Tensor) -> torch.Tensor:
        kind = self.rng.integers(4)
        severity = float(self.rng.uniform(0.3, 1.0))
        if kind == 0:   # speckle noise: x + x * N(0, c)
            c = 0.06 + 0.4 * severity
            return x + x * torch.from_numpy(self.rng.normal(0, c, size=x.shape).astype(np.float32))
        if kind == 1:   # Gaussian blur
            return TF.gaussian_blur(x, kernel_size=9, sigma=0.4 + 1.6 * severity)
        if kind == 2:   # saturate: scale saturation up or down
            return TF.adjust_saturation(x, float(self.rng.choice([0.1, 2 + 6 * severity])))
        return self.spatter(x, severity)

    def spatter(self, x: torch.Tensor, severity: float) -> torch.Tensor:
        """Liquid splashes: a blurred, thresholded noise mask painted in a dark or muddy colour."""
        noise = torch.from_numpy(self.rng.normal(0.65, 0.3, size=(1, 1) + tuple(x.shape[1:])).astype(np.float32))
        noise = TF.gaussian_blur(noise, kernel_size=5, sigma=1.0)[0]
        mask = ((noise - (0.75 - 0.15 * severity)).clamp_min(0) * 8).clamp(0, 1)
        color = torch.from_numpy(self.rng.uniform(0.1, 0.6, size=(3, 1, 1)).astype(np.float32))
        return x * (1 - mask) + color * mask
