"""Preprocessing units: decoding every format, transparency, polarity, cropping, centre of mass."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from digits.preprocess import (
    PictureError,
    centre_by_mass,
    decode_picture,
    extract_digits,
    find_digit_boxes,
    ink_is_dark,
    ink_mask,
    to_grey,
    to_mnist_square,
    transparent_background,
)
from tests.conftest import png_bytes


def stroke_digit(size=(280, 280), ink=0, paper=255, thickness=None, box=None):
    """A '7'-like mark drawn with OpenCV: a top bar and a slanted stem."""
    height, width = size
    picture = np.full((height, width), paper, np.uint8)
    x0, y0, x1, y1 = box or (int(width * 0.3), int(height * 0.2), int(width * 0.7), int(height * 0.8))
    thickness = thickness or max(2, (y1 - y0) // 9)
    cv2.line(picture, (x0, y0), (x1, y0), ink, thickness, cv2.LINE_AA)
    cv2.line(picture, (x1, y0), (x0 + (x1 - x0) // 3, y1), ink, thickness, cv2.LINE_AA)
    return picture


def pil_bytes(picture: Image.Image, format_name: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=format_name, **options)
    return buffer.getvalue()


# ---------------------------------------------------------------- decoding, each format


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


# ---------------------------------------------------------------- transparency and polarity


def test_black_drawing_on_transparent_background_stays_visible():
    rgba = np.zeros((280, 280, 4), np.uint8)  # a canvas: transparent black everywhere
    ink = stroke_digit(ink=255, paper=0)
    rgba[..., 3] = ink  # the strokes are opaque black
    data = png_bytes(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    decoded = decode_picture(data)
    assert transparent_background(decoded.rgba) == 1.0
    grey = to_grey(decoded.rgba)
    assert grey.mean() > 0.8  # mostly white paper, not the all-black classic bug
    crops = extract_digits(data)
    assert len(crops) == 1 and crops[0].pixels.max() == 255
    assert crops[0].pixels[0].max() == 0  # background black, ink white: MNIST polarity


def test_white_drawing_on_transparent_background_goes_on_black():
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = stroke_digit(size=(200, 200), ink=255, paper=0)
    decoded = decode_picture(png_bytes(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA)))
    assert transparent_background(decoded.rgba) == 0.0
    assert to_grey(decoded.rgba).mean() < 0.2


@pytest.mark.parametrize("ink, paper, dark", [(0, 255, True), (255, 0, False), (30, 200, True),
                                              (220, 40, False)])
def test_polarity_is_found(ink, paper, dark):
    grey = stroke_digit(ink=ink, paper=paper).astype(np.float32) / 255
    assert ink_is_dark(grey) is dark


@pytest.mark.parametrize("ink, paper", [(0, 255), (255, 0)])
def test_both_polarities_give_the_same_input(ink, paper):
    one = extract_digits(png_bytes(stroke_digit(ink=ink, paper=paper)))[0].pixels
    other = extract_digits(png_bytes(stroke_digit(ink=paper, paper=ink)))[0].pixels
    assert one.max() == 255 and one[:, 0].max() == 0
    assert np.abs(one.astype(int) - other.astype(int)).mean() < 3


# ---------------------------------------------------------------- crop, scale, centre


def test_crop_scales_the_ink_into_a_20_pixel_box():
    square = to_mnist_square(np.ones((50, 25), np.float32))  # a tight crop, 2:1
    rows, columns = np.nonzero(square)
    assert rows.max() - rows.min() + 1 == 20  # the long side becomes 20 pixels
    assert 9 <= columns.max() - columns.min() + 1 <= 11  # the aspect ratio is kept


def test_centre_of_mass_is_moved_to_the_middle():
    square = np.zeros((28, 28), np.float32)
    square[2:8, 3:9] = 1.0  # a blob in the top-left corner
    centred = centre_by_mass(square).astype(np.float64)
    rows, columns = np.indices(centred.shape)
    assert abs((rows * centred).sum() / centred.sum() - 13.5) <= 0.5
    assert abs((columns * centred).sum() / centred.sum() - 13.5) <= 0.5


def test_off_centre_small_digit_is_found_and_boxed():
    picture = stroke_digit(size=(400, 600), box=(450, 40, 520, 140))
    crops = extract_digits(png_bytes(picture))
    assert len(crops) == 1
    x, y, w, h = crops[0].box
    assert 440 <= x <= 460 and 30 <= y <= 50 and 60 <= w <= 90 and 90 <= h <= 115


def test_mnist_sized_picture_passes_through_unchanged(mnist_test):
    for index in range(20):
        pixels = mnist_test.images[index].reshape(28, 28)
        crops = extract_digits(png_bytes(pixels))
        np.testing.assert_array_equal(crops[0].pixels, pixels)
        inverted = extract_digits(png_bytes(255 - pixels))
        np.testing.assert_array_equal(inverted[0].pixels, pixels)


def test_several_digits_are_ordered_left_to_right():
    picture = np.full((200, 600), 255, np.uint8)
    for index, x in enumerate((40, 240, 440)):
        cv2.circle(picture, (x + 60, 100), 30 + 10 * index, 0, 12)
    boxes = find_digit_boxes(ink_mask(1 - picture.astype(np.float32) / 255))
    assert len(boxes) == 3
    assert [box[0] for box in boxes] == sorted(box[0] for box in boxes)


def test_pieces_of_one_digit_are_merged():
    picture = np.full((300, 300), 255, np.uint8)
    cv2.line(picture, (120, 60), (200, 60), 0, 14)  # the hat of a 5, not touching the rest
    cv2.line(picture, (120, 80), (120, 140), 0, 14)
    cv2.ellipse(picture, (150, 190), (55, 50), 0, -120, 160, 0, 14)
    assert len(find_digit_boxes(ink_mask(1 - picture.astype(np.float32) / 255))) == 1


@pytest.mark.parametrize("beside, digits", [("dot over a tick", 1), ("a 1", 2)])
def test_a_dot_over_a_tick_beside_a_digit_is_part_of_it(beside, digits):
    # A dot above a short tick spans a box nearly as tall as the digit, but its ink covers less
    # than half the rows: a fragment of the 7 (a pen that skipped), not a digit of its own.
    picture = np.full((300, 340), 255, np.uint8)
    cv2.line(picture, (60, 60), (170, 60), 0, 14)  # a 7: its bar and its stem, one stroke
    cv2.line(picture, (170, 60), (100, 250), 0, 14)
    if beside == "a 1":
        cv2.line(picture, (215, 70), (215, 240), 0, 14)
    else:
        cv2.circle(picture, (215, 70), 9, 0, -1)
        cv2.line(picture, (215, 150), (210, 205), 0, 14)
    assert len(find_digit_boxes(ink_mask(1 - picture.astype(np.float32) / 255))) == digits


def test_specks_are_not_digits():
    picture = np.full((300, 300), 255, np.uint8)
    rng = np.random.default_rng(1)
    for x, y in rng.integers(5, 295, size=(15, 2)):
        picture[y:y + 2, x:x + 2] = 0
    with pytest.raises(PictureError) as raised:
        extract_digits(png_bytes(picture))
    assert raised.value.status == 422


# ---------------------------------------------------------------- errors


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


def test_blank_pages_have_no_digit():
    for paper in (0, 255, 128):
        with pytest.raises(PictureError, match="no digit found") as raised:
            extract_digits(png_bytes(np.full((200, 300), paper, np.uint8)))
        assert raised.value.status == 422


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
