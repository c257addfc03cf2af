"""Each step that turns a photo into MNIST inputs, on small synthetic pictures built here."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits import pen
from digits.augment import brush_drawn, brush_drawn_versions
from digits.preprocess import (
    cut_thin_bridges,
    even_stroke,
    extract_digits,
    find_digit_boxes,
    ink_is_dark,
    ink_map,
    ink_mask,
    remove_ruled_lines,
    stroke_width,
)
from tests.conftest import png_bytes


def bold_row_of_digits(count: int = 3, stroke: int = 14) -> np.ndarray:
    """A white page with ``count`` bold vertical bars (like 1s), as floats in [0, 1]."""
    page = np.ones((120, 90 * count), np.float32)
    for index in range(count):
        x = 45 + 90 * index
        cv2.line(page, (x, 25), (x, 95), 0.1, stroke)
    return page


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


def test_ruled_lines_are_erased_and_the_digit_crossing_them_kept():
    mask = np.zeros((200, 400), np.uint8)
    for y in (40, 80, 120, 160):
        cv2.line(mask, (0, y), (399, y + 3), 255, 2)
    cv2.line(mask, (200, 30), (200, 170), 255, 9)  # a 1 crossing four lines
    cleaned = remove_ruled_lines(mask)
    assert cleaned[:, :150].sum() == 0 and cleaned[:, 260:].sum() == 0
    column = cleaned[30:170, 200] > 0
    assert column.mean() > 0.95  # the 1 is whole again where the lines crossed it


def test_a_stroke_written_along_a_ruled_line_is_kept():
    mask = np.zeros((200, 400), np.uint8)
    for y in (40, 80, 120, 160):
        cv2.line(mask, (0, y), (399, y), 255, 2)
    cv2.rectangle(mask, (170, 77), (230, 83), 255, -1)  # the bar of a 7, written on the line
    cv2.line(mask, (230, 80), (200, 150), 255, 7)
    cleaned = remove_ruled_lines(mask)
    assert cleaned[:, :150].sum() == 0 and cleaned[:, 260:].sum() == 0
    assert (cleaned[76:86, 172:229].max(axis=0) > 0).all()  # the bar is whole


def test_a_bold_digit_on_many_ruled_lines_keeps_its_strokes():
    mask = np.zeros((200, 130), np.uint8)
    for y in range(5, 200, 27):
        cv2.line(mask, (0, y), (129, y + 2), 255, 2)
    digit = np.zeros_like(mask)
    cv2.line(digit, (40, 60), (75, 45), 255, 26)  # a marker's blob and its tail, across lines
    cv2.line(digit, (60, 70), (35, 130), 255, 22)
    cleaned = remove_ruled_lines(cv2.bitwise_or(mask, digit))
    assert np.count_nonzero(cleaned & digit) > 0.95 * np.count_nonzero(digit)
    assert np.count_nonzero(cleaned & ~digit) < 0.1 * np.count_nonzero(mask & ~digit)


@pytest.mark.parametrize("stroke", [16, 6])
def test_a_faint_line_joining_bold_digits_is_cut(stroke):
    mask = np.zeros((120, 270), np.uint8)
    for x in (45, 135, 225):
        cv2.line(mask, (x, 25), (x, 95), 255, stroke)
    cv2.line(mask, (30, 60), (240, 60), 255, 1)  # what a ruled line leaves where it meets ink
    assert len(find_digit_boxes(mask)) == 1
    cut = cut_thin_bridges(mask)
    assert len(find_digit_boxes(cut)) == 3
    assert np.count_nonzero(cut) > 0.95 * np.count_nonzero(mask) - 210


@pytest.mark.parametrize("pen", [2, 4])
def test_thin_pen_strokes_are_never_cut_as_bridges(pen):
    mask = np.zeros((120, 120), np.uint8)
    cv2.line(mask, (20, 30), (100, 30), 255, pen)  # the bar of a 7 written with a fine pen
    cv2.line(mask, (100, 30), (50, 100), 255, pen)
    assert np.array_equal(cut_thin_bridges(mask), mask)


def test_a_ruled_line_left_under_two_digits_does_not_join_them():
    mask = np.zeros((140, 200), np.uint8)
    cv2.line(mask, (60, 20), (60, 100), 255, 8)  # two 1s
    cv2.line(mask, (120, 20), (120, 100), 255, 8)
    cv2.line(mask, (40, 115), (140, 115), 255, 2)  # a piece of a ruled line below both
    assert len(find_digit_boxes(mask)) == 2
    hat = mask.copy()
    cv2.line(hat, (100, 8), (140, 8), 255, 6)  # a 5's hat over one digit still joins it
    assert [box[1] for box in find_digit_boxes(hat)] == [16, 5]


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


def test_a_number_on_lined_paper_with_a_shadow_reads_as_its_digits():
    page = bold_row_of_digits(4)
    for y in range(10, 120, 22):
        cv2.line(page, (0, y), (page.shape[1], y + 2), 0.72, 1)
    page[:, 200:] *= 0.8  # a shadow over half the number
    crops = extract_digits(png_bytes(np.round(page * 255).astype(np.uint8)))
    assert len(crops) == 4
    assert [crop.box[0] for crop in crops] == sorted(crop.box[0] for crop in crops)


def test_a_blank_lined_page_has_no_digit():
    page = np.ones((200, 300), np.float32) * 0.95
    for y in range(15, 200, 25):
        cv2.line(page, (0, y), (300, y), 0.7, 1)
    mask = ink_mask(ink_map(page))
    assert find_digit_boxes(mask) == []


def test_brush_drawn_training_digits_look_like_served_inputs(mnist_test):
    rng = np.random.default_rng(0)
    same_shape = 0
    for picture in mnist_test.images[:100].reshape(-1, 28, 28):
        drawn = brush_drawn(picture, rng)
        assert drawn.shape == (28, 28) and drawn.dtype == np.uint8
        rows, columns = np.nonzero(drawn > 30)
        assert max(np.ptp(rows), np.ptp(columns)) <= 21  # in the 20x20 box, as MNIST and the server
        assert 10 <= rows.mean() <= 17 and 10 <= columns.mean() <= 17  # centred by mass
        # The same digit: its pieces and loops survive the brush (a 0 stays a ring, an 8 keeps two).
        same_shape += pen.shape_of(drawn / 255) == pen.shape_of(picture / 255)
    # At 28x28 a few MNIST digits have a pinhole loop or a one-pixel break that no brush keeps.
    assert same_shape >= 90
    again = brush_drawn(mnist_test.images[0].reshape(28, 28), np.random.default_rng(5))
    assert np.array_equal(again, brush_drawn(mnist_test.images[0].reshape(28, 28), np.random.default_rng(5)))


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


def test_brush_drawn_copies_are_the_same_in_parallel_and_in_one_process(mnist_test):
    pictures = mnist_test.images[:2400].reshape(-1, 28, 28)
    parallel = brush_drawn_versions(pictures, seed=3)
    assert parallel.shape == (2400, 28, 28)
    np.testing.assert_array_equal(parallel[[0, 1799, 2399]],
                                  np.stack([brush_drawn(pictures[i], np.random.default_rng([3, 7, i]))
                                            for i in (0, 1799, 2399)]))
