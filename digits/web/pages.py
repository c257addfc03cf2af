"""What the HTML pages show: the index's choices, and pictures inlined as data URIs."""

from __future__ import annotations

import base64

import cv2
import numpy as np
from flask import render_template, request

from digits.preprocess import Decoded, transparent_background
from digits.web.state import service_of


def index_context() -> dict:
    """Values the index page needs besides an error message: the examples, the models and the one chosen."""
    service = service_of()
    asked = request.args.get("model", "") or request.form.get("model", "")
    return {"samples": list(service.samples), "models": [model_choice(name, classifier)
                                                         for name, classifier in service.classifiers.items()],
            "chosen_model": asked if asked in service.classifiers else service.default_model}


def model_choice(name: str, classifier) -> dict:
    """Return how the page offers a model: its name, and what it is (kind, accuracy, size) in words."""
    from digits.profiles import PROFILES

    card = classifier.card
    parts = [PROFILES[name].summary if name in PROFILES else "a model"]
    if card.get("test_accuracy") is not None:
        parts.append(f"{card['test_accuracy']:.2%} right on MNIST's test set")
    if card.get("parameters"):
        parts.append(f"{card['parameters'] / 1000:,.0f}k parameters")
    return {"name": name, "text": f"{name}: " + ", ".join(parts)}


def render_index(error: str | None = None) -> str:
    """Render the upload, drawing and examples page, with an error message if there is one."""
    return render_template("index.html", error=error, **index_context())


def png_data_uri(pixels: np.ndarray) -> str:
    """Encode a uint8 grey or RGB(A) array as a PNG data URI for inline display."""
    array = np.asarray(pixels)
    if array.ndim == 3 and array.shape[2] == 4:
        array = cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA)
    elif array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", array)
    if not ok:  # pragma: no cover - encoding a uint8 array cannot fail
        raise ValueError("could not encode PNG")
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def preview_data_uri(decoded: Decoded, longest_side: int = 560) -> str:
    """Return the uploaded picture, upright, on white and at most ``longest_side``, as a data URI."""
    rgba = decoded.rgba
    height, width = rgba.shape[:2]
    factor = min(1.0, longest_side / max(height, width))
    if factor < 1.0:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
    elif max(height, width) < 140:
        # Tiny pictures (a 28x28 MNIST digit) are enlarged with visible pixels.
        factor = max(1, 280 // max(height, width))
        rgba = cv2.resize(rgba, (width * factor, height * factor), interpolation=cv2.INTER_NEAREST)
    alpha = rgba[..., 3:4]
    rgb = rgba[..., :3] * alpha + transparent_background(rgba) * (1 - alpha)
    return png_data_uri(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8))
