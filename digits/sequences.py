"""Training strips for the sequence reader: numbers written from MNIST training digits, often touching.

Each strip is a row of 1 to 6 training digits written with a pen (its width varied) or redrawn
with a brush, slightly turned and set on a wandering baseline; neighbours touch or overlap in
about half the gaps and stand apart in the others. The strip is framed by the server's own
``frame_strip``. Strip i depends only on (seed, i), so sets are reproducible and can be drawn by
one process per core.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np

from digits.pen import redraw, tight, written_ink
from digits.preprocess.strips import frame_strip

LENGTHS = (1, 2, 2, 3, 3, 4, 4, 5, 6)  # digits per strip, equally likely: pairs and triples count most
TOUCHING_SHARE = 0.6  # share of gaps where neighbours touch or overlap


def written(digit28: np.ndarray, height: float, rng: np.random.Generator, pen: float, brush: int | None):
    """Return one digit's ink (float 0..1, tight) as a pen of width ``pen`` or a round brush writes it."""
    ink = written_ink(digit28, height, pad=max(4, int(height) // 2))
    radius = int(round(abs(pen) * height))
    if radius >= 1 and brush is None:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        ink = cv2.dilate(ink, kernel) if pen > 0 else cv2.erode(ink, kernel)
    turn = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), rng.uniform(-8, 8), 1.0)
    ink = cv2.warpAffine(ink, turn, (ink.shape[1], ink.shape[0]))
    if ink.max() < 0.5:
        return None
    ink = tight(ink)
    return tight(cv2.GaussianBlur(redraw(ink, brush), (3, 3), 0)) if brush is not None else ink


def touching_gap(left: np.ndarray, right: np.ndarray, left_top: int, right_top: int) -> int:
    """Return the smallest horizontal gap between two patches over the rows they share (0 if none)."""
    smallest = None
    for row in range(max(left_top, right_top), min(left_top + left.shape[0], right_top + right.shape[0])):
        left_ink = np.flatnonzero(left[row - left_top] > 0.3)
        right_ink = np.flatnonzero(right[row - right_top] > 0.3)
        if len(left_ink) and len(right_ink):
            gap = (left.shape[1] - 1 - left_ink[-1]) + right_ink[0]
            smallest = gap if smallest is None else min(smallest, gap)
    return smallest or 0


def compose(digits28: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, float] | None:
    """Return the ink of digits written side by side (float 0..1) and their height, or None."""
    height = rng.uniform(40, 80)
    pen = float(rng.choice([-0.03, 0.0, 0.0, 0.04, 0.07]))
    brush = int(rng.uniform(0.08, 0.16) * height) if rng.random() < 0.3 else None
    patches = [written(digit, height * rng.uniform(0.9, 1.1), rng, pen, brush) for digit in digits28]
    if any(patch is None for patch in patches):
        return None
    tallest = max(patch.shape[0] for patch in patches)
    tops = [tallest - patch.shape[0] + int(rng.uniform(-0.06, 0.06) * height) for patch in patches]
    tops = [top - min(tops) for top in tops]
    lefts = [0]
    for left, right, left_top, right_top in zip(patches, patches[1:], tops, tops[1:], strict=False):
        if rng.random() < TOUCHING_SHARE:  # touch, or overlap a little
            offset = -touching_gap(left, right, left_top, right_top) - int(rng.uniform(0, 0.08) * height)
        else:
            offset = int(rng.uniform(0.05, 0.6) * height)
        lefts.append(lefts[-1] + left.shape[1] + offset)
    lefts = [x - min(lefts) for x in lefts]
    ink = np.zeros((max(t + p.shape[0] for t, p in zip(tops, patches, strict=True)),
                    max(x + p.shape[1] for x, p in zip(lefts, patches, strict=True))), np.float32)
    for x, top, patch in zip(lefts, tops, patches, strict=True):
        region = ink[top:top + patch.shape[0], x:x + patch.shape[1]]
        np.maximum(region, patch, out=region)
    return ink, float(np.median([patch.shape[0] for patch in patches]))


def training_strip(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator):
    """Return (strip pixels uint8 (28, width), its digits) drawn from the given digits."""
    while True:
        chosen = rng.integers(0, len(images), int(rng.choice(LENGTHS)))
        composed = compose([images[index] for index in chosen], rng)
        if composed is not None:
            ink, height = composed
            mask = np.where(ink > 0.5, 255, 0).astype(np.uint8)
            return frame_strip(ink, mask, height, keep_shading=False).pixels, labels[chosen].astype(np.int32)


def training_strips(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> tuple[list, list]:
    """Return ``count`` strips and their digits; strip i depends only on (seed, i). One process per core."""
    images = np.asarray(images, np.uint8).reshape(-1, 28, 28)
    workers = min(os.cpu_count() or 1, 8)
    if count < 2000 or workers < 2:
        return _strip_range(images, labels, seed, 0, count)
    chunk = -(-count // workers)
    starts = list(range(0, count, chunk))
    # "spawn": the trainer has TensorFlow loaded, and forking a process that runs its threads can hang.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_strip_range, [images] * len(starts), [labels] * len(starts), [seed] * len(starts),
                              starts, [min(chunk, count - start) for start in starts]))
    return [strip for part in parts for strip in part[0]], [digits for part in parts for digits in part[1]]


def _strip_range(images, labels, seed: int, first: int, count: int) -> tuple[list, list]:
    strips, digits = [], []
    for index in range(first, first + count):
        strip, chosen = training_strip(images, labels, np.random.default_rng([seed, 11, index]))
        strips.append(strip)
        digits.append(chosen)
    return strips, digits
