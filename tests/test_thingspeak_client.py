"""An ordinary ThingSpeak client (the `thingspeak` package on PyPI) against a real gunicorn."""

from __future__ import annotations

import json
import re

import pytest
import requests
import thingspeak

from tests.live import gunicorn_server

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("thingspeak")) as live:
        yield live


@pytest.fixture(scope="module")
def channel(server) -> dict:
    registered = server.manage(
        "register_device", "--name", "Porch", "--mac", "6C:EF:7A:3B:9D:E8", "--placement", "outside"
    )
    issued = server.manage("issue_read_key", "--device", "Porch")
    channel = re.search(r"channel id (\d+)", issued)
    assert channel, issued
    return {
        "id": int(channel.group(1)),
        "write_key": registered.strip().splitlines()[-1],
        "read_key": issued.strip().splitlines()[-1],
    }


def test_the_client_writes_with_update_and_reads_back_with_get_and_get_field_last(server, channel):
    writer = thingspeak.Channel(channel["id"], api_key=channel["write_key"], server_url=server.url)
    reader = thingspeak.Channel(channel["id"], api_key=channel["read_key"], server_url=server.url)

    # thingspeak 1.0.0 hands back the body as text even in JSON form (its _fmt compares ".json"
    # with "json"), so the test parses it as any caller of that version does.
    written = json.loads(writer.update({"field1": 17.25}))
    feed = json.loads(reader.get({"results": 1}))
    last = json.loads(reader.get_field_last(field=1))

    assert written["channel_id"] == channel["id"] and written["field1"] == "17.25"
    assert feed["channel"]["field1"] == "Temperature"
    assert feed["feeds"][-1]["entry_id"] == written["entry_id"]
    assert feed["feeds"][-1]["field1"] == "17.25"
    assert (last["entry_id"], last["field1"]) == (written["entry_id"], "17.25")
    assert server.query(f"SELECT value FROM readings_reading WHERE id = {written['entry_id']}") == [(17.25,)]


def test_the_plain_client_gets_the_entry_id_as_text(server, channel):
    writer = thingspeak.Channel(channel["id"], api_key=channel["write_key"], fmt="txt", server_url=server.url)

    entry_id = writer.update({"field1": "18.5"})

    assert server.query(f"SELECT value FROM readings_reading WHERE id = {int(entry_id)}") == [(18.5,)]


def test_the_client_raises_on_a_refused_write_and_nothing_is_stored(server, channel):
    writer = thingspeak.Channel(channel["id"], api_key=channel["write_key"], fmt="txt", server_url=server.url)
    before = server.query("SELECT COUNT(*) FROM readings_reading")

    with pytest.raises(requests.HTTPError) as refused:
        writer.update({"field1": "hot"})

    assert refused.value.response.status_code == 400 and refused.value.response.text == "0"
    assert (
        refused.value.response.headers["X-Refusal-Reason"] == "field1 must be a number (text goes in status)"
    )
    assert server.query("SELECT COUNT(*) FROM readings_reading") == before


def test_the_client_with_a_write_key_cannot_read(server, channel):
    reader = thingspeak.Channel(channel["id"], api_key=channel["write_key"], server_url=server.url)

    with pytest.raises(requests.HTTPError) as refused:
        reader.get()

    assert (refused.value.response.status_code, refused.value.response.text) == (400, "-1")


def test_the_client_views_the_channel_and_gets_the_last_data_age(server, channel):
    writer = thingspeak.Channel(channel["id"], api_key=channel["write_key"], server_url=server.url)
    reader = thingspeak.Channel(channel["id"], api_key=channel["read_key"], server_url=server.url)
    written = json.loads(writer.update({"field1": 16.75, "status": "all well"}))

    viewed = json.loads(reader.view())
    age = json.loads(reader.get_last_data_age(field=1))
    with_status = json.loads(reader.get({"results": 1, "status": "true"}))

    assert (viewed["id"], viewed["name"], viewed["field1"]) == (channel["id"], "Porch", "Temperature")
    assert viewed["last_entry_id"] == written["entry_id"]
    assert age["last_data_age_units"] == "s" and 0 <= int(age["last_data_age"]) < 60
    assert with_status["feeds"][-1]["status"] == "all well" and written["status"] == "all well"
