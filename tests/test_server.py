"""The real server (python api.py) on a free loopback port, called over HTTP like any client."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from digits.config import MODEL_DIR, PROJECT_ROOT, SAMPLES_DIR
from tests.helpers import build_corpus, free_port, post_file

CORPUS = build_corpus()


def post(url: str, data: bytes, name: str = "picture.png", timeout: float = 10) -> tuple[int, dict, float]:
    started = time.perf_counter()
    status, body = post_file(url + "/api/predict", data, name, timeout)
    return status, body, time.perf_counter() - started


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


def start(*arguments: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run api.py as a user would and wait for it to end (start-up failures end it at once)."""
    return subprocess.run([sys.executable, "api.py", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PORT": str(free_port())})


def model_folder(tmp_path, damage) -> str:
    """Copy the shipped CNN (model, card, serving file) to a folder and damage its .h5 as ``damage`` says."""
    for suffix in (".h5", ".json", ".onnx", ".onnx.json"):
        shutil.copy(MODEL_DIR / f"mnist_cnn{suffix}", tmp_path / f"mnist_cnn{suffix}")
    h5 = tmp_path / "mnist_cnn.h5"
    damage(h5)
    return str(tmp_path)


def overwrite_the_middle(h5) -> None:
    data = bytearray(h5.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = b"\xff" * 4096
    h5.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, says", [
    (overwrite_the_middle, "mnist_cnn.h5"),
    (lambda h5: h5.write_text("this is not a model\n"), "cannot be read as a Keras model"),
    (lambda h5: h5.write_bytes(b""), "cannot be read as a Keras model"),
], ids=["damaged in the middle", "text", "empty"])
def test_a_damaged_model_ends_start_up_with_one_clear_line(tmp_path, damage, says):
    result = start("--model-dir", model_folder(tmp_path, damage))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("api.py: error: ") and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_no_models_ends_start_up_with_one_clear_line(tmp_path):
    result = start("--model-dir", str(tmp_path))
    assert result.returncode == 2 and result.stderr.strip() == \
        "api.py: error: no trained model in " + tmp_path.name + "/; run: python trainer.py"


def test_a_port_in_use_ends_start_up_with_one_clear_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = start("--port", str(port))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"api.py: error: cannot listen on 127.0.0.1:{port}") and "in use" in line


@pytest.mark.parametrize("request_text, status", [
    ("POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\nContent-Type: image/png\r\n\r\n", 413),
    ("BROKEN\x00REQUEST\r\n\r\n", 400),
])
def test_the_servers_own_error_answers_are_json_with_our_headers(live_server, request_text, status):
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(live_server["url"])
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(request_text.encode("latin1"))
        response = http.client.HTTPResponse(connection)
        response.begin()
        body = json.loads(response.read())
    assert response.status == status and isinstance(body["error"], str)
    assert "default-src 'self'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
