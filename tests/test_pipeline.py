"""The whole path, bytes to 28x28 inputs: boxes, polarity, pass-through, blank pages, joined alternatives,
small writing read again closer, small bold digits framed both thinned and as written."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from digits.inference import available_models, load_classifier, load_mark_checker, load_sequence_reader
from digits.preprocess import (
    PictureError,
    decode_picture,
    extract_digits,
    extract_page,
    is_bold,
    marks_of,
)
from digits.preprocess.framing import SMALL_DIGIT
from digits.preprocess.pipeline import SMALL_WRITING, look, page_from_decoded, reaches_the_edge, region_to_zoom
from digits.reading import Readers, prepare, read_prepared
from digits.reading.reader import both_readers
from digits.web.state import service_of
from tests.helpers import pil_bytes, png_bytes, stroke_digit


@pytest.mark.parametrize("ink, paper", [(0, 255), (255, 0)])
def test_both_polarities_give_the_same_input(ink, paper):
    one = extract_digits(png_bytes(stroke_digit(ink=ink, paper=paper)))[0].pixels
    other = extract_digits(png_bytes(stroke_digit(ink=paper, paper=ink)))[0].pixels
    assert one.max() == 255 and one[:, 0].max() == 0
    assert np.abs(one.astype(int) - other.astype(int)).mean() < 3


def test_off_centre_small_digit_is_found_and_boxed():
    picture = stroke_digit(size=(400, 600), box=(450, 40, 520, 140))
    crops = extract_digits(png_bytes(picture))
    assert len(crops) == 1
    x, y, w, h = crops[0].box
    assert 440 <= x <= 460 and 30 <= y <= 50 and 60 <= w <= 90 and 90 <= h <= 115


def test_mnist_sized_picture_passes_through_unchanged(mnist_test):
    for index in range(20):
        pixels = mnist_test.images[index].reshape(28, 28)
        crops = extract_digits(png_bytes(pixels))
        np.testing.assert_array_equal(crops[0].pixels, pixels)
        inverted = extract_digits(png_bytes(255 - pixels))
        np.testing.assert_array_equal(inverted[0].pixels, pixels)


def test_blank_pages_have_no_digit():
    for paper in (0, 255, 128):
        with pytest.raises(PictureError, match="no digit found") as raised:
            extract_digits(png_bytes(np.full((200, 300), paper, np.uint8)))
        assert raised.value.status == 422


def bold_row_of_digits(count: int = 3, stroke: int = 14) -> np.ndarray:
    """A white page with ``count`` bold vertical bars (like 1s), as floats in [0, 1]."""
    page = np.ones((120, 90 * count), np.float32)
    for index in range(count):
        x = 45 + 90 * index
        cv2.line(page, (x, 25), (x, 95), 0.1, stroke)
    return page


def test_a_number_on_lined_paper_with_a_shadow_reads_as_its_digits():
    page = bold_row_of_digits(4)
    for y in range(10, 120, 22):
        cv2.line(page, (0, y), (page.shape[1], y + 2), 0.72, 1)
    page[:, 200:] *= 0.8  # a shadow over half the number
    crops = extract_digits(png_bytes(np.round(page * 255).astype(np.uint8)))
    assert len(crops) == 4
    assert [crop.box[0] for crop in crops] == sorted(crop.box[0] for crop in crops)


def four_in_two_strokes() -> np.ndarray:
    """A 4 written as an 'L' and a separate upright stroke that does not touch it."""
    page = np.full((280, 320), 255, np.uint8)
    cv2.line(page, (100, 40), (70, 150), 0, 14, cv2.LINE_AA)
    cv2.line(page, (70, 150), (150, 150), 0, 14, cv2.LINE_AA)
    cv2.line(page, (172, 50), (168, 240), 0, 14, cv2.LINE_AA)
    return page


def test_a_digit_in_two_pieces_gets_a_joined_alternative_framed_as_one_digit(shipped_app):
    (line,) = extract_page(png_bytes(four_in_two_strokes()))
    (number,) = line.numbers
    assert number.part_count == 2
    alone = [c.crop for c in number.candidates if c.first == c.last]
    (joined,) = [c.crop for c in number.candidates if (c.first, c.last) == (0, 1)]
    x, y, w, h = joined.box
    assert x == alone[0].box[0] and x + w == alone[1].box[0] + alone[1].box[2]  # spans both pieces
    classifier = service_of(shipped_app).default_classifier
    assert int(classifier.probabilities(joined.pixels[None]).argmax()) == 4


def test_digits_written_apart_get_no_joined_alternative():
    page = np.full((200, 400), 255, np.uint8)
    for x in (80, 200, 320):
        cv2.line(page, (x, 40), (x - 5, 160), 0, 12, cv2.LINE_AA)
    candidates = [c for line in extract_page(png_bytes(page)) for n in line.numbers for c in n.candidates]
    assert len(candidates) == 3 and all(c.first == c.last for c in candidates)


def small_number_on_a_big_page(digit_height: int = 80, side: tuple[int, int] = (2400, 3200)) -> tuple[bytes, list]:
    """A JPEG page ``side`` (height, width) with three 7s ``digit_height`` tall near its middle; their boxes."""
    height, width = side
    page = np.full(side, 250, np.uint8)
    boxes = []
    for index in range(3):
        x0 = width // 2 - 2 * digit_height + index * digit_height
        y0 = height // 2 - digit_height // 3
        box = (x0, y0, x0 + digit_height * 2 // 3, y0 + digit_height)
        page = np.minimum(page, stroke_digit(size=side, ink=30, paper=250, thickness=max(2, digit_height // 8),
                                             box=box))
        boxes.append(box)
    return pil_bytes(Image.fromarray(page).convert("RGB"), "JPEG", quality=92), boxes


def test_small_writing_on_a_big_page_is_read_again_closer():
    data, drawn = small_number_on_a_big_page()
    first = look(decode_picture(data))
    # At the working size the digits are about 16 pixels tall: small enough to read again.
    assert max(mark.box[3] for mark in marks_of(first.lines)) * 640 / 3200 < SMALL_WRITING
    x, y, w, h = region_to_zoom(first)
    assert x <= drawn[0][0] and y <= drawn[0][1] and x + w >= drawn[-1][2] and y + h >= drawn[-1][3]
    assert max(w, h) < 640  # the region is decoded with all its pixels
    steps = []
    marks = marks_of(extract_page(data, on_step=steps.append))
    assert "the writing read again closer" in steps
    assert len(marks) == 3
    for mark, (left, top, right, bottom) in zip(marks, drawn, strict=True):
        mx, my, mw, mh = mark.box  # in the whole picture's pixels, where the digit was drawn
        assert abs(mx - left) <= 8 and abs(my - top) <= 8
        assert abs(mx + mw - right) <= 8 and abs(my + mh - bottom) <= 8


@pytest.mark.parametrize("digit_height, side", [(400, (2400, 3200)), (20, (480, 640))])
def test_writing_already_large_enough_or_a_small_picture_is_read_once(digit_height, side):
    data, _ = small_number_on_a_big_page(digit_height, side)
    assert region_to_zoom(look(decode_picture(data))) is None


def small_number_on_a_sheet_on_a_desk(left: int) -> bytes:
    """A JPEG of a light sheet on a dark desk (from x = 400), three 7s 80 pixels tall on it from x = ``left``."""
    side = (2400, 3200)
    page = np.full(side, 70, np.uint8)
    page[300:2100, 400:2800] = 240
    for index in range(3):
        x0 = left + 80 * index
        page = np.minimum(page, stroke_digit(size=side, ink=30, paper=255, thickness=10,
                                             box=(x0, 1150, x0 + 53, 1230)))
    return pil_bytes(Image.fromarray(page).convert("RGB"), "JPEG", quality=92)


@pytest.mark.parametrize("left, closer", [(1500, True), (430, False), (520, False)])
def test_small_writing_on_a_sheet_is_read_closer_unless_its_region_reaches_the_desk(left, closer):
    page = look(decode_picture(small_number_on_a_sheet_on_a_desk(left)))
    assert page.around is not None  # the desk was found
    region = region_to_zoom(page)
    assert (region is not None) == closer
    if closer:  # the sheet's edge, read alone, would be taken for a 1: the region stays on the sheet
        x, y, w, h = region
        assert x > 400 and x + w < 2800 and y > 300 and y + h < 2100


@pytest.mark.parametrize("cut_through, reaches", [(False, False), (True, True)])
def test_a_region_read_closer_that_cuts_through_a_mark_is_told(cut_through, reaches):
    # Read alone, a sheet's edge that a region cuts through looked like a 1 before every line.
    page = stroke_digit(size=(1200, 1600), box=(760, 560, 830, 660))
    if cut_through:
        page[480:700, 585:605] = 40  # a dark mark, cut by the region's left side
    region = (595, 450, 400, 300)
    zoomed = decode_picture(png_bytes(page), region=region)
    assert reaches_the_edge(page_from_decoded(zoomed), zoomed) == reaches


def small_bold_digit(thickness: int = 12) -> np.ndarray:
    """A 7 60 pixels tall on a 300x300 picture, its strokes a fifth of its height (with 12)."""
    return stroke_digit(size=(300, 300), box=(130, 120, 160, 165), thickness=thickness)


def only_number(picture: np.ndarray):
    """The one number a picture of one mark holds, framed for both readers."""
    return prepare(png_bytes(picture)).lines[0].numbers[0]


def test_a_small_digit_whose_bold_strokes_are_thinned_is_also_framed_as_written():
    number = only_number(small_bold_digit())
    crop, strip = number.candidates[0].crop, number.strips[0]
    assert crop.box[3] <= SMALL_DIGIT
    assert crop.as_written is not None and crop.as_written.shape == (28, 28)
    assert crop.as_written.sum() > 1.3 * crop.pixels.sum()  # the same mark, its strokes as bold as written
    assert strip.as_written is not None and strip.as_written.shape[0] == 28
    assert strip.as_written.sum() > 1.3 * strip.pixels.sum()


def test_a_thin_pen_or_a_large_digit_is_framed_once():
    large = stroke_digit(size=(300, 300), thickness=40)  # bold, but its boldness is the pen's
    assert is_bold(np.where(large < 128, 255, 0).astype(np.uint8), 200)
    for picture in (small_bold_digit(thickness=4), large):
        number = only_number(picture)
        assert number.candidates[0].crop.as_written is None and number.strips[0].as_written is None
    assert only_number(large).candidates[0].crop.box[3] > SMALL_DIGIT


def test_a_thinned_digit_is_read_both_ways(tiny_classifier):
    prepared = prepare(png_bytes(small_bold_digit()))
    crop = prepared.lines[0].numbers[0].candidates[0].crop
    digit = read_prepared([prepared], Readers(tiny_classifier))[0].lines[0].numbers[0].digits[0]
    thinned, as_written = tiny_classifier.probabilities(np.stack([crop.pixels, crop.as_written]))
    np.testing.assert_allclose(digit.probabilities, both_readers(thinned, as_written), rtol=1e-6)
    assert not np.allclose(thinned, as_written)  # the two framings do read differently


def test_both_readers_read_a_thinned_digit_both_ways():
    sequence = load_sequence_reader()
    classifier = load_classifier(available_models()[0])
    prepared = prepare(png_bytes(small_bold_digit()))
    crop, strip = prepared.lines[0].numbers[0].candidates[0].crop, prepared.lines[0].numbers[0].strips[0]
    digit = read_prepared([prepared], Readers(classifier, sequence))[0].lines[0].numbers[0].digits[0]
    thinned, as_written = classifier.probabilities(np.stack([crop.pixels, crop.as_written]))
    (strip_thinned,), (strip_written,) = sequence.read([strip.pixels, strip.as_written])
    assert not np.allclose(strip_thinned.probabilities, strip_written.probabilities, rtol=0.1)
    expected = both_readers(both_readers(thinned, as_written),
                            both_readers(strip_thinned.probabilities, strip_written.probabilities))
    np.testing.assert_allclose(digit.probabilities, expected, rtol=1e-5)
    assert digit.digit == 7


def test_the_mark_checker_sees_a_thinned_digit_both_ways_too():
    from digits.reading.reader import _as_written_too, _both_checks, _framed_as_written

    checker = load_mark_checker()
    small, large = (prepare(png_bytes(picture)).lines[0].numbers[0].candidates
                    for picture in (small_bold_digit(), stroke_digit(size=(300, 300), thickness=40)))
    for candidates in (small, large):
        thinned = checker.probabilities(np.stack([candidate.crop.pixels for candidate in candidates]))[:, 0]
        joined = _as_written_too(_framed_as_written(candidates), thinned, checker, {}, _both_checks)
        if candidates is large:  # framed once: its check stands
            np.testing.assert_array_equal(joined, thinned)
            continue
        as_written = checker.probabilities(candidates[0].crop.as_written[None])[0, 0]
        np.testing.assert_allclose(joined[0], np.sqrt(thinned[0] * as_written), rtol=1e-12)
        assert not np.isclose(joined[0], thinned[0], rtol=1e-7, atol=0)  # the framing as written did count
