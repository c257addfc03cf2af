"""Stage 3, ruled lines: erase notebook lines and page edges, and cut what faint lines leave between digits."""

from __future__ import annotations

import cv2
import numpy as np

from digits.preprocess.strokes import stroke_width


def cut_thin_bridges(mask: np.ndarray) -> np.ndarray:
    """Cut the thin, long, level slivers that join bold digits: what a ruled line leaves behind.

    A line too faint to be found across the page still shows where it meets the digits and
    links neighbours into one shape. Only marks far thinner than the writing are cut, so
    thin pens, whose strokes are as thin as the lines, keep every stroke.
    """
    width = stroke_width(mask)
    thin = int(0.25 * width)
    if thin < 1:
        return mask
    column = np.ones((thin + 1, 1), np.uint8)
    # An opening, written out: OpenCV's with an even kernel is shifted a pixel and would shave
    # the edge off every level stroke.
    kept = cv2.dilate(cv2.erode(mask, column, anchor=(0, 0)), column, anchor=(0, thin))
    slivers = cv2.subtract(mask, kept)
    # Only the slivers' bounding box is labelled: on most pictures a small part of the page.
    left, top, box_width, box_height = cv2.boundingRect(slivers)
    if box_width == 0:
        return mask
    window = (slice(top, top + box_height), slice(left, left + box_width))
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(slivers[window], connectivity=8)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    long_level = (w >= max(3 * (thin + 1), 0.5 * width)) & (w >= 3 * h)
    long_level[0] = False
    if not long_level.any():
        return mask
    cut = mask.copy()
    cut[window][long_level[labels]] = 0
    return cut


def remove_ruled_lines(mask: np.ndarray, candidates: np.ndarray | None = None, slope: float = 0.0,
                       ink: np.ndarray | None = None) -> np.ndarray:
    """Erase notebook lines and page edges (long thin straight marks) from a mask, keeping digits.

    Each line is fitted as a straight band and only that band is erased, so a digit that
    touches or crosses a line keeps its strokes; the small gaps left are closed again.
    ``slope``: how the sheet's lines are known to run (rows per column), where a sheet lies turned.
    ``ink``: the ink map the mask was thresholded from; with it, a stroke written along a line
    in ink clearly darker than the line's own is kept (the base of a 2 sitting on the line).
    """
    height, width = mask.shape
    cleaned = mask
    for horizontal in (True, False):
        length = (width if horizontal else height)
        if length < 40:
            continue
        source = cleaned if candidates is None else candidates
        for along, across in _long_straight_runs(source, horizontal, slope if horizontal else 0.0):
            if _runs_on_into_a_stroke(cleaned, along, across, horizontal):
                continue
            lines, thickness, half = _fit_ruled_lines(along, across, (height, width), horizontal)
            for slope, intercept in lines:
                band = _line_band(cleaned.shape, slope, intercept, half, horizontal)
                cleaned = _erase_band(cleaned, band, thickness, half, horizontal, ink)
    return cleaned


def _long_straight_runs(source: np.ndarray, horizontal: bool, slope: float = 0.0):
    """Yield (along, across) pixel coordinates of each run that spans (nearly) the whole page.

    Lines known to run at ``slope`` (horizontal ones only) are sought on the mask sheared level.
    """
    source, rows_back = _sheared_level(source, slope) if horizontal and slope else (source, None)
    height, width = source.shape
    length = width if horizontal else height
    # Straight runs a quarter of the page long: ruled lines, rarely parts of digits.
    run = max(15, length // 4)
    kernel = np.ones((1, run) if horizontal else (run, 1), np.uint8)
    # Thin lines are never perfectly level: thicken across them so a straight run exists.
    across_kernel = np.ones((5, 1) if horizontal else (1, 5), np.uint8)
    runs = cv2.morphologyEx(cv2.dilate(source, across_kernel), cv2.MORPH_OPEN, kernel)
    # Only the runs' bounding box is labelled (often a few rows of the page, or none at all).
    left, top, box_width, box_height = cv2.boundingRect(runs)
    if box_width == 0:
        return
    window = (slice(top, top + box_height), slice(left, left + box_width))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(runs[window], connectivity=8)
    first = _pieces_of_one_line(stats, horizontal)
    for index in range(1, count):
        if first[index] != index:
            continue  # taken with the piece that begins its line
        pieces = np.flatnonzero(first == index)
        x, y = int(stats[pieces, cv2.CC_STAT_LEFT].min()), int(stats[pieces, cv2.CC_STAT_TOP].min())
        w = int((stats[pieces, cv2.CC_STAT_LEFT] + stats[pieces, cv2.CC_STAT_WIDTH]).max()) - x
        h = int((stats[pieces, cv2.CC_STAT_TOP] + stats[pieces, cv2.CC_STAT_HEIGHT]).max()) - y
        x, y = x + left, y + top
        span = w if horizontal else h
        # A ruled line runs (nearly) from edge to edge, if maybe lost for a while in a
        # shadow; a margin line runs the whole height. A tall 1 on a canvas does neither.
        start, reach = (x, 0.25) if horizontal else (y, 0.1)
        if span < 0.6 * length or start > reach * length or start + span < (1 - reach) * length:
            continue
        ys, xs = np.nonzero(np.isin(labels, pieces) & (source[window] > 0))
        if len(xs) < 3:
            continue
        xs, ys = xs + left, ys + top
        if rows_back is not None:
            ys = ys + rows_back[xs]
        yield (xs, ys) if horizontal else (ys, xs)


def _sheared_level(mask: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the mask with each column moved up or down so lines at ``slope`` lie level, and per column
    what to add to a row of it to find the row in ``mask``. Whole pixels move: nothing is resampled."""
    height, width = mask.shape
    shift = np.round(slope * (np.arange(width) - width / 2)).astype(np.int64)
    pad = int(np.abs(shift).max())
    padded = np.pad(mask, ((pad, pad), (0, 0)))
    rows = np.clip(np.arange(height + 2 * pad)[:, None] + shift[None, :], 0, height + 2 * pad - 1)
    return np.take_along_axis(padded, rows, axis=0), shift - pad


# Long runs this many pixels apart, end to end and level with each other, are one line.
LINE_BREAK = 4


def _pieces_of_one_line(stats: np.ndarray, horizontal: bool) -> np.ndarray:
    """Return, for each long run, the run that begins its line: runs end to end a few pixels apart are one.

    A faint line loses a pixel or two here and there (beside a bold stroke, in glare); each
    piece alone may then be too short for a line, and the line of squared paper left standing
    joins every digit it passes into one mark. Only runs a quarter of the page long are
    joined, never a digit's short strokes.
    """
    count = len(stats)
    first = np.arange(count)
    if count > 200:  # far more runs than a ruled page holds: bounded work, pieces taken alone
        return first
    along, size = (cv2.CC_STAT_LEFT, cv2.CC_STAT_WIDTH) if horizontal else (cv2.CC_STAT_TOP, cv2.CC_STAT_HEIGHT)
    across, thick = (cv2.CC_STAT_TOP, cv2.CC_STAT_HEIGHT) if horizontal else (cv2.CC_STAT_LEFT, cv2.CC_STAT_WIDTH)
    order = sorted(range(1, count), key=lambda index: stats[index, along])
    for position, index in enumerate(order):
        end = stats[index, along] + stats[index, size]
        for other in order[position + 1:]:
            gap = stats[other, along] - end
            if gap > LINE_BREAK:
                break
            level = (stats[other, across] < stats[index, across] + stats[index, thick]
                     and stats[index, across] < stats[other, across] + stats[other, thick])
            if gap >= 0 and level and first[other] == other:
                first[other] = first[index]
                break
    return first


def _runs_on_into_a_stroke(mask: np.ndarray, along: np.ndarray, across: np.ndarray, horizontal: bool) -> bool:
    """Tell whether a straight run turns into another stroke at one of its ends: a digit's bar, not a line.

    The bar of a 7, a 4 or a 2 spans a tightly cropped picture as a ruled line spans a page,
    but a stroke leaves it at one end, to one side (the 7's down stroke, the 2's curve). A
    ruled line ends at the picture's edge or fades out, with nothing leaving it there.
    """
    if not horizontal:
        mask = mask.T
    height, width = mask.shape
    if along.min() <= 1 and along.max() >= width - 2:
        # From edge to edge: a ruled line, even where a margin line meets it near an edge
        # (which looks like a stroke leaving it).
        return False
    for end, inward in ((int(along.min()), 1), (int(along.max()), -1)):
        rows = np.unique(across[np.abs(along - end) <= 2])
        # Several lines joined by a bold digit end together: each band is judged alone.
        for band in np.split(rows, np.flatnonzero(np.diff(rows) > 2) + 1):
            low, high = int(band[0]), int(band[-1])
            reach = max(4, 2 * (high - low + 1))
            first, last = sorted((end - inward * (reach // 2), end + inward * reach))
            columns = slice(max(first, 0), min(last + 1, width))
            above = mask[max(low - reach - 2, 0):max(low - 2, 0), columns]
            below = mask[min(high + 3, height):min(high + reach + 3, height), columns]
            # A stroke leaves on one side; a line crossing near the end (a margin line
            # meeting the ruled lines) runs on to both.
            sides = (np.count_nonzero(above) >= reach, np.count_nonzero(below) >= reach)
            if sides[0] != sides[1]:
                return True
    return False


def _fit_ruled_lines(along: np.ndarray, across: np.ndarray, shape: tuple[int, int],
                     horizontal: bool) -> tuple[list, float, float]:
    """Return the ruled lines (slope, intercept) in one run's pixels, the line's thickness and half band."""
    height, width = shape
    length = width if horizontal else height
    # The line's own thickness: the typical count of pixels across it (digits that touch it add
    # to a few positions only; a low percentile, since where digits sit on the line the counts
    # are higher).
    thickness = float(np.percentile(np.bincount(along)[np.unique(along)], 20))
    if thickness > 0.04 * (height if horizontal else width) + 3:
        return [], thickness, 0.0  # too thick for a ruled line: a big bold stroke
    # Fit the line where it runs alone (columns a digit does not also fill).
    per_position = np.bincount(along)
    alone = per_position[along] <= 2 * thickness + 2
    if alone.sum() < 3:
        return [], thickness, 0.0
    half = thickness / 2 + 1.5
    lines = _ruled_lines(_fit_lines(along[alone], across[alone], thickness), along, across, half, length)
    return lines, thickness, half


# A stroke lies along a ruled line where the band's ink is this many times the line's own.
DARKER_THAN_THE_LINE = 1.6


def _erase_band(cleaned: np.ndarray, band: np.ndarray, thickness: float, half: float,
                horizontal: bool, ink: np.ndarray | None = None) -> np.ndarray:
    """Erase a line's band from the mask, keeping strokes along or ending on it, and re-join cut strokes."""
    # Where the band holds more ink than the line itself, a stroke lies along or across the
    # line there (the bar of a 7 written on it); where ink touches the band's edge, a stroke
    # ends on the line. Those parts are kept.
    axis = 0 if horizontal else 1
    edge = cv2.subtract(cv2.dilate(band, np.ones((5, 1) if horizontal else (1, 5), np.uint8)), band)
    inked = cv2.bitwise_and(cleaned, band)
    crowded = ((np.count_nonzero(inked, axis=axis) > thickness + 2)
               | (np.count_nonzero(cv2.bitwise_and(cleaned, edge), axis=axis) > 0))
    if ink is not None:
        crowded |= _darker_than_the_line(ink, inked, axis)
    if horizontal:
        band[:, crowded] = 0
    else:
        band[crowded, :] = 0
    cleaned = cv2.bitwise_and(cleaned, cv2.bitwise_not(band))
    # Re-join the strokes the erased band cut through, across the line's direction.
    gaps = int(np.ceil(2 * half)) + 2
    closing = np.ones((gaps, 1) if horizontal else (1, gaps), np.uint8)
    rejoined = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, closing)
    return np.where(band > 0, rejoined, cleaned).astype(np.uint8)


def _darker_than_the_line(ink: np.ndarray, inked: np.ndarray, axis: int) -> np.ndarray:
    """Return, along a line, where its band holds ink far darker than the line's own: a stroke on it.

    A pen's stroke written along a ruled line (the base of a 2 or a 5 sitting on it) covers
    the line and is no wider, so only its ink tells it apart: the printed line is pale. The
    line's own ink is its typical darkest pixel across the band, along its length.
    """
    stronger = np.zeros(inked.shape[1 - axis], bool)
    # Only the band's bounding box is read: a few rows (or columns) of the page.
    left, top, width, height = cv2.boundingRect(inked)
    if width == 0:
        return stronger
    window = (slice(top, top + height), slice(left, left + width))
    darkest = np.where(inked[window] > 0, ink[window], 0).max(axis=axis)
    present = np.count_nonzero(inked[window], axis=axis) > 0
    line_ink = float(np.median(darkest[present]))
    start = left if axis == 0 else top
    stronger[start:start + len(darkest)] = present & (darkest > DARKER_THAN_THE_LINE * line_ink)
    return stronger


def _fit_lines(along: np.ndarray, across: np.ndarray, thickness: float, depth: int = 0) -> list:
    """Fit straight lines to pixels that may belong to several parallel lines joined by a digit."""
    if len(along) < 3 or np.ptp(along) < 10:
        return []
    slope, intercept = np.polyfit(along, across, 1)
    residual = across - (slope * along + intercept)
    if np.abs(residual).max() <= thickness + 2 or depth >= 4:
        return [(slope, intercept)]
    return (_fit_lines(along[residual > 0], across[residual > 0], thickness, depth + 1)
            + _fit_lines(along[residual <= 0], across[residual <= 0], thickness, depth + 1))


def _ruled_lines(fits: list, along: np.ndarray, across: np.ndarray, half: float, length: int) -> list:
    """Keep the fitted lines that are ruled lines: long, and parallel to the best-supported one.

    Pixels of a bold digit on the page can bend a fit through the digit; such a fit holds
    few of the component's pixels over the page's length, and is not parallel to the rest.
    """
    if not fits:
        return []
    support = []
    for slope, intercept in fits:
        near = np.abs(across - (slope * along + intercept)) <= half + 0.5
        support.append(len(np.unique(along[near])))
    best_slope = fits[int(np.argmax(support))][0]
    return [fit for fit, held in zip(fits, support, strict=True)
            if held >= 0.4 * length and abs(fit[0] - best_slope) <= 0.035]


def _line_band(shape: tuple, slope: float, intercept: float, half: float, horizontal: bool) -> np.ndarray:
    """Return a mask of the pixels within ``half`` of a straight line across the picture."""
    height, width = shape
    length, limit = (width, height) if horizontal else (height, width)
    positions = np.arange(length)
    centre = slope * positions + intercept
    band = np.zeros(shape, np.uint8)
    for offset in np.arange(-half, half + 0.5, 0.5):
        across_index = np.round(centre + offset).astype(int)
        inside = (across_index >= 0) & (across_index < limit)
        if horizontal:
            band[across_index[inside], positions[inside]] = 255
        else:
            band[positions[inside], across_index[inside]] = 255
    return band
