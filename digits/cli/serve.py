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
DEFAULT_WORKERS = 2  # see the README's "Workers": measured with bench/serve.py --workers


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
                        help=f"threads per process (default {DEFAULT_THREADS})")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", DEFAULT_WORKERS)),
                        help=f"server processes sharing the port (default $WORKERS or {DEFAULT_WORKERS})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Bind the port, load the models (in each worker process), then serve until interrupted."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    from digits.web import create_app
    from digits.web.server import listen, make_server

    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    # Waitress warns each time a request waits for a free thread. With 4 threads on 2 cores a
    # short queue under load is normal, and the warnings would flood the console (and fill a
    # pipe that nobody reads, stalling the server).
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:  # bind first: a port already taken is one clear line, before anything is loaded
        listening = listen(args.host, args.port)
    except OSError as error:
        print(f"api.py: error: cannot listen on {shown_host}:{args.port} ({error.strerror or error})",
              file=sys.stderr)
        return 2
    config = {"MODEL_NAME": args.model, "RUNTIME": args.runtime, "MODEL_DIR": args.model_dir}

    def announce(how: str) -> None:
        print(f"digits: serving {how} at http://{shown_host}:{args.port}"
              f"  [ready in {time.perf_counter() - started:.1f} s; Ctrl+C stops]", flush=True)

    if args.workers > 1:
        from digits.preprocess.decode import share_big_decodes
        from digits.web.workers import serve_with_workers

        os.environ.setdefault("DIGITS_ONNX_THREADS", "1")  # a process per core: one thread per model call
        share_big_decodes(args.workers)  # the memory bound holds for the server, not per process
        return serve_with_workers(lambda: create_app(config), make_server, listening, args.workers, args.threads,
                                  announce)
    try:
        app = create_app(config)
    except (FileNotFoundError, ValueError, RuntimeError, OSError) as error:  # ModelError is a RuntimeError
        print(f"api.py: error: {error}", file=sys.stderr)
        return 2
    server = make_server(app, listening, args.threads)
    announce(describe(app))
    try:
        server.run()
    except KeyboardInterrupt:
        print("digits: stopped", flush=True)
    return 0


def describe(app) -> str:
    """Return the default model, its accuracy and its runtime, in words."""
    from digits.web.state import service_of

    classifier = service_of(app).default_classifier
    accuracy = classifier.card.get("test_accuracy")
    return (f"{classifier.card.get('name', classifier.name)}"
            f"{f' (test accuracy {accuracy:.2%})' if accuracy else ''} with {classifier.runtime}")
