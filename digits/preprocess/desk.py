"""Stage 2b, the desk: the marks of the ink mask that are the surround of a photographed sheet, not writing.

Where the sheet itself is not found in the picture (digits.preprocess.sheet), its surround is
still told from the writing by its marks: far thicker than the strokes, along the picture's edge.
"""

from __future__ import annotations

import cv2
import numpy as np

# A surround is this many times thicker than the writing's strokes, and at least this many pixels.
THICKER_THAN_STROKES = 3.0
THICKER_THAN_STROKES_ENCLOSING = 1.5
THINNEST_SURROUND = 8
ALONG_A_SIDE = 0.8  # or it runs along this share of a side of the picture
EDGE_CONTACT = 2.5  # a desk meets the picture's edge along this many times its thickness
NEAR_A_SIDE = 0.15  # a strip of desk along a side stays within this share of the picture from it
EDGE_INSET = 4  # pixels in from the picture's edge where the contact is judged
TALLEST_LINE_PIECE = 2.0  # marks enclosed by a desk are writing: at least this many strokes tall
WIDEST_LINE_PIECE = 1.5  # and this many wide (pieces of ruled line are flat or thin)


def surround_of_sheet(mask: np.ndarray) -> np.ndarray | None:
    """Return the mask of the dark surround of a photographed sheet (a desk), or None where there is none.

    A phone photo of a sheet shows the desk around it, darker than the paper, so it thresholds
    as ink: a ring or corners that swallow the writing into one mark. It meets the picture's
    edge along a long stretch, or encloses the writing, and is far thicker than the writing's
    strokes. A bold digit cut by the picture's edge (a close crop) has strokes like its
    neighbours', or no neighbours at all, and stays; so do ruled lines joined by the digits on
    them, thin but for the digits.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 2:
        return None
    depth = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    thickness, holds_writing = _thickness_and_writing_held(mask, labels, stats, depth)
    contact, along_a_side = _edge_contact(labels, stats)
    meets_edge = contact >= EDGE_CONTACT * thickness
    candidates = np.flatnonzero(((meets_edge | holds_writing) & (thickness >= THINNEST_SURROUND)) | along_a_side)
    if len(candidates) == 0:
        return None
    is_candidate = np.zeros(len(stats), bool)
    is_candidate[candidates] = True
    rest = (mask > 0) & ~is_candidate[labels]
    if not rest.any():
        return None  # nothing else to read: the mark is the writing itself
    strokes = 4 * float(depth[rest].mean())
    # A mark that encloses the writing need only be clearly thicker than its strokes: a circle
    # drawn round a number is as thick as they are, a desk beyond a marker's writing may be only
    # twice as thick.
    needed = np.where(holds_writing, THICKER_THAN_STROKES_ENCLOSING, THICKER_THAN_STROKES) * max(strokes, 1.0)
    chosen = candidates[(thickness[candidates] >= needed[candidates]) | along_a_side[candidates]]
    if len(chosen) == 0:
        return None
    is_chosen = np.zeros(len(stats), bool)
    is_chosen[chosen] = True
    return is_chosen[labels]


def _thickness_and_writing_held(mask: np.ndarray, labels: np.ndarray, stats: np.ndarray,
                                depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, per mark at the edge or large enough to hold a sheet, its thickness and whether it encloses the writing.

    Thickness is a mark's mean width: a band w wide holds depths (distances to its edge) evenly
    from 0 to w / 2, so 4 x their mean is w, and a ragged edge (the desk's grain) changes it
    little, where 2 x area / perimeter falls. A ring of desk, whole or broken, reaching the
    picture's edge or not (the desk beyond it is evenly dark, so not ink), holds most of the
    other ink within its hull, in several marks shaped like digits (a bold digit crossed by
    ruled lines holds flat or thin pieces of line).
    """
    height, width = mask.shape
    count = len(stats)
    left, top, right, bottom = _sides(stats)
    at_edge = (left == 0) | (top == 0) | (right == width) | (bottom == height)
    large = stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT] >= 0.25 * mask.size
    examined = at_edge | large
    examined[0] = False
    small_marks = ~examined[labels] & (mask > 0)
    # The writing's strokes, from the marks not examined; with none, nothing is enclosed.
    strokes = 4 * float(depth[small_marks].mean()) if small_marks.any() else float(max(height, width))
    thickness = np.zeros(count, np.float32)
    holds_writing = np.zeros(count, bool)
    ink = np.count_nonzero(mask)
    for index in np.flatnonzero(examined):
        window = (slice(top[index], bottom[index]), slice(left[index], right[index]))
        own = labels[window] == index
        thickness[index] = 4 * float(depth[window][own].mean())
        if thickness[index] < THINNEST_SURROUND:
            continue  # too thin for a desk, whatever it encloses
        outline, _ = cv2.findContours(own.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = np.zeros(own.shape, np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(np.vstack(outline)), 1)
        within = labels[window][(hull > 0) & ~own]
        whole = np.bincount(within, minlength=count) == stats[:, cv2.CC_STAT_AREA]
        whole[0] = False
        tall = np.count_nonzero((stats[whole, cv2.CC_STAT_HEIGHT] >= TALLEST_LINE_PIECE * strokes)
                                & (stats[whole, cv2.CC_STAT_WIDTH] >= WIDEST_LINE_PIECE * strokes))
        holds_writing[index] = np.count_nonzero(within) >= 0.5 * (ink - np.count_nonzero(own)) > 0 and tall >= 3
    return thickness, holds_writing


def _edge_contact(labels: np.ndarray, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, per mark, the longest stretch over which it fills the picture's edge, and whether it is a strip of it.

    The desk meets the edge along a stretch longer than it is thick; ruled lines only where
    each ends, a bold digit cut by the edge across its stroke. A strip of desk, where the sheet
    nearly fills the photo, runs along most of a side and stays near it. Both count only where
    the mark fills the first few pixels in from the edge: a ruled line lying along the
    picture's edge is thin, and does not.
    """
    height, width = labels.shape
    count = len(stats)
    left, top, right, bottom = _sides(stats)
    inset = min(EDGE_INSET, (min(height, width) - 1) // 2) + 1
    contact = np.zeros(count, np.int64)
    along_a_side = np.zeros(count, bool)
    near = NEAR_A_SIDE * np.array([height, height, width, width])
    reach = (bottom, height - top, right, width - left)  # how far each mark reaches from each side
    bands = (labels[:inset], labels[-inset:][::-1], labels[:, :inset].T, labels[:, -inset:][:, ::-1].T)
    for side, band in enumerate(bands):
        edge = np.where((band == band[0]).all(axis=0), band[0], 0)  # one mark from the edge inwards
        np.maximum(contact, _longest_stretches(edge, count), out=contact)
        along_a_side |= (np.bincount(edge, minlength=count) >= ALONG_A_SIDE * len(edge)) & (reach[side] <= near[side])
    along_a_side[0] = False
    contact[0] = 0
    return contact, along_a_side


def _sides(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the left, top, right and bottom of every mark's box (right and bottom exclusive)."""
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    return left, top, left + stats[:, cv2.CC_STAT_WIDTH], top + stats[:, cv2.CC_STAT_HEIGHT]


# The desk's edge is blurred into the paper: this many pixels around it go with it.
DESK_EDGE_BLUR = 7


def around_the_desk(surround: np.ndarray) -> np.ndarray:
    """Return the desk's mask grown by its blurred edge: the pixels to leave out of the ink."""
    return cv2.dilate(surround.astype(np.uint8), np.ones((DESK_EDGE_BLUR, DESK_EDGE_BLUR), np.uint8)) > 0


def box_of_sheet(around: np.ndarray, mask: np.ndarray) -> tuple[slice, slice] | None:
    """Return the sheet's box: of what the desk encloses or leaves, the part holding the most ink of ``mask``."""
    count, labels = cv2.connectedComponents((~around).astype(np.uint8), connectivity=4)
    writing = np.bincount(labels[mask > 0], minlength=count)
    writing[0] = 0
    if writing.max() == 0:
        return None
    left, top, width, height = cv2.boundingRect((labels == int(writing.argmax())).astype(np.uint8))
    return slice(top, top + height), slice(left, left + width)


def _longest_stretches(edge: np.ndarray, count: int) -> np.ndarray:
    """Return, per label, the longest stretch of one row or column of labels that it holds without a break."""
    longest = np.zeros(count, np.int64)
    changes = np.flatnonzero(np.diff(edge)) + 1
    starts = np.concatenate(([0], changes))
    lengths = np.diff(np.concatenate((starts, [len(edge)])))
    np.maximum.at(longest, edge[starts], lengths)
    return longest
