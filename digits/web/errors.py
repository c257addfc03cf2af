"""Error answers: JSON for the API, the index page with the message for people; never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, request
from werkzeug.exceptions import HTTPException

from digits.web.pages import render_index


def wants_json() -> bool:
    """Tell whether the request came to the JSON API (errors answer in JSON there)."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(message: str, status: int):
    """Answer an error as JSON for the API, or as the index page with the message for people."""
    if wants_json():
        return jsonify(error=message), status
    return render_index(error=message), status


def register_error_handlers(app: Flask) -> None:
    """Answer 413, every other HTTP error and any unexpected exception in the right form."""

    @app.errorhandler(413)
    def too_large(_error):
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length <= limit:  # small, but too many parts
            return error_response('the form has too many fields; send one picture in the field "image"', 413)
        return error_response(f"the upload is larger than {limit // (1024 * 1024)} MB; send a smaller picture", 413)

    @app.errorhandler(HTTPException)
    def http_error(error):
        response, status = error_response(error.description or error.name, error.code or 400)
        if getattr(error, "valid_methods", None):  # 405 says which methods the address does take
            response = make_response(response, status)
            response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error):  # never a stack trace to users
        app.logger.exception("unexpected error")
        return error_response("the server could not read this picture; please try another", 500)
