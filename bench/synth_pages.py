"""Seeded renderers of what people lay out on a page: several lines, several numbers, touching digits.

Built on bench/synth.py's pens, papers and cameras. Every function takes a numpy Generator, so
a seed fixes every picture; only MNIST *test* digits are drawn, and the models never train on
them. Each renderer returns (picture bytes, expected text): numbers separated by one space,
lines by a newline.
"""

from __future__ import annotations

import cv2
import numpy as np
from common import canvas_png
from synth import INKS, PAPERS, ink_patch, lighting, photograph, place

from digits.pen import redraw, tight
from digits.sequences import touching_gap


def choose_numbers(rng: np.random.Generator, labels: np.ndarray, lines: int, numbers_per_line: tuple[int, int],
                   digits_per_number: tuple[int, int]) -> list[list[list[int]]]:
    """Return, per line, per number, the indices of the test digits to draw."""
    layout = []
    for _ in range(lines):
        count = int(rng.integers(numbers_per_line[0], numbers_per_line[1] + 1))
        layout.append([list(rng.integers(0, len(labels), int(rng.integers(digits_per_number[0],
                                                                         digits_per_number[1] + 1))))
                       for _ in range(count)])
    return layout


def text_of(layout: list[list[list[int]]], labels: np.ndarray) -> str:
    """Return the expected reading of a layout: numbers joined by spaces, lines by newlines."""
    return "\n".join(" ".join("".join(str(labels[index]) for index in number) for number in line)
                     for line in layout)


def touching_offset(left: np.ndarray, right: np.ndarray, left_top: int, right_top: int) -> int:
    """Return how far right of the left patch's right edge the right patch may start and just touch it.

    Negative: the right digit starts inside the left one's box (their boxes overlap) where the
    left digit's ink leaves room, as in "17" or "42" written close.
    """
    return -touching_gap(left, right, left_top, right_top)


def lay_out_number(patches: list[np.ndarray], height: float, rng: np.random.Generator,
                   touching: float, baseline_jitter: float) -> list[tuple[int, int, np.ndarray]]:
    """Return (x, y, patch) for each digit of one number, x from 0; ``touching``: chance neighbours touch."""
    placed, x = [], 0
    for index, patch in enumerate(patches):
        y = int(round(height - patch.shape[0] + rng.uniform(-baseline_jitter, baseline_jitter) * height))
        if index:
            previous_x, previous_y, previous = placed[-1]
            if rng.random() < touching:
                # Touch, or overlap a little: the strokes of neighbours meet.
                offset = touching_offset(previous, patch, previous_y, y)
                x = previous_x + previous.shape[1] + offset - int(rng.uniform(0, 0.06) * height)
            else:
                x = previous_x + previous.shape[1] + int(rng.uniform(0.15, 0.42) * height)
        placed.append((x, y, patch))
    return placed


def write_page(layout, digits28: np.ndarray, rng: np.random.Generator, *, height: float, touching: float = 0.0,
               line_spacing: tuple[float, float] = (1.5, 2.3), number_gap: tuple[float, float] = (1.3, 3.5),
               tilt_degrees: float = 2.5, stroke: float = 0.0, brush: int | None = None,
               underline: bool = False, frame: bool = False):
    """Return the ink of a whole page (float 0..1) and the baseline y of each line.

    Lines start at uneven indents, run at a slight common tilt, and their baselines wander;
    ``brush`` redraws every digit with one round brush (a canvas) instead of a pen's strokes;
    ``underline`` draws a line under each number of the last line, as under a total, and
    ``frame`` a box or a ring round each, as round an answer.
    """
    rotation_range = 6
    rows = []
    for line in layout:
        numbers = []
        for number in line:
            patches = []
            for index in number:
                patch = tight(ink_patch(digits28[index], height * rng.uniform(0.9, 1.1), rng, stroke=stroke,
                                        rotation=rng.uniform(-rotation_range, rotation_range)))
                if brush is not None:
                    patch = tight(cv2.GaussianBlur(redraw(patch, brush), (3, 3), 0))
                patches.append(patch)
            numbers.append(lay_out_number(patches, height, rng, touching, baseline_jitter=0.06))
        rows.append(numbers)
    placements, baselines, y = [], [], int(0.2 * height)
    last_spans = []  # (left, right) of each number on the last line
    for numbers in rows:
        x = int(rng.uniform(0, 1.5) * height)
        last_spans = []
        for number in numbers:
            for dx, dy, patch in number:
                placements.append((x + dx, y + dy, patch))
            right = x + max(dx + patch.shape[1] for dx, _dy, patch in number)
            last_spans.append((x, right))
            x = right + int(rng.uniform(*number_gap) * height)
        baselines.append(y + height)
        y += int(rng.uniform(*line_spacing) * height)
    room = int(0.8 * height) if frame else 0  # paper for the frames round the numbers
    shift = max(0, -min(y for _x, y, _patch in placements)) + room  # a tall digit may start above the first line
    left = max(0, -min(x for x, _y, _patch in placements)) + room
    placements = [(x + left, y + shift, patch) for x, y, patch in placements]
    baselines = [baseline + shift for baseline in baselines]
    width = max(x + patch.shape[1] for x, _y, patch in placements) + int(0.2 * height) + room
    page_height = max(y + patch.shape[0] for _x, y, patch in placements) + int(0.3 * height) + room
    if underline:
        page_height = max(page_height, int(baselines[-1] + 0.6 * height))
    slope = np.tan(np.deg2rad(rng.uniform(-tilt_degrees, tilt_degrees)))
    lift = int(abs(slope) * width) + 2
    ink = np.zeros((page_height + 2 * lift, width), np.float32)
    for x, y, patch in placements:
        top = y + lift + int(round(slope * x))
        region = ink[top:top + patch.shape[0], x:x + patch.shape[1]]
        np.maximum(region, patch[:region.shape[0], :region.shape[1]], out=region)
    if underline:
        _underline(ink, [(start + left, end + left) for start, end in last_spans], baselines[-1] + lift, slope,
                   height, brush, rng)
    if frame:
        _frame(ink, [(start + left, end + left) for start, end in last_spans], baselines[-1] + lift, slope,
               height, brush, rng)
    return ink, [baseline + lift for baseline in baselines]


def _underline(ink: np.ndarray, spans: list[tuple[int, int]], baseline: int, slope: float, height: float,
               brush: int | None, rng: np.random.Generator) -> None:
    """Draw a level stroke under each span, in place: from a little before it to a little after, a little
    under the baseline (touching the lowest digits or clear of them), with the pen's or the brush's width."""
    for left, right in spans:
        start = max(0, int(left - rng.uniform(0.0, 0.3) * height))
        end = min(ink.shape[1] - 1, int(right + rng.uniform(0.0, 0.3) * height))
        drop = rng.uniform(0.05, 0.3) * height
        rise = rng.normal(0, 0.03) * height
        thickness = brush if brush is not None else max(1, int(round(rng.uniform(0.07, 0.12) * height)))
        first = (start, int(round(baseline + slope * start + drop)))
        last = (end, int(round(baseline + slope * end + drop + rise)))
        cv2.line(ink, first, last, 1.0, thickness, cv2.LINE_AA)


def _frame(ink: np.ndarray, spans: list[tuple[int, int]], baseline: int, slope: float, height: float,
           brush: int | None, rng: np.random.Generator) -> None:
    """Draw a box or a ring round each span, in place: a little above the tallest digits and under the
    baseline (touching the digits or clear of them), with the pen's or the brush's width."""
    for start, end in spans:
        thickness = brush if brush is not None else max(1, int(round(rng.uniform(0.06, 0.12) * height)))
        top, bottom = -rng.uniform(1.15, 1.35) * height, rng.uniform(0.15, 0.3) * height
        left, right = start - rng.uniform(0.15, 0.5) * height, end + rng.uniform(0.15, 0.5) * height
        if rng.random() < 0.5:  # a box, its corners where a hand puts them
            corners = [(x + rng.normal(0, 0.04) * height, baseline + slope * x + y + rng.normal(0, 0.04) * height)
                       for x, y in ((left, top), (right, top), (right, bottom), (left, bottom))]
            cv2.polylines(ink, [np.round(corners).astype(np.int32)], True, 1.0, thickness, cv2.LINE_AA)
        else:  # a ring round the number
            centre = ((left + right) / 2, baseline + slope * (left + right) / 2 + (top + bottom) / 2)
            axes = ((right - left) / 2 + 0.2 * height, (bottom - top) / 2 + 0.15 * height)
            cv2.ellipse(ink, tuple(np.round(centre).astype(int).tolist()), tuple(np.round(axes).astype(int).tolist()),
                        float(np.degrees(np.arctan(slope))), 0, 360, 1.0, thickness, cv2.LINE_AA)


def photo_of_page(layout, digits28: np.ndarray, rng: np.random.Generator, touching: float = 0.0,
                  number_gap: tuple[float, float] = (1.3, 3.5), squared: bool = False,
                  on_desk: bool = False, close_up: bool = False, sharp_shadow: bool = False,
                  wide_margin: bool = False, underlined: bool = False, framed: bool = False) -> bytes:
    """A phone photo of a page of handwritten numbers (maybe ruled, lines under the digits), as JPEG.

    ``squared`` writes them on squared paper instead, as in a maths exercise book; ``on_desk``
    photographs the sheet lying on a desk, seen at an angle, the desk around it in the photo,
    and ``close_up`` (with it) from close, so that the photo cuts the sheet on one or two sides;
    ``sharp_shadow`` casts a darker shadow with a sharper edge across the page; ``wide_margin``
    writes the numbers small on a large page, 6-12 digit heights of paper round them;
    ``underlined`` draws a line under each number of the last line, as under a total, and
    ``framed`` a box or a ring round each, as round an answer.
    """
    height = float(rng.uniform(28, 90))
    stroke = rng.choice([-0.03, 0.0, 0.0, 0.04, 0.07])
    ink, baselines = write_page(layout, digits28, rng, height=height, touching=touching, stroke=stroke,
                                number_gap=number_gap, underline=underlined, frame=framed)
    margin = int(rng.uniform(*((6, 12) if wide_margin else (0.3, 1.5))) * height) + 6
    ink = np.pad(ink, margin)
    page = np.ones((*ink.shape, 3), np.float32) * (np.array(PAPERS[rng.choice(list(PAPERS))], np.float32)
                                                    + rng.normal(0, 4, 3))
    page += rng.normal(0, 2.0, (*ink.shape, 1)).astype(np.float32)
    if squared:
        draw_squares(page, height, rng)
    elif rng.random() < 0.4:  # a ruled page: the writing sits on the lines
        line_colour = (np.array((205, 160, 120), np.float32) + rng.normal(0, 10, 3)).tolist()
        thickness = int(rng.integers(1, 3))
        for baseline in baselines:
            y = int(baseline + margin + rng.uniform(0.02, 0.12) * height)
            cv2.line(page, (0, y), (ink.shape[1], y), line_colour, thickness, cv2.LINE_AA)
    colour = np.array(INKS[rng.choice(list(INKS))], np.float32) + rng.normal(0, 6, 3)
    place(page, ink, 0, 0, colour, rng.uniform(0.8, 1.0))
    page *= lighting(*ink.shape, rng, sharp_shadow)
    if on_desk:
        page = lay_on_desk(page, rng, close_up)
    return photograph(page, rng)


DESKS = {"dark wood": (40, 60, 95), "light wood": (95, 140, 185), "grey": (110, 110, 105),
         "black": (30, 30, 32)}  # BGR


def lay_on_desk(page: np.ndarray, rng: np.random.Generator, close_up: bool = False) -> np.ndarray:
    """Return a photo of a sheet lying on a desk: the sheet seen at an angle, the desk around it.

    The desk shows 4-25% of the photo's size beyond each side; each corner of the sheet moves
    up to 8% of its size (a phone held at a slant), and the whole is turned up to 4 degrees.
    ``close_up``: the photo is then cut on one or two sides, 3% of the sheet inside where its
    edge lay before its corners moved, so the desk shows along the other sides only.
    """
    height, width = page.shape[:2]
    margin_x, margin_y = (rng.uniform(0.04, 0.25, 2) * (width, height)).astype(int)
    desk = np.array(DESKS[rng.choice(list(DESKS))], np.float32) * rng.uniform(0.8, 1.2)
    photo = np.ones((height + 2 * margin_y, width + 2 * margin_x, 3), np.float32) * desk
    photo += rng.normal(0, 5, photo.shape).astype(np.float32)  # the desk's grain
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = corners + rng.uniform(-0.08, 0.08, (4, 2)).astype(np.float32) * (width, height)
    moved += (margin_x, margin_y)
    turn = np.vstack([cv2.getRotationMatrix2D((photo.shape[1] / 2, photo.shape[0] / 2),
                                              rng.uniform(-4, 4), 1.0), (0, 0, 1)])
    moved = cv2.perspectiveTransform(moved[None], turn)[0].astype(np.float32)
    warp = cv2.getPerspectiveTransform(corners, moved)
    size = (photo.shape[1], photo.shape[0])
    sheet = cv2.warpPerspective(page, warp, size, flags=cv2.INTER_LINEAR)
    covered = cv2.warpPerspective(np.ones((height, width), np.float32), warp, size, flags=cv2.INTER_LINEAR)
    photo = photo * (1 - covered[..., None]) + sheet * covered[..., None]
    if not close_up:
        return photo
    top, bottom, left, right = 0, photo.shape[0], 0, photo.shape[1]
    for side in rng.choice(4, size=int(rng.integers(1, 3)), replace=False):
        if side == 0:
            top = margin_y + int(0.03 * height)
        elif side == 1:
            bottom = photo.shape[0] - margin_y - int(0.03 * height)
        elif side == 2:
            left = margin_x + int(0.03 * width)
        else:
            right = photo.shape[1] - margin_x - int(0.03 * width)
    return np.ascontiguousarray(photo[top:bottom, left:right])


def draw_squares(page: np.ndarray, digit_height: float, rng: np.random.Generator) -> None:
    """Draw the lines of squared paper on a page, in place: squares of 0.55-1.1 digit heights.

    A digit is written in a square or two, and the lines run across the writing.
    """
    side = rng.uniform(0.55, 1.1) * digit_height
    colour = (np.array((210, 185, 150), np.float32) + rng.normal(0, 12, 3)).tolist()
    thickness = int(rng.integers(1, 3))
    height, width = page.shape[:2]
    left, top = rng.uniform(0, side, 2)
    for x in np.arange(left, width, side):
        cv2.line(page, (int(x), 0), (int(x), height), colour, thickness, cv2.LINE_AA)
    for y in np.arange(top, height, side):
        cv2.line(page, (0, int(y)), (width, int(y)), colour, thickness, cv2.LINE_AA)


def canvas_page(layout, digits28: np.ndarray, rng: np.random.Generator, touching: float = 0.0,
                size: tuple[int, int] = (560, 420), number_gap: tuple[float, float] = (1.2, 2.0),
                underlined: bool = False, framed: bool = False) -> bytes:
    """A drawing on a canvas (black strokes on a transparent background) of one or more lines, as PNG.

    ``underlined`` draws a line under each number of the last line, as under a total, and
    ``framed`` a box or a ring round each, as round an answer.
    """
    height = float(rng.uniform(60, 110))
    brush = int(rng.uniform(0.06, 0.16) * height * 2.2) // 2 + 3
    ink, _baselines = write_page(layout, digits28, rng, height=height, touching=touching, brush=brush,
                                 line_spacing=(1.3, 1.8), number_gap=number_gap, tilt_degrees=2,
                                 underline=underlined, frame=framed)
    return canvas_png(ink, size, rng)
