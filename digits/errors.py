"""The errors a person can act on: what was wrong with their picture, and the HTTP status that fits."""

from __future__ import annotations


class PictureError(ValueError):
    """A picture that cannot be read; ``status`` is the HTTP status that fits (400, 413, 415, 422)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def short_reason(error: Exception) -> str:
    """Return the first line of an exception's message, at most 120 characters, for users."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:120]


class ModelError(RuntimeError):
    """A model file that cannot serve: missing, unreadable, damaged, or answering what its card does not."""
