"""Stage 1, decoding: bytes or arrays -> upright pixels at a bounded working size, header checked first."""

from __future__ import annotations

import contextlib
import io
import threading
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, UnidentifiedImageError

from digits.config import MAX_PIXELS
from digits.errors import PictureError, short_reason

# Pillow's own bomb guard must not fire before ours, which answers with a clear 413.
Image.MAX_IMAGE_PIXELS = None

ACCEPTED_FORMATS = ("PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP", "TIFF")  # MPO: a phone's JPEG with more inside
ACCEPTED_TEXT = "PNG, JPEG, GIF, BMP, WebP or TIFF"
# Large pictures are shrunk to this long side before any work, so time is bounded; a JPEG is
# decoded already shrunk when that leaves at least DRAFT_FLOOR of it (a 1200x900 photo at 600x450).
WORKING_SIDE = 640
DRAFT_FLOOR = 0.75
# Memory per picture is bounded too: decoded pixels over this are refused; decodes over
# BIG_DECODE_BYTES take one of BIG_DECODES slots, waiting at most DECODE_WAIT_SECONDS for one.
MAX_DECODED_BYTES = 192 * 2 ** 20
BIG_DECODE_BYTES = 16 * 2 ** 20
BIG_DECODES = 2
DECODE_WAIT_SECONDS = 20
_BIG_DECODES = threading.BoundedSemaphore(BIG_DECODES)
GREY16_BAND_ROWS = 256  # rows of a 16-bit picture averaged at a time (see _grey16_shrunk)


def share_big_decodes(processes: int) -> int:
    """Give this process its share of BIG_DECODES when ``processes`` serve together; return the share.

    Called before the workers start, so the server as a whole still holds at most BIG_DECODES
    (one, at least, per process) large decodes in memory at once.
    """
    global _BIG_DECODES
    share = max(1, BIG_DECODES // max(1, processes))
    _BIG_DECODES = threading.BoundedSemaphore(share)
    return share
BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "I;16": 2, "I;16B": 2, "I;16L": 2,
                   "I;16N": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3}  # any other mode: 4
ORIENTATION = 0x0112  # the EXIF tag that says how a camera held the picture
SWAPS_SIDES = (5, 6, 7, 8)
TRANSPOSES = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


@dataclass(frozen=True)
class Decoded:
    """A picture decoded upright at about the working size, in its own 8-bit mode, and its true size.

    The float RGBA copy (for transparency and the result page's preview) is made only when asked.
    """

    picture: Image.Image  # 8-bit: L, LA, RGB, RGBA, P, CMYK...
    width: int  # the uploaded picture's size, for boxes in its pixels
    height: int

    @cached_property
    def rgba(self) -> np.ndarray:
        """Return the pixels as float32 RGBA in [0, 1]."""
        return _to_rgba(self.picture)


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


def decode_picture(data: bytes, longest_side: int = WORKING_SIDE,
                   region: tuple[int, int, int, int] | None = None) -> Decoded:
    """Decode bytes into upright (EXIF applied) RGBA pixels, shrunk to about ``longest_side``.

    ``region`` (x, y, width, height in the upright picture's pixels): decode only that part, at
    about ``longest_side`` on its long side; the answer's size is then the region's.
    Memory stays bounded: a big JPEG is decoded already shrunk, every picture is shrunk in its own
    mode before it grows to float RGBA, a picture whose decoded pixels would exceed
    MAX_DECODED_BYTES is refused (413), and at most BIG_DECODES large ones decode at once.
    """
    picture = open_picture(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            original_size = picture.size
            wanted = max(picture.size) if region is None else max(region[2:])
            if picture.format in ("JPEG", "MPO") and wanted >= 1.5 * longest_side * DRAFT_FLOOR:
                # Let the JPEG decoder shrink big photos itself (by 1/2, 1/4 or 1/8, to no less than
                # DRAFT_FLOOR of the working size): 4 times faster, and a fraction of the memory.
                factor = DRAFT_FLOOR * longest_side / wanted
                mode = picture.mode if picture.mode in ("L", "RGB") else "RGB"
                picture.draft(mode, (int(picture.size[0] * factor), int(picture.size[1] * factor)))
            decoded_bytes = picture.size[0] * picture.size[1] * BYTES_PER_PIXEL.get(picture.mode, 4)
            if decoded_bytes > MAX_DECODED_BYTES:
                raise PictureError(f"the picture would take {decoded_bytes / 2 ** 20:.0f} MB to decode; the limit is "
                                   f"{MAX_DECODED_BYTES / 2 ** 20:.0f} MB: send it smaller or as a JPEG", status=413)
            with _decode_slot(decoded_bytes):
                picture.seek(0)  # the first frame of an animation, the first picture of a phone's MPO
                picture.load()
                # Only now: Pillow reads a PNG's EXIF by decoding the whole picture, so asking earlier
                # decoded every waiting bomb at once, outside the slots (+578 MiB for 8 16-bit PNGs).
                orientation = picture.getexif().get(ORIENTATION, 1)
                if region is not None:
                    picture = picture.crop(_raw_box(region, orientation, original_size, picture.size))
                picture = _shrunk(picture, max(picture.size) // longest_side)
            width, height = original_size if orientation not in SWAPS_SIDES else original_size[::-1]
            if region is not None:
                width, height = region[2:]
            picture = _to_8bit(picture)
            if orientation in TRANSPOSES:
                picture = picture.transpose(TRANSPOSES[orientation])
            return Decoded(picture=picture, width=width, height=height)
    except PictureError:
        raise
    except Exception as error:  # noqa: BLE001 - truncated or corrupt data in any decoder
        raise PictureError(f"the picture is damaged or truncated ({short_reason(error)})") from None


def _raw_box(region: tuple[int, int, int, int], orientation: int, raw_size: tuple[int, int],
             decoded_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Return an upright picture's region as a box (left, top, right, bottom) in the decoded raw pixels.

    The raw pixels are as stored, before EXIF's turn (``orientation``), ``raw_size`` in the file and
    ``decoded_size`` once decoded (smaller where the JPEG decoder shrank them).
    """
    x, y, w, h = region
    raw_width, raw_height = raw_size
    if orientation in SWAPS_SIDES:
        upright_width, upright_height = raw_height, raw_width
    else:
        upright_width, upright_height = raw_width, raw_height
    # Flips first (in upright pixels), then a swap of the axes undoes a quarter turn or a transpose.
    if orientation in (2, 3, 6, 7):  # mirrored left to right, upright, before any swap
        x = upright_width - x - w
    if orientation in (3, 4, 7, 8):  # mirrored top to bottom
        y = upright_height - y - h
    if orientation in SWAPS_SIDES:
        x, y, w, h = y, x, h, w
    scale_x, scale_y = decoded_size[0] / raw_width, decoded_size[1] / raw_height
    left, top = int(x * scale_x), int(y * scale_y)
    right = max(left + 1, min(decoded_size[0], int(np.ceil((x + w) * scale_x))))
    bottom = max(top + 1, min(decoded_size[1], int(np.ceil((y + h) * scale_y))))
    return left, top, right, bottom


@contextlib.contextmanager
def _decode_slot(decoded_bytes: int):
    """Hold one of BIG_DECODES slots while a large picture decodes (small ones need none)."""
    if decoded_bytes <= BIG_DECODE_BYTES:
        yield
        return
    if not _BIG_DECODES.acquire(timeout=DECODE_WAIT_SECONDS):
        raise PictureError("the server is busy decoding other large pictures; try again in a moment", status=503)
    try:
        yield
    finally:
        _BIG_DECODES.release()


def _shrunk(picture: Image.Image, factor: int) -> Image.Image:
    """Return the picture shrunk by a whole factor in its own mode, without growing it first."""
    if picture.mode.startswith("I;16"):  # 16-bit grey: averaged in NumPy, then made 8-bit
        return _grey16_shrunk(picture, max(1, factor))
    if factor < 2:
        return picture
    if picture.mode == "P":  # a palette cannot be averaged; the nearest pixel keeps its colours
        return picture.resize((max(1, picture.size[0] // factor), max(1, picture.size[1] // factor)),
                              Image.Resampling.NEAREST)
    if picture.mode == "1":
        picture = picture.convert("L")
    elif picture.mode not in ("L", "LA", "RGB", "RGBA", "I", "F", "CMYK", "PA"):
        picture = picture.convert("RGBA")
    return picture.reduce(factor)


def _grey16_shrunk(picture: Image.Image, factor: int) -> Image.Image:
    """Average a 16-bit grey picture over factor x factor blocks into 8-bit grey, a band of rows at a time.

    A whole-picture NumPy copy would cost twice the decoded pixels again (measured: a 6000x6000
    PNG took +206 MiB to decode, +73 MiB in bands).
    """
    width, height = picture.size
    rows, columns = (height // factor) * factor, (width // factor) * factor
    band = max(1, GREY16_BAND_ROWS // factor) * factor
    shrunk = [np.asarray(picture.crop((0, top, columns, min(rows, top + band))), dtype=np.uint16)
              .reshape(-1, factor, columns // factor, factor).mean(axis=(1, 3)) for top in range(0, rows, band)]
    grey = np.concatenate(shrunk) if shrunk else np.zeros((0, columns // factor))
    return Image.fromarray(np.clip(np.round(grey / 257.0), 0, 255).astype(np.uint8), mode="L")


def _to_8bit(picture: Image.Image) -> Image.Image:
    """Turn 16-bit and 32-bit grey pictures into 8-bit grey ones; others pass unchanged."""
    if picture.mode.startswith("I;16"):
        return _shrunk(picture, 1)
    if picture.mode in ("I", "F"):
        grey = np.asarray(picture, dtype=np.float32)
        top = float(grey.max()) if grey.size else 0.0
        grey = grey / 257.0 if top > 255 else (grey * 255.0 if 0 < top <= 1.0 else grey)
        return Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8), mode="L")
    return picture


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
