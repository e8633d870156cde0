"""gunicorn's threaded worker, with time limits on reading a request and on writing its answer.

gthread waits for a connection's first bytes without a thread, but once a client has sent part
of a request (a board that lost WiFi after `GET /update/API_key=`) the thread reading it blocks
until the client closes; a client that stops reading an answer blocks the thread writing it.
gunicorn's worker timeout does not help with either: the main thread keeps telling the arbiter
that the worker is alive while a pool thread waits. Here a request (its line, headers and body)
must arrive within REQUEST_READ_SECONDS of the thread starting to read it, however slowly it
trickles in, and writing the answer gives up after RESPONSE_WRITE_SECONDS without progress; the
client then sees the connection close mid-answer (a chunked answer without its last chunk).
"""

from __future__ import annotations

import errno
import os
import socket
import time

from gunicorn.http.errors import NoMoreData
from gunicorn.workers import gthread

# Boards send a whole request within a second and give up after 10 s themselves; a bulk update
# of 2 MB still arrives over a slow link.
REQUEST_READ_SECONDS = 15
# A reader of a long CSV export may pause (a laptop asleep, a slow link) for longer than
# gunicorn's 30 s worker timeout; idle readers still cannot hold a thread for good.
RESPONSE_WRITE_SECONDS = float(os.environ.get("GUNICORN_WRITE_TIMEOUT", "120"))


class DeadlineSocket:
    """A client socket whose reads all end by one deadline: a trickle of bytes cannot extend it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline = time.monotonic() + REQUEST_READ_SECONDS

    def recv(self, size: int, *flags) -> bytes:
        left = self.deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            self._sock.settimeout(left)
            return self._sock.recv(size, *flags)
        except TimeoutError:
            # As a client that went away mid-request, which gunicorn closes quietly: a board that
            # lost WiFi is routine, not an error with a traceback in the log.
            raise NoMoreData(None) from None

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class TimedConnection(gthread.TConn):
    def __init__(self, cfg, sock, client, server) -> None:
        # Wrapped before init() hands the socket to the request parser.
        super().__init__(cfg, DeadlineSocket(sock), client, server)

    def init(self) -> None:
        self.sock.deadline = time.monotonic() + REQUEST_READ_SECONDS
        super().init()  # runs before every request on the connection


class ThreadWorker(gthread.ThreadWorker):
    def accept(self, listener) -> None:
        # gthread.ThreadWorker.accept, making a TimedConnection instead of a TConn.
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client_sock.setblocking(True)
        self.enqueue_req(TimedConnection(self.cfg, client_sock, client_addr, listener.getsockname()))

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app = self.wsgi  # type: ignore[has-type]  # gunicorn ships no types; set by super().load_wsgi()

        def timed_writes(environ, start_response):
            def start(status, headers, exc_info=None):
                # The request has been read (Django reads a body before it answers): from
                # here on the socket is written to, and a write may wait longer than a read.
                client = environ.get("gunicorn.socket")
                if client is not None:
                    client.settimeout(RESPONSE_WRITE_SECONDS)
                return start_response(status, headers, exc_info)

            return app(environ, start)

        self.wsgi = timed_writes
