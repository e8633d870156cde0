"""The HTTP side: the URL the board builds, answers classified, responses always closed."""

import json

import pytest
import uplink
from urequests import FakeHttp

BASE = "http://192.168.1.10:8000"


def make(http=None, server=BASE):
    logs = []
    return uplink.Uplink(http or FakeHttp(), server, "KEY123", "aa:bb:cc:dd:ee:ff", 7, log=logs.append), logs


def test_reading_url_matches_the_station_route():
    up, _ = make()
    assert up.reading_url(1, 21.5625) == (
        "http://192.168.1.10:8000/update/API_key=KEY123/mac=aa:bb:cc:dd:ee:ff/field=1/data=21.5625"
    )
    assert up.reading_url(2, -3.25).endswith("/field=2/data=-3.25")
    assert up.reading_url(1, 20).endswith("/data=20.0")  # always str(float)


@pytest.mark.parametrize("server", [BASE + "/", BASE + "/update", BASE + "/update/"])
def test_server_url_forms_of_the_original_boards_are_accepted(server):
    up, _ = make(server=server)
    assert up.reading_url(1, 1.5) == BASE + "/update/API_key=KEY123/mac=aa:bb:cc:dd:ee:ff/field=1/data=1.5"


def test_send_reading_is_one_get_with_timeout_and_closed_response():
    http = FakeHttp()
    up, _ = make(http)
    assert up.send_reading(1, 21.5) == uplink.OK
    (call,) = http.calls
    assert call.method == "GET" and call.timeout == 7
    assert http.responses[0].closed


@pytest.mark.parametrize(
    "status, outcome",
    [
        (200, uplink.OK),
        (201, uplink.OK),
        (400, uplink.REFUSED),
        (401, uplink.REFUSED),
        (403, uplink.REFUSED),
        (404, uplink.REFUSED),
        (408, uplink.RETRY),
        (429, uplink.RETRY),
        (500, uplink.RETRY),
        (502, uplink.RETRY),
        (503, uplink.RETRY),
    ],
)
def test_answers_are_classified_and_always_closed(status, outcome):
    http = FakeHttp(default=status)
    up, logs = make(http)
    assert up.send_reading(1, 20.0) == outcome
    assert up.send_batch([(1, 20.0, 1795237200)]) == outcome
    assert len(http.responses) == 2 and http.all_closed()
    if outcome != uplink.OK:
        assert any(str(status) in line for line in logs)  # the reason is printed


@pytest.mark.parametrize("error", [OSError(110), OSError(113), ValueError("torn status line")])
def test_timeouts_and_connection_errors_mean_retry(error):
    http = FakeHttp()
    http.script = [error, error]
    up, logs = make(http)
    assert up.send_reading(1, 20.0) == uplink.RETRY
    assert up.send_batch([(1, 20.0, None)]) == uplink.RETRY
    assert len(logs) == 2


def test_response_closed_even_when_reading_the_reason_fails():
    class Broken:
        status_code = 403
        closed = False

        @property
        def text(self):
            raise OSError(104)

        def close(self):
            self.closed = True

    resp = Broken()

    class Http:
        def get(self, url, **kw):
            return resp

    up, _ = make(Http())
    assert up.send_reading(1, 1.0) == uplink.REFUSED
    assert resp.closed


def test_batch_is_json_with_api_key_header_and_unix_stamps():
    http = FakeHttp(default=201)
    up, _ = make(http)
    # stamps are kept in seconds since 2000 on the board, sent as Unix time
    assert up.send_batch([(1, 21.5, 848552400), (1, 21.0, 848552460), (3, 1006.53, None)]) == uplink.OK
    (call,) = http.calls
    assert call.method == "POST" and call.url == BASE + "/api/readings/"
    assert call.headers == {"Authorization": "Api-Key KEY123", "Content-Type": "application/json"}
    assert json.loads(call.data) == {
        "mac": "aa:bb:cc:dd:ee:ff",
        "readings": [
            {"field": 1, "data": 21.5, "recorded_at": 1795237200},
            {"field": 1, "data": 21.0, "recorded_at": 1795237260},
            {"field": 3, "data": 1006.53},  # never synced: no stamp, server uses arrival time
        ],
    }
