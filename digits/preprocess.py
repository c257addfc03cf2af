"""Pure functions that turn any uploaded picture into the 28x28 inputs the model expects.

The path is: bytes -> header check -> decoded pixels -> grey ink map (ink bright on black, like
MNIST) -> binary ink mask -> digits (connected pieces merged, left to right) -> each digit
cropped, stroke width evened out, scaled into a 20x20 box and placed in 28x28 by its centre of
mass, the way MNIST itself was made.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digits.config import IMAGE_SIDE, INK_BOX_SIDE, MAX_PIXELS
from digits.pen import loops_and_pieces

# Pillow's own bomb guard must not fire before ours, which answers with a clear 413.
Image.MAX_IMAGE_PIXELS = None

ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
ACCEPTED_TEXT = "PNG, JPEG, GIF, BMP, WebP or TIFF"
# Large pictures are shrunk to this long side before any work, so time is bounded.
WORKING_SIDE = 640
# A mark smaller than this share of the picture's working area is a speck, never a digit.
MIN_DIGIT_AREA_SHARE = 0.00015
# Two neighbouring marks may be one digit when the gap between them is at most this share of
# the digits' height and together they are at most this many times as wide as tall.
JOIN_GAP = 0.35
JOIN_ASPECT = 1.3
# The ink's polarity: a background this far from mid-grey (0 to 0.5) settles it; nearer, the
# share of the picture (in percent) that stands out most from its surroundings, about what a
# small digit covers, tells which way the ink goes.
CLEAR_BRIGHTNESS = 0.3
MARK_SHARE_PERCENT = 1.0


class PictureError(ValueError):
    """A picture that cannot be read; ``status`` is the HTTP status that fits (400, 413, 415, 422)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class DigitCrop:
    """One digit found in a picture: its 28x28 model input and its box in the picture's pixels."""

    pixels: np.ndarray  # uint8 (28, 28), ink bright on black
    box: tuple[int, int, int, int]  # x, y, width, height in the uploaded picture
    # This piece and the next one framed as one digit, where they may be the parts of one (a 4
    # written in two strokes, a faint 0 broken in two): the reader keeps whichever reads surer.
    joined_with_next: DigitCrop | None = None


# --------------------------------------------------------------------------- decoding


def open_picture(data: bytes) -> Image.Image:
    """Open a picture's header (no pixel decoding yet) and check its format and size."""
    if not data:
        raise PictureError("the file is empty; send a picture (" + ACCEPTED_TEXT + ")")
    try:
        picture = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PictureError(f"this file is not a picture; send {ACCEPTED_TEXT}", status=415) from None
    except Exception as error:  # noqa: BLE001 - any header failure is a corrupt file
        raise PictureError(f"the picture's header is damaged ({_short(error)})") from None
    if picture.format not in ACCEPTED_FORMATS:
        raise PictureError(f"{picture.format} pictures are not supported; send {ACCEPTED_TEXT}",
                           status=415)
    width, height = picture.size
    if width < 1 or height < 1:
        raise PictureError("the picture has no pixels")
    if width * height > MAX_PIXELS:
        raise PictureError(
            f"the picture is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels", status=413)
    return picture


@dataclass(frozen=True)
class Decoded:
    """Decoded pixels (float32 RGBA in [0, 1], maybe shrunk) and the uploaded picture's true size."""

    rgba: np.ndarray
    width: int
    height: int
    grey: np.ndarray | None = None  # float32 grey in [0, 1], kept when the picture was grey already


def decode_picture(data: bytes, longest_side: int = WORKING_SIDE) -> Decoded:
    """Decode bytes into upright (EXIF applied) RGBA pixels, shrunk to about ``longest_side``."""
    picture = open_picture(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if picture.format == "JPEG" and max(picture.size) >= 2 * longest_side:
                # Let the JPEG decoder shrink big photos itself (by 1/2, 1/4 or 1/8, never below
                # the working size): far faster than decoding every pixel.
                factor = max(picture.size) / longest_side
                mode = picture.mode if picture.mode in ("L", "RGB") else "RGB"
                picture.draft(mode, (int(picture.size[0] / factor), int(picture.size[1] / factor)))
            picture.seek(0)  # the first frame of an animation
            picture.load()
            picture = _to_8bit(ImageOps.exif_transpose(picture))
            width, height = picture.size
            reduction = max(picture.size) // longest_side
            if reduction >= 2:
                # Shrink in the picture's own mode before anything grows to float RGBA.
                picture = _reduce(picture, reduction)
            # A grey picture (most scans, MNIST files) needs no colour-to-grey step later.
            grey = np.asarray(picture, dtype=np.float32) / 255.0 if picture.mode == "L" else None
            return Decoded(rgba=_to_rgba(picture), width=width, height=height, grey=grey)
    except PictureError:
        raise
    except Exception as error:  # noqa: BLE001 - truncated or corrupt data in any decoder
        raise PictureError(f"the picture is damaged or truncated ({_short(error)})") from None


def _reduce(picture: Image.Image, factor: int) -> Image.Image:
    if picture.mode not in ("L", "LA", "RGB", "RGBA"):
        picture = picture.convert("RGBA")
    return picture.reduce(factor)


def _to_8bit(picture: Image.Image) -> Image.Image:
    """Turn 16-bit and 32-bit grey pictures into 8-bit grey ones; others pass unchanged."""
    if picture.mode.startswith("I;16"):
        grey = np.asarray(picture, dtype=np.float32) / 257.0
    elif picture.mode in ("I", "F"):
        grey = np.asarray(picture, dtype=np.float32)
        top = float(grey.max()) if grey.size else 0.0
        grey = grey / 257.0 if top > 255 else (grey * 255.0 if 0 < top <= 1.0 else grey)
    else:
        return picture
    return Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8), mode="L")


def _to_rgba(picture: Image.Image) -> np.ndarray:
    """Return any Pillow mode (1, L, P, LA, RGB, RGBA, CMYK, ...) as float32 RGBA in [0, 1]."""
    if picture.mode != "RGBA":
        picture = picture.convert("RGBA")
    return np.asarray(picture, dtype=np.float32) / 255.0


def _short(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:120]


# --------------------------------------------------------------------------- ink map


def transparent_background(rgba: np.ndarray) -> float:
    """Return the grey (1.0 white or 0.0 black) that see-through pixels should become.

    A black drawing on a transparent background (what a canvas exports) must not turn all
    black: see-through pixels become the opposite of the opaque ink's brightness.
    """
    alpha = rgba[..., 3]
    opaque = alpha > 0.5
    if not opaque.any() or opaque.all():
        return 1.0
    return 1.0 if _middle_value(_grey_of(rgba[..., :3][opaque])) < 0.5 else 0.0


def _middle_value(values: np.ndarray) -> float:
    """Return the (upper) median of an array: np.median's answer, without its overhead per call."""
    flat = values.ravel()
    middle = flat.size // 2
    if flat.size <= 4096:
        # Selection crawls on arrays of many equal values (an MNIST digit is mostly zeros):
        # 38 us against 3 us for sorting 784 values.
        return float(np.sort(flat)[middle])
    return float(np.partition(flat, middle)[middle])


def _grey_of(colour: np.ndarray) -> np.ndarray:
    # The darkest channel keeps red and blue ink as dark as black ink.
    return 0.5 * colour.min(axis=-1) + 0.5 * (colour @ np.array([0.299, 0.587, 0.114], np.float32))


def to_grey(rgba: np.ndarray) -> np.ndarray:
    """Flatten RGBA to grey in [0, 1], compositing transparency so the ink stays visible."""
    grey = _grey_of(rgba[..., :3])
    alpha = rgba[..., 3]
    if float(alpha.min()) >= 0.999:
        return grey.astype(np.float32)
    background = transparent_background(rgba)
    return (grey * alpha + background * (1 - alpha)).astype(np.float32)


def shrink(grey: np.ndarray, longest_side: int = WORKING_SIDE) -> np.ndarray:
    """Return the picture shrunk so its long side is at most ``longest_side``."""
    height, width = grey.shape
    factor = min(1.0, longest_side / max(height, width))
    if factor >= 1.0:
        return grey
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def ink_is_dark(grey: np.ndarray) -> bool:
    """Tell whether the ink is darker than the background (paper) or lighter (MNIST, chalkboard)."""
    # Two cues, each fooled by some pictures, added up. The background's brightness: what most
    # of the picture is, its border and its median agree on it; but grey paper in a dim room is
    # darker than half. And which way the sharpest marks stand out from their surroundings; but
    # a small mark on a page whose light fades says little. Where one cue is unsure, the other
    # is clear.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    brightness = _middle_value(border) * 0.6 + _middle_value(grey) * 0.4 - 0.5
    if abs(brightness) >= CLEAR_BRIGHTNESS:  # every MNIST file, most photos: no need to look further
        return brightness > 0
    return brightness + dark_marks_stand_out(grey) >= 0


def dark_marks_stand_out(grey: np.ndarray) -> float:
    """Return how far the darkest marks stand out from their surroundings, less how far the lightest do.

    Positive (up to 1) for dark ink on light paper, negative for light ink on a dark ground,
    near 0 on a blank page. Slow changes of light are not marks: each pixel is compared with
    the median of a window half the picture wide, on a copy about 64 pixels on its short side.
    """
    small, _factor = _reduced(grey, 64)
    size = min((min(small.shape) // 2) | 1, 255)
    if size < 3:
        return 0.0
    small8 = np.round(np.clip(small, 0, 1) * 255).astype(np.uint8)
    difference = small8.astype(np.int16) - cv2.medianBlur(small8, size)
    darkest, lightest = np.percentile(difference, [MARK_SHARE_PERCENT, 100 - MARK_SHARE_PERCENT])
    return float(-darkest - lightest) / 255


def _reduced(image: np.ndarray, short_side: int) -> tuple[np.ndarray, int]:
    """Return a copy shrunk by a whole factor to about ``short_side`` on its short side, and the factor."""
    height, width = image.shape
    factor = max(1, min(height, width) // short_side)
    if factor == 1:
        return image, 1
    size = (max(1, width // factor), max(1, height // factor))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor


def ink_map(grey: np.ndarray) -> np.ndarray:
    """Return how much ink each pixel holds, 0 (paper) to 1, with uneven light and shadows removed."""
    light = grey if ink_is_dark(grey) else 1.0 - grey
    height, width = light.shape
    if min(height, width) < 8:
        background = np.full_like(light, float(np.max(light)))
    else:
        # The paper's brightness everywhere: a closing (max then min filter) wider than any
        # stroke fills the strokes in and keeps the lighting. Done on a small copy: light
        # changes slowly, and the work stays bounded.
        small, factor = _reduced(light, 96)
        size = max(3, (min(small.shape) // 5) | 1)  # wider than strokes, narrow enough for shadows
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
        background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REFLECT)
        background = cv2.GaussianBlur(background, (0, 0), size / 3)
        if factor > 1:
            background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
        background = np.maximum(background, light)
    background = np.maximum(background, 0.02)
    return np.clip((background - light) / background, 0, 1).astype(np.float32)


def ink_mask(ink: np.ndarray) -> np.ndarray:
    """Return the binary mask of ink pixels (uint8 0/255), or all zeros for a blank page.

    Hysteresis: pixels clearly inked seed the mask, and fainter pixels join only where they
    touch a seed, so faint strokes stay whole while paper texture stays out.
    """
    if ink.size == 0:
        return np.zeros(ink.shape, np.uint8)
    strongest = float(cv2.GaussianBlur(ink, (3, 3), 0).max())
    if strongest < 0.15:  # nothing on the page stands out from the paper: blank
        return np.zeros(ink.shape, np.uint8)
    ink = ink / strongest
    ink8 = np.round(ink * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(ink8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = max(otsu / 255.0, 0.45)
    # Faint pixels join a stroke only if they stand out from the paper's own grain: on a noisy
    # photo (a dim room, a cheap camera) the grain would grow a stroke into a fuzzy cloud that
    # swallows its neighbours. The grain is what a 3x3 median takes away (strokes and ruled
    # lines are smooth at that scale, so they do not count), measured robustly.
    # Every fourth pixel tells the paper's statistics as well as all of them, in a quarter of
    # the time.
    sample = ink[::2, ::2]
    residual = sample - cv2.medianBlur(ink.astype(np.float32), 3)[::2, ::2]
    paper = _middle_value(sample)
    grain = paper + 4 * 1.4826 * _middle_value(np.abs(residual))
    low = min(max(0.4 * high, 0.16, grain), 0.9 * high)
    weak = (ink > low).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    seeded = np.zeros(count, bool)
    seeded[np.unique(labels[ink > high])] = True
    seeded[0] = False
    mask = np.where(seeded[labels], 255, 0).astype(np.uint8)
    # Lines are looked for among fainter marks too: a ruled line half lost in a shadow or in
    # JPEG noise must still be recognised as one line across the page.
    faint = np.where((ink > max(0.5 * low, 3 * paper)) | (mask > 0), 255, 0).astype(np.uint8)
    return cut_thin_bridges(remove_ruled_lines(mask, faint))


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
    count, labels, stats, _ = cv2.connectedComponentsWithStats(slivers, connectivity=8)
    long_level = np.zeros(count, bool)
    for index in range(1, count):
        _, _, w, h, _ = (int(value) for value in stats[index])
        long_level[index] = w >= max(3 * (thin + 1), 0.5 * width) and w >= 3 * h
    return np.where(long_level[labels], 0, mask).astype(np.uint8)


def remove_ruled_lines(mask: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """Erase notebook lines and page edges (long thin straight marks) from a mask, keeping digits.

    Each line is fitted as a straight band and only that band is erased, so a digit that
    touches or crosses a line keeps its strokes; the small gaps left are closed again.
    """
    height, width = mask.shape
    cleaned = mask
    for horizontal in (True, False):
        length = (width if horizontal else height)
        if length < 40:
            continue
        # Straight runs a quarter of the page long: ruled lines, rarely parts of digits.
        run = max(15, length // 4)
        kernel = np.ones((1, run) if horizontal else (run, 1), np.uint8)
        source = cleaned if candidates is None else candidates
        # Thin lines are never perfectly level: thicken across them so a straight run exists.
        across_kernel = np.ones((5, 1) if horizontal else (1, 5), np.uint8)
        runs = cv2.morphologyEx(cv2.dilate(source, across_kernel), cv2.MORPH_OPEN, kernel)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        for index in range(1, count):
            x, y, w, h, area = (int(value) for value in stats[index])
            span = w if horizontal else h
            # A ruled line runs (nearly) from edge to edge, if maybe lost for a while in a
            # shadow; a margin line runs the whole height. A tall 1 on a canvas does neither.
            start, reach = (x, 0.25) if horizontal else (y, 0.1)
            if span < 0.6 * length or start > reach * length or start + span < (1 - reach) * length:
                continue
            ys, xs = np.nonzero((labels == index) & (source > 0))
            if len(xs) < 3:
                continue
            along, across = (xs, ys) if horizontal else (ys, xs)
            # The line's own thickness: the typical count of pixels across it (digits that
            # touch it add to a few positions only).
            # (a low percentile: where digits sit on the line, the counts are higher)
            thickness = float(np.percentile(np.bincount(along)[np.unique(along)], 20))
            if thickness > 0.04 * (height if horizontal else width) + 3:
                continue  # too thick for a ruled line: a big bold stroke
            # Fit the line where it runs alone (columns a digit does not also fill).
            per_position = np.bincount(along)
            alone = per_position[along] <= 2 * thickness + 2
            if alone.sum() < 3:
                continue
            half = thickness / 2 + 1.5
            lines = _ruled_lines(_fit_lines(along[alone], across[alone], thickness),
                                 along, across, half, length)
            for slope, intercept in lines:
                band = _line_band(cleaned.shape, slope, intercept, half, horizontal)
                # Where the band holds more ink than the line itself, a stroke lies along or
                # across the line there (the bar of a 7 written on it); where ink touches the
                # band's edge, a stroke ends on the line. Those parts are kept.
                axis = 0 if horizontal else 1
                edge = cv2.subtract(cv2.dilate(band, np.ones((5, 1) if horizontal else (1, 5), np.uint8)), band)
                crowded = ((np.count_nonzero(cv2.bitwise_and(cleaned, band), axis=axis) > thickness + 2)
                           | (np.count_nonzero(cv2.bitwise_and(cleaned, edge), axis=axis) > 0))
                if horizontal:
                    band[:, crowded] = 0
                else:
                    band[crowded, :] = 0
                cleaned = cv2.bitwise_and(cleaned, cv2.bitwise_not(band))
                # Re-join the strokes the erased band cut through, across the line's direction.
                gaps = int(np.ceil(2 * half)) + 2
                closing = np.ones((gaps, 1) if horizontal else (1, gaps), np.uint8)
                rejoined = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, closing)
                cleaned = np.where(band > 0, rejoined, cleaned).astype(np.uint8)
    return cleaned


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


# --------------------------------------------------------------------------- finding digits


@dataclass(frozen=True)
class DigitRegion:
    """Where one digit is in the mask: its box and the connected pieces that make it up."""

    box: tuple[int, int, int, int]
    pieces: tuple[int, ...]  # labels in the connected-components image


def find_digit_regions(mask: np.ndarray) -> tuple[list[DigitRegion], np.ndarray]:
    """Return the digits in a binary mask, left to right, and the component label image.

    Specks are dropped and the pieces of one digit (the hat of a 5, a broken 4, a faint
    stroke broken in two) are merged: pieces whose columns overlap, and small pieces close
    to a bigger one.
    """
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    pieces = [(*(int(value) for value in stats[index]), index) for index in range(1, count)]
    if not pieces:
        return [], labels
    largest = max(piece[4] for piece in pieces)
    min_area = max(MIN_DIGIT_AREA_SHARE * width * height, 0.04 * largest, 2)
    tallest = max((piece[3] for piece in pieces if piece[4] >= min_area), default=0)
    kept = [piece for piece in pieces if piece[4] >= min_area and not _edge_debris(piece, mask, tallest)]
    groups = _merge_pieces([piece for piece in kept if not _streak_between_digits(piece, kept)])
    if not groups:
        return [], labels
    rows_of = {piece[5]: (piece[1], piece[1] + piece[3]) for piece in kept}
    groups = _attach_fragments(groups, rows_of)
    tallest = max(group[3] for group in groups)
    regions = [DigitRegion(box=tuple(group[:4]), pieces=tuple(group[5])) for group in groups
               if group[3] >= 0.3 * tallest]
    return regions, labels


def _streak_between_digits(piece: tuple, pieces: list[tuple]) -> bool:
    """A flat streak above or below two bigger marks at once: what is left of a ruled line.

    Merged as a part (the hat of a 5 is one), it would join the two digits it runs along.
    """
    _x, _y, width, height, area = piece[:5]
    if width < 3 * height:
        return False
    spanned = [other for other in pieces
               if other is not piece and other[4] > area and _belong_together(piece, other)]
    return len(spanned) >= 2


def _edge_debris(piece: tuple, mask: np.ndarray, tallest: int) -> bool:
    """A long flat mark along the top or bottom edge: a ruled line or shadow cut by the frame."""
    x, y, w, h = piece[:4]
    touches = y == 0 or y + h >= mask.shape[0]
    return touches and w >= 3 * h and h <= 0.3 * tallest


def find_digit_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Return the boxes (x, y, w, h) of the digits in a binary mask, left to right."""
    return [region.box for region in find_digit_regions(mask)[0]]


def _merge_pieces(pieces: list[tuple]) -> list[list]:
    """Group pieces (x, y, w, h, area, label) into digits: [x, y, w, h, area, [labels]]."""
    boxes = [[*piece[:5], [piece[5]]] for piece in sorted(pieces, key=lambda piece: piece[0])]
    merged = True
    while merged:
        merged = False
        for first in range(len(boxes)):
            for second in range(len(boxes)):
                if first != second and _belong_together(boxes[first], boxes[second]):
                    boxes[first] = _union(boxes[first], boxes[second])
                    del boxes[second]
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes, key=lambda box: box[0])


def _belong_together(a, b) -> bool:
    """Pieces whose column ranges overlap by half the narrower one are one digit (a 5's hat)."""
    overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    return overlap > 0.5 * min(a[2], b[2])


def _box_gap(a, b) -> float:
    gap_x = max(a[0] - (b[0] + b[2]), b[0] - (a[0] + a[2]), 0)
    gap_y = max(a[1] - (b[1] + b[3]), b[1] - (a[1] + a[3]), 0)
    return float(np.hypot(gap_x, gap_y))


def _attach_fragments(groups: list[list], rows_of: dict[int, tuple[int, int]]) -> list[list]:
    """Join each fragment (much shorter than the digits) to its nearest neighbour if it is close.

    A 4 written in two strokes, the cap of a 7, a stroke broken by a faint pen: each part is
    short next to the picture's digits, while a 1 beside a 0 is as tall as its neighbour.
    A fragment's height counts only the rows its ink covers (``rows_of``: label -> (top,
    bottom)): a dot above a short tick spans a tall box, yet is no digit.
    """
    digit_height = max(group[3] for group in groups)
    while len(groups) > 1:
        fragments = [i for i, group in enumerate(groups)
                     if _inked_rows(group, rows_of) < 0.6 * digit_height]
        best = None
        for i in fragments:
            for j in range(len(groups)):
                if i != j:
                    gap = _box_gap(groups[i], groups[j])
                    if gap <= 0.25 * digit_height and (best is None or gap < best[0]):
                        best = (gap, i, j)
        if best is None:
            break
        _gap, i, j = best
        groups[j] = _union(groups[j], groups[i])
        del groups[i]
    return sorted(groups, key=lambda group: group[0])


def _inked_rows(group: list, rows_of: dict[int, tuple[int, int]]) -> int:
    """Return how many rows a group's pieces cover: its box height less the gaps between them."""
    covered = 0
    reached = -1
    for top, bottom in sorted(rows_of[label] for label in group[5]):
        covered += max(0, bottom - max(top, reached))
        reached = max(reached, bottom)
    return covered


def _union(a, b) -> list:
    return [*_box_union(a, b), a[4] + b[4], a[5] + b[5]]


def _box_union(a, b) -> tuple[int, int, int, int]:
    """Return the box (x, y, w, h) around two boxes."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return x0, y0, x1 - x0, y1 - y0


# --------------------------------------------------------------------------- one digit -> 28x28


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the mean stroke width of a binary digit: 2 x area / perimeter."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    area = float(np.count_nonzero(mask))
    return 2.0 * area / perimeter if perimeter > 0 else 0.0


def even_stroke(ink: np.ndarray, mask: np.ndarray, digit_height: int) -> np.ndarray:
    """Return the ink of one digit with its strokes thickened or thinned towards MNIST's width.

    A thicker pen must not fill a loop in (the small loop of a 6 drawn with a fine pen), and
    a finer one must not break a stroke in two: the change is made smaller until it keeps the
    digit's loops and pieces, or not made at all.
    """
    # MNIST strokes are about 2.5 px in a 20 px tall digit: 12% of the height.
    target = 0.12 * max(digit_height, 1)
    current = stroke_width(mask)
    if current <= 0:
        return ink
    if current < 0.7 * target:
        size = int(round(target - current)) | 1
        change = cv2.dilate
    elif current > 1.4 * target:
        size = int(round((current - target) / 2)) * 2 + 1
        change = cv2.erode
    else:
        return ink
    least = max(4, int(current * current))  # smaller specks of paper or ink are noise, not shape
    shape = loops_and_pieces(mask, least)
    while size > 1:
        changed = change(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
        if (np.count_nonzero(changed) > 0.25 * np.count_nonzero(mask)
                and loops_and_pieces(changed, least) == shape):
            return cv2.GaussianBlur(changed.astype(np.float32) / 255.0, (3, 3), 0)
        size = (size // 2) | 1
    return ink


def to_mnist_square(ink: np.ndarray) -> np.ndarray:
    """Scale a cropped digit's ink (float, 0–1) into a 20x20 box and centre it by mass in 28x28."""
    height, width = ink.shape
    factor = INK_BOX_SIDE / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink.astype(np.float32), size, interpolation=interpolation)
    peak = float(small.max())
    if peak > 0:
        small = np.clip(small / peak, 0, 1)  # the strongest ink becomes full white, as in MNIST
    canvas = np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.float32)
    top, left = (IMAGE_SIDE - size[1]) // 2, (IMAGE_SIDE - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = small
    return centre_by_mass(canvas)


def centre_by_mass(square: np.ndarray) -> np.ndarray:
    """Shift a 28x28 picture so its centre of mass is the centre, as MNIST did; return uint8."""
    total = float(square.sum())
    if total <= 0:
        return np.zeros_like(square, dtype=np.uint8)
    rows, columns = np.indices(square.shape)
    centre_y = float((rows * square).sum() / total)
    centre_x = float((columns * square).sum() / total)
    middle = (IMAGE_SIDE - 1) / 2
    shift = np.float32([[1, 0, round(middle - centre_x)], [0, 1, round(middle - centre_y)]])
    moved = cv2.warpAffine(square, shift, (IMAGE_SIDE, IMAGE_SIDE), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.round(np.clip(moved, 0, 1) * 255).astype(np.uint8)


# --------------------------------------------------------------------------- the whole path


def extract_digits(data: bytes) -> list[DigitCrop]:
    """Return the digits of an uploaded picture, left to right, as 28x28 inputs with their boxes.

    Raises PictureError for unreadable pictures, and with status 422 when no digit is found.
    """
    return digits_from_decoded(decode_picture(data))


def digits_from_decoded(decoded: Decoded) -> list[DigitCrop]:
    """Find and normalise the digits of a decoded picture; boxes in the uploaded picture's pixels."""
    grey = decoded.grey if decoded.grey is not None else to_grey(decoded.rgba)
    return digits_from_grey(grey, decoded.width, decoded.height)


def digits_from_grey(grey: np.ndarray, original_width: int | None = None,
                     original_height: int | None = None) -> list[DigitCrop]:
    """Find and normalise the digits of a grey picture (floats in [0, 1]).

    Boxes are given in the original picture's pixels when its size is passed (the grey
    picture may have been shrunk while decoding).
    """
    original_width = original_width or grey.shape[1]
    original_height = original_height or grey.shape[0]
    if grey.shape == (IMAGE_SIDE, IMAGE_SIDE) and original_width == original_height == IMAGE_SIDE:
        return [_already_mnist(grey)]
    working = shrink(grey)
    ink = ink_map(working)
    mask = ink_mask(ink)
    regions, labels = find_digit_regions(mask)
    if not regions:
        raise PictureError("no digit found", status=422)
    scale_x = original_width / working.shape[1]
    scale_y = original_height / working.shape[0]

    def crop_of(region: DigitRegion) -> DigitCrop:
        x, y, w, h = region.box
        # Only this digit's own pieces: not specks or a neighbour's stroke inside its box.
        digit_mask = np.where(np.isin(labels[y:y + h, x:x + w], region.pieces), 255, 0).astype(np.uint8)
        near = cv2.dilate(digit_mask, np.ones((3, 3), np.uint8)) > 0
        # Keep the soft edges of the strokes: ink just next to the mask counts too.
        digit_ink = np.where(near, ink[y:y + h, x:x + w], 0).astype(np.float32)
        digit_ink = np.where(digit_mask > 0, np.maximum(digit_ink, 0.5 * digit_ink.max()), digit_ink)
        digit_ink = even_stroke(digit_ink, digit_mask, h)
        box = (int(round(x * scale_x)), int(round(y * scale_y)),
               max(1, int(round(w * scale_x))), max(1, int(round(h * scale_y))))
        return DigitCrop(pixels=to_mnist_square(digit_ink), box=box)

    tallest = max(region.box[3] for region in regions)
    crops = []
    for index, region in enumerate(regions):
        crop = crop_of(region)
        following = regions[index + 1] if index + 1 < len(regions) else None
        if following is not None and may_be_one_digit(region, following, tallest):
            joined = DigitRegion(box=_box_union(region.box, following.box),
                                 pieces=region.pieces + following.pieces)
            crop = DigitCrop(pixels=crop.pixels, box=crop.box, joined_with_next=crop_of(joined))
        crops.append(crop)
    return crops


def may_be_one_digit(left: DigitRegion, right: DigitRegion, digit_height: int) -> bool:
    """Tell whether two neighbouring regions may be the two parts of one digit.

    They must nearly touch, and together be no wider than a digit is: a 4 whose strokes do not
    meet, or a 0 broken in two, qualifies, while two digits written apart do not.
    """
    gap = right.box[0] - (left.box[0] + left.box[2])
    _x, _y, width, height = _box_union(left.box, right.box)
    return gap <= JOIN_GAP * digit_height and width <= JOIN_ASPECT * height


def rgba_from_array(array: np.ndarray) -> np.ndarray:
    """Turn any picture-like array (h, w) or (h, w, 1|3|4), any numeric dtype, into float32 RGBA.

    Raises PictureError for arrays that cannot be a picture (wrong shape, empty, NaN, too big).
    """
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise PictureError(f"an array of shape {array.shape} is not a picture; "
                           "use (height, width) or (height, width, 3 or 4)")
    height, width = array.shape[:2]
    if height < 1 or width < 1:
        raise PictureError("the picture has no pixels")
    if height * width > MAX_PIXELS:
        raise PictureError(f"the picture is {width}x{height} pixels; the limit is "
                           f"{MAX_PIXELS / 1e6:.0f} megapixels", status=413)
    if array.dtype == bool:
        values = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.integer):
        top = 255.0 if array.dtype.itemsize == 1 else 65535.0
        values = np.clip(array.astype(np.float64) / top, 0, 1).astype(np.float32)
    elif np.issubdtype(array.dtype, np.floating):
        values = array.astype(np.float64)
        if not np.isfinite(values).all():
            raise PictureError("the picture holds NaN or infinite values")
        top = float(values.max())
        values = np.clip(values / (255.0 if top > 1.0 else 1.0), 0, 1).astype(np.float32)
    else:
        raise PictureError(f"pixels of type {array.dtype} are not supported")
    if values.ndim == 2:
        values = np.dstack([values, values, values, np.ones_like(values)])
    elif values.shape[2] == 3:
        values = np.dstack([values, np.ones(values.shape[:2], np.float32)])
    return np.ascontiguousarray(values, dtype=np.float32)


def digits_from_array(array: np.ndarray) -> list[DigitCrop]:
    """Find and normalise the digits of a picture given as an array (see rgba_from_array)."""
    rgba = rgba_from_array(array)
    height, width = rgba.shape[:2]
    factor = max(height, width) // WORKING_SIDE
    if factor >= 2:  # bounded work, as for decoded files
        rgba = cv2.resize(rgba, (max(1, width // factor), max(1, height // factor)),
                          interpolation=cv2.INTER_AREA)
    return digits_from_grey(to_grey(rgba), width, height)


def _already_mnist(grey: np.ndarray) -> DigitCrop:
    """Pass a 28x28 picture through unchanged (only its polarity fixed): it is model-sized already."""
    pixels = grey if not ink_is_dark(grey) else 1.0 - grey
    pixels8 = np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    if pixels8.max() < 50:
        raise PictureError("no digit found", status=422)
    return DigitCrop(pixels=pixels8, box=(0, 0, IMAGE_SIDE, IMAGE_SIDE))


def to_model_input(pictures: np.ndarray) -> np.ndarray:
    """Scale 0–255 pictures (n, 28, 28) or rows (n, 784) to float32 (n, 28, 28, 1) in [0, 1]."""
    array = np.asarray(pictures, dtype=np.float32)
    return (array / 255.0).reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1)
