"""An independent re-implementation of the 15 CIFAR-10-C corruptions at severity 5.

Why: `decorruptor eval` corrupts test images with the project's own TypeScript code (src/corrupt).
A gain measured only there could be a property of that code. This script makes severity-5 images
from the published CIFAR-10 parameters (Hendrycks & Dietterich 2019, the generation script
`make_cifar_c.py` of github hendrycks/robustness, CIFAR-10 parameter set), written from the
description of each operation in numpy + PIL, without reading or reusing src/corrupt. `eval --images`
then measures the files as they are.

    /usr/bin/python3 training/cifar10c_reference.py                 # 1000 images -> .scratch/cifar10c-ref/
    /usr/bin/python3 training/cifar10c_reference.py --limit 200 --types fog,frost --preview /tmp/fog.png

Output, per type, `<out>/<type>.bin` in the official CIFAR-10 binary format (1 label byte, then the
R, G and B planes, 1024 bytes each), the first --limit test images in test_batch.bin order, plus
`clean.bin` (the same images uncorrupted) and `batches.meta.txt` (the class names).

The severity-5 parameters (the fifth entry of each list in the CIFAR-10 script):
  gaussian_noise sigma 0.10; shot_noise rate 50; impulse_noise amount 0.07 (salt vs pepper 1:1);
  defocus_blur disk radius 1.5, anti-alias sigma 0.1; glass_blur sigma 0.4, max delta 1, 2 passes;
  motion_blur radius 9, sigma 2.5, angle U(-45, 45); zoom_blur factors arange(1, 1.26, 0.01);
  snow (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8); frost weights (0.75 image, 0.45 frost);
  fog (1.5, decay 1.75); brightness +0.3 on HSV value; contrast 0.15; elastic (alpha 3.2, sigma 0.96,
  affine jitter 0.96 px); pixelate 0.65 (box to 20x20 and back); jpeg quality 40.

How each library call of the original is done here instead (none of scipy, skimage, cv2, wand):
- skimage/scipy gaussian filters: separable kernels of radius int(truncate * sigma + 0.5) (truncate
  4, border 'nearest'; elastic: truncate 3, border 'reflect', i.e. half-sample symmetric).
- defocus_blur: the disk kernel on the 17x17 grid, its 3x3 anti-alias gaussian (cv2's kernel
  formula) and the 2-D correlation with cv2's default border (reflect-101), all in numpy.
- glass_blur: the original's `x[h, w], x[h', w'] = x[h', w'], x[h, w]` on numpy views copies
  x[h', w'] into x[h, w] and leaves x[h', w'] as it was (the second assignment reads the already
  overwritten view). That copy is what made CIFAR-10-C, so it is what is done here. As the offsets
  are in {-1, 0} (randint's high end is exclusive) and the scan runs bottom-right to top-left, every
  read is of a pixel not yet written in that pass, so a pass is one vectorised gather.
- motion_blur and the snow streaks (ImageMagick's MotionBlurImage through Wand): its published
  algorithm in numpy: 2 * ceil(radius) + 1 taps with weights exp(-i^2 / 2 sigma^2), tap i at the
  pixel offset (ceil(i cos a - 0.5), ceil(i sin a - 0.5)), edges clamped, the result rounded to
  8 bits as the PNG round trip does.
- zoom_blur and the snow layer zoom (scipy.ndimage.zoom, order 1): a corner-aligned bilinear
  resize of the centre crop to round(crop * factor) pixels, then the same centre trim.
- elastic_transform: cv2.getAffineTransform by solving the 3-point system; cv2.warpAffine as an
  exact bilinear inverse map with reflect-101 borders (cv2 quantises the weights to 1/32 px);
  map_coordinates (order 1, 'reflect') as bilinear sampling with half-sample symmetric borders.
- brightness (skimage HSV round trip): with hue and saturation kept, every RGB component is
  proportional to the HSV value, so the round trip is rgb * v' / v (black becomes grey v').
- pixelate and jpeg_compression use PIL, as the original does.
- frost: the original blends a random 32x32 crop of one of five frost photographs (frost1..5,
  shrunk to 20 %), which are not available. Substitute: five procedural "photos" (256x256, see
  `frost_photo`): ridged multi-octave value noise, which forms thin bright branching veins like ice
  crystals, over a soft haze, tinted pale blue; a random one is cropped per image and blended with
  the published weights. This type is the least faithful, and measured much milder than the
  project's frost (source accuracy 78-85 % vs 36-52 %, docs/eval.md); read its row with that in mind.
- Random numbers come from numpy's Generator (one stream per type), not the legacy global state, so
  no pixel equals the released .npy files; distributions are the published ones.
- Outputs are cast to uint8 by truncation, as the original's np.uint8(...) does.
"""
import argparse
import math
import shutil
import sys
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cifar import TEST_FILE, default_data_dir, read_batch  # noqa: E402

SIZE = 32


# ---------------------------------------------------------------- filters and resampling helpers

def gaussian_taps(sigma: float, truncate: float) -> np.ndarray:
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return taps / taps.sum()


def correlate_axis(image: np.ndarray, taps: np.ndarray, axis: int, pad_mode: str) -> np.ndarray:
    """1-D correlation along `axis`, borders padded with numpy's `pad_mode`."""
    radius = len(taps) // 2
    widths = [(0, 0)] * image.ndim
    widths[axis] = (radius, radius)
    padded = np.pad(image, widths, mode=pad_mode)
    length = image.shape[axis]
    out = np.zeros_like(image, dtype=np.float64)
    for k, weight in enumerate(taps):
        out += weight * np.take(padded, np.arange(k, k + length), axis=axis)
    return out


def gaussian_blur(image: np.ndarray, sigma: float, truncate: float = 4.0, pad_mode: str = "edge") -> np.ndarray:
    """Blur over the two spatial axes only (channels kept apart), like skimage with channels."""
    taps = gaussian_taps(sigma, truncate)
    return correlate_axis(correlate_axis(image, taps, 0, pad_mode), taps, 1, pad_mode)


def fold_reflect101(index: np.ndarray, n: int) -> np.ndarray:
    """cv2's BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba) for integer indices."""
    period = 2 * (n - 1)
    index = np.mod(index, period)
    return np.where(index >= n, period - index, index)


def fold_symmetric(index: np.ndarray, n: int) -> np.ndarray:
    """scipy's 'reflect' (half-sample symmetric: dcba|abcd|dcba) for integer indices."""
    period = 2 * n
    index = np.mod(index, period)
    return np.where(index >= n, period - 1 - index, index)


def sample_bilinear(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, fold) -> np.ndarray:
    """image[rows, cols] (float coordinates, HxW grids) with bilinear weights; `fold` maps the borders."""
    h, w = image.shape[:2]
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = (rows - r0)[..., None], (cols - c0)[..., None]
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    ra, rb = fold(r0, h), fold(r0 + 1, h)
    ca, cb = fold(c0, w), fold(c0 + 1, w)
    top = image[ra, ca] * (1 - fc) + image[ra, cb] * fc
    bottom = image[rb, ca] * (1 - fc) + image[rb, cb] * fc
    return top * (1 - fr) + bottom * fr


def linear_resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Weights (n_out x n_in) of a corner-aligned linear resize: output i samples input i (n_in-1)/(n_out-1)."""
    position = np.arange(n_out) * ((n_in - 1) / (n_out - 1))
    low = np.minimum(np.floor(position).astype(np.int64), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = position - low
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), low), 1 - frac)
    np.add.at(weights, (np.arange(n_out), high), frac)
    return weights


def zoom_centre(image: np.ndarray, factor: float) -> np.ndarray:
    """The centre 1/factor of an HxWxC image, zoomed back to HxW (the original's clipped_zoom)."""
    h = image.shape[0]
    crop = int(math.ceil(h / factor))
    top = (h - crop) // 2
    part = image[top:top + crop, top:top + crop]
    zoomed_size = int(round(crop * factor))  # Python's round, as scipy sizes its output
    weights = linear_resize_matrix(crop, zoomed_size)
    zoomed = np.einsum("lk,ikc->ilc", weights, np.einsum("ij,jkc->ikc", weights, part))  # rows, then columns
    trim = (zoomed_size - h) // 2
    return zoomed[trim:trim + h, trim:trim + h]


def magick_motion_blur(image: np.ndarray, radius: float, sigma: float, angle_degrees: float) -> np.ndarray:
    """ImageMagick's MotionBlurImage on a uint8 HxWxC image; returns uint8 (the PNG round trip rounds)."""
    width = 2 * int(math.ceil(radius)) + 1
    steps = np.arange(width, dtype=np.float64)
    weights = np.exp(-(steps ** 2) / (2 * sigma * sigma))
    weights /= weights.sum()
    angle = math.radians(angle_degrees)
    dx = np.ceil(steps * math.cos(angle) - 0.5).astype(np.int64)
    dy = np.ceil(steps * math.sin(angle) - 0.5).astype(np.int64)
    h, w = image.shape[:2]
    ys, xs = np.arange(h)[:, None], np.arange(w)[None, :]
    out = np.zeros(image.shape, dtype=np.float64)
    for weight, ox, oy in zip(weights, dx, dy):
        out += weight * image[np.clip(ys + oy, 0, h - 1), np.clip(xs + ox, 0, w - 1)]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def plasma(rng: np.random.Generator, size: int, decay: float) -> np.ndarray:
    """Diamond-square height map on a torus, normalised to [0, 1] (the original's plasma_fractal).

    Each level perturbs the means by U(-wibble, wibble) * wibble, wibble starting at 100 and divided
    by `decay` per level, as published.
    """
    field = np.zeros((size, size))
    step, wibble = size, 100.0
    while step >= 2:
        half = step // 2
        corners = field[0::step, 0::step]
        right, below = np.roll(corners, -1, axis=1), np.roll(corners, -1, axis=0)
        diagonal = np.roll(below, -1, axis=1)
        centres = (corners + right + below + diagonal) / 4 + wibble * rng.uniform(-wibble, wibble, corners.shape)
        field[half::step, half::step] = centres
        # Edge midpoints: the two corners along the edge and the centres on either side of it.
        top_edges = (corners + right + centres + np.roll(centres, 1, axis=0)) / 4
        field[0::step, half::step] = top_edges + wibble * rng.uniform(-wibble, wibble, corners.shape)
        left_edges = (corners + below + centres + np.roll(centres, 1, axis=1)) / 4
        field[half::step, 0::step] = left_edges + wibble * rng.uniform(-wibble, wibble, corners.shape)
        step, wibble = half, wibble / decay
    field -= field.min()
    return field / field.max()


def value_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth noise in [0, 1]: a random cells x cells lattice resized bicubically to size x size."""
    lattice = Image.fromarray(rng.random((cells, cells)).astype(np.float32), mode="F")
    return np.clip(np.asarray(lattice.resize((size, size), Image.BICUBIC)), 0, 1)


def frost_photo(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """A procedural stand-in for a 20 %-shrunk frost photograph: uint8 size x size x 3, pale blue ice.

    Ridged noise (1 - |2n - 1|, sharpened) is bright along thin lines where the noise crosses its
    midpoint; summing octaves gives the branching, many-scale veins of frost crystals.
    """
    veins = np.zeros((size, size))
    for octave, cells in enumerate((8, 16, 32, 64, 128)):
        ridge = (1 - np.abs(2 * value_noise(rng, size, cells) - 1)) ** 6
        veins += ridge * 0.6 ** octave
    veins /= veins.max()
    haze = value_noise(rng, size, 6)
    ice = np.clip(0.2 + 0.35 * haze + 0.9 * veins, 0, 1)
    tint = np.array([0.80, 0.90, 1.0])
    return np.clip(ice[..., None] * tint * 255, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- the 15 corruptions, severity 5
# Each takes a uint8 32x32x3 image and the type's random stream; returns a float or uint8 array in
# 0..255 (cast to uint8 by truncation afterwards, as the original does).

def gaussian_noise(x, rng):
    x = x / 255.0
    return np.clip(x + rng.normal(0, 0.10, x.shape), 0, 1) * 255


def shot_noise(x, rng):
    x = x / 255.0
    return np.clip(rng.poisson(x * 50) / 50, 0, 1) * 255


def impulse_noise(x, rng):
    x = x / 255.0
    hit = rng.random(x.shape) <= 0.07
    salt = rng.random(x.shape) <= 0.5
    x = np.where(hit & salt, 1.0, np.where(hit & ~salt, 0.0, x))
    return x * 255


def disk_kernel(radius: float, alias_sigma: float) -> np.ndarray:
    grid = np.arange(-8, 9)
    xx, yy = np.meshgrid(grid, grid)
    disk = ((xx ** 2 + yy ** 2) <= radius ** 2).astype(np.float64)
    disk /= disk.sum()
    # cv2.GaussianBlur(ksize 3x3, sigma): taps exp(-i^2 / 2 sigma^2) for i in -1..1, normalised.
    taps = np.exp(-np.arange(-1, 2) ** 2 / (2 * alias_sigma ** 2))
    taps /= taps.sum()
    return correlate_axis(correlate_axis(disk, taps, 0, "reflect"), taps, 1, "reflect")


DEFOCUS_KERNEL = disk_kernel(1.5, 0.1)


def defocus_blur(x, rng):
    x = x / 255.0
    radius = DEFOCUS_KERNEL.shape[0] // 2
    padded = np.pad(x, ((radius, radius), (radius, radius), (0, 0)), mode="reflect")  # reflect-101
    out = np.zeros_like(x)
    for (i, j), weight in np.ndenumerate(DEFOCUS_KERNEL):
        if weight > 0:
            out += weight * padded[i:i + SIZE, j:j + SIZE]
    return np.clip(out, 0, 1) * 255


def glass_blur(x, rng):
    sigma, passes = 0.4, 2
    x = (gaussian_blur(x / 255.0, sigma) * 255).astype(np.uint8)
    inner = np.arange(SIZE - 1, 1, -1)  # rows/columns 31 down to 2, the original's scan
    for _ in range(passes):
        # Drawn in scan order: per position (dx, dy), each in {-1, 0}.
        offsets = rng.integers(-1, 1, size=(len(inner), len(inner), 2))
        rows = inner[:, None] + offsets[..., 1]
        cols = inner[None, :] + offsets[..., 0]
        source = x.copy()
        x[inner[:, None], inner[None, :]] = source[rows, cols]
    return np.clip(gaussian_blur(x / 255.0, sigma), 0, 1) * 255


def motion_blur(x, rng):
    return magick_motion_blur(x, 9, 2.5, rng.uniform(-45, 45))


def zoom_blur(x, rng):
    x = (x / 255.0).astype(np.float32)
    factors = np.arange(1, 1.26, 0.01)
    total = x.astype(np.float64) + sum(zoom_centre(x, z) for z in factors)
    return np.clip(total / (len(factors) + 1), 0, 1) * 255


def snow(x, rng):
    mean, std, zoom, threshold, radius, sigma, keep = 0.3, 0.3, 1.25, 0.65, 14, 12, 0.8
    x = x.astype(np.float32) / 255.0
    flakes = zoom_centre(rng.normal(mean, std, (SIZE, SIZE, 1)), zoom)
    flakes[flakes < threshold] = 0
    flakes = (np.clip(flakes, 0, 1) * 255).astype(np.uint8)
    streaks = magick_motion_blur(flakes, radius, sigma, rng.uniform(-135, -45)) / 255.0
    grey = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    x = keep * x + (1 - keep) * np.maximum(x, grey[..., None] * 1.5 + 0.5)
    return np.clip(x + streaks + np.rot90(streaks, k=2), 0, 1) * 255


def make_frost(photos):
    def frost(x, rng):
        photo = photos[rng.integers(len(photos))]
        top = rng.integers(0, photo.shape[0] - SIZE)
        left = rng.integers(0, photo.shape[1] - SIZE)
        crop = photo[top:top + SIZE, left:left + SIZE].astype(np.float64)
        return np.clip(0.75 * x + 0.45 * crop, 0, 255)
    return frost


def fog(x, rng):
    strength, decay = 1.5, 1.75
    x = x / 255.0
    peak = x.max()
    x = x + strength * plasma(rng, SIZE, decay)[..., None]
    return np.clip(x * peak / (peak + strength), 0, 1) * 255


def brightness(x, rng):
    x = x / 255.0
    value = x.max(axis=2, keepdims=True)
    brighter = np.clip(value + 0.3, 0, 1)
    scaled = x * brighter / np.maximum(value, 1e-12)
    return np.where(value > 0, scaled, brighter) * 255


def contrast(x, rng):
    x = x / 255.0
    means = x.mean(axis=(0, 1), keepdims=True)
    return np.clip((x - means) * 0.15 + means, 0, 1) * 255


def affine_from_points(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 matrix M with M @ (x, y, 1) = dst for the three (x, y) points of src."""
    system = np.hstack([src, np.ones((3, 1))])
    return np.linalg.solve(system, dst).T


def elastic_transform(x, rng):
    alpha, sigma, jitter = SIZE * 0.1, SIZE * 0.03, SIZE * 0.03
    x = x.astype(np.float32) / 255.0
    centre, reach = SIZE // 2, SIZE // 3
    src = np.array([[centre + reach, centre + reach], [centre + reach, centre - reach], [centre - reach, centre - reach]], dtype=np.float64)
    dst = src + rng.uniform(-jitter, jitter, src.shape)
    forward = np.vstack([affine_from_points(src, dst), [0, 0, 1]])
    inverse = np.linalg.inv(forward)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    src_x = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    src_y = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    warped = sample_bilinear(x, src_y, src_x, fold_reflect101)
    dx, dy = (gaussian_blur(rng.uniform(-1, 1, (SIZE, SIZE)), sigma, truncate=3, pad_mode="symmetric") * alpha for _ in range(2))
    out = sample_bilinear(warped, ys + dy, xs + dx, fold_symmetric)
    return np.clip(out, 0, 1) * 255


def pixelate(x, rng):
    small = int(SIZE * 0.65)
    image = Image.fromarray(x).resize((small, small), Image.BOX).resize((SIZE, SIZE), Image.BOX)
    return np.asarray(image)


def jpeg_compression(x, rng):
    buffer = BytesIO()
    Image.fromarray(x).save(buffer, "JPEG", quality=40)
    return np.asarray(Image.open(buffer).convert("RGB"))


# ---------------------------------------------------------------- files

TYPES = [
    "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
    "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
    "jpeg_compression",
]


FIXED = {
    "gaussian_noise": gaussian_noise, "shot_noise": shot_noise, "impulse_noise": impulse_noise,
    "defocus_blur": defocus_blur, "glass_blur": glass_blur, "motion_blur": motion_blur,
    "zoom_blur": zoom_blur, "snow": snow, "fog": fog, "brightness": brightness, "contrast": contrast,
    "elastic_transform": elastic_transform, "pixelate": pixelate, "jpeg_compression": jpeg_compression,
}


def corruption(name: str, seed: int):
    """The function for `name`; frost first draws its five stand-in photos (a stream of their own)."""
    if name == "frost":
        photo_rng = np.random.default_rng([seed, len(TYPES)])
        return make_frost([frost_photo(photo_rng) for _ in range(5)])
    return FIXED[name]


def write_records(path: Path, images_hwc: np.ndarray, labels: np.ndarray) -> None:
    planes = images_hwc.transpose(0, 3, 1, 2).reshape(len(images_hwc), -1)
    records = np.concatenate([labels.astype(np.uint8)[:, None], planes], axis=1)
    path.write_bytes(records.astype(np.uint8).tobytes())


def write_preview(path: Path, rows: list[tuple[str, np.ndarray]], count: int = 10) -> None:
    """A PNG grid: one row per condition, the first `count` images, each shown 3x."""
    scale = 3
    grid = np.full((len(rows) * (SIZE + 2) * scale, count * (SIZE + 2) * scale, 3), 255, np.uint8)
    for r, (_, images) in enumerate(rows):
        for c, image in enumerate(images[:count]):
            big = image.repeat(scale, 0).repeat(scale, 1)
            y, x = r * (SIZE + 2) * scale, c * (SIZE + 2) * scale
            grid[y:y + SIZE * scale, x:x + SIZE * scale] = big
    Image.fromarray(grid).save(path)


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="CIFAR-10 binary folder (default: $CIFAR10_DIR or the usual places)")
    parser.add_argument("--out", type=Path, default=repo / ".scratch/cifar10c-ref")
    parser.add_argument("--limit", type=int, default=1000, help="first N test images")
    parser.add_argument("--types", default=",".join(TYPES), help="comma-separated subset of the 15")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--preview", type=Path, help="also write a PNG grid of the first images per type")
    args = parser.parse_args()

    types = [t.strip() for t in args.types.split(",") if t.strip()]
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        parser.error(f"unknown type(s) {', '.join(unknown)}; known: {', '.join(TYPES)}")
    data = args.data or default_data_dir()
    images, labels = read_batch(data / TEST_FILE)
    images = images[: args.limit].transpose(0, 2, 3, 1).copy()  # N x 32 x 32 x 3
    labels = labels[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data / "batches.meta.txt", args.out / "batches.meta.txt")
    write_records(args.out / "clean.bin", images, labels)
    preview = [("clean", images)]
    for name in types:
        corrupt = corruption(name, args.seed)
        rng = np.random.default_rng([args.seed, TYPES.index(name)])
        out = np.stack([np.clip(corrupt(image, rng), 0, 255).astype(np.uint8) for image in images])
        write_records(args.out / f"{name}.bin", out, labels)
        preview.append((name, out))
        mse = np.mean((out / 255.0 - images / 255.0) ** 2)
        print(f"{name:18s} {len(out)} images, pixel MSE to clean {mse:.4f}", flush=True)
    if args.preview:
        write_preview(args.preview, preview)
        print(f"wrote {args.preview}")
    print(f"wrote {len(types) + 1} files to {args.out}")


if __name__ == "__main__":
    main()
