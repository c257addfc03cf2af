"""Seeded renderers that turn MNIST digits into the pictures users send: photos, drawings, numbers.

Every function takes a numpy Generator, so a seed fixes every picture. Only MNIST *test*
digits are rendered for the benchmark; the models never train on them.
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.pen import redraw, shape_of, tight, written_ink

PAPERS = {  # BGR
    "white": (250, 250, 250), "cream": (205, 235, 245), "grey": (200, 203, 205),
    "blue tint": (245, 228, 215), "green tint": (215, 240, 222), "pink tint": (228, 220, 248),
}
INKS = {"black": (25, 25, 30), "blue": (150, 55, 20), "red": (40, 35, 185), "pencil": (95, 95, 100)}


def ink_patch(digit28: np.ndarray, height: int, rng: np.random.Generator, stroke: float = 0.0,
              rotation: float = 0.0) -> np.ndarray:
    """Return a float ink map (0..1) of one MNIST digit whose ink is about ``height`` pixels tall.

    ``stroke`` > 0 makes strokes bolder (marker), < 0 thinner (fine pen), in units of the height.
    """
    written = written_ink(digit28, height, pad=max(4, round(height) // 2))  # room to rotate
    height = int(round(height))
    ink = written
    radius = int(round(abs(stroke) * height))
    # A bolder or finer pen changes the strokes' width, not the digit: a person writing with a
    # marker leaves the loops of an 8 open, and a fine pen does not break a stroke in two. So
    # the pen is narrowed until the digit keeps its pieces and its holes.
    while radius >= 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        ink = cv2.dilate(written, kernel) if stroke > 0 else cv2.erode(written, kernel)
        if shape_of(ink) == shape_of(written):
            break
        ink, radius = written, radius // 2
    if rotation:
        centre = (ink.shape[1] / 2, ink.shape[0] / 2)
        matrix = cv2.getRotationMatrix2D(centre, rotation, 1.0)
        ink = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(ink, (0, 0), max(0.5, height / 120))


def paper(height: int, width: int, rng: np.random.Generator, ruled: bool) -> np.ndarray:
    """Return a float BGR page: tinted paper, maybe ruled notebook lines and a margin."""
    colour = np.array(PAPERS[rng.choice(list(PAPERS))], np.float32) + rng.normal(0, 4, 3)
    page = np.ones((height, width, 3), np.float32) * colour
    page += rng.normal(0, 2.0, (height, width, 1)).astype(np.float32)  # paper grain
    if ruled:
        spacing = int(rng.uniform(0.09, 0.16) * height) + 8
        offset = int(rng.integers(0, spacing))
        slope = np.tan(np.deg2rad(rng.uniform(-1.5, 1.5)))
        line_colour = (np.array((205, 160, 120), np.float32) + rng.normal(0, 10, 3)).tolist()
        thickness = int(rng.integers(1, 3))
        for y in range(offset, height + spacing, spacing):
            cv2.line(page, (0, y), (width, int(y + slope * width)), line_colour, thickness, cv2.LINE_AA)
        if rng.random() < 0.4:
            x = int(rng.uniform(0.05, 0.15) * width)
            cv2.line(page, (x, 0), (x, height), (120, 120, 220), thickness, cv2.LINE_AA)
    return page


def lighting(height: int, width: int, rng: np.random.Generator, sharp_shadow: bool = False) -> np.ndarray:
    """Return a light multiplier: a gradient across the page and maybe a soft shadow.

    ``sharp_shadow``: always a shadow, darker and with a sharper edge, as a hand or a phone casts
    under a lamp.
    """
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    darkest = rng.uniform(0.55, 0.95)
    light = darkest + (1 - darkest) * ramp
    if sharp_shadow or rng.random() < 0.5:
        shadow = np.zeros((height, width), np.float32)
        centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        axes = (int(rng.uniform(0.2, 0.6) * width), int(rng.uniform(0.2, 0.6) * height))
        cv2.ellipse(shadow, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        shadow = cv2.GaussianBlur(shadow, (0, 0), (0.02 if sharp_shadow else 0.08) * max(height, width))
        light *= 1 - (rng.uniform(0.3, 0.5) if sharp_shadow else rng.uniform(0.15, 0.35)) * shadow
    return light[..., None]


def photograph(page: np.ndarray, rng: np.random.Generator) -> bytes:
    """Blur, add sensor noise and save as a JPEG, as a phone would."""
    sigma = rng.uniform(0, 1.3) * max(page.shape[:2]) / 500
    if sigma > 0.3:
        page = cv2.GaussianBlur(page, (0, 0), sigma)
    page = page + rng.normal(0, rng.uniform(0, 7), page.shape).astype(np.float32)
    quality = int(rng.integers(55, 95))
    ok, encoded = cv2.imencode(".jpg", np.clip(page, 0, 255).astype(np.uint8),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return encoded.tobytes()


def place(page: np.ndarray, ink: np.ndarray, x: int, y: int, colour: np.ndarray, opacity: float) -> None:
    """Lay ink of one colour onto the page at (x, y), in place."""
    height, width = ink.shape
    region = page[y:y + height, x:x + width]
    alpha = (ink[: region.shape[0], : region.shape[1]] * opacity)[..., None]
    region[:] = region * (1 - alpha) + colour * alpha


def photo_of_digits(digits28: list[np.ndarray], rng: np.random.Generator,
                    margin_range: tuple[float, float] = (0.15, 1.2), margin_pixels: int = 6) -> bytes:
    """A phone photo of one or more handwritten digits on paper, as JPEG bytes.

    Each margin is ``margin_pixels`` plus a random share (``margin_range``) of the digits' height:
    a small range is a photo cropped close around the writing.
    """
    count = len(digits28)
    digit_height = int(rng.uniform(40, 260))
    rotation_range = 15 if count == 1 else 6
    stroke = rng.choice([-0.03, 0.0, 0.0, 0.04, 0.07])
    inks = [tight(ink_patch(d, digit_height * rng.uniform(0.92, 1.08), rng, stroke=stroke,
                            rotation=rng.uniform(-rotation_range, rotation_range))) for d in digits28]
    gaps = [int(rng.uniform(0.25, 0.7) * digit_height * 0.6) for _ in range(count - 1)]
    row_width = sum(ink.shape[1] for ink in inks) + sum(gaps)
    row_height = max(ink.shape[0] for ink in inks)
    margin_x = int(rng.uniform(*margin_range) * digit_height) + margin_pixels
    margin_y = int(rng.uniform(*margin_range) * digit_height) + margin_pixels
    width = row_width + margin_x + int(rng.uniform(*margin_range) * digit_height) + margin_pixels
    height = row_height + margin_y + int(rng.uniform(*margin_range) * digit_height) + margin_pixels
    page = paper(height, width, rng, ruled=rng.random() < 0.4)
    colour = np.array(INKS[rng.choice(list(INKS))], np.float32) + rng.normal(0, 6, 3)
    opacity = rng.uniform(0.8, 1.0)
    x = margin_x
    for index, ink in enumerate(inks):
        y = margin_y + int(rng.uniform(0, 1) * (row_height - ink.shape[0]))
        place(page, ink, x, y, colour, opacity)
        x += ink.shape[1] + (gaps[index] if index < len(gaps) else 0)
    page *= lighting(height, width, rng)
    return photograph(page, rng)


CANVAS_STYLES = ("black on transparent", "black on white", "white on black")


def canvas_drawing(digit28: np.ndarray, rng: np.random.Generator, style: str, brush: str) -> bytes:
    """A 280x280 canvas drawing of one digit as PNG bytes (thick or thin brush, maybe off-centre).

    The digit's centre lines are drawn again with a round brush of one width, as a pen on a
    canvas would leave them.
    """
    digit_height = int(rng.uniform(110, 220))
    ink = tight(ink_patch(digit28, digit_height, rng, rotation=rng.uniform(-8, 8)))
    brush_width = int(rng.uniform(14, 24)) if brush == "thick" else int(rng.uniform(5, 9))
    ink = redraw(ink, brush_width)
    ink = cv2.GaussianBlur(ink, (3, 3), 0)  # anti-aliased borders, as a canvas draws them
    height, width = ink.shape
    if height > 270 or width > 270:
        factor = 270 / max(height, width)
        ink = cv2.resize(ink, (int(width * factor), int(height * factor)), interpolation=cv2.INTER_AREA)
        height, width = ink.shape
    canvas = np.zeros((280, 280), np.float32)
    x = int(rng.integers(0, 280 - width + 1))
    y = int(rng.integers(0, 280 - height + 1))
    canvas[y:y + height, x:x + width] = ink
    alpha = np.round(canvas * 255).astype(np.uint8)
    if style == "black on transparent":
        picture = np.dstack([np.zeros_like(alpha)] * 3 + [alpha])
    elif style == "black on white":
        picture = 255 - alpha
    else:
        picture = alpha
    ok, encoded = cv2.imencode(".png", picture)
    if not ok:
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()
