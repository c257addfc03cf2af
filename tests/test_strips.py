"""Strips for the sequence reader: 28 high, digits 20 tall, widths in steps of 16, and where columns lie."""

from __future__ import annotations

import numpy as np
import pytest

from digits.preprocess.strips import STRIP_MAX_WIDTH, STRIP_PAD, STRIP_STEP, frame_strip


@pytest.mark.parametrize("digit_height, width", [(40, 90), (120, 260), (25, 30)])
def test_a_mark_becomes_a_strip_with_its_digits_twenty_pixels_tall(digit_height, width):
    ink = np.zeros((digit_height, width), np.float32)
    ink[:, ::7] = 1.0  # upright strokes across the whole mark
    strip = frame_strip(ink, np.where(ink > 0.5, 255, 0).astype(np.uint8), digit_height)
    rows = np.flatnonzero(strip.pixels.max(axis=1) > 0)
    columns = np.flatnonzero(strip.pixels.max(axis=0) > 0)
    assert strip.pixels.shape[0] == 28 and strip.pixels.shape[1] % STRIP_STEP == 0
    assert abs(len(rows) - 20) <= 1
    assert columns[0] == STRIP_PAD and strip.left == STRIP_PAD
    assert abs(strip.scale - 20 / digit_height) < 0.05
    assert strip.pixels.max() == 255


def test_a_very_wide_mark_is_shrunk_to_the_widest_strip():
    ink = np.ones((30, 3000), np.float32)
    strip = frame_strip(ink, np.full(ink.shape, 255, np.uint8), 30)
    assert strip.pixels.shape[1] == STRIP_MAX_WIDTH
