"""Routes: the upload page, the result page, the JSON API, the health check and the examples."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from digits.errors import ModelError, PictureError
from digits.reading import LOW_CONFIDENCE, read_picture
from digits.web.errors import error_response
from digits.web.pages import png_data_uri, preview_data_uri, render_index
from digits.web.payload import chosen_classifier, uploaded_picture
from digits.web.state import service_of

blueprint = Blueprint("digits", __name__)


@blueprint.get("/")
def index():
    """The upload, drawing and examples page."""
    return render_index()


@blueprint.get("/predict")
def predict_page_again():
    """A result page cannot be reloaded or bookmarked (it answers a form): go back to the start page."""
    model = request.args.get("model")
    return redirect(url_for("digits.index", **({"model": model} if model else {})), code=303)


@blueprint.post("/predict")
def predict_page():
    """Read the picture sent by the form and show the result page."""
    try:
        data, name = uploaded_picture()
        reading = read_picture(data, service_of().readers(chosen_classifier()))
    except PictureError as error:
        return error_response(error.message, error.status)
    except ModelError:
        return error_response("the model could not read this picture; please try again later", 503)
    digits = [{"reading": digit, "input_uri": png_data_uri(digit.pixels)} for digit in reading.digits]
    return render_template("predict.html", reading=reading, digits=digits, filename=name, low_confidence=LOW_CONFIDENCE,
                           model_key=chosen_classifier().name,
                           preview_uri=preview_data_uri(reading.picture),
                           width=reading.picture.width, height=reading.picture.height)


@blueprint.post("/api/predict")
def api_predict():
    """The JSON API: multipart field ``image`` or JSON ``{"image": data URI}``."""
    try:
        data, _name = uploaded_picture()
        reading = read_picture(data, service_of().readers(chosen_classifier()))
    except PictureError as error:
        return jsonify(error=error.message), error.status
    except ModelError:
        return jsonify(error="the model could not read this picture; please try again later"), 503
    answer = reading.to_json()
    if request.args.get("inputs") == "1":  # the 28x28 pictures the model saw, for live views
        for mark, digit in zip(answer["digits"], reading.digits, strict=True):
            mark["input"] = png_data_uri(digit.pixels)
    return jsonify(answer)


@blueprint.get("/healthz")
def healthz():
    """Say the server is up, and which model answers by default."""
    service = service_of()
    classifier = service.default_classifier
    return jsonify(status="ok", model=classifier.card.get("name", classifier.name),
                   test_accuracy=classifier.test_accuracy, runtime=classifier.runtime,
                   models=list(service.classifiers))


@blueprint.get("/samples/<name>")
def sample_picture(name: str):
    """Serve an example picture by its name in the list read at start-up (never a path)."""
    data = service_of().samples.get(name)
    if data is None:
        abort(404)
    return Response(data, mimetype=_mimetype(name), headers={"Cache-Control": "max-age=3600"})


def _mimetype(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "tif": "image/tiff"}.get(suffix, f"image/{suffix}")
