"""Helpers the tests share: pictures drawn here, HTTP bodies, the shipped models, a hostile corpus."""

from __future__ import annotations

import io
import json
import socket
import struct
import uuid
import zlib

import cv2
import numpy as np
from PIL import Image

from digits.config import MODEL_DIR, PROJECT_ROOT, model_path
from digits.profiles import DIGIT_MODEL_NAMES, MODEL_NAMES

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode a uint8 array (grey, BGR or BGRA) as PNG bytes."""
    ok, encoded = cv2.imencode(".png", pixels)
    assert ok
    return encoded.tobytes()


def pil_bytes(picture: Image.Image, format_name: str, **options) -> bytes:
    """Save a Pillow picture in ``format_name`` and return the bytes."""
    buffer = io.BytesIO()
    picture.save(buffer, format=format_name, **options)
    return buffer.getvalue()


def stroke_digit(size=(280, 280), ink=0, paper=255, thickness=None, box=None):
    """A '7'-like mark drawn with OpenCV: a top bar and a slanted stem."""
    height, width = size
    picture = np.full((height, width), paper, np.uint8)
    x0, y0, x1, y1 = box or (int(width * 0.3), int(height * 0.2), int(width * 0.7), int(height * 0.8))
    thickness = thickness or max(2, (y1 - y0) // 9)
    cv2.line(picture, (x0, y0), (x1, y0), ink, thickness, cv2.LINE_AA)
    cv2.line(picture, (x1, y0), (x0 + (x1 - x0) // 3, y1), ink, thickness, cv2.LINE_AA)
    return picture


def expected_number(name: str) -> str:
    """What a sample shows: pic1 and pic2 are MNIST's first two training digits; others say it."""
    return {"pic1.jpg": "5", "pic2.jpg": "0"}.get(name) or name.rsplit(".", 1)[0].rsplit("_", 1)[1]


def shipped_models() -> list[str]:
    """Return the names of the digit models committed in model/."""
    return [name for name in DIGIT_MODEL_NAMES if model_path(name, MODEL_DIR).exists()]


def shipped_helper_models() -> list[str]:
    """Return the names of the committed models that help the digit models (sequence reader, mark checker)."""
    return [name for name in MODEL_NAMES if name not in DIGIT_MODEL_NAMES and model_path(name, MODEL_DIR).exists()]


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def multipart(data: bytes, field: str = "image", filename: str = "picture.png") -> tuple[bytes, str]:
    """Return a multipart/form-data body holding one file, and its content type."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------- a corpus of hostile and unusual uploads


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width: int, height: int, bit_depth: int = 1, colour_type: int = 0,
                    rows: int = 64) -> bytes:
    """A valid-looking PNG whose header announces width x height; only a few rows of data."""
    stride = (width * bit_depth + 7) // 8
    raw = zlib.compress((b"\x00" + b"\x00" * stride) * min(rows, height), 9)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")


def _seven(size: int = 200, ink: int = 0, paper: int = 255) -> np.ndarray:
    picture = np.full((size, size), paper, np.uint8)
    cv2.line(picture, (size // 4, size // 5), (3 * size // 4, size // 5), ink, max(2, size // 12))
    cv2.line(picture, (3 * size // 4, size // 5), (size // 3, 4 * size // 5), ink, max(2, size // 12))
    return picture


def build_corpus() -> dict[str, tuple[bytes, set[int]]]:
    """Return {case: (bytes, statuses that count as a correct answer)}; 200 means it was read."""
    seven = _seven()
    good_png = pil_bytes(Image.fromarray(seven), "PNG")
    good_jpeg = pil_bytes(Image.fromarray(seven).convert("RGB"), "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6
    animated = pil_bytes(Image.fromarray(seven).convert("P"), "GIF", save_all=True,
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
        "1x1 png": (pil_bytes(Image.new("L", (1, 1), 0), "PNG"), {422}),
        "blank white": (pil_bytes(Image.new("L", (300, 200), 255), "PNG"), {422}),
        "blank black": (pil_bytes(Image.new("L", (300, 200), 0), "PNG"), {422}),
        "16-bit png": (pil_bytes(Image.fromarray(seven.astype(np.uint16) * 257), "PNG"), {200}),
        "grey+alpha png": (pil_bytes(grey_alpha, "PNG"), {200}),
        "cmyk jpeg": (pil_bytes(Image.fromarray(seven).convert("CMYK"), "JPEG", quality=90), {200}),
        "animated gif": (animated, {200}),
        "exif rotated jpeg": (pil_bytes(Image.fromarray(np.rot90(seven).copy()).convert("RGB"), "JPEG",
                                        exif=exif, quality=90), {200}),
        "12 MB body": (b"\xff" * (12 * 1024 * 1024), {413}),
    }


def post_file(url: str, data: bytes, name: str = "picture.png", timeout: float = 10) -> tuple[int, dict]:
    """POST a picture to ``url`` as a careful client does: headers first with "Expect: 100-continue",
    the body only once the server says to go on. A server that refuses the body outright (too
    large) is heard without the body being sent, as curl does it."""
    import http.client
    import select
    import socket as sockets
    from urllib.parse import urlsplit

    body, content_type = multipart(data, filename=name)
    address = urlsplit(url)
    with sockets.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        connection.sendall((f"POST {address.path or '/'} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                            "Expect: 100-continue\r\nConnection: close\r\n\r\n").encode())
        reader = connection.makefile("rb")
        if select.select([connection], [], [], timeout)[0]:
            first = reader.peek(12)[:12] if hasattr(reader, "peek") else b""
            if first.startswith(b"HTTP/1.1 100"):
                reader.readline()
                reader.readline()  # the blank line after "100 Continue"
                connection.sendall(body)
        response = http.client.HTTPResponse(connection)
        response.fp = reader
        response.begin()
        return response.status, json.loads(response.read())
