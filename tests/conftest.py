"""Shared fixtures: the real MNIST CSVs, a tiny real model, the app, and the real server."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from digits.config import PROJECT_ROOT, TEST_CSV, TRAIN_CSV
from tests.helpers import free_port


@pytest.fixture(scope="session")
def mnist_csvs() -> tuple[Path, Path]:
    """The real MNIST train and test CSVs, made on first use (as trainer.py does)."""
    from digits.data import ensure_mnist_csvs

    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    return TRAIN_CSV, TEST_CSV


@pytest.fixture(scope="session")
def mnist_test(mnist_csvs):
    """The 10,000 official test digits."""
    from digits.data import read_csv

    return read_csv(mnist_csvs[1])


@pytest.fixture(scope="session")
def tiny_classifier():
    """A small real Keras model (untrained, seeded) wrapped like a served one."""
    from digits.inference import wrap_model
    from digits.quiet import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    return wrap_model(model, "tiny", {"name": "mnist_tiny", "test_accuracy": 0.1})


@pytest.fixture()
def app(tiny_classifier):
    """The app with the tiny model injected: for routes and errors, not accuracy."""
    from digits.web import create_app

    return create_app({"TESTING": True, "CLASSIFIERS": {"tiny": tiny_classifier}})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def shipped_app():
    """The app exactly as users run it: the committed models, loaded once."""
    from digits.web import create_app

    return create_app({"TESTING": True})


@pytest.fixture()
def shipped_client(shipped_app):
    return shipped_app.test_client()


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> float:
    """Wait until ``url`` answers 200; return the seconds it took. Fail if the process dies."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            output = ""
            if getattr(process, "log", None):
                process.log.seek(0)
                output = process.log.read()
            raise RuntimeError(f"the server exited early:\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="session")
def live_server():
    """The real server, started as the README does (python api.py) on a free loopback port."""
    port = free_port()
    environment = dict(os.environ, PORT=str(port), PYTHONUNBUFFERED="1")
    # The server's output goes to a file: a pipe nobody reads would stall a chatty server.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([sys.executable, "api.py"], cwd=PROJECT_ROOT, env=environment,
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log = log
    base = f"http://127.0.0.1:{port}"
    try:
        startup = wait_for(base + "/healthz", process)
        yield {"url": base, "process": process, "startup_seconds": startup}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
