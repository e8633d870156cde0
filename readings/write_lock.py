"""One writer of readings at a time on SQLite, queued in the kernel rather than by SQLite's busy loop.

SQLite lets one transaction write at a time. A worker that finds the lock taken sleeps and
retries (1, 2, 5, 10 … 100 ms), so under load the lock often sits free while waiters sleep:
with four gunicorn workers the server was slower than with one. An flock on a file beside the
database makes waiters wake the moment the writer is done. PostgreSQL locks rows, not the
database: there this is a no-op. Other writers (the admin, sessions) do not take the flock and
still fall back on SQLite's busy timeout, so correctness never depends on it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

try:
    import fcntl
except ImportError:  # not on Linux or macOS: SQLite's own busy timeout still serialises writers
    fcntl = None  # type: ignore[assignment]  # checked before each use

_local = threading.local()  # one open file per thread: flock excludes per open file, not per process


def _lock_file():
    path = f"{connection.settings_dict['NAME']}-writelock"
    if getattr(_local, "path", None) != path:
        _local.file = open(path, "a+b")  # noqa: SIM115 - kept open for the thread's life
        _local.path = path
    return _local.file


@contextmanager
def readings_write_lock() -> Iterator[None]:
    if (
        connection.vendor != "sqlite"
        or fcntl is None
        or connection.in_atomic_block
        or connection.is_in_memory_db()  # type: ignore[attr-defined]  # SQLite's wrapper has it; nothing beside it to lock, and only one connection
    ):
        # Inside an outer transaction the lock order is no longer ours to choose.
        yield
        return
    lock_file = _lock_file()
    fcntl.flock(lock_file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock_file, fcntl.LOCK_UN)
