"""The Flask application factory: configuration, models loaded once, views, errors, security headers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from digits.config import MAX_UPLOAD_BYTES, MODEL_DIR, SAMPLES_DIR, STATIC_DIR, TEMPLATES_DIR
from digits.errors import ModelError
from digits.web.errors import register_error_handlers
from digits.web.state import Service, install
from digits.web.views import blueprint

SAMPLE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
SECURITY_HEADERS = {
    # Only our own scripts, styles and pictures; inline pictures come as data URIs.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: load the models once (or take injected ones), register views and handlers."""
    app = Flask("digits.web", template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR))
    app.json = StrictJSON(app)
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        MODEL_DIR=MODEL_DIR,
        MODEL_NAME=None,  # None: the most accurate model present
        RUNTIME="auto",  # what runs the models: see digits.runtimes.RUNTIME_CHOICES
        SAMPLES_DIR=SAMPLES_DIR,
        CLASSIFIERS=None,  # tests may inject {name: Classifier}
        SEQUENCE_READER=None,  # tests may inject one; otherwise loaded when its model is present
        MARK_CHECKER=None,  # likewise
    )
    if test_config:
        app.config.from_mapping(test_config)
    classifiers = app.config["CLASSIFIERS"] or _load_classifiers(app)
    default = app.config["MODEL_NAME"] or next(iter(classifiers))
    if default not in classifiers:
        raise ValueError(f"model {default!r} is not available; present: {', '.join(classifiers)}")
    sequence_reader, mark_checker = app.config["SEQUENCE_READER"], app.config["MARK_CHECKER"]
    if not app.config["CLASSIFIERS"]:  # the models as users run them: load the helpers that were trained
        from digits.inference import load_mark_checker, load_sequence_reader

        model_dir, runtime = Path(app.config["MODEL_DIR"]), app.config["RUNTIME"]
        sequence_reader = sequence_reader or load_sequence_reader(model_dir, runtime, log=app.logger.warning)
        mark_checker = mark_checker or load_mark_checker(model_dir, runtime, log=app.logger.warning)
    install(app, Service(classifiers=classifiers, default_model=default,
                         samples=load_samples(Path(app.config["SAMPLES_DIR"])), sequence_reader=sequence_reader,
                         mark_checker=mark_checker))
    app.register_blueprint(blueprint)
    register_error_handlers(app)

    @app.after_request
    def add_security_headers(response):
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    return app


class StrictJSON(DefaultJSONProvider):
    """Flask's JSON, refusing NaN and Infinity (strict parsers reject them): an error, never such a body."""

    def dumps(self, obj, **kwargs) -> str:
        """Serialise ``obj``; raise ValueError for a float that is not finite."""
        return super().dumps(obj, allow_nan=False, **kwargs)


def _load_classifiers(app: Flask) -> dict:
    """Load every model present in MODEL_DIR, most accurate first, each checked as it loads.

    The default model (the one asked for, else the most accurate present) must be healthy, or the
    app refuses to start (ModelError); another that fails its check is left out with a warning.
    """
    from digits.inference import available_models, load_classifier

    model_dir = Path(app.config["MODEL_DIR"])
    names = available_models(model_dir)
    wanted = app.config["MODEL_NAME"]
    if wanted and wanted not in names:
        raise ValueError(f"no model {wanted!r} in {model_dir.name}/; present: {', '.join(names) or 'none'}")
    if not names:
        raise FileNotFoundError(f"no trained model in {model_dir.name}/; run: python trainer.py")
    default, runtime = wanted or names[0], app.config["RUNTIME"]
    classifiers = {default: load_classifier(default, model_dir, runtime, log=app.logger.warning)}
    for name in names:
        if name != default:
            try:
                classifiers[name] = load_classifier(name, model_dir, runtime, log=app.logger.warning)
            except ModelError as error:
                app.logger.warning("left out: %s", error)
    return classifiers


def load_samples(samples_dir: Path) -> dict[str, bytes]:
    """Read the example pictures once; requests name them, never a path."""
    if not samples_dir.is_dir():
        return {}
    return {path.name: path.read_bytes() for path in sorted(samples_dir.iterdir())
            if path.suffix.lower() in SAMPLE_SUFFIXES and path.is_file()}
