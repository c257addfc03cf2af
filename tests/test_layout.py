"""The page's layout: numbers split by the writing's own scale, two lines never merged, bounded work."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from digits.errors import PictureError
from digits.preprocess import extract_page, lay_out
from digits.preprocess.layout import split_numbers
from digits.preprocess.segment import Box, Group
from digits.reading import read_picture
from digits.web.state import service_of
from tests.helpers import png_bytes


def marks_at(lefts: list[int], width: int, height: int) -> list[Group]:
    return [Group(Box(x, 0, width, height), width * height, (index,)) for index, x in enumerate(lefts)]


@pytest.mark.parametrize("scale", [1, 3])
def test_numbers_are_split_where_the_gap_is_wide_for_the_writing(scale):
    # Digits 20 wide and 30 tall, 6 apart within a number and 40 apart between numbers.
    lefts = [0, 26, 52, 112, 138, 218]
    numbers = split_numbers(marks_at([x * scale for x in lefts], 20 * scale, 30 * scale), 30 * scale)
    assert [[mark.box.x // scale for mark in number] for number in numbers] == [[0, 26, 52], [112, 138], [218]]


def test_evenly_spaced_digits_stay_one_number():
    numbers = split_numbers(marks_at([0, 30, 60, 90], 20, 30), 30)
    assert len(numbers) == 1


def test_a_gap_under_a_digits_height_still_ends_a_number_when_the_digits_sit_close():
    # Digits 30 tall and 6 apart; the numbers 24 apart (0.8 of a height), as people space words.
    numbers = split_numbers(marks_at([0, 26, 52, 96, 122], 20, 30), 30)
    assert [[mark.box.x for mark in number] for number in numbers] == [[0, 26, 52], [96, 122]]


def test_a_one_digit_number_a_words_space_from_a_short_number_stays_apart():
    # "24 7": one gap between digits (6) and one between numbers (27, 0.9 of a height).
    numbers = split_numbers(marks_at([0, 26, 73], 20, 30), 30)
    assert [[mark.box.x for mark in number] for number in numbers] == [[0, 26], [73]]


def test_digits_written_far_apart_stay_one_number():
    # Every gap 24 (0.8 of a height): the writing's own spacing, not a space between numbers.
    assert len(split_numbers(marks_at([0, 44, 88, 132], 20, 30), 30)) == 1


def test_two_lines_of_digits_are_read_as_two_lines_never_one_digit_over_another(shipped_app, mnist_test):
    # The "721 / 041": MNIST test digits, the 7 right above the 0.
    digits = mnist_test.images.reshape(-1, 28, 28)
    index = {digit: int(np.flatnonzero(mnist_test.labels == digit)[0]) for digit in range(10)}
    page = np.zeros((100, 120), np.uint8)
    for row, text in enumerate(("721", "041")):
        for column, character in enumerate(text):
            page[8 + 44 * row:36 + 44 * row, 10 + 32 * column:38 + 32 * column] = digits[index[int(character)]]
    service = service_of(shipped_app)
    reading = read_picture(png_bytes(255 - page), service.readers(service.default_classifier))
    assert reading.text == "721\n041" and reading.number == "721041"


def test_the_lines_and_numbers_of_a_page_come_back_with_their_boxes():
    page = np.zeros((300, 500), np.uint8)
    for top, lefts in ((30, (40, 80, 250, 290)), (170, (40, 80, 120))):
        for x in lefts:
            cv2.line(page, (x, top), (x + 6, top + 80), 255, 10)
    lines = lay_out(page)
    assert [[len(number.parts) for number in line.numbers] for line in lines] == [[2, 2], [3]]
    (first, second) = extract_page(png_bytes(255 - page))
    assert first.box[1] + first.box[3] < second.box[1]


def test_every_mark_gets_a_strip_for_the_sequence_reader_and_only_wide_ones_may_be_split():
    page = np.zeros((120, 400), np.uint8)
    cv2.line(page, (40, 20), (46, 100), 255, 10)  # a 1
    cv2.ellipse(page, (160, 60), (22, 40), 0, 0, 360, 255, 10)  # a 0
    cv2.rectangle(page, (260, 20), (380, 100), 255, 10)  # a mark as wide as two digits
    (line,) = extract_page(png_bytes(255 - page))
    assert sum(number.part_count for number in line.numbers) == 3
    assert [strip.wide for number in line.numbers for strip in number.strips] == [False, False, True]


def test_the_marks_a_candidate_would_join_are_framed_as_one_strip():
    page = np.zeros((120, 200), np.uint8)
    cv2.line(page, (40, 20), (40, 70), 255, 8)  # a 4 whose strokes do not meet: two marks
    cv2.line(page, (40, 70), (66, 70), 255, 8)
    cv2.line(page, (80, 20), (80, 100), 255, 8)
    (line,) = extract_page(png_bytes(255 - page))
    joins = [(crop.candidate.first, crop.candidate.last) for number in line.numbers for crop in number.candidates
             if crop.candidate.last > crop.candidate.first]
    strips = [(strip.part, strip.joined_last) for number in line.numbers for strip in number.joined_strips]
    assert joins and strips == joins
    assert not any(strip.wide for number in line.numbers for strip in number.joined_strips)


def test_a_picture_of_hundreds_of_close_marks_is_refused_within_a_second():
    # The audit's picture: a bar at x=5..7 and 480 dashes, 50 pixels tall, at y = 100 + (x mod 3) * 55.
    page = np.full((480, 640), 255, np.uint8)
    page[:, 5:8] = 0
    for x in range(20, 500):
        top = 100 + (x % 3) * 55
        page[top:top + 50, x] = 0
    started = time.perf_counter()
    with pytest.raises(PictureError, match="too many marks") as raised:
        extract_page(png_bytes(page))
    assert raised.value.status == 422
    assert time.perf_counter() - started < 1.0
