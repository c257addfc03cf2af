"""Stage 1, decoding: bytes or arrays -> upright pixels at a bounded working size, header checked first."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digits.config import MAX_PIXELS
from digits.errors import PictureError, short_reason

# Pillow's own bomb guard must not fire before ours, which answers with a clear 413.
Image.MAX_IMAGE_PIXELS = None

ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
ACCEPTED_TEXT = "PNG, JPEG, GIF, BMP, WebP or TIFF"
# Large pictures are shrunk to this long side before any work, so time is bounded.
WORKING_SIDE = 640


@dataclass(frozen=True)
class Decoded:
    """Decoded pixels (float32 RGBA in [0, 1], maybe shrunk) and the uploaded picture's true size."""

    rgba: np.ndarray
    width: int
    height: int
    grey: np.ndarray | None = None  # float32 grey in [0, 1], kept when the picture was grey already


def open_picture(data: bytes) -> Image.Image:
    """Open a picture's header (no pixel decoding yet) and check its format and size."""
    if not data:
        raise PictureError("the file is empty; send a picture (" + ACCEPTED_TEXT + ")")
    try:
        picture = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PictureError(f"this file is not a picture; send {ACCEPTED_TEXT}", status=415) from None
    except Exception as error:  # noqa: BLE001 - any header failure is a corrupt file
        raise PictureError(f"the picture's header is damaged ({short_reason(error)})") from None
    if picture.format not in ACCEPTED_FORMATS:
        raise PictureError(f"{picture.format} pictures are not supported; send {ACCEPTED_TEXT}",
                           status=415)
    width, height = picture.size
    if width < 1 or height < 1:
        raise PictureError("the picture has no pixels")
    check_pixel_count(width, height)
    return picture


def check_pixel_count(width: int, height: int) -> None:
    """Refuse (413) a picture with more pixels than MAX_PIXELS, before any of them is decoded."""
    if width * height > MAX_PIXELS:
        raise PictureError(
            f"the picture is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels", status=413)


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
        raise PictureError(f"the picture is damaged or truncated ({short_reason(error)})") from None


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
    values = _unit_floats(array)
    if values.ndim == 2:
        values = np.dstack([values, values, values, np.ones_like(values)])
    elif values.shape[2] == 3:
        values = np.dstack([values, np.ones(values.shape[:2], np.float32)])
    return np.ascontiguousarray(values, dtype=np.float32)


def _unit_floats(array: np.ndarray) -> np.ndarray:
    """Return an array's values as float32 in [0, 1], read by its dtype's usual range."""
    if array.dtype == bool:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        top = 255.0 if array.dtype.itemsize == 1 else 65535.0
        return np.clip(array.astype(np.float64) / top, 0, 1).astype(np.float32)
    if np.issubdtype(array.dtype, np.floating):
        values = array.astype(np.float64)
        if not np.isfinite(values).all():
            raise PictureError("the picture holds NaN or infinite values")
        top = float(values.max())
        return np.clip(values / (255.0 if top > 1.0 else 1.0), 0, 1).astype(np.float32)
    raise PictureError(f"pixels of type {array.dtype} are not supported")
