"""MNIST test digits saved as 28x28 PNG, read through POST /api/predict of the real server.

Run: python bench/api_accuracy.py [--count 10000] [--model cnn]
Prints the accuracy through the API next to the accuracy trainer.py reported for the served
model, the server's start-up time and the p50/p90/p99 time per request.
"""

from __future__ import annotations

import argparse
import json
import sys

from common import Client, percentiles, png, start_server, stop_server

from digits.config import TEST_CSV, card_path
from digits.data import ensure_mnist_csvs, read_csv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000, help="test digits to send (default all)")
    parser.add_argument("--model", help="model to ask for (default: the server's default)")
    args = parser.parse_args()
    ensure_mnist_csvs(TEST_CSV.parent / "mnist_train.csv", TEST_CSV, log=lambda m: None)
    test = read_csv(TEST_CSV)
    count = min(args.count, len(test))
    process, port, startup = start_server()
    try:
        client = Client(port)
        path = "/api/predict" + (f"?model={args.model}" if args.model else "")
        correct, times, errors, model = 0, [], 0, None
        for index in range(count):
            status, body, elapsed = client.post_picture(png(test.images[index].reshape(28, 28)), path)
            times.append(elapsed)
            if status != 200:
                errors += 1
                continue
            model = body["model"]
            correct += body["number"] == str(test.labels[index])
    finally:
        stop_server(process)
    card = json.loads(card_path(model.removeprefix("mnist_").replace("_", "-")).read_text())
    subset_note = "" if count == len(test) else f" (card: all 10,000; here the first {count})"
    accuracy = correct / count
    print(f"model {model}: accuracy through the API {accuracy:.2%} on {count} PNGs, "
          f"trainer.py reported {card['test_accuracy']:.2%}{subset_note}; {errors} errors")
    stats = percentiles(times)
    print(f"server start-up to first answer {startup:.1f} s; per request p50 {stats['p50']:.2f} ms, "
          f"p90 {stats['p90']:.2f} ms, p99 {stats['p99']:.2f} ms")
    if count == len(test) and abs(accuracy - card["test_accuracy"]) > 0.002:
        print("FAIL: the API's accuracy differs from the card by more than 0.2 points")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
