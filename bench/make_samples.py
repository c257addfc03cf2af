"""Make the example pictures in samples/ from MNIST *training* digits, with a fixed seed.

Run: python bench/make_samples.py
pic1.jpg and pic2.jpg are the first two training pictures as they are (a 5 and a 0); the
others are rendered like the benchmark's photos and drawings. Each name ends with what it
shows, which the tests check.
"""

from __future__ import annotations

import cv2
import numpy as np
from synth import canvas_drawing, photo_of_digits

from digits.config import SAMPLES_DIR, TEST_CSV, TRAIN_CSV
from digits.data import ensure_mnist_csvs, read_csv


def first_of(labels: np.ndarray, digit: int, skip: int = 0) -> int:
    """Index of the (skip+1)-th training picture of ``digit``."""
    return int(np.flatnonzero(labels == digit)[skip])


def main() -> None:
    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    train = read_csv(TRAIN_CSV)
    pictures = train.images.reshape(-1, 28, 28)
    rng = np.random.default_rng(2026)
    for index, name in enumerate(("pic1.jpg", "pic2.jpg")):
        cv2.imwrite(str(SAMPLES_DIR / name), pictures[index], [cv2.IMWRITE_JPEG_QUALITY, 95])
    outputs = {
        "photo_4.jpg": photo_of_digits([pictures[first_of(train.labels, 4)]], rng),
        "drawing_7.png": canvas_drawing(pictures[first_of(train.labels, 7)], rng, "black on transparent",
                                        "thick"),
        "number_2026.jpg": photo_of_digits([pictures[first_of(train.labels, d, skip=i)]
                                            for i, d in enumerate((2, 0, 2, 6))], rng),
    }
    for name, data in outputs.items():
        (SAMPLES_DIR / name).write_bytes(data)
    print(f"wrote {', '.join(['pic1.jpg', 'pic2.jpg', *outputs])} in samples/")


if __name__ == "__main__":
    main()
