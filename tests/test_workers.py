"""Several server processes on one port (api.py --workers N): all serve, a dead one is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

from digits.config import PROJECT_ROOT, SAMPLES_DIR
from tests.helpers import free_port, post_file


def children_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(child) for child in handle.read().split()]


def wait_until(condition, seconds: float = 60) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if condition():
            return
        time.sleep(0.1)
    raise TimeoutError("the condition did not come true")


def test_two_workers_serve_and_a_dead_one_is_replaced():
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen([sys.executable, "api.py", "--workers", "2"], cwd=PROJECT_ROOT, stdout=log,
                              stderr=subprocess.STDOUT, env={**os.environ, "PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    picture = (SAMPLES_DIR / "pic1.jpg").read_bytes()

    def answers() -> bool:
        try:
            return post_file(url + "/api/predict", picture)[1].get("number") == "5"
        except OSError:
            return False

    try:
        wait_until(answers)
        workers = children_of(server.pid)
        assert len([child for child in workers if _is_python(child)]) >= 2
        assert all(answers() for _ in range(10))
        os.kill(workers[0], signal.SIGKILL)  # a worker dies: the others serve, and it comes back
        assert answers()
        wait_until(lambda: len([child for child in children_of(server.pid) if _is_python(child)]) >= 2)
        log.seek(0)
        assert "2 worker processes" in log.read()
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _is_python(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"python" in handle.read()
    except OSError:
        return False


def test_workers_that_cannot_start_end_start_up_with_one_clear_line(tmp_path):
    result = subprocess.run([sys.executable, "api.py", "--workers", "2", "--model-dir", str(tmp_path)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PORT": str(free_port())})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"api.py: error: no trained model in {tmp_path.name}/; "
                                                  "run: python trainer.py"]
