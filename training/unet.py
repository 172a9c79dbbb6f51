"""Latent UNet for the Decorruptor editors (InstructPix2Pix-style conditioning).

Input: the noisy latent concatenated with the (unscaled) latent of the corrupted image, plus the
timestep. The consistency student also takes the image-guidance scale it was distilled with, fed
through its own sinusoidal embedding (zero-initialised, so the student starts as the teacher).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal_embedding(values: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=values.device) / half)
    args = values.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, cout)
        self.norm2 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Global attention at the lowest resolution (16 tokens for a 4x4 map): cheap, adds context."""

    def __init__(self, ch: int, heads: int = 4):
        super().__init__()
        self.norm = nn.GroupNorm(8, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        self.heads = heads

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        attn = torch.softmax(torch.einsum("bhdi,bhdj->bhij", q, k) / math.sqrt(c // self.heads), dim=-1)
        out = torch.einsum("bhij,bhdj->bhdi", attn, v).reshape(b, c, h, w)
        return x + self.proj(out)


class LatentUNet(nn.Module):
    def __init__(self, latent_ch: int = 4, widths=(32, 64, 128), guidance_conditioned: bool = False):
        super().__init__()
        self.config = dict(latent_ch=latent_ch, widths=list(widths), guidance_conditioned=guidance_conditioned)
        c1, c2, c3 = widths
        emb_dim = 4 * c1
        self.time_dim = c1
        self.time_mlp = nn.Sequential(nn.Linear(c1, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.guidance_proj = None
        if guidance_conditioned:
            self.guidance_proj = nn.Linear(c1, emb_dim)
            nn.init.zeros_(self.guidance_proj.weight)
            nn.init.zeros_(self.guidance_proj.bias)
        self.conv_in = nn.Conv2d(2 * latent_ch, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, emb_dim)
        self.pool1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.down2 = ResBlock(c2, c2, emb_dim)
        self.pool2 = nn.Conv2d(c2, c3, 3, stride=2, padding=1)
        self.mid1 = ResBlock(c3, c3, emb_dim)
        self.attn = SelfAttention(c3)
        self.mid2 = ResBlock(c3, c3, emb_dim)
        self.up2 = ResBlock(c3 + c2, c2, emb_dim)
        self.up1 = ResBlock(c2 + c1, c1, emb_dim)
        self.norm_out = nn.GroupNorm(8, c1)
        self.conv_out = nn.Conv2d(c1, latent_ch, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, cond, timestep, guidance=None):
        emb = self.time_mlp(sinusoidal_embedding(timestep, self.time_dim))
        if self.guidance_proj is not None:
            # Guidance scales live in ~[0, 3]; x1000 spreads them over the embedding's frequencies.
            emb = emb + self.guidance_proj(sinusoidal_embedding(guidance * 1000.0, self.time_dim))
        h1 = self.down1(self.conv_in(torch.cat([sample, cond], dim=1)), emb)
        h2 = self.down2(self.pool1(h1), emb)
        h = self.mid2(self.attn(self.mid1(self.pool2(h2), emb)), emb)
        h = self.up2(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h2], dim=1), emb)
        h = self.up1(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h1], dim=1), emb)
        return self.conv_out(F.silu(self.norm_out(h)))
