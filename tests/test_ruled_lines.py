"""Stage 3, ruled lines: lines erased and digits kept, the slivers of faint lines cut, thin pens spared."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.preprocess import (
    cut_thin_bridges,
    find_digit_boxes,
    ink_map,
    ink_mask,
    remove_ruled_lines,
)


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


@pytest.mark.parametrize("with_ink", [True, False])
def test_the_base_of_a_2_written_on_a_pale_line_is_kept_where_its_ink_tells_it_apart(with_ink):
    # The base covers the line exactly and is no wider: only the pen's darker ink tells it apart.
    ink = np.zeros((200, 400), np.float32)
    for y in (60, 120, 180):
        cv2.line(ink, (0, y), (399, y), 0.3, 2)  # pale printed lines
    cv2.ellipse(ink, (200, 95), (22, 22), 0, 180, 360, 0.9, 2)  # a 2 in dark ink, sitting on the line
    cv2.line(ink, (222, 95), (178, 120), 0.9, 2)
    cv2.line(ink, (178, 120), (224, 120), 0.9, 2)
    mask = np.where(ink > 0.1, 255, 0).astype(np.uint8)
    cleaned = remove_ruled_lines(mask, ink=ink if with_ink else None)
    assert cleaned[:, :150].sum() == 0 and cleaned[:, 260:].sum() == 0  # the lines are gone
    base_kept = (cleaned[117:124, 180:223].max(axis=0) > 0).mean()
    assert base_kept > 0.95 if with_ink else base_kept < 0.2  # without the ink, the base went with the line


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


@pytest.mark.parametrize("gap", [1, 3])
def test_a_line_of_squared_paper_broken_for_a_few_pixels_is_erased(gap):
    # A faint line loses a pixel or two beside a bold stroke or in glare; each half alone is too
    # short for a line, and the line left standing joined every digit it passed into one mark.
    mask = np.zeros((300, 300), np.uint8)
    for position in range(20, 300, 40):
        cv2.line(mask, (0, position), (299, position), 255, 1)
        cv2.line(mask, (position, 0), (position, 299), 255, 1)
    mask[200:200 + gap, 140] = 0
    digits = np.zeros_like(mask)
    for top in (30, 110, 190):  # a 1 in three lines, each beside the broken line
        cv2.line(digits, (128, top), (124, top + 60), 255, 7)
    cleaned = remove_ruled_lines(cv2.bitwise_or(mask, digits))
    assert np.count_nonzero(cleaned[:, 136:150]) == 0
    assert np.count_nonzero(cleaned & digits) > 0.95 * np.count_nonzero(digits)


@pytest.mark.parametrize("margin", [4, 10])
def test_the_bar_of_a_tightly_cropped_7_is_not_a_ruled_line(margin):
    # The bar spans the picture as a ruled line spans a page, but the down stroke leaves its end.
    mask = np.zeros((70, 60 + 2 * margin), np.uint8)
    cv2.line(mask, (margin, 12), (margin + 59, 12), 255, 3)
    cv2.line(mask, (margin + 59, 12), (margin + 25, 65), 255, 3)
    assert np.array_equal(remove_ruled_lines(mask), mask)


@pytest.mark.parametrize("digit", ["2", "4"])
def test_the_bar_of_a_tightly_cropped_2_or_4_is_kept(digit):
    mask = np.zeros((70, 68), np.uint8)  # a few pixels of margin each side
    if digit == "2":  # the bar at the bottom, the curve leaving its left end
        cv2.ellipse(mask, (34, 22), (26, 16), 0, 180, 360, 255, 3)
        cv2.line(mask, (60, 22), (6, 62), 255, 3)
        cv2.line(mask, (6, 62), (62, 62), 255, 3)
    else:  # the bar across the middle, the slanted stroke leaving its left end
        cv2.line(mask, (32, 3), (6, 44), 255, 3)
        cv2.line(mask, (6, 44), (62, 44), 255, 3)
        cv2.line(mask, (47, 10), (47, 67), 255, 3)
    assert np.array_equal(remove_ruled_lines(mask), mask)


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


def test_a_blank_lined_page_has_no_digit():
    page = np.ones((200, 300), np.float32) * 0.95
    for y in range(15, 200, 25):
        cv2.line(page, (0, y), (300, y), 0.7, 1)
    mask = ink_mask(ink_map(page))
    assert find_digit_boxes(mask) == []
