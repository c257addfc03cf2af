"""Several server processes on one port (api.py --workers N): all serve, a dead one is replaced."""

from __future__ import annotations

import os
import select
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
        # Workers serve as soon as each is ready; the server announces once all have said so,
        # which on a busy machine may come after the first answers (and after the kill above).
        wait_until(lambda: _logged(log, "2 worker processes"))
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


STARTING_SCRIPT = """
import os, socket, sys, time
from digits.web.workers import serve_with_workers

def build_app():
    if sys.argv[1] == "slow":  # models that take long to load
        time.sleep(60)
    # How a worker starting up dies, before it can report (killed, out of memory).
    if sys.argv[1] == "always" or os.path.exists(sys.argv[2]) is False:
        open(sys.argv[2], "w").close()
        os._exit(9)
    return object()

class Server:
    def run(self):
        time.sleep(3600)

listening = socket.socket()
listening.bind(("127.0.0.1", 0))
status = serve_with_workers(build_app, lambda app, sock, threads: Server(), listening, 2, 1,
                            lambda message: print(message, flush=True))
sys.exit(status)
"""


def test_a_worker_that_dies_while_starting_is_started_again(tmp_path):
    server = subprocess.Popen([sys.executable, "-c", STARTING_SCRIPT, "once", str(tmp_path / "died")],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([server.stdout], [], [], 60)  # a hang fails, never blocks the suite
        assert ready and server.stdout.readline().strip() == "2 worker processes of 1 threads each"
        assert (tmp_path / "died").exists()  # one start did die on the way
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_worker_that_always_dies_while_starting_ends_start_up_with_one_clear_line(tmp_path):
    result = subprocess.run([sys.executable, "-c", STARTING_SCRIPT, "always", str(tmp_path / "died")],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() in {f"api.py: error: worker {number} died while starting (exit status 9)"
                                     for number in (0, 1)}


def test_a_server_stopped_while_its_workers_start_leaves_none_behind(tmp_path):
    server = subprocess.Popen([sys.executable, "-c", STARTING_SCRIPT, "slow", str(tmp_path / "died")],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: len(children_of(server.pid)) >= 2)
        workers = children_of(server.pid)
        server.terminate()
        assert server.wait(timeout=20) == 0
        wait_until(lambda: not any(_alive(pid) for pid in workers), seconds=20)
    finally:
        server.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] != "Z"  # a zombie has ended
    except OSError:
        return False


def _logged(log, text: str) -> bool:
    # pread leaves the file offset alone: the server writes through the same open file.
    descriptor = log.fileno()
    return text in os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")
