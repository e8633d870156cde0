"""Every refusal on a write path is one line in that path's own format, mistyped paths and wrong
methods included: a board's owner reading a serial console sees what to fix."""

from __future__ import annotations

import json

import pytest

from readings.models import Reading


@pytest.mark.parametrize(
    "path",
    [
        "/update/api_key={key}/mac={mac}/field=1/data=20.5",  # names are case-sensitive
        "/update/API_key={key}/mac={mac}/data=20.5",  # no field
        "/update/API_key={key}/mac={mac}/field=1",  # no data
        "/update/API_key={key}/mac={mac}/field=1/data=20.5/extra",
        "/API_key={key}/mac={mac}/field=1",
        "/update/whatever",
    ],
)
def test_a_mistyped_station_url_gets_the_shape_it_should_have_in_one_line(client, outside, path):
    device = outside.api_key.device

    answer = client.get(path.format(key=outside.key, mac=device.mac))

    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("text/plain")
    text = answer.content.decode()
    assert text.count("\n") == 1 and "/update/API_key=<key>/mac=<mac>/field=<1..8>/data=<value>" in text
    assert outside.key not in text
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_another_method_on_the_station_url_gets_a_405_line_with_allow(client, outside, method):
    device = outside.api_key.device
    url = f"/update/API_key={outside.key}/mac={device.mac}/field=1/data=20.5"

    answer = getattr(client, method)(url)

    assert answer.status_code == 405 and answer["Allow"] == "GET"
    assert answer.content.decode() == f"{method.upper()} is not accepted here: use GET\n"
    assert Reading.objects.count() == 0


def test_thingspeak_writes_refuse_other_methods_in_their_own_format(client, outside):
    plain = client.put("/update", {"api_key": outside.key, "field1": "20"})
    as_json = client.delete("/update.json")
    bulk = client.get(f"/channels/{outside.api_key.device.pk}/bulk_update.json")

    assert (plain.status_code, plain.content, plain["Allow"]) == (405, b"0", "GET, POST")
    assert plain["X-Refusal-Reason"] == "PUT is not accepted here: use GET or POST"
    assert as_json.status_code == 405 and as_json.json()["detail"].startswith("DELETE is not accepted")
    assert bulk.status_code == 405 and bulk["Allow"] == "POST"


def test_the_json_form_without_a_key_says_the_key_is_missing(client, outside):
    body = {"mac": outside.api_key.device.mac, "field": 1, "data": 20.5}

    answer = client.post("/api/readings/", json.dumps(body), content_type="application/json")

    assert answer.status_code == 403
    assert answer.json() == {"detail": "no API key in the request"}
