"""Loops that blur filled in are opened again; solid strokes and faint ones are left as they are."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.pen import loops_and_pieces
from digits.preprocess import extract_digits
from digits.preprocess.loops import reopen_loops
from tests.helpers import png_bytes

FAR_CLOSING = 1000.0  # a page's closing: far wider than any stroke


def _blurred_ring(sigma: float = 5.0) -> np.ndarray:
    """Return the ink of a bold 0 out of focus: a ring 12 px thick around a hole 16 px wide."""
    ink = np.zeros((64, 64), np.float32)
    cv2.circle(ink, (32, 32), 14, 1.0, 12)
    ink = cv2.GaussianBlur(ink, (0, 0), sigma)
    return ink / ink.max()


def _mask(ink: np.ndarray, level: float) -> np.ndarray:
    return np.where(ink > level, 255, 0).astype(np.uint8)


@pytest.mark.parametrize("times", [1, 3])  # 3: a mark large enough to be judged on a shrunk copy
def test_a_loop_that_blur_filled_in_is_opened_again(times):
    ink = _blurred_ring()
    if times > 1:
        ink = cv2.resize(ink, None, fx=times, fy=times, interpolation=cv2.INTER_CUBIC)
    mask = _mask(ink, 0.3)
    assert loops_and_pieces(mask, 3) == (0, 1)  # the threshold made a blob of it
    reopened = reopen_loops(ink, mask, FAR_CLOSING)
    assert reopened.shape == mask.shape
    assert loops_and_pieces(reopened, 3) == (1, 1)


def test_the_faded_middle_of_a_stroke_wider_than_the_closing_is_not_a_loop():
    # A marker's bar filling a close crop: the paper's closing is narrower than the stroke, so the
    # ink map fades in its middle. That is not a loop.
    ink = np.zeros((60, 120), np.float32)
    ink[10:50, 10:110] = 1.0
    ink[25:35, 40:80] = 0.4
    mask = _mask(ink, 0.2)
    assert loops_and_pieces(reopen_loops(ink, mask, FAR_CLOSING), 3) == (1, 1)  # a page: it would open
    assert np.array_equal(reopen_loops(ink, mask, closing=20), mask)  # 15 px deep, closing 20: left


def test_a_mark_whose_stroke_would_break_is_left_as_it_is():
    ink = _blurred_ring()
    ink[:, 30:34] *= 0.45  # a faint stretch across both sides of the ring
    mask = _mask(ink, 0.12)
    assert np.array_equal(reopen_loops(ink, mask, FAR_CLOSING), mask)


def test_a_bold_zero_photographed_out_of_focus_on_a_page_keeps_its_loop_in_the_model_input():
    # A page: the paper's closing is wide, and the threshold, seeded by the strokes, takes the
    # blurred loop in as ink. Framed from that mask alone, the 0 was a blob.
    page = np.full((400, 600), 225, np.float32)
    cv2.ellipse(page, (300, 200), (14, 20), 0, 0, 360, 40, 12)
    page = cv2.GaussianBlur(page, (0, 0), 6)
    crops = extract_digits(png_bytes(np.clip(page, 0, 255).astype(np.uint8)))
    assert len(crops) == 1
    loops, pieces = loops_and_pieces(np.where(crops[0].pixels > 127, 255, 0).astype(np.uint8), 4)
    assert (loops, pieces) == (1, 1)


def test_a_level_that_frees_nothing_at_full_size_leaves_the_mask(monkeypatch):
    # The level is chosen on a shrunk copy of a large mark; at full size it may free no pixel
    # at all (seen on a photo of a sheet on a desk), and the mask must come back, not an error.
    import digits.preprocess.loops as loops

    mask = np.zeros((120, 80), np.uint8)
    cv2.ellipse(mask, (40, 60), (25, 45), 0, 0, 360, 255, -1)
    ink = np.where(mask > 0, 0.9, 0.0).astype(np.float32)
    monkeypatch.setattr(loops, "_level_that_opens_loops", lambda *_: 0.5)
    assert np.array_equal(reopen_loops(ink, mask, closing=40.0), mask)
