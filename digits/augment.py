"""Seeded, deterministic data augmentation for 28x28 digit pictures (pure functions + a batch feeder)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentSettings:
    """How far a training picture may be rotated, shifted, scaled, sheared and thickened."""

    rotation_degrees: float = 10.0
    shift_pixels: float = 2.0
    scale_range: tuple[float, float] = (0.9, 1.1)
    shear: float = 0.1
    stroke_change_probability: float = 0.0  # share of pictures made thinner or bolder
    pen_probability: float = 0.0  # share of pictures redrawn as pen strokes and normalised as served



def random_affine(images: np.ndarray, rng: np.random.Generator, settings: AugmentSettings) -> np.ndarray:
    """Return float32 copies of (n, 28, 28) pictures, each moved by its own random affine map."""
    count, height, width = images.shape
    out = np.empty((count, height, width), dtype=np.float32)
    angles = np.deg2rad(rng.uniform(-settings.rotation_degrees, settings.rotation_degrees, count))
    scales = rng.uniform(*settings.scale_range, count)
    shears = rng.uniform(-settings.shear, settings.shear, count)
    shifts = rng.uniform(-settings.shift_pixels, settings.shift_pixels, (count, 2))
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    source = np.asarray(images, dtype=np.float32)
    for index in range(count):
        cos, sin = np.cos(angles[index]) * scales[index], np.sin(angles[index]) * scales[index]
        linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shears[index]], [0.0, 1.0]])
        offset = centre - linear @ centre + shifts[index]
        matrix = np.hstack([linear, offset[:, None]])
        out[index] = cv2.warpAffine(source[index], matrix, (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if settings.stroke_change_probability > 0:
        _change_strokes(out, rng, settings.stroke_change_probability)
    return out


def pen_stroked(picture: np.ndarray, rng: np.random.Generator, enlarged: int = 112) -> np.ndarray:
    """Return a 28x28 digit as a pen would write it, normalised the way the server normalises uploads.

    The digit is enlarged, cut at a random ink level into solid strokes (a pen has no grey
    blur), made finer or bolder, then framed by the server's own steps (stroke evening,
    20x20 box, centre of mass), so training sees the inputs the model is given for photos
    and drawings. Returns uint8 (28, 28).
    """
    from digits.preprocess import even_stroke, to_mnist_square

    big = cv2.resize(np.asarray(picture, np.float32) / 255.0, (enlarged, enlarged), interpolation=cv2.INTER_CUBIC)
    mask = np.where(big > rng.uniform(0.3, 0.6), 255, 0).astype(np.uint8)
    radius = int(rng.integers(-2, 4))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1, 2 * abs(radius) + 1))
        changed = cv2.dilate(mask, kernel) if radius > 0 else cv2.erode(mask, kernel)
        if np.count_nonzero(changed) > 0.5 * np.count_nonzero(mask):  # a finer pen still writes it all
            mask = changed
    rows, columns = np.nonzero(mask)
    if len(rows) == 0:
        return np.asarray(picture, np.uint8).reshape(28, 28)
    mask = mask[rows.min():rows.max() + 1, columns.min():columns.max() + 1]
    ink = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (3, 3), 0)
    return to_mnist_square(even_stroke(ink, mask, mask.shape[0]))


def _change_strokes(images: np.ndarray, rng: np.random.Generator, probability: float) -> None:
    """Make a random share of pictures bolder (dilate) or thinner (erode), in place."""
    kernel = np.ones((2, 2), np.uint8)
    for index in np.flatnonzero(rng.random(len(images)) < probability):
        if rng.random() < 0.5:
            images[index] = cv2.dilate(images[index], kernel)
        else:
            thinner = cv2.erode(images[index], kernel)
            if thinner.max() > 0.5 * images[index].max():  # never erase a thin digit
                images[index] = thinner


def make_batch_feeder(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int,
                      settings: AugmentSettings | None):
    """Return a Keras PyDataset yielding shuffled (and, with settings, augmented) model batches.

    Every batch depends only on (seed, epoch, batch index), so a run is reproducible and
    can resume at any epoch.
    """
    from digits.preprocess import to_model_input
    from digits.quiet import import_keras

    keras = import_keras()

    class BatchFeeder(keras.utils.PyDataset):
        """Shuffled, optionally augmented batches of (pictures, labels)."""

        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.epoch = 0
            self.pictures = np.asarray(images).reshape(-1, 28, 28)
            self.labels = np.asarray(labels)
            self.order = self._order_for(0)
            # Pen versions are made once (0.7 ms each) and then moved by each batch's random
            # affine map like the originals, so they cost nothing per epoch.
            self.pen_versions = None
            if settings is not None and settings.pen_probability > 0:
                pen_rng = np.random.default_rng([seed, 7])
                self.pen_versions = np.stack([pen_stroked(picture, pen_rng) for picture in self.pictures])

        def _order_for(self, epoch: int) -> np.ndarray:
            return np.random.default_rng([seed, epoch]).permutation(len(self.pictures))

        def __len__(self) -> int:
            return int(np.ceil(len(self.pictures) / batch_size))

        def __getitem__(self, index: int):
            chosen = self.order[index * batch_size:(index + 1) * batch_size]
            batch = self.pictures[chosen]
            if settings is not None:
                rng = np.random.default_rng([seed, self.epoch, index, 1])
                if self.pen_versions is not None:
                    use_pen = rng.random(len(batch)) < settings.pen_probability
                    batch = np.where(use_pen[:, None, None], self.pen_versions[chosen], batch)
                batch = random_affine(batch, rng, settings)
            return to_model_input(batch), self.labels[chosen]

        def set_epoch(self, epoch: int) -> None:
            """Move to ``epoch``'s shuffle (used when a run resumes)."""
            self.epoch = epoch
            self.order = self._order_for(epoch)

        def on_epoch_end(self) -> None:
            self.set_epoch(self.epoch + 1)

    return BatchFeeder()
