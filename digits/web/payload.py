"""What a request sent: the picture (file, drawing, example or JSON data URI) and the model asked for."""

from __future__ import annotations

import base64
import binascii
import re

from flask import request

from digits.errors import PictureError
from digits.web.state import service_of

DATA_URI = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w=.+-]+)*),(?P<data>.*)$", re.S)


def _field(fields, key: str) -> str | None:
    # MultiDict.get builds and drops an exception for each missing key: a cost on every request.
    return fields[key] if key in fields else None


def chosen_classifier():
    """Return the classifier asked for by ``?model=`` (or the form's field), else the default."""
    service = service_of()
    name = (_field(request.args, "model") or _field(request.form, "model") or "").strip()
    name = name or service.default_model
    if name not in service.classifiers:
        raise PictureError(f"unknown model {name[:40]!r}; available: {', '.join(service.classifiers)}")
    return service.classifiers[name]


def uploaded_picture() -> tuple[bytes, str]:
    """Return the picture's bytes and a display name from a form, multipart or JSON request."""
    if request.is_json:
        try:
            payload = request.get_json(silent=True)
        except RecursionError:  # nested deeper than Python's parser goes: not a picture request
            raise PictureError("the JSON is nested too deeply; send {\"image\": \"data:image/png;base64,...\"}") \
                from None
        if not isinstance(payload, dict) or "image" not in payload:
            raise PictureError('send JSON like {"image": "data:image/png;base64,..."}')
        return bytes_from_data_uri(payload["image"]), "drawing"
    sample = _field(request.form, "sample")
    if sample:
        samples = service_of().samples
        if sample not in samples:
            raise PictureError(f"there is no example called {sample[:60]!r}")
        return samples[sample], sample
    drawing = _field(request.form, "image_data")
    if drawing:
        return bytes_from_data_uri(drawing), "your drawing"
    upload = _field(request.files, "image")
    if upload is None:
        raise PictureError('no picture was sent: choose a file for the field "image"')
    data = upload.read()
    name = upload.filename or "upload"
    if not data:
        raise PictureError(f"{name[:80]} is empty; choose a picture file")
    return data, name


def bytes_from_data_uri(text: object) -> bytes:
    """Return the bytes of a ``data:image/...;base64,...`` URI, or raise PictureError."""
    if not isinstance(text, str) or not text:
        raise PictureError('"image" must be a data URI string like "data:image/png;base64,..."')
    match = DATA_URI.match(text.strip())
    if not match or ";base64" not in match.group("params"):
        raise PictureError('"image" must be a base64 data URI like "data:image/png;base64,..."')
    media_type = match.group("type") or ""
    if not media_type.startswith("image/"):
        raise PictureError(f"the data URI holds {media_type or 'no type'}, not a picture", status=415)
    try:
        return base64.b64decode(re.sub(r"\s+", "", match.group("data")), validate=True)
    except (binascii.Error, ValueError):
        raise PictureError("the data URI's base64 text is damaged") from None
