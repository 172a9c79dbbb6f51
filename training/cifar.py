"""CIFAR-10 in the official binary format (records of 1 label byte + 3072 bytes R,G,B planes)."""
import os
from pathlib import Path

import numpy as np

RECORD_BYTES = 1 + 3 * 32 * 32
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILE = "test_batch.bin"
# The last 5,000 training images are held out for validation and model selection;
# test_batch.bin is used for final measurement only.
VALIDATION_SIZE = 5000


def default_data_dir() -> Path:
    env = os.environ.get("CIFAR10_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "data/cifar-10-batches-bin", here.parent.parent / "shared/data/cifar-10-batches-bin"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("CIFAR-10 binary data not found: set CIFAR10_DIR")


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Returns images as uint8 [N, 3, 32, 32] and labels as int64 [N]."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % RECORD_BYTES != 0:
        raise ValueError(f"{path}: size {raw.size} is not a multiple of the {RECORD_BYTES}-byte record")
    records = raw.reshape(-1, RECORD_BYTES)
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), records[:, 0].astype(np.int64)


def load_split(split: str, data_dir: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """split: 'train' (45k), 'val' (5k held out of the training batches) or 'test' (10k)."""
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    if split == "test":
        return read_batch(data_dir / TEST_FILE)
    parts = [read_batch(data_dir / name) for name in TRAIN_FILES]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    if split == "train":
        return images[:-VALIDATION_SIZE], labels[:-VALIDATION_SIZE]
    if split == "val":
        return images[-VALIDATION_SIZE:], labels[-VALIDATION_SIZE:]
    raise ValueError(f"unknown split {split!r}")


def class_names(data_dir: Path | None = None) -> list[str]:
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    return [line.strip() for line in (data_dir / "batches.meta.txt").read_text().splitlines() if line.strip()]
