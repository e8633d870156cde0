"""Schema-driven fuzzing (schemathesis) of the JSON API, from its own OpenAPI schema, on a live gunicorn.

schemathesis reads /api/schema/ and sends every operation requests built from it: valid ones,
and values at and beyond the edges of every declared type, and methods the API does not serve.
No answer may be a 5xx, and the POST of readings must store nothing when it answers 4xx.
Bounded by max_examples to stay well under a minute.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.live import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.fuzz]

TRIED: Counter = Counter()
KEYS = """
from devices.models import READ
from devices.services import device_register, key_issue
issued = device_register(name="Porch", mac="6c:ef:7a:3b:9d:e8", placement="outside")
print("KEY", issued.key)
print("KEY", key_issue(device=issued.api_key.device, scope=READ).key)
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("fuzz"), workers=2) as server:
        output = server.manage("shell", "-c", KEYS)
        keys = [line.split()[1] for line in output.splitlines() if line.startswith("KEY ")]
        server.keys = {"write": keys[0], "read": keys[1]}
        yield server
    print(f"\nschemathesis cases tried: {sum(TRIED.values())} ({dict(TRIED)})")


def stored(live) -> int:
    return live.query("SELECT COUNT(*) FROM readings_reading")[0][0]


def test_no_operation_answers_5xx_and_a_refused_post_stores_nothing(live):
    schema = schemathesis.openapi.from_url(live.url + "/api/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6  # the schema describes the whole JSON API

    for operation in operations:
        fuzz_operation(live, operation)()


def fuzz_operation(live, operation):
    """A hypothesis test of one operation, the key for its kind of request sent with every case."""
    key = live.keys["write" if operation.method.upper() == "POST" else "read"]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        before = stored(live)
        response = case.call(headers={"Authorization": f"Api-Key {key}"})
        TRIED[f"{case.method} {case.path}"] += 1
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        if case.method == "POST" and response.status_code >= 400:
            assert stored(live) == before, "a refused POST stored readings"

    return fuzz
