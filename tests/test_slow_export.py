"""A large CSV export read slowly arrives whole: gunicorn as `make run` starts it, a reader that pauses
for longer than the worker timeout, and every one of 300,000 rows.

Under sync workers the export was cut at gunicorn's 30 s worker timeout with no error (69,372 of
300,000 rows arrived). The threaded worker keeps telling the arbiter it is alive while a thread
waits for the reader, and an answer that cannot be finished is cut mid-chunk, which every HTTP
client reports as an error (http.client's IncompleteRead).
"""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from tests.live import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.load]

ROWS = 300_000
PAUSE_SECONDS = 35  # gunicorn.conf.py's worker timeout is 30


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("export")) as live:
        yield live


class SmallBufferConnection(http.client.HTTPConnection):
    """A reader with a small receive buffer, so that the server's writes wait while it pauses."""

    def connect(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        self.sock.settimeout(self.timeout)
        self.sock.connect((self.host, self.port))


def export_path(server, rows: int) -> str:
    server.manage("generate_readings", "--devices", "1", "--rows", str(rows))
    key = server.manage("issue_read_key", "--device", "Demo station 1").strip().splitlines()[-1]
    device_id = server.query("SELECT id FROM devices_device WHERE name = 'Demo station 1'")[0][0]
    return f"/api/devices/{device_id}/readings.csv?api_key={key}"


def connect(server) -> SmallBufferConnection:
    host, port = server.url.removeprefix("http://").split(":")
    return SmallBufferConnection(host, int(port), timeout=180)


def test_an_export_of_300000_readings_to_a_reader_pausing_past_the_worker_timeout_arrives_whole(server):
    path = export_path(server, ROWS)
    connection = connect(server)

    started = time.monotonic()
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    first = response.read(64 * 1024)
    time.sleep(PAUSE_SECONDS)  # the reader stops reading; the server's socket buffers fill up
    rest = response.read()  # raises IncompleteRead if the answer was cut
    connection.close()
    took = time.monotonic() - started

    lines = (first + rest).decode().splitlines()
    print(
        f"\nexport of {ROWS:,} readings, a {PAUSE_SECONDS} s pause: {len(lines) - 1:,} rows in {took:.0f} s"
    )
    assert lines[0] == "recorded_at,device,field,value"
    assert len(lines) == ROWS + 1
    assert lines[-1].startswith("20") and lines[-1].count(",") == 3
    assert server.process.poll() is None  # the worker was not killed, and neither was the server
    assert server.get("/api/schema/")[0] == 200


def test_an_export_whose_reader_never_comes_back_ends_in_an_error_not_a_short_file(tmp_path):
    """Past the write limit (GUNICORN_WRITE_TIMEOUT, 120 s; 2 s here) the answer is cut mid-chunk."""
    with gunicorn_server(tmp_path, extra_env={"GUNICORN_WRITE_TIMEOUT": "2"}) as server:
        connection = connect(server)
        connection.request("GET", export_path(server, 100_000))
        response = connection.getresponse()
        assert response.status == 200
        response.read(64 * 1024)
        time.sleep(6)

        with pytest.raises(http.client.IncompleteRead):
            response.read()
        connection.close()
        assert server.get("/api/schema/")[0] == 200  # and the server still answers
