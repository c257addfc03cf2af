"""Stage 2, ink and light: colour -> grey -> which way the ink goes -> ink map -> binary ink masks.

The ink map holds how much ink each pixel carries, 0 (paper) to 1, bright on black like
MNIST, with uneven light and shadows removed; a hysteresis threshold turns it into masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digits.preprocess.decode import WORKING_SIDE
from digits.preprocess.sheet import light_sheet_on_dark

# The ink's polarity: a background this far from mid-grey (0 to 0.5) settles it; nearer, the
# share of the picture (in percent) that stands out most from its surroundings, about what a
# small digit covers, tells which way the ink goes.
CLEAR_BRIGHTNESS = 0.3
MARK_SHARE_PERCENT = 1.0
# The paper's closing is at least this share of the tallest mark's height: wider than a
# marker's strokes. On close-cropped photos (seeds 7 and 11, 1,000 each) 0.3 reads 94.9% and
# 95.0%, against 88.7% and 90.1% with the picture's fifth alone (0.4: 94.8% on seed 7); photos
# hold or rise (99.3% and 99.3%; 98.7% and 99.1%).
STROKE_SHARE_OF_HEIGHT = 0.3
# A shadow with a sharp edge (a hand or a phone under a lamp) keeps that edge in the paper's
# brightness: smoothed, it would spill light into the shadow and leave a ring of false ink along
# its edge that joins every digit it crosses. A region where the closing is darker than the
# paper around it (below SHADOW_DARKER of it, but not below SHADOW_DARKEST: ink, not light) and
# wider than SHADOW_OVER_WRITING times the tallest mark in both directions is a shadow. A
# marker's stroke wider than the closing is darker too, but never wider than the writing is
# tall. Chosen on close crops (seed 7, 1,000) and sharp-shadow pages and lists (seed 7, 100
# each): with ruled lines counted as marks and no bound on the darkness the rule lost 3 close
# crops, with ruled lines left out 2, with the bound too none; against 2.4 tallest marks it
# reads 75% and 81% of those pages and lists, against 3 typical (ink-weighted) heights 73%, 78%.
SHADOW_DARKER = 0.9
SHADOW_DARKEST = 0.4
SHADOW_OVER_WRITING = 2.4


def transparent_background(rgba: np.ndarray) -> float:
    """Return the grey (1.0 white or 0.0 black) that see-through pixels should become.

    A black drawing on a transparent background (what a canvas exports) must not turn all
    black: see-through pixels become the opposite of the opaque ink's brightness.
    """
    alpha = rgba[..., 3]
    opaque = alpha > 0.5
    if not opaque.any() or opaque.all():
        return 1.0
    return 1.0 if middle_value(_grey_of(rgba[..., :3][opaque])) < 0.5 else 0.0


def middle_value(values: np.ndarray) -> float:
    """Return the (upper) median of an array: np.median's answer, without its overhead per call."""
    flat = values.ravel()
    middle = flat.size // 2
    if flat.size <= 4096:
        # Selection crawls on arrays of many equal values (an MNIST digit is mostly zeros):
        # 38 us against 3 us for sorting 784 values.
        return float(np.sort(flat)[middle])
    return float(_select(flat, middle))


def _select(flat: np.ndarray, rank: int, depth: int = 0):
    """Return the value of the given rank in a large array, exactly, in a few linear passes.

    np.partition slows to 6 ms on 70,000 values that are mostly equal (the paper's grain on a
    clean photo); counting them into ordered buckets first, then selecting only within the
    bucket that holds the rank, takes a tenth of that and gives the same value.
    """
    low, high = flat.min(), flat.max()
    if low == high or np.count_nonzero(flat == low) > rank:  # e.g. a residual that is mostly 0
        return low
    if flat.size <= 4096 or depth >= 3:
        return np.sort(flat)[rank]
    buckets = 1024
    # Monotone in the value (a subtraction and a positive factor, then floor), so the buckets are ordered.
    index = ((flat - low) * ((buckets - 1) / (high - low))).astype(np.intp)
    counts = np.bincount(index, minlength=buckets)
    bucket = int(np.searchsorted(np.cumsum(counts), rank, side="right"))
    return _select(flat[index == bucket], rank - int(counts[:bucket].sum()), depth + 1)


def _grey_of(colour: np.ndarray) -> np.ndarray:
    # The darkest channel keeps red and blue ink as dark as black ink. (np.minimum of the three
    # channels: 7 times faster than colour.min(axis=-1) on a 1200x900 photo, the same numbers.)
    darkest = np.minimum(np.minimum(colour[..., 0], colour[..., 1]), colour[..., 2])
    return 0.5 * darkest + 0.5 * (colour @ np.array([0.299, 0.587, 0.114], np.float32))


def grey_of_picture(picture) -> np.ndarray:
    """Return a decoded picture (Pillow, 8-bit) as grey in [0, 1], the colour steps done on 8-bit pixels.

    Grey pictures pass as they are; colour ones take the mean of their darkest channel and their
    luminance, as _grey_of, computed by OpenCV on bytes (a tenth of the float work); pictures with
    transparency go through to_grey, which composites it.
    """
    if picture.mode == "L":
        return np.asarray(picture, dtype=np.float32) * np.float32(1 / 255)
    if picture.mode != "RGB":
        converted = picture.convert("RGBA")
        rgba = np.asarray(converted, dtype=np.float32) / 255.0
        if float(rgba[..., 3].min()) < 0.999:
            return to_grey(rgba)
        picture = converted.convert("RGB")
    colour = np.asarray(picture)
    red, green, blue = cv2.split(colour)
    darkest = cv2.min(cv2.min(red, green), blue)
    luminance = cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY)
    return cv2.addWeighted(darkest, 0.5 / 255, luminance, 0.5 / 255, 0, dtype=cv2.CV_32F)


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
    brightness = middle_value(border) * 0.6 + middle_value(grey) * 0.4 - 0.5
    if brightness < CLEAR_BRIGHTNESS and light_sheet_on_dark(grey):  # a sheet on a desk, its edge in the photo
        return True
    if abs(brightness) >= CLEAR_BRIGHTNESS:  # every MNIST file, most photos: no need to look further
        return brightness > 0
    return brightness + dark_marks_stand_out(grey) >= 0


def dark_marks_stand_out(grey: np.ndarray) -> float:
    """Return how far the darkest marks stand out from their surroundings, less how far the lightest do.

    Positive (up to 1) for dark ink on light paper, negative for light ink on a dark ground,
    near 0 on a blank page. Slow changes of light are not marks: each pixel is compared with
    the median of a window half the picture wide, on a copy about 64 pixels on its short side.
    """
    small, _factor = reduced(grey, 64)
    size = min((min(small.shape) // 2) | 1, 255)
    if size < 3:
        return 0.0
    small8 = np.round(np.clip(small, 0, 1) * 255).astype(np.uint8)
    difference = small8.astype(np.int16) - cv2.medianBlur(small8, size)
    darkest, lightest = np.percentile(difference, [MARK_SHARE_PERCENT, 100 - MARK_SHARE_PERCENT])
    return float(-darkest - lightest) / 255


def reduced(image: np.ndarray, short_side: int) -> tuple[np.ndarray, int]:
    """Return a copy shrunk by a whole factor to about ``short_side`` on its short side, and the factor."""
    height, width = image.shape
    factor = max(1, min(height, width) // short_side)
    if factor == 1:
        return image, 1
    size = (max(1, width // factor), max(1, height // factor))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor


def _closing(small: np.ndarray, size: int) -> np.ndarray:
    """Return a closing of ``size`` pixels: every darker thing narrower than that filled with paper."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REFLECT)


def _smoothed(closed: np.ndarray, size: int) -> np.ndarray:
    """Return a closing of ``size`` pixels smoothed: the paper's brightness where no shadow is sharp."""
    return cv2.GaussianBlur(closed, (0, 0), size / 3)


def _keep_sharp_shadows(closed: np.ndarray, smooth: np.ndarray, size: int, tallest_mark: float) -> np.ndarray:
    """Return the smoothed paper, unsmoothed inside broad shadows (see SHADOW_OVER_WRITING); 0: none sought."""
    if tallest_mark <= 0:
        return smooth
    around = cv2.dilate(closed, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * size + 1, 2 * size + 1)),
                        borderType=cv2.BORDER_REFLECT)
    darker = ((closed < SHADOW_DARKER * around) & (closed >= SHADOW_DARKEST * around)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(darker, connectivity=8)
    narrower_side = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    shadow = narrower_side >= SHADOW_OVER_WRITING * tallest_mark
    shadow[0] = False
    if not shadow.any():
        return smooth
    return np.where(shadow[labels], np.minimum(smooth, closed), smooth)


def _measure_the_writing(small: np.ndarray, background: np.ndarray) -> tuple[int, float]:
    """Return the closing the writing needs (0: none wider) and its tallest mark's height (0: none).

    A closing sized from the picture alone is too narrow where one digit fills the picture:
    a marker's stroke (up to a quarter of the digit's height) is then wider than the closing,
    whose middle is taken for paper, and only the stroke's outline is read (a 1 as a 0). Even
    a stroke's outline shows how tall the mark is. Never wider than half the picture, so
    the light still changes across it. Ruled lines are not writing: marks over three times as
    wide as tall do not count for the height.
    """
    ink = _ink_against(background, small)
    strongest = float(ink.max())
    if strongest < 0.15:
        return 0, 0.0
    rough = (ink > 0.5 * strongest).astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(rough, connectivity=8)
    tops, heights = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_HEIGHT]
    writing = (tops > 0) | (tops + heights < small.shape[0])  # not a margin line or a page edge
    if not writing.any():
        return 0, 0.0
    marks, widths = heights[writing], stats[1:, cv2.CC_STAT_WIDTH][writing]
    closing = min(int(STROKE_SHARE_OF_HEIGHT * int(marks.max())) | 1, (min(small.shape) // 2) | 1)
    upright = marks[widths <= 3 * marks]
    return closing, float(upright.max()) if len(upright) else 0.0


def ink_map(grey: np.ndarray) -> np.ndarray:
    """Return how much ink each pixel holds, 0 (paper) to 1, with uneven light and shadows removed."""
    return ink_map_and_closing(grey)[0]


def ink_map_and_closing(grey: np.ndarray) -> tuple[np.ndarray, int]:
    """Return the ink map (see ink_map) and the width of the closing that found the paper, in pixels.

    Inside a stroke wider than the closing, the map fades towards the stroke's middle.
    """
    light = grey if ink_is_dark(grey) else 1.0 - grey
    height, width = light.shape
    closing = max(height, width)
    if min(height, width) < 8:
        background = np.full_like(light, float(np.max(light)))
    else:
        # The paper's brightness everywhere: a closing (max then min filter) wider than any
        # stroke fills the strokes in and keeps the lighting. Done on a small copy: light
        # changes slowly, and the work stays bounded.
        small, factor = reduced(light, 96)
        size = max(3, (min(small.shape) // 5) | 1)  # wider than strokes, narrow enough for shadows
        closed = _closing(small, size)
        smooth = _smoothed(closed, size)
        wanted, tallest_mark = _measure_the_writing(small, smooth)
        if wanted > size:
            size = wanted
            closed = _closing(small, size)
            smooth = _smoothed(closed, size)
        background = _keep_sharp_shadows(closed, smooth, size, tallest_mark)
        closing = size * factor
        if factor > 1:
            background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    return _ink_against(background, light), closing


def _ink_against(background: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Return the ink of each pixel: how far it is darker than the paper's brightness, 0 to 1."""
    background = np.maximum(np.maximum(background, light), 0.02)
    return np.clip((background - light) / background, 0, 1).astype(np.float32)


@dataclass(frozen=True)
class InkMasks:
    """The thresholded ink map: the ink itself, and fainter marks among which ruled lines are sought."""

    mask: np.ndarray  # uint8 0/255: ink pixels
    faint: np.ndarray  # uint8 0/255: the mask and fainter marks, for finding lines across the page


def threshold_ink(ink: np.ndarray) -> InkMasks:
    """Return the ink masks of an ink map (all zeros for a blank page).

    Hysteresis: pixels clearly inked seed the mask, and fainter pixels join only where they
    touch a seed, so faint strokes stay whole while paper texture stays out.
    """
    blank = np.zeros(ink.shape, np.uint8)
    if ink.size == 0:
        return InkMasks(blank, blank)
    strongest = float(cv2.GaussianBlur(ink, (3, 3), 0).max())
    if strongest < 0.15:  # nothing on the page stands out from the paper: blank
        return InkMasks(blank, blank)
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
    paper = middle_value(sample)
    grain = paper + 4 * 1.4826 * middle_value(np.abs(residual))
    low = min(max(0.4 * high, 0.16, grain), 0.9 * high)
    weak = (ink > low).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    seeded = np.zeros(count, bool)
    seeded[np.unique(labels[ink > high])] = True
    seeded[0] = False
    if seeded[1:].all():  # every faint piece touches a seed (a clean page): the weak mask itself
        mask = weak * np.uint8(255)
    else:
        mask = np.where(seeded, 255, 0).astype(np.uint8)[labels]
    # Lines are looked for among fainter marks too: a ruled line half lost in a shadow or in
    # JPEG noise must still be recognised as one line across the page.
    faint = np.where((ink > max(0.5 * low, 3 * paper)) | (mask > 0), 255, 0).astype(np.uint8)
    return InkMasks(mask, faint)
