"""Serving speed side by side: our server, the predict-per-request way, and a constant-answer floor.

Run: python bench/serve.py [--repeats 3] [--seconds 4]
Each server runs in its own process under the same WSGI server (waitress) and is started the
way the README starts ours; requests come from other processes over loopback. Prints p50,
p90, p99, requests per second, start-up time and RSS, and our ratios to both references.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time

import numpy as np
from common import Client, free_port, png, start_server, stop_server

from digits.cli.serve import DEFAULT_THREADS  # every server gets the same worker threads

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


def serve_reference(kind: str, threads: int) -> None:
    """Serve a reference app on $PORT with the same waitress settings as ours."""
    from waitress import serve

    serve(reference_app(kind), host="127.0.0.1", port=int(os.environ["PORT"]), threads=threads,
          _quiet=True)


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


def rss_mib(pid: int) -> float:
    """Return a process's resident memory in MiB."""
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:")) / 1024


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
                        help=f"waitress worker threads of every server (default {DEFAULT_THREADS}, as api.py)")
    args = parser.parse_args()
    from digits.config import TEST_CSV, TRAIN_CSV
    from digits.data import ensure_mnist_csvs, read_csv

    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda m: None)
    small_png = png(read_csv(TEST_CSV).images[0].reshape(28, 28))
    photo = phone_photo()
    print(f"pictures: 28x28 PNG ({len(small_png)} B), phone photo 3024x4032 JPEG ({len(photo) / 1e6:.1f} MB); "
          f"{args.repeats} repeats, medians shown; {args.threads} waitress threads per server")
    servers = {
        "ours": [sys.executable, "api.py", "--threads", str(args.threads)],
        "predict-per-request": [sys.executable, __file__, "--reference", "predict", str(args.threads)],
        "floor (constant)": [sys.executable, __file__, "--reference", "floor", str(args.threads)],
    }
    cases = [("28x28 PNG", small_png, 1), ("28x28 PNG", small_png, 8), ("phone photo", photo, 1),
             ("phone photo", photo, 8)]
    table: dict = {}
    for name, command in servers.items():
        for _repeat in range(args.repeats):
            process, port, startup = start_server(command, port=free_port())
            try:
                table.setdefault((name, "startup"), []).append(startup)
                for label, data, concurrency in cases:
                    if name != "ours" and label == "phone photo":
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
              f"RSS {statistics.median(table[(name, 'rss')]):.0f} MiB (one process)")
    ours1 = median(("ours", "28x28 PNG", 1), "p50")
    floor1 = median(("floor (constant)", "28x28 PNG", 1), "p50")
    predict1 = median(("predict-per-request", "28x28 PNG", 1), "p50")
    ours8 = median(("ours", "28x28 PNG", 8), "rps")
    floor8 = median(("floor (constant)", "28x28 PNG", 8), "rps")
    print(f"\n28x28 PNG, concurrency 1: p50 {ours1 / floor1:.2f}x the floor (target <= 2x), "
          f"{predict1 / ours1:.0f}x faster than predict-per-request (target >= 20x)")
    print(f"28x28 PNG, concurrency 8: {ours8:.0f} req/s = {ours8 / floor8:.0%} of the floor's {floor8:.0f} "
          f"(target >= 50% and >= 400/s)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--reference":
        serve_reference(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
