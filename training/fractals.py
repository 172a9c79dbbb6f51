"""Procedurally generated fractal pictures for PixMix-style corruption modeling.

Iterated function systems (2-4 random contractive affine maps, chaos game) rendered in colour.
The bank is generated once and cached under runs/ (it is cheap to rebuild; never committed).
"""
import numpy as np

from common import RUNS


def _random_ifs(rng: np.random.Generator, n_maps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    maps, shifts = [], []
    for _ in range(n_maps):
        # Contractive: singular values in (0.2, 0.9); random rotations on both sides.
        u = _rotation(rng.uniform(0, 2 * np.pi))
        v = _rotation(rng.uniform(0, 2 * np.pi))
        s = np.diag(rng.uniform(0.2, 0.9, size=2) * rng.choice([-1, 1], size=2))
        maps.append(u @ s @ v)
        shifts.append(rng.uniform(-1, 1, size=2))
    weights = np.array([abs(np.linalg.det(m)) + 0.02 for m in maps])
    return np.stack(maps), np.stack(shifts), weights / weights.sum()


def _rotation(angle: float) -> np.ndarray:
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def render_fractal(rng: np.random.Generator, size: int = 32, walkers: int = 1024, iterations: int = 40) -> np.ndarray:
    """One colour fractal, float32 [3,size,size] in [0,1]."""
    n_maps = int(rng.integers(2, 5))
    maps, shifts, probs = _random_ifs(rng, n_maps)
    colors = rng.uniform(0, 1, size=(n_maps, 3))
    points = rng.uniform(-1, 1, size=(walkers, 2))
    color = np.zeros((walkers, 3))
    canvas = np.zeros((3, size * 2, size * 2))
    hits = np.zeros((size * 2, size * 2))
    collected = []
    for it in range(iterations):
        choice = rng.choice(n_maps, size=walkers, p=probs)
        points = np.einsum("nij,nj->ni", maps[choice], points) + shifts[choice]
        color = 0.5 * color + 0.5 * colors[choice]
        if it >= 8:  # skip the transient before walkers reach the attractor
            collected.append((points.copy(), color.copy()))
    pts = np.concatenate([p for p, _ in collected])
    cols = np.concatenate([c for _, c in collected])
    lo, hi = np.percentile(pts, 1, axis=0), np.percentile(pts, 99, axis=0)
    ij = ((pts - lo) / np.maximum(hi - lo, 1e-6) * (size * 2 - 1)).round().astype(int)
    keep = (ij >= 0).all(1) & (ij < size * 2).all(1)
    ij, cols = ij[keep], cols[keep]
    np.add.at(hits, (ij[:, 1], ij[:, 0]), 1)
    for c in range(3):
        np.add.at(canvas[c], (ij[:, 1], ij[:, 0]), cols[:, c])
    img = canvas / np.maximum(hits, 1)
    density = np.log1p(hits) / max(np.log1p(hits).max(), 1e-6)
    img = img * density[None]
    img = img.reshape(3, size, 2, size, 2).mean((2, 4))
    background = rng.uniform(0, 0.3, size=(3, 1, 1))
    return np.clip(img + background * (1 - density.reshape(size, 2, size, 2).mean((1, 3)))[None], 0, 1).astype(np.float32)


def fractal_bank(count: int = 2000, seed: int = 1234) -> np.ndarray:
    path = RUNS / f"fractals_{count}_{seed}.npy"
    if path.exists():
        return np.load(path)
    rng = np.random.default_rng(seed)
    bank = np.stack([render_fractal(rng) for _ in range(count)])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, bank)
    return bank
