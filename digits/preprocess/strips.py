"""Framing for the sequence reader: a mark that may hold several touching digits, as one strip.

The strip is 28 pixels high with the writing's digits 20 pixels tall, as MNIST's digits are,
strokes evened as for single digits, and as wide as the mark needs (a multiple of 16, at most
256). Training draws its strips through this same function (digits.sequences), so the two can
never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.config import IMAGE_SIDE, INK_BOX_SIDE
from digits.preprocess.scaling import scaled_ink
from digits.preprocess.strokes import even_stroke

STRIP_PAD = 4  # pixels of paper left and right of the ink
STRIP_STEP = 16  # strips are this many pixels wide times a whole number: few shapes to plan for
STRIP_MAX_WIDTH = 256
FRAME_WIDTH = 4  # strip columns per output frame of the sequence reader (two 2x poolings)


@dataclass(frozen=True)
class Strip:
    """A mark framed for the sequence reader, and how strip columns map back to the ink's columns."""

    pixels: np.ndarray  # uint8 (28, width), ink bright on black
    scale: float  # strip pixels per pixel of the ink given
    left: float  # the strip column where the ink's left edge (column 0) lies


def frame_strip(ink: np.ndarray, mask: np.ndarray, digit_height: float, keep_shading: bool = True,
                even: bool = True) -> Strip:
    """Return a mark's ink (float 0..1, tight to its mask) as a strip, its digits 20 pixels tall.

    ``keep_shading``: see even_stroke (the sequence reader's trainer passes False); ``even``:
    False frames the strokes as written, neither thinned nor thickened.
    """
    if even:
        ink = even_stroke(ink, mask, int(round(digit_height)), keep_shading)
    height, width = ink.shape
    small = scaled_ink(ink, min(INK_BOX_SIDE / max(digit_height, 1.0), (IMAGE_SIDE - 2) / height,
                                (STRIP_MAX_WIDTH - 2 * STRIP_PAD) / width))
    size = (small.shape[1], small.shape[0])
    strip_width = int(np.ceil((size[0] + 2 * STRIP_PAD) / STRIP_STEP) * STRIP_STEP)
    pixels = np.zeros((IMAGE_SIDE, strip_width), np.float32)
    top = (IMAGE_SIDE - size[1]) // 2
    pixels[top:top + size[1], STRIP_PAD:STRIP_PAD + size[0]] = small
    return Strip(pixels=np.round(pixels * 255).astype(np.uint8), scale=size[0] / width, left=float(STRIP_PAD))
