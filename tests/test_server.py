"""The real server (python api.py) on a free loopback port, called over HTTP like any client."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from digits.config import SAMPLES_DIR
from tests.helpers import build_corpus, multipart

CORPUS = build_corpus()


def post(url: str, data: bytes, name: str = "picture.png", timeout: float = 10) -> tuple[int, dict, float]:
    body, content_type = multipart(data, filename=name)
    request = urllib.request.Request(url + "/api/predict", data=body, headers={"Content-Type": content_type})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    return status, json.loads(payload), time.perf_counter() - started


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))


def test_server_starts_on_loopback_and_answers_health(live_server):
    assert live_server["startup_seconds"] < 30
    with urllib.request.urlopen(live_server["url"] + "/healthz", timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "ok" and body["model"].startswith("mnist_") and body["test_accuracy"] > 0.98
    with urllib.request.urlopen(live_server["url"] + "/", timeout=5) as response:
        assert response.headers["Server"] == "digits"  # waitress, named: not Flask's dev server
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name, digit", [("pic1.jpg", "5"), ("pic2.jpg", "0")])
def test_samples_over_http(live_server, name, digit):
    status, body, _ = post(live_server["url"], (SAMPLES_DIR / name).read_bytes(), name)
    assert status == 200 and body["number"] == digit


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_hostile_inputs_get_a_clear_answer_within_a_second(live_server, case):
    data, accepted = CORPUS[case]
    status, body, seconds = post(live_server["url"], data)
    assert status in accepted, body
    assert seconds < 1.0
    if status == 200:
        assert body["number"] == "7"
    else:
        assert isinstance(body["error"], str) and 5 < len(body["error"]) < 300
        assert "Traceback" not in body["error"]
    # ... and the next request is answered normally.
    status, body, _ = post(live_server["url"], (SAMPLES_DIR / "pic1.jpg").read_bytes())
    assert status == 200 and body["number"] == "5"


def test_load_from_concurrent_clients(live_server):
    """Eight clients for a few seconds: every answer right, no errors, memory steady."""
    pictures = [((SAMPLES_DIR / "pic1.jpg").read_bytes(), "5"), ((SAMPLES_DIR / "pic2.jpg").read_bytes(), "0")]
    pid = live_server["process"].pid
    results = {"ok": 0, "wrong": 0, "errors": 0}
    lock = threading.Lock()

    def client(seconds: float) -> None:
        stop = time.monotonic() + seconds
        index = 0
        while time.monotonic() < stop:
            data, expected = pictures[index % 2]
            index += 1
            try:
                status, body, _ = post(live_server["url"], data)
                outcome = "ok" if status == 200 and body["number"] == expected else "wrong"
            except Exception:  # noqa: BLE001 - any failure counts as an error
                outcome = "errors"
            with lock:
                results[outcome] += 1

    def run(seconds: float) -> None:
        threads = [threading.Thread(target=client, args=(seconds,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    run(1.5)  # warm-up
    before = rss_kib(pid)
    run(4.0)
    after = rss_kib(pid)
    assert results["wrong"] == 0 and results["errors"] == 0
    assert results["ok"] > 100
    assert after <= before * 1.10, f"RSS grew from {before} KiB to {after} KiB"
