"""A small, fast HTTP load generator for the load and fault tests: many concurrent boards, raw sockets.

gunicorn's sync workers close the connection after each answer (no keep-alive), so each reading is
one connection, as for a real board. asyncio in one thread keeps the client's own CPU cost low,
leaving the machine's cores to the server under test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

STOP = "stop"  # what on_progress answers to stop sending


@dataclass
class Answer:
    index: int
    status: int | None  # None: no answer (connection refused or reset, e.g. a killed worker)
    body: str = ""


@dataclass
class LoadResult:
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0

    def with_status(self, test: Callable[[int], bool]) -> list[Answer]:
        return [a for a in self.answers if a.status is not None and test(a.status)]

    @property
    def ok(self) -> list[Answer]:
        return self.with_status(lambda s: 200 <= s < 300)

    @property
    def server_errors(self) -> list[Answer]:
        return self.with_status(lambda s: s >= 500)

    @property
    def unanswered(self) -> list[Answer]:
        return [a for a in self.answers if a.status is None]


async def _get(host: str, port: int, path: str, index: int, timeout: float) -> Answer:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            raw = await asyncio.wait_for(reader.read(), timeout)
        finally:
            writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return Answer(index, None)
    head, _, body = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return Answer(index, None)  # cut off before the status line
    return Answer(index, status, body.decode(errors="replace"))


async def _run(
    host: str, port: int, paths: Sequence[str], concurrency: int, timeout: float, on_progress, seconds
) -> LoadResult:
    result = LoadResult()
    next_index = 0
    stopped = False
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal next_index, stopped
        while next_index < len(paths) and time.monotonic() < deadline and not stopped:
            index = next_index
            next_index += 1
            answer = await _get(host, port, paths[index], index, timeout)
            result.answers.append(answer)
            if on_progress is not None and on_progress(len(result.answers)) == STOP:
                stopped = True

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result


def send(
    url: str,
    paths: Sequence[str],
    concurrency: int = 64,
    timeout: float = 30,
    on_progress: Callable[[int], str | None] | None = None,
    seconds: float = float("inf"),
) -> LoadResult:
    """GET each path once, `concurrency` at a time, starting none after `seconds` or once on_progress
    (called with the number of answers so far) returns STOP.

    Every request sent is in the result with its answer, or with none.
    """
    host, port = url.removeprefix("http://").split(":")
    return asyncio.run(_run(host, int(port), paths, concurrency, timeout, on_progress, seconds))
