"""A model is checked when it is loaded: finite answers, and the same answers its card recorded.

When a model is trained (or its serving file made again), its card keeps a small check set —
two MNIST test digits of each class for a digit model — and what the model answered on them.
Loading runs the check set again: a damaged file that still loads (answering 0 with confidence
NaN to everything) or the wrong file under a model's name is refused with one line naming it.
"""

from __future__ import annotations

import base64

import numpy as np

from digits.errors import ModelError

# The answers may differ between runtimes by this much (they agree with Keras to 1e-4).
TOLERANCE = 1e-3


def check_record(run, pictures: np.ndarray, source: str) -> dict:
    """Return the card's check: the pictures (float32 in [0, 1], stored as uint8) and ``run``'s answers."""
    stored = np.round(np.clip(pictures, 0, 1) * 255).astype(np.uint8)
    outputs = np.asarray(run(stored.astype(np.float32) / 255.0), np.float64)
    return {"source": source, "shape": list(stored.shape),
            "pictures": base64.b64encode(stored.tobytes()).decode("ascii"),
            "outputs": [[round(float(value), 6) for value in row] for row in outputs.reshape(len(stored), -1)]}


def verify(run, card: dict, file_name: str) -> None:
    """Raise ModelError unless ``run`` answers its card's check set finitely and as the card recorded.

    A card without a check (an older card) is checked for finite answers on a blank picture only.
    """
    check = card.get("check")
    if check is None:
        shape = (1, 28, 28, 1)
        expected = None
    else:
        shape = tuple(check["shape"])
        expected = np.asarray(check["outputs"], np.float64)
    pictures = (np.frombuffer(base64.b64decode(check["pictures"]), np.uint8).reshape(shape).astype(np.float32) / 255.0
                if check is not None else np.zeros(shape, np.float32))
    try:
        outputs = np.asarray(run(pictures), np.float64).reshape(len(pictures), -1)
    except Exception as error:  # noqa: BLE001 - any failure to answer makes the model unusable
        raise ModelError(f"{file_name} cannot answer its check pictures ({error})") from None
    if not np.isfinite(outputs).all():
        raise ModelError(f"{file_name} is damaged: it answers NaN or infinite probabilities; "
                         "train it again or restore the file")
    if expected is not None and (outputs.shape != expected.shape or np.abs(outputs - expected).max() > TOLERANCE):
        raise ModelError(f"{file_name} does not give the answers its card recorded on its check pictures; "
                         "it is damaged or not the model its card describes")
