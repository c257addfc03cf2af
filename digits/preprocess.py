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

# Pillow's own bomb guard must not fire before ours, which answers with a clear 413.
Image.MAX_IMAGE_PIXELS = None

ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
ACCEPTED_TEXT = "PNG, JPEG, GIF, BMP, WebP or TIFF"
# Large pictures are shrunk to this long side before any work, so time is bounded.
WORKING_SIDE = 640
# A mark smaller than this share of the picture's working area is a speck, never a digit.
MIN_DIGIT_AREA_SHARE = 0.00015


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


def decode_picture(data: bytes, longest_side: int = 2 * WORKING_SIDE) -> Decoded:
    """Decode bytes into upright (EXIF applied) RGBA pixels, shrunk to at most ``longest_side``."""
    picture = open_picture(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if picture.format == "JPEG" and max(picture.size) >= 2 * longest_side:
                # Let the JPEG decoder shrink big photos itself: far faster than decoding all.
                mode = picture.mode if picture.mode in ("L", "RGB") else "RGB"
                picture.draft(mode, (picture.size[0] // 2, picture.size[1] // 2))
            picture.seek(0)  # the first frame of an animation
            picture.load()
            picture = _to_8bit(ImageOps.exif_transpose(picture))
            width, height = picture.size
            reduction = max(picture.size) // longest_side
            if reduction >= 2:
                # Shrink in the picture's own mode before anything grows to float RGBA.
                picture = _reduce(picture, reduction)
            return Decoded(rgba=_to_rgba(picture), width=width, height=height)
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
    return 1.0 if float(np.median(_grey_of(rgba[..., :3][opaque]))) < 0.5 else 0.0


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


def shrink(grey: np.ndarray, longest_side: int = WORKING_SIDE) -> tuple[np.ndarray, float]:
    """Return the picture shrunk so its long side is at most ``longest_side``, and the factor used."""
    height, width = grey.shape
    factor = min(1.0, longest_side / max(height, width))
    if factor >= 1.0:
        return grey, 1.0
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA), factor


def ink_is_dark(grey: np.ndarray) -> bool:
    """Tell whether the ink is darker than the background (paper) or lighter (MNIST, chalkboard)."""
    # The background is what most of the picture is: its border and its median agree on it.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return float(np.median(border)) * 0.6 + float(np.median(grey)) * 0.4 >= 0.5


def ink_map(grey: np.ndarray) -> np.ndarray:
    """Return how much ink each pixel holds, 0 (background) to 1, with uneven light removed."""
    light = grey if ink_is_dark(grey) else 1.0 - grey
    height, width = light.shape
    if min(height, width) < 8:
        background = np.full_like(light, float(np.median(light)))
    else:
        # The paper's brightness everywhere: strokes are thin, so a closing (max filter then
        # min filter) bigger than a stroke fills them in and leaves the lighting gradient.
        size = max(3, (min(height, width) // 12) | 1)
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
        background = cv2.morphologyEx(light, cv2.MORPH_CLOSE, kernel)
        background = cv2.blur(background, (size, size))
    background = np.maximum(background, 1e-3)
    return np.clip((background - light) / background, 0, 1).astype(np.float32)


def ink_mask(ink: np.ndarray) -> np.ndarray:
    """Return the binary mask of ink pixels (uint8 0/255), or all zeros for a blank page."""
    strongest = float(np.percentile(ink, 99.9)) if ink.size else 0.0
    if strongest < 0.2:  # nothing on the page stands out from the paper: blank
        return np.zeros(ink.shape, np.uint8)
    ink8 = np.round(ink * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(ink8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Never call paper texture ink: the threshold is at least a quarter of the strongest ink.
    level = max(otsu, 0.25 * strongest * 255)
    return np.where(ink8 > level, 255, 0).astype(np.uint8)


# --------------------------------------------------------------------------- finding digits


def find_digit_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Return the boxes (x, y, w, h) of the digits in a binary mask, left to right.

    Specks are dropped, ruled lines and page edges are ignored, and the pieces of one digit
    (the hat of a 5, a broken 4) are merged when their columns overlap.
    """
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    pieces = []
    for index in range(1, count):
        x, y, w, h, area = (int(value) for value in stats[index])
        if _is_ruled_line(w, h, area, width, height):
            continue
        pieces.append((x, y, w, h, area))
    if not pieces:
        return []
    largest = max(piece[4] for piece in pieces)
    tallest = max(piece[3] for piece in pieces)
    min_area = max(MIN_DIGIT_AREA_SHARE * width * height, 0.02 * largest, 2)
    pieces = [p for p in pieces if p[4] >= min_area or (p[3] >= 0.3 * tallest and p[4] >= 0.005 * largest)]
    return [box for box in _merge_pieces(pieces) if box[3] >= 0.25 * tallest]


def _is_ruled_line(w: int, h: int, area: int, width: int, height: int) -> bool:
    """A long thin mark across much of the page (a notebook line, a table edge) is not a digit."""
    return (w >= 0.5 * width and h <= 0.08 * height and w >= 8 * h) or (
        h >= 0.9 * height and w <= 0.05 * width and h >= 12 * w and height > 60)


def _merge_pieces(pieces: list[tuple[int, int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Group pieces whose column ranges overlap enough into one digit box each."""
    boxes = [list(piece[:4]) for piece in sorted(pieces, key=lambda piece: piece[0])]
    merged = True
    while merged:
        merged = False
        for first in range(len(boxes)):
            for second in range(first + 1, len(boxes)):
                if _overlap_enough(boxes[first], boxes[second]):
                    boxes[first] = _union(boxes[first], boxes[second])
                    del boxes[second]
                    merged = True
                    break
            if merged:
                break
    return sorted((tuple(box) for box in boxes), key=lambda box: box[0])


def _overlap_enough(a, b) -> bool:
    overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    narrower = min(a[2], b[2])
    return overlap > 0.5 * narrower


def _union(a, b) -> list[int]:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return [x0, y0, x1 - x0, y1 - y0]


# --------------------------------------------------------------------------- one digit -> 28x28


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the mean stroke width of a binary digit: 2 x area / perimeter."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    area = float(np.count_nonzero(mask))
    return 2.0 * area / perimeter if perimeter > 0 else 0.0


def even_stroke(ink: np.ndarray, mask: np.ndarray, digit_height: int) -> np.ndarray:
    """Return the ink of one digit with its strokes thickened or thinned towards MNIST's width."""
    # MNIST strokes are about 2.5 px in a 20 px tall digit: 12% of the height.
    target = 0.12 * max(digit_height, 1)
    current = stroke_width(mask)
    if current <= 0:
        return ink
    if current < 0.7 * target:
        size = int(round(target - current)) | 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        thick = cv2.dilate(mask, kernel)
        return cv2.GaussianBlur(thick.astype(np.float32) / 255.0, (3, 3), 0)
    if current > 1.6 * target:
        size = int(round((current - target) / 2)) * 2 + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        thin = cv2.erode(mask, kernel)
        if np.count_nonzero(thin) > 0.25 * np.count_nonzero(mask):
            return cv2.GaussianBlur(thin.astype(np.float32) / 255.0, (3, 3), 0)
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
    decoded = decode_picture(data)
    return digits_from_grey(to_grey(decoded.rgba), decoded.width, decoded.height)


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
    working, factor = shrink(grey)
    ink = ink_map(working)
    mask = ink_mask(ink)
    boxes = find_digit_boxes(mask)
    if not boxes:
        raise PictureError("no digit found", status=422)
    scale_x = original_width / working.shape[1]
    scale_y = original_height / working.shape[0]
    crops = []
    for x, y, w, h in boxes:
        digit_mask = mask[y:y + h, x:x + w]
        digit_ink = np.where(digit_mask > 0, np.maximum(ink[y:y + h, x:x + w], 0.5), 0)
        # Keep the soft edges of the strokes: ink next to the mask counts too.
        near = cv2.dilate(digit_mask, np.ones((3, 3), np.uint8)) > 0
        digit_ink = np.where(near, np.maximum(digit_ink, ink[y:y + h, x:x + w]), 0).astype(np.float32)
        digit_ink = even_stroke(digit_ink, digit_mask, h)
        box = (int(round(x * scale_x)), int(round(y * scale_y)),
               max(1, int(round(w * scale_x))), max(1, int(round(h * scale_y))))
        crops.append(DigitCrop(pixels=to_mnist_square(digit_ink), box=box))
    return crops


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
    factor = max(height, width) // (2 * WORKING_SIDE)
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
