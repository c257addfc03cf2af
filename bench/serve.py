"""Serving speed side by side: our server, the predict-per-request way, and a constant-answer floor.

Run: python bench/serve.py [--repeats 3] [--seconds 4] [--workers N] [--threads N] [--runtimes onnx,tensorflow]
Each server runs under the same WSGI server settings (our waitress with N worker processes of
M threads) and is started the way the README starts ours; requests come from other processes
over loopback. Prints p50, p90, p99, requests per second, start-up time and RSS, and our ratios
to both references.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time

import numpy as np
from common import Client, free_port, png, rss_mib, start_server, stop_server

from digits.cli.serve import DEFAULT_THREADS, DEFAULT_WORKERS  # every server gets the same settings

# --------------------------------------------------------------------------- reference servers


def reference_app(kind: str):
    """The two references: 'predict' calls model.predict per request (the original project's
    way); 'floor' answers a constant, so it measures the WSGI server and HTTP alone."""
    from flask import Flask, jsonify, request

    app = Flask("reference")
    if kind == "predict":
        import cv2

        from digits.config import model_path
        from digits.inference import available_models
        from digits.quiet import import_keras

        keras = import_keras()
        model = keras.models.load_model(model_path(available_models()[0]), compile=False)

        @app.post("/api/predict")
        def predict():
            data = np.frombuffer(request.files["image"].read(), np.uint8)
            grey = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
            grey = cv2.resize(grey, (28, 28), interpolation=cv2.INTER_AREA)
            probabilities = model.predict(grey.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]
            return jsonify(number=str(int(probabilities.argmax())))
    else:

        @app.post("/api/predict")
        def predict():
            request.files["image"].read()
            return jsonify(number="5")

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app


def serve_reference(kind: str, threads: int, workers: int) -> None:
    """Serve a reference app on $PORT with the same server settings as ours (processes and threads)."""
    from digits.web.server import listen, make_server
    from digits.web.workers import serve_with_workers

    listening = listen("127.0.0.1", int(os.environ["PORT"]))
    if workers > 1:
        serve_with_workers(lambda: reference_app(kind), make_server, listening, workers, threads, lambda how: None)
    else:
        make_server(reference_app(kind), listening, threads).run()


# --------------------------------------------------------------------------- load


def _client_worker(port: int, data: bytes, deadline: float, count_limit: int, queue) -> None:
    client = Client(port)
    times, errors = [], 0
    while time.perf_counter() < deadline and len(times) < count_limit:
        try:
            status, _body, elapsed = client.post_picture(data)
        except Exception:  # noqa: BLE001 - a failed request counts as an error
            errors += 1
            continue
        if status != 200:
            errors += 1
        times.append(elapsed)
    queue.put((times, errors))


def load(port: int, data: bytes, concurrency: int, seconds: float, count_limit: int = 10**9) -> dict:
    """Send ``data`` from ``concurrency`` client processes; return latency and throughput."""
    queue = multiprocessing.Queue()
    start = time.perf_counter()
    deadline = start + seconds
    workers = [multiprocessing.Process(target=_client_worker, args=(port, data, deadline, count_limit, queue))
               for _ in range(concurrency)]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    times = np.concatenate([np.asarray(r[0]) for r in results]) * 1000
    return {"p50": float(np.percentile(times, 50)), "p90": float(np.percentile(times, 90)),
            "p99": float(np.percentile(times, 99)), "rps": len(times) / elapsed,
            "errors": sum(r[1] for r in results), "count": len(times)}


def phone_photo() -> bytes:
    """A 12-megapixel JPEG of a handwritten 5 on paper, like a phone's."""
    import cv2
    from synth import photo_of_digits

    from digits.config import TRAIN_CSV
    from digits.data import read_csv

    digit = read_csv(TRAIN_CSV).images[0].reshape(28, 28)  # the 5 of samples/pic1.jpg
    small = cv2.imdecode(np.frombuffer(photo_of_digits([digit], np.random.default_rng(3)), np.uint8), 1)
    big = cv2.resize(small, (3024, 4032), interpolation=cv2.INTER_CUBIC)
    ok, encoded = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return encoded.tobytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each load run")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"threads per process of every server (default {DEFAULT_THREADS}, as api.py)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"processes of every server (default {DEFAULT_WORKERS}, as api.py)")
    parser.add_argument("--runtimes", default="auto", help="our server's runtimes to compare, e.g. onnx,tensorflow")
    parser.add_argument("--skip-predict", action="store_true", help="leave out the predict-per-request reference")
    args = parser.parse_args()
    from digits.config import TEST_CSV, TRAIN_CSV
    from digits.data import ensure_mnist_csvs, read_csv

    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda m: None)
    small_png = png(read_csv(TEST_CSV).images[0].reshape(28, 28))
    photo = phone_photo()
    print(f"pictures: 28x28 PNG ({len(small_png)} B), phone photo 3024x4032 JPEG ({len(photo) / 1e6:.1f} MB); "
          f"{args.repeats} repeats, medians shown; every server: {args.workers} process(es) of {args.threads} threads")
    settings = ["--threads", str(args.threads), "--workers", str(args.workers)]
    servers = {f"ours ({runtime})" if args.runtimes != "auto" else "ours":
               [sys.executable, "api.py", *settings, "--runtime", runtime] for runtime in args.runtimes.split(",")}
    if not args.skip_predict:
        servers["predict-per-request"] = [sys.executable, __file__, "--reference", "predict", str(args.threads),
                                          str(args.workers)]
    servers["floor (constant)"] = [sys.executable, __file__, "--reference", "floor", str(args.threads),
                                   str(args.workers)]
    cases = [("28x28 PNG", small_png, 1), ("28x28 PNG", small_png, 8), ("phone photo", photo, 1),
             ("phone photo", photo, 8)]
    table: dict = {}
    for name, command in servers.items():
        for _repeat in range(args.repeats):
            process, port, startup = start_server(command, port=free_port())
            try:
                table.setdefault((name, "startup"), []).append(startup)
                for label, data, concurrency in cases:
                    if not name.startswith("ours") and label == "phone photo":
                        continue
                    load(port, data, concurrency, 1.0)  # warm-up
                    result = load(port, data, concurrency, args.seconds)
                    table.setdefault((name, label, concurrency), []).append(result)
                table.setdefault((name, "rss"), []).append(rss_mib(process.pid))
            finally:
                stop_server(process)

    def median(key, field):
        return statistics.median(result[field] for result in table[key])

    print(f"\n{'server':22} {'picture':12} {'conc':>4} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'req/s':>8} {'errors':>6}")
    for name in servers:
        for label, _data, concurrency in cases:
            key = (name, label, concurrency)
            if key not in table:
                continue
            errors = sum(result["errors"] for result in table[key])
            print(f"{name:22} {label:12} {concurrency:>4} {median(key, 'p50'):>8.2f} {median(key, 'p90'):>8.2f} "
                  f"{median(key, 'p99'):>8.2f} {median(key, 'rps'):>8.0f} {errors:>6}")
    print()
    for name in servers:
        print(f"{name:22} start-up to first answer {statistics.median(table[(name, 'startup')]):.2f} s, "
              f"RSS {statistics.median(table[(name, 'rss')]):.0f} MiB (all its processes)")
    floor1 = median(("floor (constant)", "28x28 PNG", 1), "p50")
    floor8 = median(("floor (constant)", "28x28 PNG", 8), "rps")
    for name in (name for name in servers if name.startswith("ours")):
        ours1, ours8 = median((name, "28x28 PNG", 1), "p50"), median((name, "28x28 PNG", 8), "rps")
        versus = "" if args.skip_predict else \
            f", {median(('predict-per-request', '28x28 PNG', 1), 'p50') / ours1:.0f}x faster than predict-per-request"
        print(f"\n{name}: 28x28 PNG, concurrency 1: p50 {ours1 / floor1:.2f}x the floor's (target <= 1.4x){versus}"
              f" (target >= 30x)")
        print(f"{name}: 28x28 PNG, concurrency 8: {ours8:.0f} req/s = {ours8 / floor8:.0%} of the floor's "
              f"{floor8:.0f} (target >= 70%)")
        print(f"{name}: 12 MP phone photo, concurrency 1: p50 {median((name, 'phone photo', 1), 'p50'):.1f} ms "
              f"(target <= 30 ms)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--reference":
        serve_reference(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(main())
