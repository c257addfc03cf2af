"""Stage 4a, underlines: erase the long level stroke a person draws under a number or a total."""

from __future__ import annotations

import cv2
import numpy as np

from digits.preprocess.lines import writing_height
from digits.preprocess.segment import Piece

# A level stroke straight for at least this many digit heights is rarely a digit's: the bar of
# a 7 or the base of a 2 is mostly under one height, and touching digits rarely line theirs up.
UNDERLINE_LENGTH = 1.5
# A shorter one, down to this length, is an underline only where it stands apart from the
# writing and reaches past it on both sides by OVERHANG heights (under one digit): the base of
# a 2 or the bar of a 4 is joined to the digit's other strokes, and a 2's base may reach past
# its top on both sides.
SHORT_UNDERLINE = 0.8
OVERHANG = 0.05
# A long one too, where over it lies a single mark narrower than this many heights (one digit).
WIDE_MARK = 1.2
# An underline stands apart from the writing: the digits touch it along at most this share of
# its length. (Along the bottoms of bold touching digits a straight edge runs as long, with
# their strokes right above it.)
TOUCHED = 0.5
# An underline is a pen stroke: at most this share of the digits' height thick.
UNDERLINE_THICKNESS = 0.3
# Straight enough: a line drawn by hand under a number rises or falls this little per column.
UNDERLINE_SLOPE = 0.15
# How far (pixels) the straight run may wander up and down and still count as one stroke.
WANDER = 3
# How far above a level stroke (digit heights) the writing it underlines is sought, and how
# far beside the piece that holds it.
ABOVE = 1.2
BESIDE = 0.5


def erase_underlines(mask: np.ndarray, pieces: list[Piece], labels: np.ndarray) -> np.ndarray | None:
    """Return the mask with the underlines erased, or None where no piece holds one.

    Only pieces wider than most digits are looked at. An underline lies under writing: a
    digit's ink within a height above it, and little below it (a level stroke through the
    middle of the writing is left alone). A stroke that crosses an underline (the tail of a 9
    written through it) is kept where it crosses; an underline that touches the digits above
    it no longer joins them. ``labels``: the pieces' component labels (find_pieces).
    """
    if not pieces:
        return None
    height = writing_height(pieces)
    shortest = int(SHORT_UNDERLINE * height)
    if shortest < 12:  # writing a few pixels tall: a line and a stroke cannot be told apart
        return None
    erased = None
    for piece in pieces:
        if piece.box.width < shortest:
            continue
        x, y, w, h = piece.box
        # The writing an underline is under may be a piece of its own, above it or wider.
        top, side = max(0, y - int(ABOVE * height)), int(BESIDE * height)
        left = max(0, x - side)
        window = (slice(top, y + h), slice(left, min(mask.shape[1], x + w + side)))
        # The straight runs are sought in the piece's own box only: it alone holds its ink.
        own = np.where(labels[y:y + h, x:x + w] == piece.label, 255, 0).astype(np.uint8)
        band = _underline_band(own, (x - left, y - top), mask[window] > 0, height)
        if band is None:
            continue
        if erased is None:
            erased = mask.copy()
        erased[window][band > 0] = 0
    return erased


def _underline_band(own: np.ndarray, offset: tuple[int, int], ink: np.ndarray, height: float) -> np.ndarray | None:
    """Return the pixels of a piece's underline to erase (in ``ink``'s window), or None where it holds none.

    ``own``: the piece's mask (uint8) in its box, at ``offset`` (columns, rows) in a window
    reaching above and beside it; ``ink``: all ink in that window.
    """
    shortest = int(SHORT_UNDERLINE * height)
    # A quick test first, so most digits cost a row count: a level run needs a few rows that
    # together hold that much ink.
    per_row = np.count_nonzero(own, axis=1)
    if len(per_row) < WANDER or np.convolve(per_row, np.ones(WANDER), "valid").max() < shortest:
        return None
    thickened = cv2.dilate(own, np.ones((WANDER, 1), np.uint8))
    runs = _opened(thickened, shortest)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    if count < 2:
        return None
    band = None
    for index in range(1, count):
        if stats[index, cv2.CC_STAT_WIDTH] < shortest:
            continue
        ys, xs = np.nonzero((labels == index) & (own > 0))
        if len(xs) < shortest:
            continue
        xs, ys = xs + offset[0], ys + offset[1]
        slope, intercept = np.polyfit(xs, ys, 1)
        thickness = float(np.percentile(np.bincount(xs)[np.unique(xs)], 20))
        if abs(slope) > UNDERLINE_SLOPE or thickness > UNDERLINE_THICKNESS * height:
            continue
        half = thickness / 2 + 1.5
        first, last = int(xs.min()), int(xs.max())
        # Long: straight for the whole length at once, not a chain of shorter straight
        # stretches (the gently curved base of a wide 2).
        short = _longest_level_run(labels, stats[index], index) < int(UNDERLINE_LENGTH * height)
        above, below = _ink_above_and_below(ink, slope, intercept, half, height)
        if not (above[first:last + 1].any() and below.sum() < 0.25 * above.sum()):
            continue
        line = _line_pixels(ink.shape, slope, intercept, half, int(first - thickness), int(last + thickness))
        if (short or not _several_digits_above(ink, line, above, first, last, height)) and not _reaches_past(
                above, first, last, height):
            continue
        touched = _touched(ink, line)
        if touched.mean() > TOUCHED:
            continue
        if short and touched.any():
            continue
        line[:, _crossed(ink, line)] = 0
        band = line if band is None else np.maximum(band, line)
    return band


def _opened(mask: np.ndarray, length: int) -> np.ndarray:
    """Return the level runs at least ``length`` long: an opening with nothing beyond the box's edges."""
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, length), np.uint8),
                            borderType=cv2.BORDER_CONSTANT, borderValue=0)


def _longest_level_run(labels: np.ndarray, stats: np.ndarray, index: int) -> int:
    """Return the longest stretch of one row that a straight run's component fills without a break."""
    left, top, width, height = (int(value) for value in stats[:4])
    rows = np.pad((labels[top:top + height, left:left + width] == index).astype(np.int8), ((0, 0), (1, 1)))
    steps = np.diff(rows, axis=1)
    starts, ends = np.nonzero(steps == 1), np.nonzero(steps == -1)
    return int((ends[1] - starts[1]).max()) if len(starts[1]) else 0


def _ink_above_and_below(ink: np.ndarray, slope: float, intercept: float, half: float,
                         height: float) -> tuple[np.ndarray, np.ndarray]:
    """Return, per column, the ink within ABOVE heights over the line, and the ink under it."""
    rows = np.arange(ink.shape[0])[:, None]
    centre = slope * np.arange(ink.shape[1])[None, :] + intercept
    above = ink & (rows < centre - half) & (rows >= centre - ABOVE * height)
    below = ink & (rows > centre + half)
    return np.count_nonzero(above, axis=0), np.count_nonzero(below, axis=0)


def _reaches_past(above: np.ndarray, first: int, last: int, height: float) -> bool:
    """Tell whether the line reaches past the writing above it on both sides (by OVERHANG heights)."""
    inked = np.flatnonzero(above)
    overhang = OVERHANG * height
    return first <= inked.min() - overhang and last >= inked.max() + overhang


def _several_digits_above(ink: np.ndarray, line: np.ndarray, above: np.ndarray, first: int, last: int,
                          height: float) -> bool:
    """Tell whether the writing over the line is more than one digit: two marks or more, or one as wide
    as two digits. (A wide 2's straight base may be as long as an underline, under the 2 alone.)"""
    window = np.flatnonzero(above)
    left, right = max(first, int(window.min())), min(last, int(window.max()))
    if right <= left:
        return False
    rest = np.where(ink[:, left:right + 1] & (line[:, left:right + 1] == 0), 255, 0).astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    sizable = stats[1:][stats[1:, cv2.CC_STAT_HEIGHT] >= 0.4 * height]
    return len(sizable) >= 2 or bool(len(sizable) and sizable[:, cv2.CC_STAT_WIDTH].max() >= WIDE_MARK * height)


def _line_pixels(shape: tuple[int, int], slope: float, intercept: float, half: float,
                 first: int, last: int) -> np.ndarray:
    """Return a mask of the pixels within ``half`` rows of a line, between two columns."""
    near = np.zeros(shape, np.uint8)
    first, last = max(first, 0), min(last, shape[1] - 1)
    if last < first:
        return near
    columns = np.arange(first, last + 1)
    rows = np.arange(shape[0])[:, None]
    near[:, first:last + 1] = np.abs(rows - (slope * columns + intercept)) <= half
    return near


def _crossed(ink: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Return, per column, whether a stroke crosses the line there: ink just above it and just below."""
    on_line = line.any(axis=0)
    top = np.argmax(line, axis=0)
    bottom = ink.shape[0] - 1 - np.argmax(line[::-1], axis=0)
    columns = np.arange(ink.shape[1])
    above = ink[np.clip(top - 1, 0, ink.shape[0] - 1), columns] & (top > 0)
    below = ink[np.clip(bottom + 1, 0, ink.shape[0] - 1), columns] & (bottom < ink.shape[0] - 1)
    return on_line & above & below


def _touched(ink: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Return, along the line's columns from left to right, whether ink lies just above it (within 2 pixels)."""
    on_line = np.flatnonzero(line.any(axis=0))
    top = np.argmax(line[:, on_line], axis=0)
    touched = ink[np.clip(top - 1, 0, None), on_line] | ink[np.clip(top - 2, 0, None), on_line]
    return touched & (top > 0)
