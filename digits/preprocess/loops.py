"""Loops that blur filled in: a bold stroke photographed out of focus closes a digit's loops in the
ink mask (an 8 becomes a blob read 1), while the ink map still shows them as lighter ink; a
higher ink level opens them again."""

from __future__ import annotations

import cv2
import numpy as np

from digits.pen import count_pieces
from digits.preprocess.strokes import strong_ink

# Marks at least twice this tall are judged on a copy shrunk by a whole factor, 64 to 127 pixels tall.
ANALYSIS_HEIGHT = 64
# Ink levels tried, as shares of the mark's strong ink (its 95th percentile), lowest first: the
# lowest that opens a loop keeps the most of the strokes.
LEVELS = (0.5, 0.65, 0.8)
# Paper or ink smaller than this share of the mark's height, squared, is grain, not a loop or a piece.
LEAST_SHARE = 0.06
# A loop is paper at least this far from the ink somewhere (chamfer distance, pixels): about 4
# pixels across. Narrower "loops" were gaps in a faint ruled line that crossed a close crop.
LEAST_HALF_WIDTH = 1.6
# The paper's brightness is a closing of the picture (digits.preprocess.ink): inside a stroke
# wider than the closing, the ink map fades towards the stroke's middle. So a loop is opened
# only where every pixel it frees lies nearer the mark's edge than this share of the closing.
# On the benchmarks' marker photos, the faded middles of solid strokes that opened as loops (a 1
# read 0 or 8) lay 0.42 to 0.77 of the closing deep; loops in real digits mostly under 0.25.
# At 0.5, two loops 0.40 and 0.44 deep were opened in numbers, and three faded strokes in close
# crops; at 0.35, neither.
DEEPEST_SHARE_OF_CLOSING = 0.35


def reopen_loops(ink: np.ndarray, mask: np.ndarray, closing: float) -> np.ndarray:
    """Return a mark's mask at a higher ink level where that opens loops that blur filled in, else the mask.

    ``ink``: the ink map over the mark's box (0..1); ``mask``: the mark's pixels (uint8 0/255);
    ``closing``: the width, in these pixels, of the closing the ink map's paper was found with.
    The higher level must keep every piece of the mark whole: a faint stroke that would break
    is left as it is.
    """
    if cv2.countNonZero(mask) < 30:
        return mask
    strong = strong_ink(ink, mask)
    level = _level_that_opens_loops(ink, mask, strong)
    if level is None:
        return mask
    higher = cv2.bitwise_and(mask, cv2.compare(ink, level * strong, cv2.CMP_GE))
    freed = cv2.subtract(mask, higher) > 0
    if not freed.any():  # the level was judged on a shrunk copy; at full size it frees nothing
        return mask
    depth = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    return higher if float(depth[freed].max()) < DEEPEST_SHARE_OF_CLOSING * closing else mask


def _level_that_opens_loops(ink: np.ndarray, mask: np.ndarray, strong: float) -> float | None:
    """Return the lowest of LEVELS at which the mark opens a loop with its strokes whole, or None.

    A large mark is judged on a copy shrunk to under twice ANALYSIS_HEIGHT: the model sees a
    digit 20 pixels tall, and the full size cost milliseconds for nothing more.
    """
    factor = mask.shape[0] // ANALYSIS_HEIGHT
    if factor >= 2:
        size = (max(1, mask.shape[1] // factor), mask.shape[0] // factor)
        ink = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
        mask = cv2.compare(cv2.resize(mask, size, interpolation=cv2.INTER_AREA), 127, cv2.CMP_GT)
    least = max(3, int((LEAST_SHARE * mask.shape[0]) ** 2))
    pieces, loops = count_pieces(mask, least), wide_loops(mask, least)
    for level in LEVELS:
        higher = cv2.bitwise_and(mask, cv2.compare(ink, level * strong, cv2.CMP_GE))
        if count_pieces(higher, least) > pieces:
            return None  # the strokes break before any loop opens: the level is too high
        if wide_loops(higher, least) > loops:
            return level
    return None


def wide_loops(mask: np.ndarray, least: int) -> int:
    """Count the loops of a mask (uint8 0/255) of at least ``least`` pixels and LEAST_HALF_WIDTH across."""
    # Paper, with a border that joins all the paper around the mark into one region.
    paper = cv2.copyMakeBorder(cv2.compare(mask, 0, cv2.CMP_EQ), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    if count <= 2:  # only the paper around the mark
        return 0
    deep = cv2.distanceTransform(paper, cv2.DIST_L2, 3) >= LEAST_HALF_WIDTH
    wide = np.bincount(labels[deep], minlength=count) > 0
    wide[labels[0, 0]] = False  # the paper around the mark is no loop
    return int(np.count_nonzero(wide & (stats[:, cv2.CC_STAT_AREA] >= least)))
