"""A longer load run: many concurrent clients on loopback, every answer checked, memory watched.

Run: python bench/load.py [--clients 8] [--seconds 60]
Starts the real server as the README does, warms it up, then sends the samples from client
processes for the given time. Prints requests, wrong answers, errors (5xx or failures),
requests per second, and the server's RSS after warm-up and at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time

from common import Client, rss_mib, start_server, stop_server

from digits.config import SAMPLES_DIR

PICTURES = [("pic1.jpg", "5"), ("pic2.jpg", "0"), ("number_2026.jpg", "2026"), ("drawing_7.png", "7"),
            ("photo_4.jpg", "4")]


def client(port: int, seconds: float, queue) -> None:
    pictures = [((SAMPLES_DIR / name).read_bytes(), expected) for name, expected in PICTURES]
    connection = Client(port)
    counts = {"ok": 0, "wrong": 0, "errors": 0}
    stop = time.perf_counter() + seconds
    index = 0
    while time.perf_counter() < stop:
        data, expected = pictures[index % len(pictures)]
        index += 1
        try:
            status, body, _ = connection.post_picture(data)
        except Exception:  # noqa: BLE001 - any failure is an error
            counts["errors"] += 1
            continue
        if status != 200:
            counts["errors"] += 1
        elif body.get("number") != expected:
            counts["wrong"] += 1
        else:
            counts["ok"] += 1
    queue.put(counts)


def run(port: int, clients: int, seconds: float) -> dict:
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=client, args=(port, seconds, queue)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    totals = {"ok": 0, "wrong": 0, "errors": 0}
    for _ in workers:
        for key, value in queue.get().items():
            totals[key] += value
    for worker in workers:
        worker.join()
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    process, port, startup = start_server()
    try:
        run(port, args.clients, 5.0)  # warm-up
        before = rss_mib(process.pid)
        started = time.perf_counter()
        totals = run(port, args.clients, args.seconds)
        elapsed = time.perf_counter() - started
        after = rss_mib(process.pid)
    finally:
        stop_server(process)
    count = sum(totals.values())
    growth = (after - before) / before
    print(f"{args.clients} clients for {args.seconds:.0f} s: {count} requests, {count / elapsed:.0f}/s; "
          f"{totals['wrong']} wrong answers, {totals['errors']} errors; server RSS {before:.0f} MiB after "
          f"warm-up, {after:.0f} MiB at the end ({growth:+.1%}); start-up {startup:.1f} s")
    return 0 if totals["wrong"] == totals["errors"] == 0 and growth <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
