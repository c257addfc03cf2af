"""The production server: waitress with limits chosen by measurement, and its own errors answered like ours.

Waitress answers some requests before the app sees them (a body over the limit, a malformed
request line). Those answers come as JSON with the app's security headers too, so a client
always gets the same kind of answer.
"""

from __future__ import annotations

import json
import socket

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from digits.config import MAX_UPLOAD_BYTES
from digits.web.factory import SECURITY_HEADERS

# Measured with bench/hostile.py (see the README's security section):
# - a body over our cap is refused as soon as its header says so, never held;
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024  # the cap, and room for a multipart envelope
# - a body is kept in memory up to this, then in an unnamed temporary file while it arrives, so
#   clients holding large unfinished bodies cost little memory;
IN_MEMORY_BODY_BYTES = 1024 * 1024
# - a connection that sends nothing for this long is closed;
CHANNEL_TIMEOUT_SECONDS = 10
# - this many connections at once: slow clients queue on the sockets, not on the threads.
CONNECTION_LIMIT = 1000


class JsonErrorTask(ErrorTask):
    """Waitress' own error answer, as JSON with the app's security headers."""

    def execute(self):
        """Write the error as {"error": ...} and close the connection."""
        error = self.request.error
        message = (f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; send a smaller picture"
                   if error.code == 413 else f"{error.reason.lower()}: {str(error.body).strip()[:200]}")
        body = json.dumps({"error": message}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), *SECURITY_HEADERS.items()])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class Channel(HTTPChannel):
    """A waitress connection whose error answers are JSON."""

    error_task_class = JsonErrorTask


def listen(host: str, port: int) -> socket.socket:
    """Bind and listen on the address (OSError if the port is taken), for one or several server processes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


def make_server(app, listening: socket.socket, threads: int):
    """Return the waitress server for ``app`` on a bound socket, ready to ``run()``."""
    server = create_server(app, sockets=[listening], threads=threads, ident="digits",
                           max_request_body_size=MAX_BODY_BYTES, inbuf_overflow=IN_MEMORY_BODY_BYTES,
                           channel_timeout=CHANNEL_TIMEOUT_SECONDS, connection_limit=CONNECTION_LIMIT)
    server.channel_class = Channel
    return server
