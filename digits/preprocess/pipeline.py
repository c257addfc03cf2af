"""The whole path from a picture to model inputs, written once as a sequence of named steps.

bytes -> decode (header checked first, shrunk while decoding) -> grey -> the steps below ->
28x28 inputs with their boxes in the uploaded picture's pixels. Where the writing is small in a
large picture, its region is decoded again at more pixels and the steps run on it (read_page).
A picture that is 28x28 already (an MNIST file) skips the steps and is read exactly as in evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import median

import cv2
import numpy as np

from digits.config import IMAGE_SIDE
from digits.errors import PictureError
from digits.preprocess.decode import WORKING_SIDE, Decoded, decode_picture, rgba_from_array
from digits.preprocess.desk import around_the_desk, box_of_sheet, surround_of_sheet
from digits.preprocess.framing import DigitCrop, LineCrops, already_mnist, frame_page, moved_by
from digits.preprocess.ink import InkMasks, grey_of_picture, ink_map_and_closing, shrink, threshold_ink, to_grey
from digits.preprocess.layout import LineLayout, lay_out
from digits.preprocess.ruled_lines import cut_thin_bridges, remove_ruled_lines
from digits.preprocess.sheet import find_sheet, outside_the_sheet, slope_of_sheet

# Writing small in a large picture is read again closer, its region decoded anew at up to the
# working size: where its marks are under SMALL_WRITING working pixels tall (a phone's blur is
# then a large share of each digit) and the picture holds at least ZOOM_GAIN times more pixels of
# that region than the working picture did. ZOOM_MARGIN digit heights of paper are kept round it.
SMALL_WRITING = 40
ZOOM_GAIN = 1.5
ZOOM_MARGIN = 1.5

# Called after each step with the step's name (a profiler times the steps with it).
StepHook = Callable[[str], None] | None


@dataclass
class PageWork:
    """What the steps know about one picture so far: each step reads earlier fields and fills its own."""

    grey: np.ndarray  # the decoded picture, float32 grey in [0, 1]
    width: int  # the uploaded picture's size, for boxes in its pixels
    height: int
    working: np.ndarray | None = None
    ink: np.ndarray | None = None
    closing: int = 0  # the width of the closing that found the paper (see ink_map_and_closing)
    masks: InkMasks | None = None
    mask: np.ndarray | None = None
    layout: list[LineLayout] | None = None
    sheet: tuple[slice, slice] | None = None  # a photographed sheet's box, where a desk lies around it
    around: np.ndarray | None = None  # what lies around the sheet (the desk), where one was found
    sheet_slope: float = 0.0  # how its ruled lines run (rows per column), where its outline was found
    lines: list[LineCrops] | None = None


def _to_working_size(page: PageWork) -> None:
    page.working = shrink(page.grey)


def _ink_map(page: PageWork) -> None:
    page.ink, page.closing = ink_map_and_closing(page.working)


def _threshold(page: PageWork) -> None:
    page.masks = threshold_ink(page.ink)
    page.mask = page.masks.mask


def _leave_out_the_surround(page: PageWork) -> None:
    sheet = find_sheet(page.working)
    around = None if sheet is None else outside_the_sheet(sheet, page.working.shape)
    if around is not None:
        page.sheet_slope = slope_of_sheet(sheet)
    else:
        surround = surround_of_sheet(page.mask)
        if surround is None:
            return
        around = around_the_desk(surround)
    # The rest is thresholded again, so the writing's own contrast sets the levels, not the desk's.
    page.around = around
    page.ink = np.where(around, 0, page.ink).astype(np.float32)
    page.masks = threshold_ink(page.ink)
    page.mask = page.masks.mask
    page.sheet = box_of_sheet(around, page.mask)


def _erase_ruled_lines(page: PageWork) -> None:
    if not page.mask.any():
        return
    if page.sheet is None:
        page.mask = remove_ruled_lines(page.mask, page.masks.faint, ink=page.ink)
        return
    # A ruled line runs across the sheet, not the whole photo: it is sought within the sheet.
    mask = page.mask.copy()
    mask[page.sheet] = remove_ruled_lines(page.mask[page.sheet], page.masks.faint[page.sheet], page.sheet_slope,
                                          page.ink[page.sheet])
    page.mask = mask


def _cut_thin_bridges(page: PageWork) -> None:
    if page.mask.any():
        page.mask = cut_thin_bridges(page.mask)


def _lay_out(page: PageWork) -> None:
    page.layout = lay_out(page.mask)
    if not page.layout:
        raise PictureError("no digit found", status=422)


def _frame_digits(page: PageWork) -> None:
    scale = (page.width / page.working.shape[1], page.height / page.working.shape[0])
    page.lines = frame_page(page.layout, page.ink, scale, page.closing)


# The photo steps, in order. Each is a pure function of the stage modules; these only wire them.
STEPS: tuple[tuple[str, Callable[[PageWork], None]], ...] = (
    ("shrink to the working size", _to_working_size),
    ("ink map: polarity, light and shadows", _ink_map),
    ("threshold: hysteresis over the paper's grain", _threshold),
    ("leave out the desk around the sheet", _leave_out_the_surround),
    ("erase ruled lines", _erase_ruled_lines),
    ("cut thin bridges", _cut_thin_bridges),
    ("lay out: lines, numbers, marks, cuts where digits touch", _lay_out),
    ("frame each candidate digit as 28x28", _frame_digits),
)


def run_steps(page: PageWork, on_step: StepHook = None) -> PageWork:
    """Run every step of STEPS on ``page`` in order; return it."""
    for name, step in STEPS:
        step(page)
        if on_step is not None:
            on_step(name)
    return page


def ink_mask(ink: np.ndarray) -> np.ndarray:
    """Return the binary mask of ink pixels (uint8 0/255) with ruled lines and their bridges removed."""
    page = PageWork(grey=np.zeros((0, 0), np.float32), width=0, height=0, ink=ink)
    for step in (_threshold, _erase_ruled_lines, _cut_thin_bridges):
        step(page)
    return page.mask


def extract_page(data: bytes, on_step: StepHook = None) -> list[LineCrops]:
    """Return the lines of an uploaded picture, top to bottom, with every candidate digit framed.

    Raises PictureError for unreadable pictures, and with status 422 when no digit is found.
    """
    decoded = decode_picture(data)
    if on_step is not None:
        on_step("decode")
    return read_page(data, decoded, on_step)


def read_page(data: bytes, decoded: Decoded, on_step: StepHook = None) -> list[LineCrops]:
    """Find the lines and candidate digits of an upload (``data``, decoded); where its writing is small
    in a large picture, find them again in the writing's region decoded at more pixels (SMALL_WRITING)."""
    page = look(decoded, on_step)
    region = region_to_zoom(page)
    if region is None:
        return page.lines
    try:
        zoomed = decode_picture(data, region=region)
        closer = page_from_decoded(zoomed)
    except PictureError:  # the region alone holds no digit (or no longer fits): the first reading stands
        return page.lines
    if on_step is not None:
        on_step("the writing read again closer")
    if reaches_the_edge(closer, zoomed):
        return page.lines
    return moved_by(closer, region[0], region[1])


def reaches_the_edge(lines: list[LineCrops], decoded: Decoded) -> bool:
    """Tell whether a mark reaches the edge of a region read closer: it cut through something that is
    not writing (a sheet's edge, the desk), since the writing has paper round it, and read alone that
    would be taken for writing."""
    edge = 2 * max(decoded.width, decoded.height) / max(decoded.picture.size)  # two decoded pixels
    return any(x < edge or y < edge or x + w > decoded.width - edge or y + h > decoded.height - edge
               for x, y, w, h in (mark.box for mark in marks_of(lines)))


def region_to_zoom(page: PageWork) -> tuple[int, int, int, int] | None:
    """Return the box (x, y, w, h) round a page's writing to read again at more pixels, or None.

    None where the writing is large enough at the working size, where the region's own pixels
    would not be ZOOM_GAIN times more, or where the region reaches the desk round a sheet (read
    alone, the sheet's edge in it would be taken for writing).
    """
    marks = marks_of(page.lines)
    if page.working is None or not marks:
        return None
    working_scale = page.working.shape[1] / page.width
    mark_height = median(mark.box[3] for mark in marks)
    if mark_height * working_scale >= SMALL_WRITING:
        return None
    margin = ZOOM_MARGIN * mark_height
    left = max(0, int(min(line.box[0] for line in page.lines) - margin))
    top = max(0, int(min(line.box[1] for line in page.lines) - margin))
    right = min(page.width, int(max(line.box[0] + line.box[2] for line in page.lines) + margin))
    bottom = min(page.height, int(max(line.box[1] + line.box[3] for line in page.lines) + margin))
    if min(1.0, WORKING_SIDE / max(right - left, bottom - top)) < ZOOM_GAIN * working_scale:
        return None
    if page.around is not None:
        scale_y = page.working.shape[0] / page.height  # working_scale is the same across
        rows = slice(int(top * scale_y), int(np.ceil(bottom * scale_y)))
        if page.around[rows, int(left * working_scale):int(np.ceil(right * working_scale))].any():
            return None
    return left, top, right - left, bottom - top


def look(decoded: Decoded, on_step: StepHook = None) -> PageWork:
    """Run the steps on a decoded picture; its lines have their boxes in the uploaded picture's pixels."""
    grey = grey_of_picture(decoded.picture)
    if on_step is not None:
        on_step("grey")
    return look_at_grey(grey, decoded.width, decoded.height, on_step)


def look_at_grey(grey: np.ndarray, original_width: int | None = None, original_height: int | None = None,
                 on_step: StepHook = None) -> PageWork:
    """Run the steps on a grey picture (floats in [0, 1]); a 28x28 picture is framed as it is, as MNIST's.

    Boxes are given in the original picture's pixels when its size is passed (the grey
    picture may have been shrunk while decoding).
    """
    original_width = original_width or grey.shape[1]
    original_height = original_height or grey.shape[0]
    page = PageWork(grey=grey, width=original_width, height=original_height)
    if grey.shape == (IMAGE_SIDE, IMAGE_SIDE) and original_width == original_height == IMAGE_SIDE:
        page.lines = already_mnist(grey)
        return page
    return run_steps(page, on_step)


def page_from_decoded(decoded: Decoded, on_step: StepHook = None) -> list[LineCrops]:
    """Find the lines and candidate digits of a decoded picture; boxes in the uploaded picture's pixels."""
    return look(decoded, on_step).lines


def page_from_grey(grey: np.ndarray, original_width: int | None = None, original_height: int | None = None,
                   on_step: StepHook = None) -> list[LineCrops]:
    """Find the lines and candidate digits of a grey picture (floats in [0, 1]); see look_at_grey."""
    return look_at_grey(grey, original_width, original_height, on_step).lines


def page_from_array(array: np.ndarray) -> list[LineCrops]:
    """Find the lines and candidate digits of a picture given as an array (see rgba_from_array)."""
    rgba = rgba_from_array(array)
    height, width = rgba.shape[:2]
    factor = max(height, width) // WORKING_SIDE
    if factor >= 2:  # bounded work, as for decoded files
        rgba = cv2.resize(rgba, (max(1, width // factor), max(1, height // factor)),
                          interpolation=cv2.INTER_AREA)
    return page_from_grey(to_grey(rgba), width, height)


def marks_of(lines: list[LineCrops]) -> list[DigitCrop]:
    """Return each part of each number framed alone, in reading order: the marks as found, before the
    reader decides which to join or cut."""
    return [candidate.crop for line in lines for number in line.numbers for candidate in number.candidates
            if candidate.first == candidate.last]


def extract_digits(data: bytes) -> list[DigitCrop]:
    """Return the marks of an uploaded picture framed as 28x28 inputs, in reading order (see marks_of)."""
    return marks_of(extract_page(data))


def digits_from_array(array: np.ndarray) -> list[DigitCrop]:
    """Return the marks of a picture given as an array framed as 28x28 inputs (see marks_of)."""
    return marks_of(page_from_array(array))
