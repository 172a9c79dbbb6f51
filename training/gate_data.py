"""Clean pictures for the corruption gate that do not look like CIFAR-10, and the labelling rule.

The gate must answer "is this frame corrupted?", not "is this a CIFAR-10 photo?". A camera never
looks like the training set, so besides CIFAR-10 itself the clean side of the gate's training data
holds:
  - CIFAR-10 images seen differently: a crop zoomed in by up to 1.33x (upscaled, then
    area-downscaled again, as a display-size frame is), colour-graded (white balance, gamma, saturation, lift), or both;
  - synthetic pictures rendered here: colour bars, gradients, stripes and checkers, flat shapes,
    Mandelbrot and Julia sets, the IFS fractals of fractals.py;
  - frames of ffmpeg's test sources (testsrc, testsrc2, rgbtestsrc, yuvtestsrc, smptehdbars, pal
    bars, colour spectrum and chart, gradients, sierpinski, mandelbrot in its own and in other
    views) from 40 s on, at sizes from 32x32 to 640x360, area-downscaled to 32x32 as a
    display-size frame is.
The tests (test/integration/corruption-gate.test.ts) render testsrc2, smptebars and mandelbrot
in their first seconds (frames not used here) and at display sizes not used here. Gates trained
without a source scored it as corrupted (testsrc2 and mandelbrot at 32x32 0.87-0.99 without them;
smptebars 0.75 with only its HD and PAL cousins): a picture unlike any clean one it knows looks
corrupted to it.
Video pictures reach the model through 4:2:0 chroma; half of the rendered ones get it too.

Corrupted pictures are CorruptionModel's (the editor's training family) applied to any of these.
A corruption so mild that it is only a colour grade is not a corruption; `corruption_labels` keeps
such pairs out of training instead of teaching the gate contradictory answers.
"""
import subprocess

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

from common import RUNS
from fractals import fractal_bank

SIZE = 32


# --- CIFAR-10 seen differently ----------------------------------------------------------------------
def zoomed_crop(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """x [3,32,32]: a random square crop (24-30 px: a zoom of at most 1.33x), upscaled 2-4x and
    area-downscaled back to 32. (A first set cropped down to 16 px: a 2x zoom of a 32 px picture
    is a blurred picture, and the gate learned that blur is clean.)"""
    side = int(rng.integers(24, 31))
    top, left = (int(v) for v in rng.integers(0, SIZE - side + 1, size=2))
    crop = x[None, :, top:top + side, left:left + side]
    big = int(SIZE * rng.choice([2, 3, 4]))
    up = F.interpolate(crop, size=(big, big), mode="bicubic", align_corners=False)
    return F.adaptive_avg_pool2d(up, SIZE)[0].clamp(0, 1)


def colour_grade(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """A mild grade, as a camera's white balance or a film look: per-channel gain, gamma, saturation, lift."""
    gain = torch.from_numpy(rng.uniform(0.88, 1.12, size=(3, 1, 1)).astype(np.float32))
    gamma = float(rng.uniform(0.85, 1.18))
    lift = torch.from_numpy(rng.uniform(-0.03, 0.03, size=(3, 1, 1)).astype(np.float32))
    saturation = float(rng.uniform(0.8, 1.25))
    y = (x.clamp(1e-4, 1) ** gamma) * gain + lift
    grey = (0.299 * y[0] + 0.587 * y[1] + 0.114 * y[2])[None]
    return (grey + saturation * (y - grey)).clamp(0, 1)


def foreign_cifar(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    kind = rng.integers(3)
    if kind == 0:
        x = zoomed_crop(x, rng)
    elif kind == 1:
        x = colour_grade(x, rng)
    else:
        x = colour_grade(zoomed_crop(x, rng), rng)
    return chroma_420(x) if rng.random() < 0.3 else x


# --- synthetic pictures -----------------------------------------------------------------------------
def _grid(res: int) -> tuple[np.ndarray, np.ndarray]:
    v = (np.arange(res) + 0.5) / res
    return np.meshgrid(v, v)  # xs, ys in (0, 1), [res, res]


def _colours(rng: np.random.Generator, n: int) -> np.ndarray:
    """n colours [n,3]: saturated primaries and secondaries or random ones."""
    if rng.random() < 0.5:
        palette = np.array([[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]], float)
        return palette[rng.integers(len(palette), size=n)] * rng.uniform(0.6, 1.0)
    return rng.uniform(0, 1, size=(n, 3))


def bars(rng: np.random.Generator, res: int) -> np.ndarray:
    xs, ys = _grid(res)
    if rng.random() < 0.5:
        xs, ys = ys, xs
    k = int(rng.integers(3, 11))
    colours = _colours(rng, k)
    img = colours[np.minimum((xs * k).astype(int), k - 1)]
    if rng.random() < 0.5:  # a second band of other bars below, as test cards have
        split = rng.uniform(0.55, 0.8)
        k2 = int(rng.integers(2, 8))
        lower = _colours(rng, k2)[np.minimum((xs * k2).astype(int), k2 - 1)]
        img = np.where((ys > split)[..., None], lower, img)
    return img


def gradient(rng: np.random.Generator, res: int) -> np.ndarray:
    xs, ys = _grid(res)
    a, b = _colours(rng, 2)
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * np.pi)
        t = (xs - 0.5) * np.cos(angle) + (ys - 0.5) * np.sin(angle) + 0.5
    else:
        cx, cy = rng.uniform(0.2, 0.8, size=2)
        t = np.hypot(xs - cx, ys - cy) / 0.7
    t = np.clip(t, 0, 1)[..., None]
    return a * (1 - t) + b * t


def stripes(rng: np.random.Generator, res: int) -> np.ndarray:
    xs, ys = _grid(res)
    period = rng.uniform(0.12, 0.5)  # of the picture width: at least 4 px at 32 px
    angle = rng.uniform(0, np.pi)
    u = ((xs * np.cos(angle) + ys * np.sin(angle)) / period) % 1
    a, b = _colours(rng, 2)
    kind = rng.integers(3)
    if kind == 0:  # hard stripes
        t = (u < 0.5).astype(float)
    elif kind == 1:  # sinusoidal
        t = 0.5 + 0.5 * np.sin(2 * np.pi * u)
    else:  # checkerboard
        v = ((-xs * np.sin(angle) + ys * np.cos(angle)) / period) % 1
        t = ((u < 0.5) ^ (v < 0.5)).astype(float)
    return a * (1 - t[..., None]) + b * t[..., None]


def shapes(rng: np.random.Generator, res: int) -> np.ndarray:
    xs, ys = _grid(res)
    img = gradient(rng, res) if rng.random() < 0.4 else np.broadcast_to(_colours(rng, 1)[0], (res, res, 3)).copy()
    for _ in range(int(rng.integers(1, 7))):
        colour = _colours(rng, 1)[0]
        cx, cy = rng.uniform(0, 1, size=2)
        r = rng.uniform(0.08, 0.35)
        kind = rng.integers(3)
        if kind == 0:
            mask = np.hypot(xs - cx, ys - cy) < r
        elif kind == 1:
            mask = (np.abs(xs - cx) < r) & (np.abs(ys - cy) < r * rng.uniform(0.3, 1.5))
        else:
            mask = (ys - cy > -r) & (np.abs(xs - cx) < (ys - cy + r) * 0.6) & (ys - cy < r)
        img[mask] = colour
    return img


def escape_time(rng: np.random.Generator, res: int) -> np.ndarray:
    """A Mandelbrot or Julia set, coloured by escape time through a random smooth palette."""
    xs, ys = _grid(res)
    zoom = 10 ** rng.uniform(-2.5, 0.3)
    if rng.random() < 0.5:
        centre = complex(rng.uniform(-1.8, 0.4), rng.uniform(-1.0, 1.0))
        c = centre + ((xs - 0.5) + 1j * (ys - 0.5)) * 3 * zoom
        z = np.zeros_like(c)
    else:
        c = complex(*rng.uniform(-0.9, 0.9, size=2))
        z = ((xs - 0.5) + 1j * (ys - 0.5)) * 3 * max(zoom, 0.05)
    count = np.zeros(c.shape if isinstance(c, np.ndarray) else z.shape)
    alive = np.ones(count.shape, bool)
    for _ in range(48):
        z = np.where(alive, z * z + c, z)
        alive &= np.abs(z) < 4
        count += alive
    t = count / 48
    phase = rng.uniform(0, 2 * np.pi, size=3)
    freq = rng.uniform(2, 8)
    img = 0.5 + 0.5 * np.cos(freq * t[..., None] + phase)
    return np.where((count >= 48)[..., None], _colours(rng, 1)[0] * 0.2, img)


RENDERERS = [bars, gradient, stripes, shapes, escape_time]


def chroma_420(x: torch.Tensor) -> torch.Tensor:
    """x [3,H,W]: through YUV with chroma at half resolution and back, as video frames are."""
    m = torch.tensor([[0.299, 0.587, 0.114], [-0.169, -0.331, 0.5], [0.5, -0.419, -0.081]])
    yuv = torch.einsum("ij,jhw->ihw", m, x)
    chroma = F.interpolate(F.avg_pool2d(yuv[None, 1:], 2), scale_factor=2.0, mode="bilinear", align_corners=False)[0]
    return torch.einsum("ij,jhw->ihw", torch.linalg.inv(m), torch.cat([yuv[:1], chroma])).clamp(0, 1)


# Sources and the options that vary their frames; {seed} draws one per render.
FFMPEG_SOURCES = [
    "testsrc", "testsrc2", "mandelbrot", "rgbtestsrc", "yuvtestsrc", "smptebars", "smptehdbars", "pal75bars", "pal100bars", "colorspectrum", "colorchart=rate=1/3,scale={width}x{height}",
    "gradients=seed={seed}:speed=0.05", "sierpinski=seed={seed}",
    # Views other than the default one (the tests'): a point near the set's boundary, zoomed in.
    "mandelbrot=start_x={x}:start_y={y}:start_scale={scale}:outer={outer}",
]
# Points near the Mandelbrot set's boundary.
MANDELBROT_VIEWS = [(-0.7436, 0.1318), (-0.1011, 0.9563), (0.2850, 0.0100), (-1.2500, 0.0200), (-0.7500, 0.1000), (-1.7687, 0.0017)]
FFMPEG_SIZES = [(32, 32), (64, 64), (320, 240), (640, 360)]


def ffmpeg_pictures(frames_per_render: int = 12, seed: int = 0) -> torch.Tensor:
    """Clean frames of ffmpeg's test sources, [N,3,32,32] in [0,1], a frame every 3 s of each
    source from 40 s on. Cached under runs/. (life and cellauto are left out: at 32x32 their
    cells are salt-and-pepper noise.)"""
    cache = RUNS / f"gate_ffmpeg_{frames_per_render}_{seed}.pt"
    if cache.exists():
        return torch.load(cache)
    rng = np.random.default_rng(seed)
    out = []
    for source in FFMPEG_SOURCES:
        for width, height in FFMPEG_SIZES:
            x, y = MANDELBROT_VIEWS[int(rng.integers(len(MANDELBROT_VIEWS)))]
            graph = source.format(seed=int(rng.integers(1 << 30)), x=x, y=y, scale=round(float(10 ** rng.uniform(-2, 0)), 4),
                                  outer=str(rng.choice(["iteration_count", "normalized_iteration_count", "white"])), width=width, height=height)
            if ",scale=" not in graph:  # a source of its own size (colorchart's comes from its patches)
                graph += f"{':' if '=' in graph else '='}size={width}x{height}:rate=1/3"
            raw = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", graph, "-ss", "40",
                                  "-frames:v", str(frames_per_render), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                                 check=True, capture_output=True).stdout
            frames = torch.from_numpy(np.frombuffer(raw, np.uint8).copy()).view(-1, height, width, 3).permute(0, 3, 1, 2).float() / 255
            out.append(F.interpolate(frames, size=(SIZE, SIZE), mode="area"))
    pictures = torch.cat(out)
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(pictures, cache)
    return pictures


class SyntheticPictures:
    """Clean synthetic pictures [3,32,32] in [0,1]: ffmpeg frames (`video`, a share of them), or
    rendered here at 32 px (aliased, as ffmpeg's lavfi at that size) or at 64-128 px and
    area-downscaled (as a display-size frame reaches the model)."""

    def __init__(self, rng: np.random.Generator, video: torch.Tensor, fractal_count: int = 2000):
        self.rng = rng
        self.video = video
        self.fractals = fractal_bank(fractal_count)

    def __call__(self) -> torch.Tensor:
        rng = self.rng
        pick = rng.random()
        if pick < 0.4:
            img = self.video[int(rng.integers(len(self.video)))]
            if rng.random() < 0.5:
                img = img.flip(2)
        elif pick < 0.5:
            img = torch.from_numpy(self.fractals[int(rng.integers(len(self.fractals)))].copy())
        else:
            res = SIZE if rng.random() < 0.5 else SIZE * int(rng.choice([2, 4]))
            pixels = RENDERERS[int(rng.integers(len(RENDERERS)))](rng, res)
            img = torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1), dtype=np.float32))
            if res != SIZE:
                img = F.adaptive_avg_pool2d(img[None], SIZE)[0]
            if rng.random() < 0.5:
                img = chroma_420(img)
        if rng.random() < 0.3:
            img = colour_grade(img, rng)
        return img.clamp(0, 1)


# --- labels -------------------------------------------------------------------------------------------
# --- Softness the gate must see ---------------------------------------------------------------------
def softening(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """x [B,3,32,32]: each picture blurred (Gaussian, sigma 0.7-2.0 px) or brought down to 10-20 px
    and back up (bicubic), a lens out of focus or a stream sent at a lower resolution. The editor's
    family holds Gaussian blur too, but rarely (~4% of pictures): the first gates let ~9 of 10
    blurred test pictures through. Neither is one of the 15 test corruptions (defocus is a disc
    kernel, motion a line, zoom a radial blend, pixelate box down and nearest up)."""
    out = torch.empty_like(x)
    for i in range(len(x)):
        if rng.random() < 0.5:
            sigma = float(rng.uniform(0.7, 2.0))
            out[i] = TF.gaussian_blur(x[i:i + 1], kernel_size=2 * int(np.ceil(3 * sigma)) + 1, sigma=sigma)[0]
        else:
            side = int(rng.integers(10, 21))
            small = F.interpolate(x[i:i + 1], size=(side, side), mode="area")
            out[i] = F.interpolate(small, size=(SIZE, SIZE), mode="bicubic", align_corners=False)[0]
    return out.clamp(0, 1)


def colour_map_residual(clean: torch.Tensor, corrupted: torch.Tensor) -> torch.Tensor:
    """Per image [B]: mean abs error of the best global linear colour map (3x3 + offset) from clean
    to corrupted. Near 0 when the corruption is only a colour change (brightness, contrast,
    saturation, greyscale); large when it changed the picture's structure (noise, blur, mixing)."""
    b = clean.shape[0]
    src = clean.reshape(b, 3, -1).transpose(1, 2)  # [B, P, 3]
    dst = corrupted.reshape(b, 3, -1).transpose(1, 2)
    design = torch.cat([src, torch.ones_like(src[..., :1])], dim=2).double()  # [B, P, 4]
    solution = torch.linalg.lstsq(design, dst.double()).solution
    fitted = (design @ solution).float().clamp(0, 1)
    return (fitted - dst).abs().mean(dim=(1, 2))


def corruption_labels(clean: torch.Tensor, corrupted: torch.Tensor, structural: float = 0.02, global_change: float = 0.1) -> torch.Tensor:
    """Per pair [B]: 1 (a corruption), 0 (unchanged) or -1 (a colour grade only: left out).

    A pair is a corruption when it changed the structure (colour-map residual > `structural`) or
    the colours a lot (mean abs change > `global_change`: washed out, very low contrast).
    Unchanged: mean abs change < 0.01 (the 20% identity, a blur of sigma 0.1, posterize 7 bits)."""
    change = (corrupted - clean).abs().mean(dim=(1, 2, 3))
    residual = colour_map_residual(clean, corrupted)
    labels = torch.full_like(change, -1.0)
    labels[change < 0.01] = 0.0
    labels[(residual > structural) | (change > global_change)] = 1.0
    return labels
