"""The HTTP side's pure parts: the server URL forms, answers parsed in place, a refusal's index."""

import pytest
import uplink


@pytest.mark.parametrize(
    "url, parts",
    [
        ("http://192.168.1.10:8000", ("192.168.1.10", 8000, "")),
        ("http://192.168.1.10:8000/update", ("192.168.1.10", 8000, "")),  # as the original boards had it
        ("http://192.168.1.10:8000/update/", ("192.168.1.10", 8000, "")),
        ("http://weather.lan/station/", ("weather.lan", 80, "/station")),
    ],
)
def test_server_url_forms(url, parts):
    assert uplink.base_of(url) == parts


def parsed(answer: bytes):
    up = uplink.Uplink(None, None, "http://h:1", "KEY", "aa:bb:cc:dd:ee:ff", clock=None, log=lambda m: None)
    buf = bytearray(320)
    buf[: len(answer)] = answer[:320]
    up._parse(buf, min(len(answer), 320))
    return up


def test_status_retry_after_and_detail_are_read_in_place():
    up = parsed(
        b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 120\r\n\r\n{}"
    )
    assert (up.status, up.retry_after_s) == (429, 120)
    up = parsed(b'HTTP/1.1 400 Bad Request\r\n\r\n{"detail": "readings.12.data: must be a number"}')
    assert up.status == 400 and uplink.refused_index(up.detail) == 12
    up = parsed(b'HTTP/1.1 201 Created\r\n\r\n{"ids": [1, 2, 3]}')
    assert (up.status, up.retry_after_s, up.detail) == (201, 0, b"")


def test_a_refusal_without_an_index_names_none():
    assert uplink.refused_index(b'{"detail": "125 is not a plausible temperature"}') is None


@pytest.mark.parametrize("torn", [b"", b"HTTP/1.1 2", b"garbage that is not http"])
def test_a_torn_answer_is_no_answer(torn):
    with pytest.raises(OSError):
        parsed(torn)


def test_the_batch_prefix_carries_the_mac():
    up = uplink.Uplink(None, None, "http://h:1", "KEY", "aa:bb:cc:dd:ee:ff", clock=None)
    assert up.prefix == b'{"mac":"aa:bb:cc:dd:ee:ff","readings":['
