"""No issued key in any log line: a fuzz pass over every write and read endpoint, then every line scanned.

gunicorn runs as `make run` starts it. Keys are issued (write and read, for two stations), then
sent every way a client may present one: the station URL's path, `api_key=` and ThingSpeak's
`key=` with their names in any mix of plain and percent-encoded letters, the Authorization and
ThingSpeak headers, JSON bodies, a Referer holding a URL with a key (plain and percent-encoded),
malformed request lines that gunicorn itself logs, and schemathesis' cases of the JSON API's
schema with the key in the query. Then every line of gunicorn's access and error logs and of
Django's log (on gunicorn's standard error) is searched for every key, raw and percent-decoded.
"""

from __future__ import annotations

import random
import socket
from collections import Counter
from urllib.parse import quote, unquote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.fuzz]

TRIED: Counter = Counter()
KEYS = """
from devices.models import READ
from devices.services import device_register, key_issue
for n, mac in enumerate(["6c:ef:7a:3b:9d:e8", "6c:ef:7a:3b:9d:e9"]):
    issued = device_register(name=f"Station {n}", mac=mac, placement="outside")
    print("KEY", issued.api_key.device.pk, mac, "write", issued.key)
    read = key_issue(device=issued.api_key.device, scope=READ)
    print("KEY", issued.api_key.device.pk, mac, "read", read.key)
"""
# Every spelling of a key parameter's name that the server decodes to one it reads.
PATH_NAMES = ["API_key", "API%5Fkey", "API%5fkey", "%41PI_key", "%41%50%49%5F%6B%65%79"]
QUERY_NAMES = ["api_key", "api%5Fkey", "api%5fkey", "API_KEY", "%61pi_key", "key", "%6Bey", "%6b%65%79"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    # The rate limits on, as in production: refusals of guessed keys are logged too.
    extra = {"UNKNOWN_KEY_RATE_LIMIT": "30/min", "LOG_LEVEL": "INFO"}
    with gunicorn_server(tmp_path_factory.mktemp("logs"), workers=2, extra_env=extra) as server:
        output = server.manage("shell", "-c", KEYS)
        server.keys = []
        for line in output.splitlines():
            if line.startswith("KEY "):
                _, device, mac, scope, key = line.split()
                server.keys.append({"device": int(device), "mac": mac, "scope": scope, "key": key})
        yield server


def keys_of(live, scope: str) -> list[dict]:
    return [k for k in live.keys if k["scope"] == scope]


def send(live, method: str, path: str, **kwargs) -> requests.Response:
    TRIED[path.split("?")[0].split("/API")[0][:30]] += 1
    response = requests.request(method, live.url + path, timeout=30, allow_redirects=False, **kwargs)
    assert response.status_code < 500, (method, path, response.status_code, response.text[:200])
    return response


def read_paths(device: int) -> list[str]:
    channel = f"/channels/{device}"
    return [
        "/api/devices/",
        f"/api/devices/{device}/readings/",
        f"/api/devices/{device}/history/",
        f"/api/devices/{device}/readings.csv",
        f"{channel}/feeds.json",
        f"{channel}/feeds.csv",
        f"{channel}/fields/1.json",
        f"{channel}/fields/1.csv",
        f"{channel}/feeds/last.json",
        f"{channel}/fields/1/last",
        f"{channel}/fields/1/last.csv",
    ]


def referers(key: str) -> list[str]:
    return [
        f"http://weather.example.org/channels/1/feeds.json?api_key={key}",
        f"http://weather.example.org/update/API_key={key}/mac=x/field=1/data=1",
        f"http://weather.example.org/accounts/login/?next=/channels/1/feeds.json%3Fapi_key%3D{key}",
        f"http://weather.example.org/x?key={key}&results=2",
    ]


def request_variants(live, rng: random.Random) -> list[tuple[str, str, dict]]:
    """One round: each key on each endpoint, the ones it fits and the ones it does not, spelled at random."""
    variants = []
    for issued in live.keys:
        key, mac, device = issued["key"], issued["mac"], issued["device"]
        path_name, query_name = rng.choice(PATH_NAMES), rng.choice(QUERY_NAMES)
        value = rng.choice(["21.5", "nan", "1e400", "hot", "-3.25"])
        headers = {"Referer": rng.choice(referers(key)), "User-Agent": f"board/1 api_key={key}"}
        variants += [
            ("GET", f"/update/{path_name}={key}/mac={mac}/field=1/data={value}", {"headers": headers}),
            ("GET", f"/{path_name}={key}/mac={mac}/field={rng.choice(['1', '9', '²'])}/data={value}", {}),
            ("GET", f"/update?{query_name}={key}&field1={value}", {"headers": headers}),
            ("POST", f"/update?{query_name}={key}", {"data": {"field1": value}}),
            ("POST", "/update.json", {"json": {"api_key": key, "field1": value}, "headers": headers}),
            ("GET", "/update", {"params": {"field1": value}, "headers": {"X-THINGSPEAKAPIKEY": key}}),
            (
                "POST",
                f"/channels/{device}/bulk_update.json",
                {
                    "json": {"write_api_key": key, "updates": [{"delta_t": 1, "field1": value}]},
                    "headers": headers,
                },
            ),
            (
                "POST",
                "/api/readings/",
                {"json": {"mac": mac, "field": 1, "data": value, "api_key": key}, "headers": headers},
            ),
            (
                "POST",
                "/api/readings/",
                {
                    "json": {"mac": mac, "field": 1, "data": value},
                    "headers": {"Authorization": f"Api-Key {key}", **headers},
                },
            ),
        ]
        for path in read_paths(device):
            params = rng.choice(
                [{"start": "0001-01-01T00:00:00+05:00"}, {"results": "²"}, {"cursor": "cD14"}, {}]
            )
            variants.append(("GET", f"{path}?{query_name}={key}", {"params": params, "headers": headers}))
            variants.append(("GET", path, {"headers": {"Authorization": f"Api-Key {key}", **headers}}))
    return variants


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(min_value=0, max_value=2**32))
def fuzz_every_endpoint(live, seed):
    for method, path, kwargs in request_variants(live, random.Random(seed)):
        send(live, method, path, **kwargs)


def malformed_request_lines(live) -> None:
    """Request lines gunicorn refuses before Django sees them, and logs itself."""
    host, port = live.url.removeprefix("http://").split(":")
    for issued in live.keys:
        key, mac = issued["key"], issued["mac"]
        station = f"/update/API_key={key}/mac={mac}/field=1/data=20"
        lines = [
            f"GET {station}\r\n\r\n",  # no HTTP version
            f"GET {station}\tHTTP/1.1\r\nHost: x\r\n\r\n",  # a tab
            f"GET /update/API%5Fkey={key}/mac={mac} HTTP/9.9\r\nHost: x\r\n\r\n",
            f"GET {station} HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            f"G\x00T {station} HTTP/1.1\r\nHost: x\r\n\r\n",
            f"GET /update?api_key={key}&{'x' * 5000} HTTP/1.1\r\nHost: x\r\n\r\n",  # over gunicorn's limit
            f"GET /channels/1/feeds.json?key={key} HTTP/1.1\r\nHost: x\r\nReferer {key}\r\n\r\n",
            f"GET /update?api_key={key} HTTP/1.1\r\nHost: x\r\nX-Bad\x01: {key}\r\n\r\n",
        ]
        for line in lines:
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(line.encode("latin-1"))
                try:
                    answer = sock.recv(200)
                except OSError:
                    answer = b""
                TRIED["malformed request line"] += 1
                assert not answer.startswith(b"HTTP/1.1 5"), (line[:60], answer)


def schemathesis_pass(live) -> None:
    """The JSON API's own schema, each case carrying a key in the query as well as in the header."""
    schema = schemathesis.openapi.from_url(live.url + "/api/schema/")
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # our own schema: every operation is valid
        key = keys_of(live, "write" if operation.method.upper() == "POST" else "read")[0]["key"]
        fuzz_operation(operation, key)()


def fuzz_operation(operation, key: str):
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(
            headers={"Authorization": f"Api-Key {key}", "Referer": referers(key)[0]},
            params={**(case.query or {}), "api_key": key},
        )
        TRIED[f"schemathesis {case.method} {case.path}"] += 1
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])

    return fuzz


def decoded(line: str) -> str:
    """A line with its percent-escapes undone, as often as they nest."""
    for _ in range(3):
        line = unquote(line)
    return line


def test_no_log_line_holds_an_issued_key_in_any_encoding(live):
    fuzz_every_endpoint(live)
    malformed_request_lines(live)
    schemathesis_pass(live)
    live.process.terminate()  # gunicorn flushes its logs as it stops
    live.process.wait(timeout=30)

    access = live.access_log.read_text(errors="replace").splitlines()
    errors = live.error_log.read_text(errors="replace").splitlines()
    scanned = f"{len(access)} access, {len(errors)} error"
    print(f"\nrequests tried: {sum(TRIED.values())}; log lines scanned: {scanned}")
    # The scan has something to scan: keys were sent in every way, refused and logged.
    assert len(access) > 1000 and sum("<redacted>" in line for line in access) > 500
    assert any("Invalid request" in line and "<redacted>" in line for line in errors)
    assert any(("Bad Request" in line or "Forbidden" in line) and "<redacted>" in line for line in errors)

    leaks = []
    for issued in live.keys:
        key = issued["key"]
        spellings = {key, quote(key, safe=""), "".join(f"%{ord(c):02X}" for c in key)}
        spellings.add("".join(f"%{ord(c):02x}" for c in key))
        for line in access + errors:
            if any(spelling in line for spelling in spellings) or key in decoded(line):
                leaks.append(line[:300])
    assert not leaks, leaks[:10]
