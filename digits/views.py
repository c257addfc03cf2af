"""Routes: the upload page, the result page, the JSON API and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from digits.preprocess import PictureError
from digits.reading import bytes_from_data_uri, png_data_uri, preview_data_uri, read_picture
from digits.web import error_response

blueprint = Blueprint("digits", __name__)


def index_context() -> dict:
    """Values the index page needs besides an error message."""
    return {
        "samples": list(current_app.extensions["samples"]),
        "models": list(current_app.extensions["classifiers"]),
        "default_model": current_app.extensions["default_model"],
    }


def _field(fields, key: str) -> str | None:
    # MultiDict.get builds and drops an exception for each missing key: a cost on every request.
    return fields[key] if key in fields else None


def chosen_classifier():
    """Return the classifier asked for by ``?model=`` (or the form's field), else the default."""
    classifiers = current_app.extensions["classifiers"]
    name = (_field(request.args, "model") or _field(request.form, "model") or "").strip()
    name = name or current_app.extensions["default_model"]
    if name not in classifiers:
        raise PictureError(f"unknown model {name[:40]!r}; available: {', '.join(classifiers)}")
    return classifiers[name]


def uploaded_picture() -> tuple[bytes, str]:
    """Return the picture's bytes and a display name from a form, multipart or JSON request."""
    if request.is_json:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or "image" not in payload:
            raise PictureError('send JSON like {"image": "data:image/png;base64,..."}')
        return bytes_from_data_uri(payload["image"]), "drawing"
    sample = _field(request.form, "sample")
    if sample:
        samples = current_app.extensions["samples"]
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


@blueprint.get("/")
def index():
    """The upload, drawing and examples page."""
    return render_template("index.html", error=None, **index_context())


@blueprint.post("/predict")
def predict_page():
    """Read the picture sent by the form and show the result page."""
    try:
        data, name = uploaded_picture()
        reading = read_picture(data, chosen_classifier())
    except PictureError as error:
        return error_response(error.message, error.status)
    digits = [{"reading": digit, "input_uri": png_data_uri(digit.pixels)} for digit in reading.digits]
    return render_template("predict.html", reading=reading, digits=digits, filename=name,
                           preview_uri=preview_data_uri(reading.picture),
                           width=reading.picture.width, height=reading.picture.height)


@blueprint.post("/api/predict")
def api_predict():
    """The JSON API: multipart field ``image`` or JSON ``{"image": data URI}``."""
    try:
        data, _name = uploaded_picture()
        reading = read_picture(data, chosen_classifier())
    except PictureError as error:
        return jsonify(error=error.message), error.status
    return jsonify(reading.to_json())


@blueprint.get("/healthz")
def healthz():
    """Say the server is up, and which model answers by default."""
    classifier = current_app.extensions["classifiers"][current_app.extensions["default_model"]]
    return jsonify(status="ok", model=classifier.card.get("name", classifier.name),
                   test_accuracy=classifier.test_accuracy, runtime=classifier.runtime,
                   models=list(current_app.extensions["classifiers"]))


@blueprint.get("/samples/<name>")
def sample_picture(name: str):
    """Serve an example picture by its name in the list read at start-up (never a path)."""
    data = current_app.extensions["samples"].get(name)
    if data is None:
        abort(404)
    return Response(data, mimetype=_mimetype(name), headers={"Cache-Control": "max-age=3600"})


def _mimetype(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "tif": "image/tiff"}.get(suffix, f"image/{suffix}")
