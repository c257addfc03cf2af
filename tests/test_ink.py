"""Stage 2, ink and light: transparency, polarity, uneven light and shadows, the paper's grain."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.preprocess import (
    decode_picture,
    extract_digits,
    find_digit_boxes,
    ink_is_dark,
    ink_map,
    ink_mask,
    to_grey,
    transparent_background,
)
from digits.preprocess.ink import _closing, _keep_sharp_shadows, _measure_the_writing, _smoothed, middle_value
from tests.helpers import png_bytes, stroke_digit


def test_black_drawing_on_transparent_background_stays_visible():
    rgba = np.zeros((280, 280, 4), np.uint8)  # a canvas: transparent black everywhere
    ink = stroke_digit(ink=255, paper=0)
    rgba[..., 3] = ink  # the strokes are opaque black
    data = png_bytes(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    decoded = decode_picture(data)
    assert transparent_background(decoded.rgba) == 1.0
    grey = to_grey(decoded.rgba)
    assert grey.mean() > 0.8  # mostly white paper, not the all-black classic bug
    crops = extract_digits(data)
    assert len(crops) == 1 and crops[0].pixels.max() == 255
    assert crops[0].pixels[0].max() == 0  # background black, ink white: MNIST polarity


def test_white_drawing_on_transparent_background_goes_on_black():
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = stroke_digit(size=(200, 200), ink=255, paper=0)
    decoded = decode_picture(png_bytes(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA)))
    assert transparent_background(decoded.rgba) == 0.0
    assert to_grey(decoded.rgba).mean() < 0.2


@pytest.mark.parametrize("ink, paper, dark", [(0, 255, True), (255, 0, False), (30, 200, True),
                                              (220, 40, False)])
def test_polarity_is_found(ink, paper, dark):
    grey = stroke_digit(ink=ink, paper=paper).astype(np.float32) / 255
    assert ink_is_dark(grey) is dark


def test_a_light_gradient_and_a_shadow_leave_no_ink():
    ys, xs = np.mgrid[0:200, 0:300].astype(np.float32)
    page = 0.45 + 0.5 * xs / 300  # dark on the left, light on the right
    page[50:150, 200:280] *= 0.7  # a shadow
    ink = ink_map(page)
    assert ink.max() < 0.25
    with_digit = page.copy()
    cv2.line(with_digit, (100, 40), (100, 160), 0.1, 8)
    ink = ink_map(with_digit)
    assert ink[100, 100] > 0.6 and ink[100, 40] < 0.2


@pytest.mark.parametrize("digit", ["1", "7"])
def test_a_marker_digit_photographed_close_is_ink_through_its_strokes(digit):
    # Strokes a quarter as wide as the digit is tall, in a picture the digit fills: a closing
    # sized from the picture alone takes each stroke's middle for paper and leaves its outline.
    page = np.full((130, 96), 0.85, np.float32)
    if digit == "1":
        cv2.line(page, (52, 22), (44, 108), 0.25, 28)
        middle = (65, 48)
    else:
        cv2.line(page, (16, 22), (80, 22), 0.25, 28)
        cv2.line(page, (80, 22), (40, 110), 0.25, 28)
        middle = (22, 48)
    ink = ink_map(cv2.GaussianBlur(page, (0, 0), 1.5))
    assert ink[middle] > 0.5
    assert ink[5, 5] < 0.1 and ink[125, 90] < 0.1


def test_a_margin_line_does_not_widen_the_closing_over_a_shadow():
    # The margin line is the tallest mark on the page, but not writing: the closing stays
    # narrow enough to follow the shadow.
    page = np.full((300, 160), 0.9, np.float32)
    shadow = np.zeros_like(page)
    cv2.ellipse(shadow, (80, 50), (35, 30), 0, 0, 360, 1.0, -1)
    page *= 1 - 0.5 * cv2.GaussianBlur(shadow, (0, 0), 8)
    cv2.line(page, (14, 0), (14, 299), 0.35, 2)  # the margin line, top to bottom
    cv2.line(page, (80, 150), (80, 230), 0.3, 8)  # a digit
    ink = ink_map(page)
    assert ink[50, 80] < 0.25 and ink[190, 80] > 0.6


def page_under_a_sharp_shadow() -> np.ndarray:
    """Three lines of three 0s, a hand's shadow 45% darker with a sharp edge across them: floats in [0, 1]."""
    page = np.full((360, 480), 0.9, np.float32)
    for y, xs in ((70, (150, 260, 370)), (180, (130, 260, 390)), (290, (150, 260, 370))):
        for x in xs:
            cv2.ellipse(page, (x, y), (10, 20), 0, 0, 360, 0.2, 4)
    shade = np.zeros_like(page)
    cv2.ellipse(shade, (260, 180), (130, 200), 0, 0, 360, 1.0, -1)  # its edge runs through six digits
    page *= 1 - 0.45 * cv2.GaussianBlur(shade, (0, 0), 2)
    return cv2.GaussianBlur(page, (0, 0), 1.0)


def test_a_sharp_shadow_leaves_no_ring_of_ink_along_its_edge():
    # Smoothing the paper's brightness across the shadow's sharp edge made the paper just inside
    # the shadow look darker than the paper around it, and that ring joined every digit it crossed.
    page = page_under_a_sharp_shadow()
    ink = ink_map(page)
    assert ink[125, 141] < 0.15 and ink[235, 141] < 0.15  # paper just inside the shadow's edge
    assert ink[180, 250] > 0.5  # a stroke in the shadow
    assert len(extract_digits(png_bytes(np.round(page * 255).astype(np.uint8)))) == 9


@pytest.mark.parametrize("darkness, tallest_mark, kept", [
    (0.5, 10, True),  # a shadow: its edge is kept
    (0.2, 10, False),  # far darker than light makes a shadow: ink, smoothed as before
    (0.5, 30, False),  # not over 2.4 times as wide as the tallest mark: a marker's stroke may be so
    (0.5, 0, False),  # no writing measured
])
def test_the_paper_keeps_the_edge_of_a_broad_shadow_only(darkness, tallest_mark, kept):
    small = np.full((96, 128), 0.9, np.float32)
    small[20:80, 30:100] = darkness  # a dark region 60 by 70 pixels
    small[40:44, 50:70] = 0.1  # writing in it
    closed = _closing(small, 19)
    paper = _keep_sharp_shadows(closed, _smoothed(closed, 19), 19, tallest_mark)
    just_inside = float(paper[50, 32])
    assert just_inside == pytest.approx(darkness) if kept else just_inside > darkness + 0.1
    assert paper[50, 60] == pytest.approx(darkness)


def test_ruled_lines_are_not_the_tallest_mark_a_shadow_is_measured_against():
    # A shadow must be wider than 2.4 tallest marks; a ruled line one pixel tall would let a
    # marker's stroke on a ruled page pass for a shadow.
    small = np.full((96, 128), 0.9, np.float32)
    for y in range(10, 96, 16):
        cv2.line(small, (5, y), (120, y), 0.3, 1)
    paper = np.full_like(small, 0.9)
    assert _measure_the_writing(small, paper)[1] == 0
    cv2.line(small, (60, 20), (58, 60), 0.2, 3)  # a 1 across the lines
    assert _measure_the_writing(small, paper)[1] == pytest.approx(45, abs=2)


def dim_grey_page_with_a_bold_digit() -> np.ndarray:
    """Grey paper in a dim room, darker than half, with a bold blurred mark: floats in [0, 1]."""
    ys, xs = np.mgrid[0:240, 0:240].astype(np.float32)
    page = 0.3 + 0.25 * xs / 240  # the light fades to the left
    cv2.line(page, (80, 60), (160, 60), 0.08, 22)
    cv2.line(page, (160, 60), (105, 190), 0.08, 22)
    return cv2.GaussianBlur(page, (0, 0), 3)


def test_dark_ink_on_dim_grey_paper_and_light_chalk_on_a_grey_board_are_told_apart():
    page = dim_grey_page_with_a_bold_digit()
    assert np.median(page) < 0.5  # brightness alone would call this light ink on a dark ground
    assert ink_is_dark(page) is True
    assert ink_is_dark(1.0 - page) is False
    # Read the right way round, the digit is the mark itself, not a halo of paper around it.
    (x, y, w, h), = find_digit_boxes(ink_mask(ink_map(page)))
    assert 60 <= x <= 95 and 40 <= y <= 60 and w <= 120 and h <= 170


@pytest.mark.parametrize("grain", [0.08, 0.1])
def test_the_grain_of_a_noisy_photo_does_not_grow_strokes_into_clouds(grain):
    page = np.full((160, 200), 0.55, np.float32)  # grey paper in a dim room
    cv2.line(page, (70, 30), (70, 130), 0.25, 10)  # two 1s, 50 pixels apart
    cv2.line(page, (130, 30), (130, 130), 0.25, 10)
    noise = np.random.default_rng(7).normal(0, grain, page.shape).astype(np.float32)
    page = cv2.GaussianBlur(np.clip(page + noise, 0, 1), (0, 0), 0.8)
    boxes = find_digit_boxes(ink_mask(ink_map(page)))
    assert len(boxes) == 2
    assert all(width <= 20 and 95 <= height <= 120 for _x, _y, width, height in boxes)


def _values(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "uniform":
        return rng.random(size)
    if kind == "mostly zero":  # the paper's grain on a clean photo
        return np.abs(rng.normal(size=size)) * (rng.random(size) < 0.3)
    if kind == "three values":
        return rng.integers(0, 3, size).astype(float)
    if kind == "tight cluster":
        return rng.normal(size=size) * 1e-6 + 5
    return np.round(rng.random(size) * 255) / 255  # 8-bit pixels


@pytest.mark.parametrize("kind", ["uniform", "mostly zero", "three values", "tight cluster", "8-bit"])
def test_middle_value_is_the_upper_median_exactly_on_large_arrays(kind):
    rng = np.random.default_rng(len(kind))
    for _ in range(20):
        size = int(rng.integers(4097, 90_000))
        values = _values(kind, size, rng).astype(np.float32)
        assert middle_value(values) == float(np.sort(values)[size // 2])
