"""Stage 1, decoding: every format, frames, EXIF, regions, and bad or huge files refused with the right status."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digits.preprocess import (
    PictureError,
    decode_picture,
    extract_digits,
    to_grey,
)
from tests.helpers import pil_bytes, png_bytes, stroke_digit


def black_on_white() -> Image.Image:
    return Image.fromarray(stroke_digit())


FORMATS = {
    "png 8-bit grey": lambda: pil_bytes(black_on_white(), "PNG"),
    "png 16-bit": lambda: pil_bytes(Image.fromarray(stroke_digit().astype(np.uint16) * 257), "PNG"),
    "png palette": lambda: pil_bytes(black_on_white().convert("P"), "PNG"),
    "png grey+alpha": lambda: pil_bytes(black_on_white().convert("LA"), "PNG"),
    "png rgba": lambda: pil_bytes(black_on_white().convert("RGBA"), "PNG"),
    "png 1-bit": lambda: pil_bytes(black_on_white().convert("1"), "PNG"),
    "jpeg": lambda: pil_bytes(black_on_white().convert("RGB"), "JPEG", quality=90),
    "jpeg cmyk": lambda: pil_bytes(black_on_white().convert("CMYK"), "JPEG", quality=90),
    "gif": lambda: pil_bytes(black_on_white().convert("P"), "GIF"),
    "bmp": lambda: pil_bytes(black_on_white().convert("RGB"), "BMP"),
    "webp": lambda: pil_bytes(black_on_white().convert("RGB"), "WEBP", quality=90),
    "tiff": lambda: pil_bytes(black_on_white(), "TIFF"),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_decodes_to_the_same_picture(name):
    decoded = decode_picture(FORMATS[name]())
    assert (decoded.width, decoded.height) == (280, 280)
    grey = to_grey(decoded.rgba)
    reference = stroke_digit().astype(np.float32) / 255
    # Lossy formats and 1-bit dithering differ a little; the picture must be the same one.
    assert np.mean(np.abs(grey - reference)) < 0.06, name
    crops = extract_digits(FORMATS[name]())
    assert len(crops) == 1


def test_animated_gif_uses_the_first_frame():
    first = Image.fromarray(stroke_digit()).convert("P")
    second = Image.fromarray(np.full((280, 280), 255, np.uint8)).convert("P")
    data = pil_bytes(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert len(extract_digits(data)) == 1


def test_exif_orientation_is_applied():
    upright = np.full((100, 200), 255, np.uint8)
    upright[:, :20] = 0  # a dark band on the left of the upright picture
    stored = np.rot90(upright, k=1)  # stored rotated; EXIF 6 says "rotate 90° clockwise to view"
    picture = Image.fromarray(np.ascontiguousarray(stored)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    decoded = decode_picture(pil_bytes(picture, "JPEG", exif=exif, quality=95))
    assert (decoded.width, decoded.height) == (200, 100)
    grey = to_grey(decoded.rgba)
    assert grey[:, :15].mean() < 0.2 and grey[:, 40:].mean() > 0.8


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_region_decodes_as_that_part_of_the_upright_picture(orientation):
    stored = np.random.default_rng(orientation).integers(0, 256, (50, 80, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = pil_bytes(Image.fromarray(stored), "PNG", exif=exif.tobytes())
    upright = np.asarray(decode_picture(data).picture)
    for region in [(3, 5, 20, 11), (0, 0, 7, 30), (10, 2, 1, 1)]:
        x, y, w, h = region
        part = decode_picture(data, region=region)
        assert (part.width, part.height) == (w, h)
        np.testing.assert_array_equal(np.asarray(part.picture), upright[y:y + h, x:x + w])


def test_a_small_region_of_a_big_photo_decodes_at_more_of_its_pixels():
    picture = Image.fromarray(stroke_digit(size=(2000, 3000))).convert("RGB")
    data = pil_bytes(picture, "JPEG", quality=90)
    whole = decode_picture(data).picture.size[0]
    assert whole <= 1000  # decoded shrunk, so the region would get a quarter of its pixels across or less
    part = decode_picture(data, region=(900, 700, 600, 400))
    assert (part.width, part.height) == (600, 400)
    assert part.picture.size == (600, 400)  # all of them


@pytest.mark.parametrize("data, status, message", [
    (b"", 400, "empty"),
    (b"hello, this is text", 415, "not a picture"),
    (b"<html><script>alert(1)</script></html>", 415, "not a picture"),
    (b"%PDF-1.4\n%...", 415, "not a picture"),
])
def test_unreadable_files_raise_picture_error(data, status, message):
    with pytest.raises(PictureError, match=message) as raised:
        extract_digits(data)
    assert raised.value.status == status


def test_truncated_png_is_a_400():
    data = png_bytes(stroke_digit())
    with pytest.raises(PictureError) as raised:
        extract_digits(data[: len(data) // 2])
    assert raised.value.status == 400


def test_huge_picture_is_refused_from_its_header_before_decoding():
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", 40000, 40000, 1, 0, 0, 0, 0)  # 1-bit grey
    rows = zlib.compress(b"\x00" * (1 + 5000) * 100, 9)  # not even all rows: it must not matter
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    assert len(data) < 10_000
    with pytest.raises(PictureError, match="1600 megapixels") as raised:
        extract_digits(data)
    assert raised.value.status == 413


def test_large_decodes_wait_for_a_slot_shared_among_worker_processes(monkeypatch):
    from digits.preprocess import decode

    monkeypatch.setattr(decode, "DECODE_WAIT_SECONDS", 0.2)
    big = pil_bytes(Image.new("RGB", (2600, 2600), "white"), "PNG")  # 20 MB once decoded: a large decode
    assert decode.share_big_decodes(processes=2) == 1  # two workers: one large decode each
    try:
        with decode._decode_slot(decode.BIG_DECODE_BYTES + 1):  # another request holds this process's slot
            with pytest.raises(PictureError, match="busy decoding") as raised:
                decode_picture(big)
        assert raised.value.status == 503
        assert decode_picture(big).width == 2600  # the slot is free again
    finally:
        assert decode.share_big_decodes(processes=1) == decode.BIG_DECODES
