"""Seeded, deterministic data augmentation for 28x28 digit pictures (pure functions + a batch feeder)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from digits.pen import redraw, tight, written_ink


@dataclass(frozen=True)
class AugmentSettings:
    """How far a training picture may be rotated, shifted, scaled, sheared and thickened."""

    rotation_degrees: float = 10.0
    shift_pixels: float = 2.0
    scale_range: tuple[float, float] = (0.9, 1.1)
    shear: float = 0.1
    stroke_change_probability: float = 0.0  # share of pictures made thinner or bolder



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


def brush_drawn(picture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a 28x28 digit drawn again with a round brush and normalised the way uploads are.

    A digit drawn on a canvas has strokes of one even width, fine or bold, where MNIST's pen
    left strokes that swell and thin. The digit is enlarged, its centre lines are drawn with one
    brush (fine: 3-6% of its height, bold: 8-16%), and the server's own steps frame it (stroke
    evening, 20x20 box, centre of mass), so training sees what the model is given for drawings
    (a thinned stroke is drawn flat, as when the shipped model was trained: see even_stroke).
    Returns uint8 (28, 28); a picture without ink comes back unchanged.
    """
    from digits.preprocess import even_stroke, to_mnist_square

    picture = np.asarray(picture, np.uint8).reshape(28, 28)
    height = rng.uniform(60, 110)
    try:
        ink = written_ink(picture, height, pad=4)
    except ValueError:
        return picture
    brush_share = rng.uniform(0.08, 0.16) if rng.random() < 0.5 else rng.uniform(0.03, 0.06)
    ink = tight(cv2.GaussianBlur(ink, (0, 0), max(0.5, height / 120)))
    drawn = cv2.GaussianBlur(redraw(ink, max(3, int(brush_share * height))), (3, 3), 0)
    mask = np.where(drawn > 0.5, 255, 0).astype(np.uint8)
    rows, columns = np.nonzero(mask)
    if len(rows) == 0:
        return picture
    box = (slice(rows.min(), rows.max() + 1), slice(columns.min(), columns.max() + 1))
    return to_mnist_square(even_stroke(drawn[box], mask[box], rows.max() - rows.min() + 1, keep_shading=False))


def brush_drawn_versions(pictures: np.ndarray, seed: int) -> np.ndarray:
    """Return brush_drawn copies of (n, 28, 28) pictures; copy i depends only on (seed, i).

    About 6 ms a picture, so large sets are drawn by one process per core.
    """
    pictures = np.asarray(pictures, np.uint8).reshape(-1, 28, 28)
    workers = min(os.cpu_count() or 1, 8)
    if len(pictures) < 2000 or workers < 2:
        return _draw_range(pictures, seed, 0)
    chunk = -(-len(pictures) // workers)
    starts = range(0, len(pictures), chunk)
    # "spawn": the trainer has TensorFlow loaded, and forking a process that runs its threads
    # can hang the child.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = pool.map(_draw_range, [pictures[start:start + chunk] for start in starts],
                         [seed] * len(starts), starts)
        return np.concatenate(list(parts))


def _draw_range(pictures: np.ndarray, seed: int, first_index: int) -> np.ndarray:
    return np.stack([brush_drawn(picture, np.random.default_rng([seed, 7, first_index + offset]))
                     for offset, picture in enumerate(pictures)])


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
                      settings: AugmentSettings | None, drawn: np.ndarray | None = None,
                      drawn_share: float = 0.0, drawn_from_epoch: int = 0):
    """Return a Keras PyDataset yielding shuffled (and, with settings, augmented) model batches.

    ``drawn`` holds a brush-drawn copy of each picture (brush_drawn_versions); from epoch
    ``drawn_from_epoch`` on, that copy replaces a ``drawn_share`` of each batch's pictures.
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
            # Drawn copies are made once, before training, and then moved by each batch's
            # random affine map like the originals, so they cost nothing per epoch.
            self.drawn = None if drawn is None else np.asarray(drawn).reshape(-1, 28, 28)

        def _order_for(self, epoch: int) -> np.ndarray:
            return np.random.default_rng([seed, epoch]).permutation(len(self.pictures))

        def __len__(self) -> int:
            return int(np.ceil(len(self.pictures) / batch_size))

        def __getitem__(self, index: int):
            chosen = self.order[index * batch_size:(index + 1) * batch_size]
            batch = self.pictures[chosen]
            if settings is not None:
                rng = np.random.default_rng([seed, self.epoch, index, 1])
                if self.drawn is not None and drawn_share > 0 and self.epoch >= drawn_from_epoch:
                    use_drawn = rng.random(len(batch)) < drawn_share
                    batch = np.where(use_drawn[:, None, None], self.drawn[chosen], batch)
                batch = random_affine(batch, rng, settings)
            return to_model_input(batch), self.labels[chosen]

        def set_epoch(self, epoch: int) -> None:
            """Move to ``epoch``'s shuffle (used when a run resumes)."""
            self.epoch = epoch
            self.order = self._order_for(epoch)

        def on_epoch_end(self) -> None:
            self.set_epoch(self.epoch + 1)

    return BatchFeeder()
