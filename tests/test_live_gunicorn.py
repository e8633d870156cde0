"""The real thing: gunicorn as `make run` starts it, a board's GETs over HTTP, rows in its database."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live import gunicorn_server, request

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("live")) as live:
        yield live


@pytest.fixture(scope="module")
def board(server) -> dict:
    output = server.manage(
        "register_device", "--name", "Porch", "--mac", "6C:EF:7A:3B:9D:E8", "--placement", "outside"
    )
    return {"key": output.strip().splitlines()[-1], "mac": "6c:ef:7a:3b:9d:e8"}


def stored(server, sql: str = "SELECT COUNT(*) FROM readings_reading"):
    return server.query(sql)


def test_a_board_posting_both_url_forms_is_stored(server, board):
    before = stored(server)[0][0]
    status, body = server.get(f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data=21.5625")
    short_status, short_body = server.get(f"/API_key={board['key']}/mac={board['mac']}/field=1/data=-3.25")

    assert (status, short_status) == (200, 200)
    rows = stored(
        server,
        f"SELECT id, value FROM readings_reading WHERE id IN ({int(body)}, {int(short_body)}) ORDER BY id",
    )
    assert rows == [(int(body), 21.5625), (int(short_body), -3.25)]
    assert stored(server)[0][0] == before + 2


def test_a_batch_over_http_is_stored_once_however_often_it_is_sent(server, board):
    body = json.dumps(
        {
            "mac": board["mac"],
            "readings": [
                {"field": 1, "data": 10 + i, "recorded_at": f"2026-11-20T10:0{i}:00Z"} for i in range(5)
            ],
        }
    ).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {board['key']}"}

    answers = [request(server.url + "/api/readings/", body, headers) for _ in range(3)]

    assert {status for status, _ in answers} == {201}
    assert len({text for _, text in answers}) == 1
    assert stored(server, "SELECT COUNT(*) FROM readings_reading WHERE stamped_by_device")[0][0] == 5


def test_bad_requests_get_a_reason_and_store_nothing(server, board):
    before = stored(server)[0][0]
    answers = [
        server.get(f"/update/API_key=wrong/mac={board['mac']}/field=1/data=21.5"),
        server.get(f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data=hot"),
        server.get(f"/update/API_key={board['key']}/mac={board['mac']}/field=12/data=21"),
        server.get(f"/update/API_key={board['key']}/mac=zz/field=1/data=21"),
        request(
            server.url + f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data=21",
            b"",
            method="POST",
        ),
    ]

    assert [status for status, _ in answers] == [403, 400, 400, 400, 405]
    assert all("\n" not in text.strip() for (text,) in [(t,) for _, t in answers[:4]])
    assert stored(server)[0][0] == before


def test_concurrent_boards_over_http_lose_nothing(server, board):
    before = stored(server)[0][0]

    def post(i: int) -> int:
        return server.get(f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data={i % 40}.5")[0]

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(post, range(400)))

    assert statuses.count(200) == 400
    assert stored(server)[0][0] == before + 400
    if server.vendor == "sqlite":  # readers beside the writer: the setting the workers depend on
        assert stored(server, "PRAGMA journal_mode")[0][0] == "wal"


def test_no_log_ever_holds_a_key(server, board):
    server.get(f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data=20.5")
    server.get(f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data=nan")  # Django logs refusals
    server.process.terminate()  # flush the logs
    server.process.wait(timeout=20)

    access_log = server.access_log.read_text()
    error_log = server.error_log.read_text()
    assert "API_key=<redacted>" in access_log
    assert "Bad Request: /update/API_key=<redacted>" in error_log
    assert board["key"] not in access_log + error_log
