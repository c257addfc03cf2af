"""The audit's hostile clients against the real server: what each costs, and whether others are still served.

Run: python bench/hostile.py [--root DIR]   (--root: another checkout's api.py, to compare before/after)
Cases: the 480-mark picture; 8 GIF and 8 16-bit PNG decode bombs at once; 120 slow connections
that trickle a request; 30 connections holding unfinished large bodies. For each it prints the
answer, the time, the server's peak RSS growth, and how a normal client fared meanwhile.
"""

from __future__ import annotations

import argparse
import io
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import numpy as np
from common import ROOT, Client, multipart, percentiles, png, rss_mib, start_server, stop_server
from PIL import Image

from digits.config import SAMPLES_DIR


class PeakMemory:
    """Samples a process tree's RSS every 10 ms; ``peak`` is the most seen."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, rss_mib(pid), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def many_marks() -> bytes:
    """The audit's 1.3 KB picture: a bar at x=5..7 and 480 dashes, 50 pixels tall, at y = 100 + (x mod 3) * 55."""
    page = np.full((480, 640), 255, np.uint8)
    page[:, 5:8] = 0
    for x in range(20, 500):
        page[100 + (x % 3) * 55:150 + (x % 3) * 55, x] = 0
    return png(page)


def gif_bomb(side: int = 6324) -> bytes:
    """A tiny GIF (one pixel of image data) whose header announces a side x side screen."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buffer, format="GIF")
    data = bytearray(buffer.getvalue())
    data[6:10] = struct.pack("<HH", side, side)  # the logical screen's width and height
    return bytes(data)


def png16_bomb(side: int = 6000) -> bytes:
    """A 16-bit grey PNG of side x side pixels, all paper: about 100 KB, under the pixel cap."""
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((side, side), np.uint16)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def normal_client(port: int, seconds: float) -> dict:
    """Send pic1.jpg again and again for ``seconds``; return latency percentiles and how many failed."""
    data, times, failures = (SAMPLES_DIR / "pic1.jpg").read_bytes(), [], 0
    client, stop = Client(port, timeout=30), time.monotonic() + seconds
    while time.monotonic() < stop:
        try:
            status, body, elapsed = client.post_picture(data)
            times.append(elapsed)
            failures += status != 200 or body.get("number") != "5"
        except OSError:
            failures += 1
    return {**percentiles(times or [float("nan")]), "requests": len(times), "failures": failures}


def at_once(count: int, data: bytes, port: int) -> list[tuple[int, float]]:
    """Send ``count`` copies of a picture at the same moment; return (status, seconds) of each."""
    results: list = [None] * count

    def send(index: int) -> None:
        try:
            status, _body, elapsed = Client(port, timeout=120).post_picture(data)
            results[index] = (status, elapsed)
        except OSError as error:
            results[index] = (f"error {error.__class__.__name__}", 0.0)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def slow_connections(port: int, count: int, seconds: float) -> tuple[dict, int]:
    """Hold ``count`` connections that trickle a request a byte every second; measure a normal client meanwhile."""
    sockets = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(b"POST /api/predict HTTP/1.1\r\nHost: x\r\n")
        sockets.append(connection)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for connection in sockets:
                try:
                    connection.sendall(b"X")
                except OSError:
                    pass
            stop.wait(1.0)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    served = normal_client(port, seconds)
    stop.set()
    thread.join()
    open_ones = sum(_still_open(connection) for connection in sockets)
    for connection in sockets:
        connection.close()
    return served, open_ones


def _still_open(connection: socket.socket) -> bool:
    try:
        connection.sendall(b"X")
        return True
    except OSError:
        return False


def held_bodies(port: int, count: int, announced: int, sent: int) -> list[socket.socket]:
    """Open ``count`` uploads that announce ``announced`` bytes, send ``sent`` of them, then hold."""
    held = []
    body, content_type = multipart(b"\x00" * announced)
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.sendall(f"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n".encode())
        try:
            connection.sendall(body[:sent])
        except OSError:
            pass
        held.append(connection)
    return held


def run_cases(port: int, pid: int) -> None:
    """Run every case against one server and print its row."""
    time.sleep(0.5)
    base = rss_mib(pid)
    print(f"server RSS at rest {base:.0f} MiB")
    started = time.perf_counter()
    status, _body, _ = Client(port, timeout=120).post_picture(many_marks())
    print(f"480 close marks            answer {status}  in {time.perf_counter() - started:.2f} s")
    for name, data in (("8 GIF bombs (35 bytes)", gif_bomb()), ("8 16-bit PNGs (100 KB)", png16_bomb())):
        with PeakMemory(pid) as memory:
            answers = at_once(8, data, port)
        statuses = sorted({str(status) for status, _ in answers})
        print(f"{name:26} answers {','.join(statuses)}  slowest {max(s for _, s in answers):.2f} s  "
              f"peak RSS +{memory.peak - base:.0f} MiB  ({len(data)} bytes each)")
    served, still_open = slow_connections(port, 120, 15)
    print(f"120 slow connections       normal client p50 {served['p50']:.1f} ms p99 {served['p99']:.1f} ms, "
          f"{served['requests']} requests, {served['failures']} failed; {still_open} slow ones still open after 15 s")
    before = rss_mib(pid)
    with PeakMemory(pid) as memory:
        held = held_bodies(port, 30, 9 * 1024 * 1024, 8 * 1024 * 1024)
        time.sleep(2)
        served = normal_client(port, 5)
    print(f"30 held 9 MiB bodies       RSS +{memory.peak - before:.0f} MiB (peak), normal client p99 "
          f"{served['p99']:.1f} ms, {served['failures']} failed")
    for connection in held:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose api.py to start (default: this)")
    args = parser.parse_args()
    process, port, startup = start_server([sys.executable, str(args.root / "api.py")], cwd=args.root)
    print(f"server ({args.root.name}) ready in {startup:.1f} s")
    try:
        run_cases(port, process.pid)
    finally:
        stop_server(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
