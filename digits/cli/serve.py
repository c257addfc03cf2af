"""Command line of api.py: build the app and serve it with waitress (never Flask's dev server)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from digits.config import DEFAULT_HOST, DEFAULT_PORT, MAX_UPLOAD_BYTES
from digits.profiles import DIGIT_MODEL_NAMES
from digits.runtimes import RUNTIME_CHOICES

# Waitress keeps request bodies up to this size in memory (uploads never touch the disk) and
# refuses larger ones itself; between MAX_UPLOAD_BYTES and this the app answers a JSON 413.
BODY_BUFFER_BYTES = 4 * MAX_UPLOAD_BYTES
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
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"worker threads (default {DEFAULT_THREADS})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Load the models, then serve until interrupted."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    from waitress import serve

    from digits.web import create_app
    from digits.web.state import service_of

    try:
        app = create_app({"MODEL_NAME": args.model, "RUNTIME": args.runtime})
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"api.py: error: {error}", file=sys.stderr)
        return 2
    classifier = service_of(app).default_classifier
    card = classifier.card
    accuracy = card.get("test_accuracy")
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    runtime = classifier.runtime
    print(f"digits: serving {card.get('name', classifier.name)}"
          f"{f' (test accuracy {accuracy:.2%})' if accuracy else ''} with {runtime} "
          f"at http://{shown_host}:{args.port}"
          f"  [ready in {time.perf_counter() - started:.1f} s; Ctrl+C stops]", flush=True)
    # Waitress warns each time a request waits for a free thread. With 4 threads on 2 cores a
    # short queue under load is normal, and the warnings would flood the console (and fill a
    # pipe that nobody reads, stalling the server).
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="digits",
          max_request_body_size=BODY_BUFFER_BYTES, inbuf_overflow=BODY_BUFFER_BYTES,
          channel_timeout=30, _quiet=True)
    return 0
