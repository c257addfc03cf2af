"""Command line of api.py: build the app and serve it with waitress (never Flask's dev server)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from digits.config import DEFAULT_HOST, DEFAULT_PORT, MODEL_DIR
from digits.profiles import DIGIT_MODEL_NAMES
from digits.runtimes import RUNTIME_CHOICES

DEFAULT_THREADS = 4  # two per core: measured best of 2, 4 and 8 here (bench/serve.py --threads)


def build_parser() -> argparse.ArgumentParser:
    """Return the server's argument parser."""
    parser = argparse.ArgumentParser(prog="api.py", description="Serve the digit reader over HTTP.")
    parser.add_argument("--host", default=os.environ.get("HOST", DEFAULT_HOST),
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)),
                        help=f"port (default $PORT or {DEFAULT_PORT})")
    parser.add_argument("--model", choices=DIGIT_MODEL_NAMES,
                        help="default model (default: the most accurate one in model/)")
    parser.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto",
                        help="what runs the model: auto (ONNX Runtime when it gives Keras' answers, "
                             "else TensorFlow), onnx or tensorflow (default auto)")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR,
                        help="folder of the trained models (default: model/)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"worker threads (default {DEFAULT_THREADS})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Load the models, then serve until interrupted."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()

    from digits.web import create_app
    from digits.web.server import make_server
    from digits.web.state import service_of

    try:
        app = create_app({"MODEL_NAME": args.model, "RUNTIME": args.runtime, "MODEL_DIR": args.model_dir})
    except (FileNotFoundError, ValueError, RuntimeError, OSError) as error:  # ModelError is a RuntimeError
        print(f"api.py: error: {error}", file=sys.stderr)
        return 2
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    # Waitress warns each time a request waits for a free thread. With 4 threads on 2 cores a
    # short queue under load is normal, and the warnings would flood the console (and fill a
    # pipe that nobody reads, stalling the server).
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:  # bind first: a port already taken is one clear line, not a traceback
        server = make_server(app, args.host, args.port, args.threads)
    except OSError as error:
        print(f"api.py: error: cannot listen on {shown_host}:{args.port} ({error.strerror or error})",
              file=sys.stderr)
        return 2
    classifier = service_of(app).default_classifier
    accuracy = classifier.card.get("test_accuracy")
    print(f"digits: serving {classifier.card.get('name', classifier.name)}"
          f"{f' (test accuracy {accuracy:.2%})' if accuracy else ''} with {classifier.runtime} "
          f"at http://{shown_host}:{args.port}"
          f"  [ready in {time.perf_counter() - started:.1f} s; Ctrl+C stops]", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        print("digits: stopped", flush=True)
    return 0
