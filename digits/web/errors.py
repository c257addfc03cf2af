"""Error answers: JSON for the API, the index page with the message for people; never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, request
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
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return error_response(f"the upload is larger than {limit} MB; send a smaller picture", 413)

    @app.errorhandler(HTTPException)
    def http_error(error):
        return error_response(error.description or error.name, error.code or 400)

    @app.errorhandler(Exception)
    def unexpected(error):  # never a stack trace to users
        app.logger.exception("unexpected error")
        return error_response("the server could not read this picture; please try another", 500)
