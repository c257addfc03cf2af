"""The brush: a digit drawn again with strokes of one width."""

from __future__ import annotations

import numpy as np

from digits import pen


def test_a_brush_draws_strokes_of_one_width():
    # A stroke that swells from 2 to 6 pixels, as MNIST's pen leaves them, drawn again by a brush.
    picture = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):
        half = 1 + (row - 4) * 2 // 19
        picture[row, 14 - half:14 + half] = 255
    ink = pen.written_ink(picture, 100, pad=10)
    widths = (pen.redraw(ink, 9) > 0.5).sum(axis=1)
    drawn_rows = widths[widths > 0]
    middle = drawn_rows[len(drawn_rows) // 4:3 * len(drawn_rows) // 4]  # away from the stroke's ends
    assert np.ptp(middle) <= 1 and abs(int(np.median(middle)) - 9) <= 1
    assert np.ptp((ink > 0.5).sum(axis=1)[30:90]) >= 10  # where the pen's stroke had swollen
