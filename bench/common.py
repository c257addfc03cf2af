"""Helpers the benchmarks share: start the real server, send pictures over loopback, statistics."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(command: list[str] | None = None, port: int | None = None, ready_path: str = "/healthz",
                 timeout: float = 60.0, extra_env: dict | None = None,
                 cwd: Path | None = None) -> tuple[subprocess.Popen, int, float]:
    """Start a server process the way the README does; return it, its port and seconds to first answer."""
    port = port or free_port()
    command = command or [sys.executable, "api.py"]
    environment = dict(os.environ, PORT=str(port), PYTHONUNBUFFERED="1", **(extra_env or {}))
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd or ROOT, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server {command} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                return process, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError(f"server {command} did not answer in {timeout} s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started by start_server."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def multipart(data: bytes, field: str = "image", filename: str = "picture.png") -> tuple[bytes, str]:
    """Return a multipart/form-data body holding one file, and its content type."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Client:
    """A keep-alive HTTP client for one loopback server."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post_picture(self, data: bytes, path: str = "/api/predict") -> tuple[int, dict, float]:
        """Send one picture; return the status, the JSON body and the seconds it took."""
        body, content_type = multipart(data)
        started = time.perf_counter()
        try:
            self.connection.request("POST", path, body=body, headers={"Content-Type": content_type})
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise
        elapsed = time.perf_counter() - started
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = {"raw": payload[:200].decode("latin1")}
        return response.status, parsed, elapsed


def percentiles(seconds: list[float]) -> dict:
    """Return p50/p90/p99 in milliseconds."""
    values = np.asarray(seconds) * 1000
    return {name: float(np.percentile(values, q)) for name, q in (("p50", 50), ("p90", 90), ("p99", 99))}


def png(pixels: np.ndarray) -> bytes:
    """Encode a uint8 array as PNG bytes."""
    import cv2

    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()


def wilson_interval(correct: int, count: int, z: float = 1.96) -> tuple[float, float]:
    """Return the 95% Wilson score interval of an accuracy measured as correct/count."""
    if count == 0:
        return 0.0, 1.0
    share = correct / count
    centre = (share + z * z / (2 * count)) / (1 + z * z / count)
    spread = z * np.sqrt(share * (1 - share) / count + z * z / (4 * count * count)) / (1 + z * z / count)
    return centre - spread, centre + spread


def picture_reader(in_process: bool, model: str | None = None):
    """Return (read, server process or None): read(bytes) -> (status, JSON body, seconds).

    Through the real server started as the README does (the figures that count), or in this
    process with the same models (a quick look while tuning).
    """
    if in_process:
        from digits.errors import PictureError
        from digits.inference import available_models, load_classifier, load_mark_checker, load_sequence_reader
        from digits.reading import Readers, read_picture

        readers = Readers(load_classifier(model or available_models()[0]), load_sequence_reader(), load_mark_checker())

        def read(data: bytes):
            started = time.perf_counter()
            try:
                return 200, read_picture(data, readers).to_json(), time.perf_counter() - started
            except PictureError as error:
                return error.status, {"error": error.message}, time.perf_counter() - started

        return read, None
    process, port, startup = start_server()
    print(f"server ready in {startup:.1f} s")
    client = Client(port)
    path = "/api/predict" + (f"?model={model}" if model else "")
    return (lambda data: client.post_picture(data, path)), process


def canvas_png(ink: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> bytes:
    """Return ink (float 0..1) drawn at a random place on a transparent canvas of ``size``, as PNG bytes."""
    import cv2

    width, height = size
    factor = min(1.0, (width - 20) / ink.shape[1], (height - 20) / ink.shape[0])
    if factor < 1:
        ink = cv2.resize(ink, (int(ink.shape[1] * factor), int(ink.shape[0] * factor)), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width), np.float32)
    x, y = int(rng.integers(0, width - ink.shape[1] + 1)), int(rng.integers(0, height - ink.shape[0] + 1))
    canvas[y:y + ink.shape[0], x:x + ink.shape[1]] = ink
    alpha = np.round(np.clip(canvas, 0, 1) * 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".png", np.dstack([np.zeros_like(alpha)] * 3 + [alpha]))
    if not ok:
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()


def rss_mib(pid: int) -> float:
    """Return the resident memory in MiB of a process and all its children (the server's workers)."""
    total = 0.0
    for member in [pid, *_descendants(pid)]:
        try:
            with open(f"/proc/{member}/status") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:")) / 1024
        except (OSError, StopIteration):
            pass  # a worker that just ended
    return total


def _descendants(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            children = [int(child) for child in handle.read().split()]
    except OSError:
        return []
    return children + [grandchild for child in children for grandchild in _descendants(child)]
