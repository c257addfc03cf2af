"""A corpus of hostile and unusual uploads, built in memory (nothing downloaded)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width: int, height: int, bit_depth: int = 1, colour_type: int = 0,
                    rows: int = 64) -> bytes:
    """A valid-looking PNG whose header announces width x height; only a few rows of data."""
    stride = (width * bit_depth + 7) // 8
    raw = zlib.compress((b"\x00" + b"\x00" * stride) * min(rows, height), 9)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")


def _save(picture: Image.Image, format_name: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=format_name, **options)
    return buffer.getvalue()


def _seven(size: int = 200, ink: int = 0, paper: int = 255) -> np.ndarray:
    import cv2

    picture = np.full((size, size), paper, np.uint8)
    cv2.line(picture, (size // 4, size // 5), (3 * size // 4, size // 5), ink, max(2, size // 12))
    cv2.line(picture, (3 * size // 4, size // 5), (size // 3, 4 * size // 5), ink, max(2, size // 12))
    return picture


def build_corpus() -> dict[str, tuple[bytes, set[int]]]:
    """Return {case: (bytes, statuses that count as a correct answer)}; 200 means it was read."""
    seven = _seven()
    good_png = _save(Image.fromarray(seven), "PNG")
    good_jpeg = _save(Image.fromarray(seven).convert("RGB"), "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6
    animated = _save(Image.fromarray(seven).convert("P"), "GIF", save_all=True,
                     append_images=[Image.new("P", (200, 200), 255)], duration=50, loop=0)
    grey_alpha = Image.fromarray(np.dstack([np.zeros_like(seven), 255 - seven]), mode="LA")
    rng = np.random.default_rng(0)
    return {
        "empty file": (b"", {400}),
        "random bytes": (rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), {415}),
        "plain text": (b"hello, I am a text file pretending to be a PNG\n" * 20, {415}),
        "html with script": (b"<!doctype html><html><script>alert(document.cookie)</script></html>", {415}),
        "svg with script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
                            b'<circle r="10"/></svg>', {415}),
        "pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", {415}),
        "truncated png": (good_png[: len(good_png) // 2], {400}),
        "truncated jpeg": (good_jpeg[: len(good_jpeg) // 2], {200, 400, 422}),
        "png signature only": (b"\x89PNG\r\n\x1a\n", {400, 415}),
        "40000x40000 1-bit png": (png_header_only(40000, 40000), {413}),
        "60000x8 png": (png_header_only(60000, 8, rows=8), {422}),
        "1x1 png": (_save(Image.new("L", (1, 1), 0), "PNG"), {422}),
        "blank white": (_save(Image.new("L", (300, 200), 255), "PNG"), {422}),
        "blank black": (_save(Image.new("L", (300, 200), 0), "PNG"), {422}),
        "16-bit png": (_save(Image.fromarray(seven.astype(np.uint16) * 257), "PNG"), {200}),
        "grey+alpha png": (_save(grey_alpha, "PNG"), {200}),
        "cmyk jpeg": (_save(Image.fromarray(seven).convert("CMYK"), "JPEG", quality=90), {200}),
        "animated gif": (animated, {200}),
        "exif rotated jpeg": (_save(Image.fromarray(np.rot90(seven).copy()).convert("RGB"), "JPEG",
                                    exif=exif, quality=90), {200}),
        "12 MB body": (b"\xff" * (12 * 1024 * 1024), {413}),
    }
