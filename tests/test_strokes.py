"""Stroke width: measured, and evened towards MNIST's without filling loops or breaking strokes."""

from __future__ import annotations

import cv2
import numpy as np

from digits.preprocess import (
    even_stroke,
    is_bold,
    stroke_width,
)


def test_stroke_width_is_measured():
    for width in (4, 10, 20):
        mask = np.zeros((200, 200), np.uint8)
        cv2.line(mask, (100, 20), (100, 180), 255, width)
        assert abs(stroke_width(mask) - width) <= 0.25 * width + 1


def test_fine_and_bold_strokes_are_evened_towards_mnist_width():
    widths = []
    for pen_width in (3, 8, 30):
        mask = np.zeros((240, 160), np.uint8)
        cv2.line(mask, (40, 30), (120, 30), 255, pen_width)
        cv2.line(mask, (120, 30), (60, 210), 255, pen_width)
        evened = even_stroke(mask.astype(np.float32) / 255, mask, 200)
        widths.append(stroke_width(np.where(evened > 0.5, 255, 0).astype(np.uint8)))
    target = 0.12 * 200
    assert all(0.5 * target <= width <= 1.6 * target for width in widths), widths


def loops(mask: np.ndarray) -> int:
    """Enclosed paper regions of a binary mask."""
    paper = np.pad((mask == 0).astype(np.uint8), 1, constant_values=1)
    return cv2.connectedComponents(paper, connectivity=4)[0] - 2


def test_thickening_a_fine_pen_never_fills_a_small_loop():
    six = np.zeros((240, 160), np.uint8)  # a 6 drawn with a fine pen: a long stem, a small loop
    cv2.line(six, (110, 20), (74, 186), 255, 3)
    cv2.circle(six, (74, 196), 10, 255, 3)
    assert loops(six) == 1
    evened = even_stroke(six.astype(np.float32) / 255, six, 200)
    assert loops(np.where(evened > 0.5, 255, 0).astype(np.uint8)) == 1
    assert stroke_width(np.where(evened > 0.5, 255, 0).astype(np.uint8)) > stroke_width(six)  # still bolder


def test_thinning_a_bold_pen_never_breaks_a_stroke():
    seven = np.zeros((240, 200), np.uint8)  # a bold 7 whose stem narrows to a neck
    cv2.line(seven, (30, 40), (170, 40), 255, 44)
    cv2.line(seven, (170, 40), (90, 220), 255, 44)
    seven[100:120, :] = 0
    seven[100:120, 118:130] = 255  # the neck: a thin bridge between the bar and the stem
    evened = even_stroke(seven.astype(np.float32) / 255, seven, 200)
    solid = np.where(evened > 0.5, 255, 0).astype(np.uint8)
    assert cv2.connectedComponents(solid)[0] - 1 == 1


def bold_seven_blurred_into_its_corner() -> tuple[np.ndarray, np.ndarray]:
    """A bold 7 whose corner blur filled in: one mask, the corner's ink lighter than the strokes."""
    mask = np.zeros((240, 200), np.uint8)
    cv2.line(mask, (30, 40), (170, 40), 255, 36)
    cv2.line(mask, (170, 40), (80, 220), 255, 36)
    corner = np.zeros_like(mask)
    cv2.fillPoly(corner, [np.array([[110, 58], [150, 58], [128, 100]], np.int32)], 255)
    ink = np.where(mask > 0, 1.0, 0.0).astype(np.float32)
    ink[corner > 0] = 0.55  # filled in by blur, not by the pen
    return ink, cv2.bitwise_or(mask, corner)


def test_a_thinned_stroke_keeps_the_lighter_ink_that_blur_filled_in():
    ink, mask = bold_seven_blurred_into_its_corner()
    corner = (slice(66, 84), slice(122, 138))
    flat = even_stroke(ink, mask, 200, keep_shading=False)
    shaded = even_stroke(ink, mask, 200)
    assert flat[corner].max() > 0.9  # a flat thinned mask shows the corner as strong as a stroke
    assert shaded[corner].max() < 0.6
    assert shaded[40, 60] > 0.9  # the strokes stay strong


def test_flat_ink_is_thinned_the_same_with_or_without_shading():
    ink, mask = bold_seven_blurred_into_its_corner()
    ink = np.where(mask > 0, 1.0, 0.0).astype(np.float32)
    assert stroke_width(mask) > 1.4 * 0.12 * 200  # bold enough to be thinned
    assert np.array_equal(even_stroke(ink, mask, 200), even_stroke(ink, mask, 200, keep_shading=False))


def test_bold_strokes_are_told_from_strokes_of_mnist_width():
    for pen_width, bold in ((8, False), (24, False), (40, True)):
        mask = np.zeros((240, 160), np.uint8)
        cv2.line(mask, (40, 30), (120, 30), 255, pen_width)
        cv2.line(mask, (120, 30), (60, 210), 255, pen_width)
        assert is_bold(mask, 200) is bold, pen_width
