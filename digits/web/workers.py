"""Serve with several processes: one listening socket, N waitress processes taking turns on it.

Python's work in a request (decoding, the page's steps) holds one core per process; on a
machine of N cores, N processes read N pictures at once. The parent binds the port, starts the
workers (each loads the models itself: model runtimes must not be shared across a fork),
waits for each to say it is ready or why it is not, and starts again any worker that dies.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import socket
import sys
import time

RESTART_PAUSE_SECONDS = 1.0
START_ATTEMPTS = 3  # a worker that dies before it is ready is started again this often at most


def serve_with_workers(build_app, make_server, listening: socket.socket, workers: int, threads: int,
                       announce) -> int:
    """Run ``workers`` server processes on the bound socket until a signal; return the exit status.

    ``build_app()`` makes the app in each worker; ``make_server(app, sock, threads)`` its server.
    ``announce(message)`` is called once all are ready. A worker that fails to start ends all
    with its one-line reason (exit 2).
    """
    context = multiprocessing.get_context("fork")  # the socket is inherited; nothing heavy is loaded yet
    reports = context.Queue()

    def start(number: int):
        process = context.Process(target=_worker, args=(build_app, make_server, listening, threads, reports, number),
                                  daemon=True)
        process.start()
        return process

    # Stopping is heard from the start: a parent killed while its workers start would leave
    # them serving the port without it.
    stopping = []
    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, lambda *_: stopping.append(True))
    processes = [start(number) for number in range(workers)]
    problem = _wait_until_ready(processes, reports, start, stopping)
    if problem:
        _stop(processes)
        return _fail(problem)
    if not stopping:
        announce(f"{workers} worker processes of {threads} threads each")
    while not stopping:
        for number, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                time.sleep(RESTART_PAUSE_SECONDS)  # a worker that dies at once must not spin
                processes[number] = start(number)
        time.sleep(0.2)
    _stop(processes)
    return 0


def _wait_until_ready(processes: list, reports, start, stopping: list) -> str | None:
    """Wait until every worker reports ready (or a stop); return the first reason one cannot start, if any.

    A worker that dies before it reports (killed, or out of memory) is started again, up to
    START_ATTEMPTS times: waiting for its report would hang the server before it announces.
    """
    waiting = set(range(len(processes)))
    attempts = dict.fromkeys(waiting, 1)
    while waiting and not stopping:
        try:
            number, problem = reports.get(timeout=0.2)
        except queue.Empty:
            for number in sorted(waiting):
                if processes[number].is_alive():
                    continue
                if attempts[number] >= START_ATTEMPTS:
                    return f"worker {number} died while starting (exit status {processes[number].exitcode})"
                attempts[number] += 1
                processes[number] = start(number)
            continue
        if problem:
            return problem
        waiting.discard(number)
    return None


def _worker(build_app, make_server, listening: socket.socket, threads: int, reports, number: int) -> None:
    """One worker: build the app, report ready (or the reason it cannot), serve until stopped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers, with SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a worker started again inherits the parent's handler
    try:
        server = make_server(build_app(), listening, threads)
    except Exception as error:  # noqa: BLE001 - any failure to start is reported to the parent in one line
        reports.put((number, str(error) or type(error).__name__))
        return
    reports.put((number, None))
    server.run()


def _stop(processes) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


def _fail(problem: str) -> int:
    print(f"api.py: error: {problem}", file=sys.stderr)
    return 2
