"""Stalled and slow clients do not stall the server: gunicorn as `make run` starts it keeps answering boards.

A board that loses WiFi mid-request leaves a socket that sent `GET /update/API_key=` and nothing
more; a phone on a bad link reads an answer slowly. With sync workers two such sockets held both
workers of `make run`, and a board's reading waited 32 s (boards give up after 10 s).
"""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack

import pytest

from iotserver.workers import REQUEST_READ_SECONDS
from tests.live import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.load]

WORKERS = 2  # as `make run` starts it (WEB_CONCURRENCY's default)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("slow"), workers=WORKERS) as live:
        yield live


@pytest.fixture(scope="module")
def board(server) -> dict:
    output = server.manage(
        "register_device", "--name", "Porch", "--mac", "6C:EF:7A:3B:9D:E8", "--placement", "outside"
    )
    return {"key": output.strip().splitlines()[-1], "mac": "6c:ef:7a:3b:9d:e8"}


def address(server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def stalled(server, first_bytes: bytes) -> socket.socket:
    """A socket that sent the start of a request and then nothing: a board that lost WiFi."""
    sock = socket.create_connection(address(server), timeout=5)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def slow_reader(server, path: str) -> socket.socket:
    """A socket that asks for a long answer and reads none of it, with a small receive buffer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect(address(server))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def timed_reading(server, board, value: str) -> tuple[float, int, bytes]:
    """One station GET over a fresh socket, as a board sends it: (seconds, status, body)."""
    path = f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data={value}"
    started = time.monotonic()
    with socket.create_connection(address(server), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return time.monotonic() - started, int(head.split()[1]), body


@pytest.fixture(scope="module")
def export_path(server) -> str:
    """A CSV export of 20,000 readings (600 kB): far more than a socket's buffers hold."""
    server.manage("generate_readings", "--devices", "1", "--rows", "20000")
    key = server.manage("issue_read_key", "--device", "Demo station 1").strip().splitlines()[-1]
    device_id = server.query("SELECT id FROM devices_device WHERE name = 'Demo station 1'")[0][0]
    return f"/api/devices/{device_id}/readings.csv?api_key={key}"


def test_a_board_is_answered_within_a_second_while_stalled_and_slow_clients_hold_connections(
    server, board, export_path
):
    for _ in range(WORKERS * 4):  # each worker's first request loads the URL map and the views
        timed_reading(server, board, "19.5")
    latencies = []
    with ExitStack() as held:
        sockets = []
        for first in [b"GET /update/API_key=", b"GET /update/API_key=" + board["key"].encode(), b"G", b""]:
            sockets += [held.enter_context(stalled(server, first)) for _ in range(3)]
        sockets += [held.enter_context(slow_reader(server, export_path)) for _ in range(6)]
        assert len(sockets) > WORKERS * 4
        time.sleep(0.5)  # let the workers take them all

        for n in range(10):
            seconds, status, body = timed_reading(server, board, f"{20 + n / 10:.1f}")
            latencies.append(seconds)
            assert status == 200, body
        stored = server.query("SELECT COUNT(*) FROM readings_reading WHERE value BETWEEN 20 AND 20.95")[0][0]

    print(
        f"\nstation GET with {len(sockets)} stalled/slow connections held: max {max(latencies) * 1000:.0f} ms"
    )
    assert max(latencies) < 1.0, latencies
    assert stored == 10


def test_a_stalled_request_is_dropped_after_the_read_limit(server, board):
    sock = stalled(server, b"GET /update/API_key=" + board["key"].encode())
    sock.settimeout(REQUEST_READ_SECONDS + 20)
    started = time.monotonic()
    try:
        answer = sock.recv(100)  # the server closes (or answers 400): it does not wait for ever
    except ConnectionResetError:
        answer = b""
    finally:
        sock.close()
    waited = time.monotonic() - started

    assert waited < REQUEST_READ_SECONDS + 10
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
    assert "Traceback" not in server.error_log.read_text()  # a dropped board is routine, not an error
    seconds, status, _ = timed_reading(server, board, "21.5")
    assert status == 200 and seconds < 1.0


def test_a_trickle_of_bytes_does_not_keep_a_thread_for_ever(server, board):
    """A byte a second would renew a timeout on each read for ever; the limit is per request."""
    sock = stalled(server, b"GET /update/API_key=")
    started = time.monotonic()
    closed = False
    while time.monotonic() - started < REQUEST_READ_SECONDS + 10:
        try:
            sock.sendall(b"x")
        except OSError:
            closed = True
            break
        time.sleep(1)
    sock.close()

    assert closed, "the server kept reading a request that never ended"
