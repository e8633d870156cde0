"""MQTT through a real Mosquitto: both topic forms store through ingest's rules, the broker keeps
devices apart, and Home Assistant and ThingSpeak clients see what is stored by any path."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from tests.live import gunicorn_server, request
from tests.mosquitto import mosquitto
from tests.mqtt_clients import MqttLogin, SubscriberProcess

pytestmark = pytest.mark.live

NOT_AUTHORIZED = 0x87
# The reason /update gives for the same reading: one rule, one wording, whichever way it came.
IMPLAUSIBLE = "99 is not a plausible temperature (allowed -90 to 70)"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with mosquitto(tmp_path_factory.mktemp("mosquitto")) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory, broker):
    folder = tmp_path_factory.mktemp("server")
    with gunicorn_server(folder, workers=1, extra_env={"MQTT_URL": broker.url}) as running:
        yield running


@pytest.fixture(scope="module")
def subscriber(server, tmp_path_factory):
    process = SubscriberProcess(server, tmp_path_factory.mktemp("subscriber"))
    process.start()
    yield process
    process.stop()


_macs = iter(range(0x10, 0xFF))


def station(server, name: str, *, placement: str = "outside", field: int = 1) -> dict:
    """Register a device and issue its MQTT login over manage.py, as a household would."""
    mac = f"6c:ef:7a:3b:9d:{next(_macs):02x}"
    key = server.manage(
        "register_device", "--name", name, "--mac", mac, "--placement", placement, "--field", str(field)
    ).splitlines()[-1]
    username, password = server.manage("mqtt_credentials", "--device", name).splitlines()[-2:]
    ((device_id,),) = server.query(f"SELECT id FROM devices_device WHERE name = '{name}'")
    return {"id": device_id, "mac": mac, "key": key, "username": username, "password": password}


def login(broker, who: dict) -> MqttLogin:
    client = MqttLogin(broker, who["username"], who["password"])
    assert not client.connack.is_failure, client.connack
    return client


def rows(server, device_id: int) -> list[tuple]:
    return server.query(
        "SELECT value, recorded_at, stamped_by_device FROM readings_reading "
        f"WHERE device_id = {device_id} ORDER BY id"
    )


def values(server, device_id: int) -> list[float]:
    return [value for value, _, _ in rows(server, device_id)]


def wait_for(condition, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return found


def test_both_thingspeak_forms_and_the_json_form_store_readings(server, broker, subscriber):
    porch = station(server, "Porch")
    board = login(broker, porch)

    accepted = [
        board.publish(f"channels/{porch['id']}/publish", "field1=21.5&created_at=2026-11-20%2010:00:00"),
        board.publish(f"channels/{porch['id']}/publish/fields/field1", "22.25"),
        board.publish(
            f"weather/{porch['mac']}/readings",
            json.dumps({"readings": [{"field": 1, "data": 23.5, "recorded_at": "2026-11-20T10:05:00Z"}]}),
        ),
    ]

    assert not any(puback.is_failure for puback in accepted)
    wait_for(lambda: len(values(server, porch["id"])) == 3, "three readings stored")
    stored = rows(server, porch["id"])
    assert [value for value, _, _ in stored] == [21.5, 22.25, 23.5]
    assert str(stored[0][1]).startswith("2026-11-20 10:00:00") and stored[0][2]
    assert not stored[1][2]  # a bare value is stamped on arrival
    board.close()


def test_a_reading_refused_over_http_is_refused_alike_on_every_topic_and_counted(server, broker, subscriber):
    porch = station(server, "Porch refused")
    status, _ = request(
        f"{server.url}/update?" + urllib.parse.urlencode({"api_key": porch["key"], "field1": "99"})
    )
    assert status == 400
    board = login(broker, porch)
    topics = {
        f"channels/{porch['id']}/publish": "field1=99",
        f"channels/{porch['id']}/publish/fields/field1": "99",
        f"weather/{porch['mac']}/readings": '{"field": 1, "data": 99}',
    }

    for topic, payload in topics.items():
        board.publish(topic, payload)
        board.publish(topic, payload)
    board.publish(f"channels/{porch['id']}/publish/fields/field1", "20.5")  # and a good one after

    wait_for(lambda: values(server, porch["id"]) == [20.5], "the good reading stored, the bad ones not")
    refusals = server.query(
        f"SELECT topic, reason, count FROM mqtt_refusal WHERE device_id = {porch['id']} ORDER BY id"
    )
    assert refusals == [(topic, IMPLAUSIBLE, 2) for topic in topics]
    for topic in topics:
        assert f"refused {topic} (400): {IMPLAUSIBLE}" in subscriber.logs()
    board.close()


def test_a_revoked_login_key_refuses_the_devices_readings_as_over_http(server, broker, subscriber):
    porch = station(server, "Porch revoked")
    board = login(broker, porch)
    server.query(
        "UPDATE devices_apikey SET revoked_at = CURRENT_TIMESTAMP WHERE id = "
        f"(SELECT api_key_id FROM mqtt_account WHERE device_id = {porch['id']})"
    )

    board.publish(f"channels/{porch['id']}/publish/fields/field1", "20.5")

    topic = f"channels/{porch['id']}/publish/fields/field1"
    wait_for(
        lambda: server.query(f"SELECT reason FROM mqtt_refusal WHERE topic = '{topic}'"),
        "the refusal counted",
    )
    assert server.query(f"SELECT reason FROM mqtt_refusal WHERE topic = '{topic}'") == [
        ("unknown or revoked API key",)
    ]
    assert values(server, porch["id"]) == []
    board.close()


def test_a_device_cannot_publish_on_another_devices_topics_nor_read_its_readings(server, broker, subscriber):
    mine, theirs = station(server, "Mine"), station(server, "Theirs")
    board = login(broker, mine)

    for topic in (
        f"channels/{theirs['id']}/publish",
        f"channels/{theirs['id']}/publish/fields/field1",
        f"weather/{theirs['mac']}/readings",
    ):
        assert board.publish(topic, "field1=12.5" if topic.endswith("publish") else "12.5").value == (
            NOT_AUTHORIZED
        ), topic
    for topic in (
        f"channels/{theirs['id']}/subscribe/#",
        f"channels/{theirs['id']}/subscribe/fields/field1",
        "channels/+/subscribe/#",
        f"weather/{theirs['mac']}/readings",
        "weather/+/readings",
        "#",
    ):
        assert board.subscribe(topic).value == NOT_AUTHORIZED, topic
    assert not board.subscribe(f"channels/{mine['id']}/subscribe/#").is_failure

    board.publish(f"channels/{mine['id']}/publish/fields/field1", "12.5")  # something that does arrive
    wait_for(lambda: values(server, mine["id"]) == [12.5], "the device's own reading stored")
    assert values(server, theirs["id"]) == []
    assert board.received(f"channels/{mine['id']}/subscribe/fields/field1") == b"12.5"
    wrong = MqttLogin(broker, mine["username"], "not-the-password")
    assert wrong.connack.is_failure
    board.close()


def test_readings_from_any_path_reach_thingspeak_subscribers_and_home_assistant(server, broker, subscriber):
    outside = station(server, "Garden", placement="outside", field=1)
    inside = station(server, "Hall", placement="inside", field=2)
    board = login(broker, outside)
    board.subscribe(f"channels/{outside['id']}/subscribe/#")
    ha_login = server.manage("mqtt_credentials", "--home-assistant").splitlines()[-2:]
    home = MqttLogin(broker, *ha_login)
    assert not home.subscribe("homeassistant/#").is_failure
    assert not home.subscribe("iotserver/#").is_failure
    assert home.subscribe("weather/+/readings").value == NOT_AUTHORIZED

    status, _ = request(
        f"{server.url}/update?" + urllib.parse.urlencode({"api_key": outside["key"], "field1": "18.5"})
    )
    assert status == 200
    request(f"{server.url}/update?" + urllib.parse.urlencode({"api_key": inside["key"], "field2": "24.0"}))

    entry = json.loads(board.received(f"channels/{outside['id']}/subscribe"))
    assert entry["channel_id"] == outside["id"] and entry["field1"] == "18.5" and entry["field2"] is None
    assert board.received(f"channels/{outside['id']}/subscribe/fields/field1") == b"18.5"
    assert home.received(f"iotserver/stations/{outside['id']}/field1") == b"18.5"
    node = "iotserver_" + outside["mac"].replace(":", "")
    config = json.loads(home.received(f"homeassistant/sensor/{node}/field1/config"))
    assert config["state_topic"] == f"iotserver/stations/{outside['id']}/field1"
    assert (config["device_class"], config["unit_of_measurement"]) == ("temperature", "°C")
    assert config["device"]["name"] == "Garden"
    wait_for(lambda: home.received("iotserver/window_advice") == b"open", "the advice: open the windows")
    assert "cooler" in json.loads(home.received("iotserver/window_advice/attributes"))["text"]
    assert home.received("iotserver/status") == b"online"
    board.close()
    home.close()
