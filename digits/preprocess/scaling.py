"""Scaling a mark's ink for a model: one helper for single digits (framing) and strips (strips)."""

from __future__ import annotations

import cv2
import numpy as np


def scaled_ink(ink: np.ndarray, factor: float) -> np.ndarray:
    """Return ink (float 0..1) scaled by ``factor``, its strongest ink made full white, as in MNIST."""
    height, width = ink.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink.astype(np.float32), size, interpolation=interpolation)
    peak = float(small.max())
    return np.clip(small / peak, 0, 1) if peak > 0 else small
