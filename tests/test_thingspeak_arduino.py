"""The official ThingSpeak Arduino library (mathworks/thingspeak-arduino, ThingSpeak.h v2.1.1) against a
real gunicorn: each call's request bytes as the library's source builds them, over a plain socket,
and each answer parsed the way the library parses it.

What the library does, from its source:
- every request: `Host: api.thingspeak.com`, `User-Agent: tslib-arduino/2.1.1 (...)`, and the key
  only in `X-THINGSPEAKAPIKEY: <key>` (no header at all for a public channel's read);
- writeField / writeFields: `POST /update HTTP/1.1`, a form body with `&headers=false` appended,
  values from dtostrf(value, 1, 5) ("21.50000"), lat/long/elevation printed with two decimals,
  status and created_at printed as they are (not URL-encoded: a space stays a space), and a
  Content-Length the library computes itself;
- getHTTPResponse: finds "HTTP/1.1", parseInt for the status (anything but 200 is the error),
  finds "Content-Length:" (case-sensitive), reads that many bytes after the blank line; a write
  whose body's toInt() is 0 is -401 (not inserted);
- readStringField: `GET /channels/<id>/fields/<n>/last`, the body is the value; readFloatField is
  toFloat() of it, readLongField and readIntField toInt();
- readStatus: `/feeds/last.txt?status=true`, readCreatedAt: `/feeds/last.txt`,
  readMultipleFields: `/feeds/last.txt?status=true&location=true`; each searches the body for
  `"<key>":"` and takes the text up to the next `"` (a `"status":null` gives "").
"""

from __future__ import annotations

import re
import socket
import time

import pytest

from tests.live import gunicorn_server

pytestmark = pytest.mark.live

USER_AGENT = "tslib-arduino/2.1.1 (ESP8266)"
TS_OK_SUCCESS = 200
TS_ERR_NOT_INSERTED = -401


# The library, transcribed: what it sends and how it reads the answer.


def dtostrf5(value: float) -> str:
    """dtostrf(value, 1, 5, buffer): the library's text of a float field value."""
    return f"{value:.5f}"


def print_float(value: float) -> str:
    """Print::print(float) and String(float): two decimals."""
    return f"{value:.2f}"


def http_header(key: str | None) -> str:
    """writeHTTPHeader(APIKey)."""
    text = "Host: api.thingspeak.com\r\n" + f"User-Agent: {USER_AGENT}\r\n"
    if key is not None:
        text += f"X-THINGSPEAKAPIKEY: {key}\r\n"
    return text


def exchange(server, request: bytes) -> bytes:
    """Send the bytes on a fresh connection (the library connects for every call); the whole answer."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            length = re.search(rb"Content-Length:\s*(\d+)", head)
            if length and len(body) >= int(length.group(1)):
                break
    return answer


def get_http_response(answer: bytes) -> tuple[int, str]:
    """getHTTPResponse(content): the status and the Content-Length bytes after the headers, or the
    library's error codes; -303 when it cannot parse the answer."""
    text = answer.decode("utf-8", errors="replace")
    at = text.find("HTTP/1.1")
    if at == -1:
        return -303, ""
    found = re.match(r"\D*(-?\d+)", text[at + len("HTTP/1.1") :])
    if found is None:
        return -303, ""
    status = int(found.group(1))
    if status != TS_OK_SUCCESS:
        return status, ""
    at = text.find("Content-Length:")
    if at == -1:
        return -303, ""
    found = re.match(r"\D*(\d+)", text[at + len("Content-Length:") :])
    if found is None:
        return -303, ""
    length = int(found.group(1))
    blank = text.find("\r\n\r\n", at)
    if blank == -1:
        return -303, ""
    body = answer[answer.find(b"\r\n\r\n") + 4 :][:length]
    return status, body.decode("utf-8")


def to_int(text: str) -> int:
    """String::toInt(): atol, the leading whole number, 0 if none."""
    found = re.match(r"\s*[+-]?\d+", text)
    return int(found.group(0)) if found else 0


def to_float(text: str) -> float:
    """String::toFloat(): atof, the leading decimal number, 0 if none."""
    found = re.match(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text)
    return float(found.group(0)) if found else 0.0


def json_value_by_key(text: str, key: str) -> str:
    """getJSONValueByKey / parseValues: the text between `"key":"` and the next `"`."""
    phrase = f'"{key}":"'
    at = text.find(phrase)
    if at == -1:
        return ""
    start = at + len(phrase)
    end = text.find('"', start)
    return "" if end == -1 else text[start:end]


class ThingSpeakLibrary:
    """ThingSpeakClass's calls, with its state (setField's values, lastReadStatus)."""

    def __init__(self, server) -> None:
        self.server = server
        self._reset()

    def _reset(self) -> None:
        """The state a new client starts with (and, as this stand-in did, after each write)."""
        self.next_fields: dict[int, str] = {}
        self.lat: float | None = None
        self.long: float | None = None
        self.elevation: float | None = None
        self.status = ""
        self.created_at = ""
        self.last_read_status = TS_OK_SUCCESS
        self.last_feed: dict[str, str] = {}
        self.sent: list[bytes] = []

    def _send(self, request: bytes) -> tuple[int, str]:
        self.sent.append(request)
        return get_http_response(exchange(self.server, request))

    def _finish_write(self, request: bytes) -> int:
        status, body = self._send(request)
        if status != TS_OK_SUCCESS:
            return status
        return TS_ERR_NOT_INSERTED if to_int(body) == 0 else status

    # Writes

    def write_raw(self, channel: int, post_message: str, key: str) -> int:
        post_message += "&headers=false"
        request = (
            "POST /update HTTP/1.1\r\n"
            + http_header(key)
            + "Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(post_message.encode())}\r\n\r\n"
            + post_message
        )
        return self._finish_write(request.encode())

    def write_field(self, channel: int, field: int, value: float | int | str, key: str) -> int:
        if isinstance(value, float):
            value = dtostrf5(value)
        return self.write_raw(channel, f"field{field}={value}", key)

    def set_field(self, field: int, value: float | int | str) -> int:
        self.next_fields[field] = dtostrf5(value) if isinstance(value, float) else str(value)
        return TS_OK_SUCCESS

    def set_latitude(self, value: float) -> None:
        self.lat = value

    def set_longitude(self, value: float) -> None:
        self.long = value

    def set_elevation(self, value: float) -> None:
        self.elevation = value

    def set_status(self, status: str) -> None:
        self.status = status

    def set_created_at(self, created_at: str) -> None:
        self.created_at = created_at

    def _content_length(self) -> int:
        """getWriteFieldsContentLength(), as the library computes it."""
        length = sum(8 + len(value) for value in self.next_fields.values())
        for value, name_length in ((self.lat, 5), (self.long, 6), (self.elevation, 11)):
            if value is not None:
                length += name_length + len(print_float(value))
        if self.status:
            length += 8 + len(self.status)
        if self.created_at:
            length += 12 + len(self.created_at)
        return length + 13 if length else 0

    def write_fields(self, channel: int, key: str) -> int:
        length = self._content_length()
        if length == 0:
            return -210
        items = [f"field{number}={value}" for number, value in sorted(self.next_fields.items())]
        for name, value in (("lat", self.lat), ("long", self.long), ("elevation", self.elevation)):
            if value is not None:
                items.append(f"{name}={print_float(value)}")
        if self.status:
            items.append(f"status={self.status}")
        if self.created_at:
            items.append(f"created_at={self.created_at}")
        body = "&".join(items) + "&headers=false"
        assert len(body) == length  # the library's own count matches what it prints
        request = (
            "POST /update HTTP/1.1\r\n"
            + http_header(key)
            + "Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {length}\r\n\r\n"
            + body
        )
        self._reset()  # resetWriteFields()
        return self._finish_write(request.encode())

    # Reads

    def read_raw(self, channel: int, suffix: str, key: str | None = None) -> str:
        request = f"GET /channels/{channel}{suffix} HTTP/1.1\r\n" + http_header(key) + "\r\n"
        status, content = self._send(request.encode())
        self.last_read_status = status
        return content if status == TS_OK_SUCCESS else ""

    def read_string_field(self, channel: int, field: int, key: str | None = None) -> str:
        return self.read_raw(channel, f"/fields/{field}/last", key)

    def read_float_field(self, channel: int, field: int, key: str | None = None) -> float:
        return to_float(self.read_string_field(channel, field, key))

    def read_long_field(self, channel: int, field: int, key: str | None = None) -> int:
        return to_int(self.read_string_field(channel, field, key))

    read_int_field = read_long_field

    def read_status(self, channel: int, key: str | None = None) -> str:
        content = self.read_raw(channel, "/feeds/last.txt?status=true", key)
        return json_value_by_key(content, "status") if self.last_read_status == TS_OK_SUCCESS else ""

    def read_created_at(self, channel: int, key: str | None = None) -> str:
        content = self.read_raw(channel, "/feeds/last.txt", key)
        return json_value_by_key(content, "created_at") if self.last_read_status == TS_OK_SUCCESS else ""

    def read_multiple_fields(self, channel: int, key: str | None = None) -> int:
        content = self.read_raw(channel, "/feeds/last.txt?status=true&location=true", key)
        if self.last_read_status != TS_OK_SUCCESS:
            return self.last_read_status
        names = [f"field{n}" for n in range(1, 9)]
        names += ["created_at", "latitude", "longitude", "elevation", "status"]
        self.last_feed = {name: json_value_by_key(content, name) for name in names}
        return TS_OK_SUCCESS

    def get_field_as_string(self, field: int) -> str:
        return self.last_feed[f"field{field}"]

    def get_field_as_float(self, field: int) -> float:
        return to_float(self.get_field_as_string(field))

    def get_field_as_long(self, field: int) -> int:
        return to_int(self.get_field_as_string(field))

    get_field_as_int = get_field_as_long

    def get_status(self) -> str:
        return self.last_feed["status"]

    def get_latitude(self) -> str:
        return self.last_feed["latitude"]

    def get_longitude(self) -> str:
        return self.last_feed["longitude"]

    def get_elevation(self) -> str:
        return self.last_feed["elevation"]

    def get_created_at(self) -> str:
        return self.last_feed["created_at"]


# The server and the channels.


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("arduino")) as live:
        yield live


def _register(server, name: str, mac: str, *, public: bool = False) -> dict:
    registered = server.manage("register_device", "--name", name, "--mac", mac, "--placement", "outside")
    issued = server.manage("issue_read_key", "--device", name)
    found = re.search(r"channel id (\d+)", issued)
    assert found, issued
    channel = int(found.group(1))
    # A pressure field beside the temperature, as a BMP280 board sends; and the public switch.
    server.manage(
        "shell",
        "-c",
        "from devices.models import Device, Field, PRESSURE; "
        f"Field.objects.create(device_id={channel}, number=2, label='Pressure', unit='hPa', kind=PRESSURE); "
        f"Device.objects.filter(pk={channel}).update(is_public={public})",
    )
    return {
        "id": channel,
        "write_key": registered.strip().splitlines()[-1],
        "read_key": issued.strip().splitlines()[-1],
    }


@pytest.fixture(scope="module")
def channel(server) -> dict:
    return _register(server, "Porch", "6C:EF:7A:3B:9D:E8")


@pytest.fixture(scope="module")
def public_channel(server) -> dict:
    return _register(server, "Garden", "6C:EF:7A:3B:9D:E9", public=True)


@pytest.fixture
def library(server) -> ThingSpeakLibrary:
    return ThingSpeakLibrary(server)


def readings(server, channel: int) -> list[tuple]:
    return server.query(
        f"SELECT field, value, recorded_at FROM readings_reading WHERE device_id = {channel} "
        "ORDER BY recorded_at, field"
    )


def at_15_utc(server, channel: dict) -> list[tuple]:
    """(field, value) of the channel's readings at 2026-11-20 15:00 UTC, on SQLite and PostgreSQL."""
    zone = "+00:00" if server.vendor == "postgresql" else ""  # SQLite holds UTC as zoneless text
    return server.query(
        f"SELECT field, value FROM readings_reading WHERE device_id = {channel['id']} "
        f"AND recorded_at >= '2026-11-20 15:00:00{zone}' AND recorded_at < '2026-11-20 15:00:01{zone}' "
        "ORDER BY field"
    )


# The calls.


def test_write_field_sends_the_key_only_in_its_header_and_is_stored(server, channel, library):
    before = len(readings(server, channel["id"]))

    status = library.write_field(channel["id"], 1, 21.5, channel["write_key"])

    assert status == TS_OK_SUCCESS
    assert library.sent[-1].endswith(b"\r\n\r\nfield1=21.50000&headers=false")
    assert b"X-THINGSPEAKAPIKEY: " + channel["write_key"].encode() in library.sent[-1]
    stored = readings(server, channel["id"])
    assert len(stored) == before + 1 and stored[-1][:2] == (1, 21.5)


def test_write_field_with_an_int_and_a_wrong_key(server, channel, library):
    assert library.write_field(channel["id"], 2, 1013, channel["write_key"]) == TS_OK_SUCCESS
    assert library.write_field(channel["id"], 1, 20.0, "not-the-key") == 403
    assert library.write_field(channel["id"], 1, 20.0, channel["read_key"]) == 403


def test_write_fields_with_status_location_and_created_at_is_one_entry(server, channel, library):
    library.set_field(1, 19.25)
    library.set_field(2, 1009.5)
    library.set_latitude(42.36)
    library.set_longitude(-71.06)
    library.set_elevation(100.0)
    library.set_status("Battery low, 3.3 V")
    # The library's documented form: a time with an hour offset, sent unencoded (a literal space).
    library.set_created_at("2026-11-20 10:00:00-05")

    status = library.write_fields(channel["id"], channel["write_key"])

    assert status == TS_OK_SUCCESS
    assert library.sent[-1].endswith(
        b"field1=19.25000&field2=1009.50000&lat=42.36&long=-71.06&elevation=100.00"
        b"&status=Battery low, 3.3 V&created_at=2026-11-20 10:00:00-05&headers=false"
    )
    assert at_15_utc(server, channel) == [(1, 19.25), (2, 1009.5)]
    note = server.query(
        "SELECT status, latitude, longitude, elevation FROM readings_entrynote "
        f"WHERE device_id = {channel['id']}"
    )
    assert note == [("Battery low, 3.3 V", 42.36, -71.06, 100.0)]

    # The same entry again (a retry after a lost answer) is the same entry, not a second one;
    # another update at that created_at is refused, as ThingSpeak refuses it: the library's -401
    # is for an answer of 0 with 200, a 409 is returned as it is.
    library.set_field(1, 19.25)
    library.set_field(2, 1009.5)
    library.set_created_at("2026-11-20 10:00:00-05")
    assert library.write_fields(channel["id"], channel["write_key"]) == TS_OK_SUCCESS
    library.set_field(1, 25.0)
    library.set_created_at("2026-11-20 10:00:00-05")
    assert library.write_fields(channel["id"], channel["write_key"]) == 409
    assert at_15_utc(server, channel) == [(1, 19.25), (2, 1009.5)]


def test_write_fields_without_set_field_sends_nothing(server, channel, library):
    assert library.write_fields(channel["id"], channel["write_key"]) == -210
    assert library.sent == []


def test_read_string_float_long_and_int_field(server, channel, library):
    library.write_field(channel["id"], 1, -3.75, channel["write_key"])
    library.write_field(channel["id"], 2, 1021, channel["write_key"])

    assert library.read_string_field(channel["id"], 1, channel["read_key"]) == "-3.75"
    assert library.read_float_field(channel["id"], 1, channel["read_key"]) == -3.75
    assert library.last_read_status == TS_OK_SUCCESS
    assert library.read_long_field(channel["id"], 2, channel["read_key"]) == 1021
    assert library.read_int_field(channel["id"], 1, channel["read_key"]) == -3
    assert b"GET /channels/%d/fields/1/last HTTP/1.1\r\n" % channel["id"] in library.sent[2]


def test_read_status_and_created_at_of_the_last_entry(server, channel, library):
    library.set_field(1, 18.5)
    library.set_status("Door open")
    library.write_fields(channel["id"], channel["write_key"])

    assert library.read_status(channel["id"], channel["read_key"]) == "Door open"
    assert library.last_read_status == TS_OK_SUCCESS
    created_at = library.read_created_at(channel["id"], channel["read_key"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created_at)

    # An entry without a status: ThingSpeak's "status":null, which the library reads as "".
    library.write_field(channel["id"], 1, 18.75, channel["write_key"])
    assert library.read_status(channel["id"], channel["read_key"]) == ""
    assert library.last_read_status == TS_OK_SUCCESS


def test_read_multiple_fields_and_its_getters(server, channel, library):
    library.set_field(1, 17.5)
    library.set_field(2, 1001.25)
    library.set_latitude(51.5)
    library.set_longitude(-0.12)
    library.set_elevation(35.0)
    library.set_status("All fine")
    library.write_fields(channel["id"], channel["write_key"])

    assert library.read_multiple_fields(channel["id"], channel["read_key"]) == TS_OK_SUCCESS
    assert library.get_field_as_string(1) == "17.5"
    assert library.get_field_as_float(2) == 1001.25
    assert library.get_field_as_long(2) == 1001
    assert library.get_field_as_int(1) == 17
    assert library.get_field_as_string(3) == ""
    assert library.get_status() == "All fine"
    assert (library.get_latitude(), library.get_longitude(), library.get_elevation()) == (
        "51.5",
        "-0.12",
        "35.0",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", library.get_created_at())


def test_read_raw_answers_compact_json(server, channel, library):
    library.write_field(channel["id"], 1, 16.5, channel["write_key"])

    last = library.read_raw(channel["id"], "/fields/1/last.json", channel["read_key"])
    feed = library.read_raw(channel["id"], "/feeds.json?results=1", channel["read_key"])

    assert library.last_read_status == TS_OK_SUCCESS
    assert json_value_by_key(last, "field1") == "16.5"
    # In a feed the channel comes first: its "field1":" is the field's name, as on ThingSpeak.
    assert json_value_by_key(feed, "field1") == "Temperature"
    assert feed.startswith('{"channel":{"id":') and '"feeds":[{"created_at":"' in feed
    assert ": " not in feed and ", " not in feed


def test_private_channel_reads_need_the_read_key(server, channel, library):
    assert library.read_float_field(channel["id"], 1) == 0.0
    assert library.last_read_status == 400
    assert library.read_status(channel["id"], "wrong-key") == ""
    assert library.last_read_status == 400
    assert library.read_multiple_fields(channel["id"], channel["write_key"]) == 400


def test_a_public_channel_reads_without_a_key_but_never_writes_without_its_write_key(
    server, public_channel, library
):
    assert library.write_field(public_channel["id"], 1, 12.5, public_channel["write_key"]) == TS_OK_SUCCESS

    assert library.read_float_field(public_channel["id"], 1) == 12.5
    assert library.last_read_status == TS_OK_SUCCESS
    assert library.read_multiple_fields(public_channel["id"]) == TS_OK_SUCCESS
    assert library.get_field_as_float(1) == 12.5
    assert library.write_field(public_channel["id"], 1, 13.0, public_channel["read_key"]) == 403
    assert library.write_raw(public_channel["id"], "field1=13.0", "") == 403
    assert [row[:2] for row in readings(server, public_channel["id"])] == [(1, 12.5)]
