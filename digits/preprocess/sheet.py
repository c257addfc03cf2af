"""Stage 2b, the sheet: a photographed sheet of paper found in the picture, so that the desk around it is not ink."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digits.preprocess.desk import DESK_EDGE_BLUR

# A sheet fills at least this share of the picture, and this share of its turned bounding box.
SMALLEST_SHEET = 0.2
SQUARE_CORNERED = 0.85
LARGEST_MARK_ON_SHEET = 0.15
SOLID = 0.75  # the sheet's light region covers this share of its hull, shadows and all
SMALLEST_PHOTO = 64  # pixels on the short side
SHEET_CONTRAST = 0.15  # the sheet is this much brighter than what surrounds it (0..1)


def light_sheet_on_dark(grey: np.ndarray) -> bool:
    """Tell whether a picture shows a light sheet of paper with writing on it, lying on a darker surround.

    Its edge is dark, which alone says the ink is light (a chalkboard, a white-on-black
    drawing). But a sheet is a large, solid region, square-cornered (a quadrilateral, even seen
    at an angle), lighter than its surround, with writing inside it, where light strokes on a
    dark ground cover little of their hull, are curved or hold no marks: a bold 0 is round and
    hollow (or, drawn square, dark inside), a bold 1 holds nothing. See find_sheet.
    """
    return find_sheet(grey) is not None


@dataclass(frozen=True)
class Sheet:
    """A photographed sheet: its outline (hull, (n, 2) points in the picture's pixels) and how it was found."""

    outline: np.ndarray
    edged: bool  # by its sharp edge against the desk; else as the picture's largest light region


def find_sheet(grey: np.ndarray) -> Sheet | None:
    """Return the light sheet with writing on a darker surround that a picture shows, or None (see
    light_sheet_on_dark)."""
    height, width = grey.shape
    if min(height, width) < SMALLEST_PHOTO:  # an MNIST file or an icon, never a photographed sheet
        return None
    factor = max(1, min(height, width) // 96)
    small = cv2.resize(grey, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    to_picture = np.float32([width / small.shape[1], height / small.shape[0]])
    # Its sharp edge outlines the whole sheet, shadows and all; the light region may be only its
    # lit part, and is taken where a desk runs all round it. A sheet cut by the picture's border
    # (taken close) is sought last: it is outlined where the desk is clearly darker.
    edges, regions, at_border = _regions_between_edges(small)
    outline = _sheet_beside(np.isin(regions, at_border), small, edges)
    if outline is not None:
        return Sheet(outline * to_picture, edged=True)
    lit = _lit_sheet(small)
    if lit is not None and _desk_share_of_border(lit, small.shape) >= DESK_ALL_ROUND:
        return Sheet(lit * to_picture, edged=False)
    outline = _sheet_beside(np.isin(regions, _darker_than_paper(small, regions, at_border)), small, edges)
    if outline is not None:
        return Sheet(outline * to_picture, edged=True)
    return None if lit is None else Sheet(lit * to_picture, edged=False)


def _lit_sheet(small: np.ndarray) -> np.ndarray | None:
    """Return the hull of the sheet as the picture's largest light region (Otsu's level), or None."""
    small8 = np.round(np.clip(small, 0, 1) * 255).astype(np.uint8)
    _level, light = cv2.threshold(small8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, hierarchy = cv2.findContours(light, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outer = [index for index in range(len(contours)) if hierarchy[0][index][3] < 0]
    largest = max(outer, key=lambda index: cv2.contourArea(contours[index]))
    area = cv2.contourArea(contours[largest])
    if not _shaped_like_a_sheet(contours[largest], small.size):
        return None
    # Writing: dark marks inside, each small beside the sheet (a bold 0's hole is not).
    holes = [cv2.contourArea(contours[index]) for index in range(len(contours))
             if hierarchy[0][index][3] == largest]
    if not holes or max(holes) > LARGEST_MARK_ON_SHEET * area:
        return None
    # The sheet must stand out from what surrounds it, not be a lighter patch of one ground.
    inside = np.zeros_like(light)
    cv2.drawContours(inside, contours, largest, 255, -1)
    if inside.all() or float(small[inside > 0].mean() - small[inside == 0].mean()) < SHEET_CONTRAST:
        return None
    return cv2.convexHull(contours[largest]).reshape(-1, 2).astype(np.float32)


def _shaped_like_a_sheet(contour: np.ndarray, picture_size: int) -> bool:
    """Tell whether a region's outline is a sheet's: large, square-cornered even seen at an angle, and solid.

    The hull counts: a shadow across the sheet bites into its light region but not into its
    outline; strokes, however bold, cover little of their hull, where paper covers it.
    """
    hull = cv2.contourArea(cv2.convexHull(contour))
    (_centre, (box_width, box_height), _angle) = cv2.minAreaRect(contour)
    return (hull >= SMALLEST_SHEET * picture_size and hull >= SQUARE_CORNERED * box_width * box_height
            and cv2.contourArea(contour) >= SOLID * hull)


# The sheet's edge against the desk is sharp where a shadow's is soft: a step of this much (0..255)
# between neighbouring pixels of the reduced picture.
SHEET_EDGE_STEP = 40
STEP_AT_THE_EDGE = 0.08  # paper just inside a sheet's edge is this much brighter than the desk just beyond
PAPER_COVERS = 0.75  # of the region inside a sheet's edge, this share is paper (brighter than the desk)
SIDES_ON_EDGES = 0.8  # of the sheet's sides (not on the picture's border), this share runs along a sharp edge


def _regions_between_edges(small: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the reduced picture's sharp edges, the regions between them, and those at its border.

    Light falling unevenly across the sheet (a shadow, a hand's) splits its light region, so no
    single level finds it; but the sheet's edge against the desk is sharp and a shadow's soft.
    The desk is what the picture's border reaches without crossing a sharp edge or, where the
    photo cuts the sheet too, the regions at the border clearly darker than paper.
    """
    small8 = np.round(np.clip(small, 0, 1) * 255).astype(np.uint8)
    edges = cv2.dilate(cv2.Canny(small8, SHEET_EDGE_STEP, 2 * SHEET_EDGE_STEP), np.ones((3, 3), np.uint8))
    _count, regions = cv2.connectedComponents((edges == 0).astype(np.uint8), connectivity=4)
    border = np.concatenate([regions[0], regions[-1], regions[:, 0], regions[:, -1]])
    return edges, regions, np.unique(border[border > 0])


def _darker_than_paper(small: np.ndarray, regions: np.ndarray, labels: np.ndarray) -> list:
    """Return the labelled regions clearly darker than paper (the picture's brightest fifth)."""
    paper = float(np.percentile(small, 80))
    return [label for label in labels if np.median(small[regions == label]) < paper - SHEET_CONTRAST]


def _desk_share_of_border(outline: np.ndarray, shape: tuple[int, int], slack: int = 3) -> float:
    """Return the share of the picture's border that lies outside an outline, give or take ``slack`` pixels."""
    inside = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(inside, np.round(outline).astype(np.int32), 1)
    reach = cv2.dilate(inside, np.ones((slack, slack), np.uint8))
    return float(np.mean(np.concatenate([reach[0], reach[-1], reach[:, 0], reach[:, -1]]) == 0))


def _sheet_beside(desk: np.ndarray, small: np.ndarray, edges: np.ndarray) -> np.ndarray | None:
    """Return the hull of the sheet that a desk (a mask of the reduced picture) leaves, or None.

    The sheet is the largest region the desk leaves, square-cornered, mostly paper (brighter
    than the desk: a bold 0's dark inside is not), holding writing, a step brighter than the
    desk across its edge, and its sides run along sharp edges.
    """
    if not desk.any():
        return None
    count, pieces, stats, _ = cv2.connectedComponentsWithStats((~desk).astype(np.uint8), connectivity=4)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    inside = (pieces == largest).astype(np.uint8)
    contours, _ = cv2.findContours(inside, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    if not _shaped_like_a_sheet(outline, small.size):
        return None
    desk_level, sheet_level = float(np.median(small[desk])), float(np.median(small[inside > 0]))
    if sheet_level - desk_level < SHEET_CONTRAST:
        return None
    if _step_across_its_edge(small, inside, desk, edges) < STEP_AT_THE_EDGE:
        return None
    if np.mean(small[inside > 0] > desk_level + 0.25 * (sheet_level - desk_level)) < PAPER_COVERS:
        return None
    # Writing: sharp edges well inside the sheet, beyond the band its own edge leaves.
    well_inside = cv2.erode(inside, np.ones((9, 9), np.uint8))
    if not (edges[well_inside > 0] > 0).any():
        return None
    hull_points = cv2.convexHull(outline).reshape(-1, 2)
    if _share_of_sides_on_edges(hull_points, edges) < SIDES_ON_EDGES:
        return None  # a region whose edge fades (squared paper in dim light) is cut off in steps
    return hull_points.astype(np.float32)


def _step_across_its_edge(small: np.ndarray, inside: np.ndarray, desk: np.ndarray, edges: np.ndarray) -> float:
    """Return how much brighter a region is just inside its edge than the desk just beyond it.

    A sheet's edge is a step from paper down to the desk; a ruled line between two strips of
    one page, the lower one in shadow, has paper on both sides.
    """
    # The region holds its edge's band (the thickened edge pixels): its rim is the paper within
    # a few pixels of it, off the band.
    rim = (inside > 0) & (cv2.erode(inside, np.ones((7, 7), np.uint8)) == 0) & (edges == 0)
    beyond = desk & (cv2.dilate(inside, np.ones((5, 5), np.uint8)) > 0)
    if not rim.any() or not beyond.any():
        return 0.0
    return float(np.median(small[rim]) - np.median(small[beyond]))


def _share_of_sides_on_edges(hull: np.ndarray, edges: np.ndarray) -> float:
    """Return the share of a hull's sides, away from the picture's border, that run along sharp edges."""
    sides = np.zeros_like(edges)
    cv2.polylines(sides, [hull.astype(np.int32)], True, 255, 1)
    sides[:2], sides[-2:], sides[:, :2], sides[:, -2:] = 0, 0, 0, 0
    drawn = np.count_nonzero(sides)
    near_edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))  # the region stops a pixel short of its edge
    return 1.0 if drawn == 0 else np.count_nonzero(sides & near_edges) / drawn


# The sheet's outline is where the ink stops where the surround covers this share of the
# picture's border: a light region's outline only where a desk runs (nearly) all round, since
# light falling unevenly on a page that fills the photo leaves a square-cornered lit patch too,
# reaching the border; a sharp edge's wherever a desk shows along a side (a shadow's edge is soft).
DESK_ALL_ROUND = 0.9
DESK_ALONG_A_SIDE = 0.2


def outside_the_sheet(sheet: Sheet, shape: tuple[int, int]) -> np.ndarray | None:
    """Return what lies outside a sheet's outline, grown into it by its blurred edge, or None where the
    outside does not run along the picture's border as a desk does."""
    height, width = shape
    # The outline was found on a reduced picture: its edge is as uncertain as one of its pixels.
    uncertain = 2 * max(1, min(height, width) // 96) + 1
    if _desk_share_of_border(sheet.outline, shape, uncertain) < (DESK_ALONG_A_SIDE if sheet.edged else DESK_ALL_ROUND):
        return None
    inside = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(inside, np.round(sheet.outline).astype(np.int32), 1)
    grow = DESK_EDGE_BLUR + 2 * uncertain
    return cv2.dilate(1 - inside, np.ones((grow, grow), np.uint8)) > 0


def slope_of_sheet(sheet: Sheet) -> float:
    """Return how a sheet's ruled lines run (rows per column): the mean slope of its top and bottom edges."""
    edges = np.roll(sheet.outline, -1, axis=0) - sheet.outline
    across, down = edges[:, 0], edges[:, 1]
    level = np.abs(down) < 0.5 * np.abs(across)  # top and bottom, not the sides
    if not level.any():
        return 0.0
    lengths = np.hypot(across[level], down[level])
    return float(np.sum(lengths * down[level] / across[level]) / lengths.sum())
