"""Stage 2b, the sheet: a photographed sheet lying on a darker desk is read as paper, and the desk is not ink."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.preprocess import ink_is_dark, page_from_grey
from digits.preprocess import sheet as sheet_module
from digits.preprocess.desk import surround_of_sheet
from digits.preprocess.ruled_lines import remove_ruled_lines
from digits.preprocess.sheet import Sheet, find_sheet, light_sheet_on_dark, outside_the_sheet


def sheet_on_a_desk(desk: float = 0.25, margin: int = 60, numbers: int = 3) -> np.ndarray:
    """A grey photo (floats in [0, 1]) of a light sheet, turned a little, on a dark desk, with numbers of 0s on it."""
    height, width = 360, 520
    photo = np.full((height, width), desk, np.float32)
    corners = np.array([[margin, margin + 8], [width - margin, margin], [width - margin + 6, height - margin],
                        [margin + 4, height - margin + 5]], np.int32)
    cv2.fillConvexPoly(photo, corners, 0.85)
    for number in range(numbers):  # numbers of three 0s, on one line
        left = 100 + 130 * number
        for digit in range(3):
            cv2.ellipse(photo, (left + 28 * digit, 175), (8, 20), 0, 0, 360, 0.15, 4)
    return cv2.GaussianBlur(photo, (0, 0), 1.0)


def test_a_sheet_on_a_dark_desk_is_read_as_dark_ink_on_paper():
    photo = sheet_on_a_desk()
    border = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]])
    assert np.median(border) < 0.3  # the edge alone says light ink on a dark ground
    assert light_sheet_on_dark(photo) and ink_is_dark(photo) is True
    lines = page_from_grey(photo)
    assert len(lines) == 1
    assert [len([c for c in number.candidates if c.first == c.last]) for number in lines[0].numbers] == [3, 3, 3]


@pytest.mark.parametrize("margin", [12, 60])
def test_the_desk_around_the_sheet_is_not_a_mark(margin):
    # A strip of desk (the sheet nearly fills the photo) and a wide surround both stay out of the reading.
    lines = page_from_grey(sheet_on_a_desk(margin=margin))
    assert len(lines) == 1
    x, y, width, height = lines[0].box
    assert 85 <= x and x + width <= 440 and 150 <= y and y + height <= 200  # the writing alone


def test_a_circle_drawn_round_a_number_is_not_a_desk():
    # It encloses the writing as a ring of desk does, but it is as thick as the writing's strokes.
    mask = np.zeros((300, 400), np.uint8)
    for x in (150, 190, 230):
        cv2.line(mask, (x, 120), (x - 4, 180), 255, 6)
    cv2.ellipse(mask, (190, 150), (110, 70), 0, 0, 360, 255, 7)
    assert surround_of_sheet(mask) is None


def test_light_strokes_on_a_dark_ground_are_not_a_sheet():
    # A bold 0 drawn white on black: one light shape with a dark mark inside, but round and hollow.
    drawing = np.zeros((280, 280), np.float32)
    cv2.ellipse(drawing, (140, 140), (80, 110), 0, 0, 360, 1.0, 40)
    assert not light_sheet_on_dark(drawing)
    assert ink_is_dark(drawing) is False
    bar = np.zeros((280, 280), np.float32)  # a bold 1 filling a close crop: square-cornered, holding nothing
    cv2.rectangle(bar, (100, 10), (180, 270), 1.0, -1)
    assert not light_sheet_on_dark(bar)


def test_a_bold_digit_cut_by_the_edge_is_not_a_surround():
    mask = np.zeros((120, 200), np.uint8)
    cv2.line(mask, (40, 0), (40, 110), 255, 24)  # a marker's 1, cut by the top edge: alone
    assert surround_of_sheet(mask) is None
    cv2.line(mask, (120, 10), (150, 110), 255, 24)  # and beside another of the same pen
    assert surround_of_sheet(mask) is None


def shadowed_ruled_sheet(turn: float = 0.0, shadow: float = 0.45) -> np.ndarray:
    """A grey photo of a ruled sheet, maybe turned, with a soft shadow over a corner, on a dark desk."""
    height, width = 420, 560
    sheet = np.full((300, 420), 0.9, np.float32)
    for y in range(40, 300, 60):  # ruled lines from edge to edge of the sheet
        cv2.line(sheet, (0, y), (419, y), 0.55, 2)
    for row, y in enumerate((30, 90, 150, 210)):  # a number of three 0s between each two ruled lines
        for digit in range(3):
            cv2.ellipse(sheet, (90 + 60 * row + 28 * digit, y - 2 + 30), (9, 21), 0, 0, 360, 0.12, 4)
    shade = np.zeros_like(sheet)
    cv2.ellipse(shade, (420, 300), (260, 200), 0, 0, 360, 1.0, -1)  # a hand's shadow over a corner, soft
    sheet *= 1 - shadow * cv2.GaussianBlur(shade, (0, 0), 30)
    photo = np.full((height, width), 0.22, np.float32)
    turned = cv2.getRotationMatrix2D((210, 150), turn, 1.0)
    turned[:, 2] += (70, 60)
    on_desk = cv2.warpAffine(sheet, turned, (width, height), borderValue=-1.0)
    photo = np.where(on_desk >= 0, on_desk, photo)
    return cv2.GaussianBlur(photo, (0, 0), 1.0)


@pytest.mark.parametrize("turn", [0.0, 5.0])
def test_a_shadowed_ruled_sheet_on_a_desk_reads_line_by_line(turn):
    # The shadow splits the sheet's light region, so no one level finds the sheet; its sharp edge
    # against the desk does. Its ruled lines run to that edge, turned with the sheet, and are erased.
    photo = shadowed_ruled_sheet(turn)
    assert light_sheet_on_dark(photo) and ink_is_dark(photo) is True
    lines = page_from_grey(photo)
    assert [sum(len([c for c in number.candidates if c.first == c.last]) for number in line.numbers)
            for line in lines] == [3, 3, 3, 3]


def test_a_lit_patch_of_a_page_that_fills_the_photo_is_not_a_sheet_on_a_desk():
    # Light falling across a page leaves a square-cornered bright patch reaching the border, its
    # edge soft; a sheet photographed close has a desk along two sides only, its edge sharp.
    corner = np.float32([[0, 0], [300, 0], [250, 200], [0, 200]])
    assert outside_the_sheet(Sheet(corner, edged=False), (400, 600)) is None
    outside = outside_the_sheet(Sheet(corner, edged=True), (400, 600))
    assert outside[-1].all() and outside[:, -1].all() and not outside[100, 100]
    on_desk = np.float32([[40, 30], [560, 40], [550, 370], [50, 360]])
    outside = outside_the_sheet(Sheet(on_desk, edged=False), (400, 600))
    assert outside[0].all() and outside[-1].all() and not outside[200, 300]


def test_a_bold_square_0_drawn_white_on_black_is_not_a_sheet():
    # Square-cornered and enclosed by a sharp edge, but what it encloses is mostly dark, not paper.
    drawing = np.zeros((280, 280), np.float32)
    cv2.rectangle(drawing, (50, 30), (230, 250), 1.0, 50)
    assert not light_sheet_on_dark(drawing)
    assert ink_is_dark(drawing) is False


def test_ruled_lines_turned_with_the_sheet_are_erased_when_their_slope_is_known():
    mask = np.zeros((300, 400), np.uint8)
    slope = np.tan(np.deg2rad(5))
    for y in (60, 140, 220):
        cv2.line(mask, (0, y), (399, int(y + 399 * slope)), 255, 2)
    for x in (100, 200, 300):  # digits crossing the lines
        cv2.ellipse(mask, (x, 120), (12, 30), 0, 0, 360, 255, 5)
    level_only = remove_ruled_lines(mask)
    assert level_only[int(60 + 10 * slope), 10] > 0  # sought level, a turned line is not found
    turned = remove_ruled_lines(mask, slope=slope)
    for y in (60, 140, 220):
        assert turned[int(round(y + 350 * slope)), 350] == 0 and turned[int(round(y + 20 * slope)), 20] == 0
    assert all(turned[120, x - 12 - 2:x - 12 + 3].any() for x in (100, 200, 300))  # the digits' strokes stay


def squared_paper_in_dim_light() -> np.ndarray:
    """A grey photo of squared paper filling the picture, a corner in shadow where its lines fade."""
    height, width = 480, 640
    page = np.full((height, width), 0.85, np.float32)
    for x in range(10, width, 40):
        cv2.line(page, (x, 0), (x, height), 0.45, 1)
    for y in range(10, height, 40):
        cv2.line(page, (0, y), (width, y), 0.45, 1)
    for x in (300, 340, 380):
        cv2.ellipse(page, (x, 330), (12, 24), 0, 0, 360, 0.15, 5)
    across = (np.linspace(0, 1, height, dtype=np.float32)[:, None] + np.linspace(0, 1, width, dtype=np.float32)) / 2
    light = np.clip(0.25 + 0.75 * 1.6 * across, 0.25, 1.0)
    return cv2.GaussianBlur(page * light, (0, 0), 1.0)


@pytest.mark.parametrize("kept", ["SIDES_ON_EDGES", "STEP_AT_THE_EDGE"])
def test_squared_paper_whose_lines_fade_in_shadow_is_not_a_sheet_within_its_edge(monkeypatch, kept):
    # The squares' sharp lines enclose the lit part of the page, but where they fade the region
    # is cut off in steps, and across its edge lies paper in shadow, not a desk a step darker.
    # Either rule alone keeps it out; without both, it would be taken for a sheet.
    picture = squared_paper_in_dim_light()
    sheet = find_sheet(picture)
    assert sheet is None or not sheet.edged
    dropped = {"SIDES_ON_EDGES", "STEP_AT_THE_EDGE"} - {kept}
    for name in dropped:
        monkeypatch.setattr(sheet_module, name, 0.0)
    sheet = find_sheet(picture)
    assert sheet is None or not sheet.edged
    monkeypatch.setattr(sheet_module, kept, 0.0)
    assert find_sheet(picture).edged  # what the rules are there for


def test_a_sheet_photographed_close_its_corner_cut_off_reads_line_by_line():
    # The picture's border cuts the sheet on two sides, so the border reaches paper too: the desk
    # is the part of the border clearly darker than paper.
    photo = shadowed_ruled_sheet(turn=3.0, shadow=0.2)[80:, 110:]
    sheet = find_sheet(photo)
    assert sheet is not None and sheet.edged
    lines = page_from_grey(photo)
    assert [sum(len([c for c in number.candidates if c.first == c.last]) for number in line.numbers)
            for line in lines] == [3, 3, 3, 3]
