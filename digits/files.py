"""Small file helpers shared by training and serving: content hashes and atomic writes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees half of it."""
    # Another process starting at the same moment must never read half a file.
    partial = Path(path).with_name(f".{Path(path).name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
