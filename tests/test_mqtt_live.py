"""MQTT through a real Mosquitto: both topic forms store through ingest's rules, the broker keeps
devices apart, and Home Assistant and ThingSpeak clients see what is stored by any path."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.parse

import psycopg
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


def execute(server, sql: str) -> None:
    """One statement that answers no rows (LiveServer.query fetches them), on either engine."""
    if server.vendor == "sqlite":
        with sqlite3.connect(server.database) as db:
            db.execute(sql)
    else:
        with psycopg.connect(server.database, autocommit=True) as db:
            db.execute(sql)


def login(broker, who: dict) -> MqttLogin:
    client = MqttLogin(broker, who["username"], who["password"])
    assert client.connack is not None and not client.connack.is_failure, client.connack
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

    board.publish(f"channels/{porch['id']}/publish/fields/field1", "24.75", qos=0)  # with its usual promise

    assert not any(puback.is_failure for puback in accepted)
    wait_for(lambda: len(values(server, porch["id"])) == 4, "four readings stored")
    stored = rows(server, porch["id"])
    assert [value for value, _, _ in stored] == [21.5, 22.25, 23.5, 24.75]
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
    execute(
        server,
        "UPDATE devices_apikey SET revoked_at = CURRENT_TIMESTAMP WHERE id = "
        f"(SELECT api_key_id FROM mqtt_account WHERE device_id = {porch['id']})",
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


# Home Assistant's MQTT sensor schema (homeassistant/components/mqtt/sensor.py and its shared
# entity and device schemas): the keys it knows (an unknown key makes the whole config invalid),
# the units it accepts for our device classes, and the rules between them.
SENSOR_KEYS = {
    "availability", "availability_mode", "availability_template", "availability_topic", "default_entity_id",
    "device", "device_class", "enabled_by_default", "encoding", "entity_category", "entity_picture",
    "expire_after", "force_update", "icon", "json_attributes_template", "json_attributes_topic",
    "last_reset_value_template", "name", "object_id", "options", "origin", "payload_available",
    "payload_not_available", "platform", "qos", "state_class", "state_topic", "suggested_display_precision",
    "unique_id", "unit_of_measurement", "value_template",
}  # fmt: skip
DEVICE_KEYS = {
    "configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model", "model_id",
    "name", "serial_number", "suggested_area", "sw_version", "via_device",
}  # fmt: skip
UNITS = {
    "temperature": {"°C", "°F", "K"},
    "pressure": {"cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi"},
    "humidity": {"%"},
}
STATE_CLASSES = {"measurement", "total", "total_increasing"}
DISCOVERY_TOPIC = re.compile(r"homeassistant/sensor/([a-zA-Z0-9_-]+/)?[a-zA-Z0-9_-]+/config")


def home_assistant_would_refuse(topic: str, config: dict) -> list[str]:
    """What Home Assistant would log instead of adding this sensor; empty when it adds it."""
    problems = []
    if not DISCOVERY_TOPIC.fullmatch(topic):
        problems.append(f"{topic} is not a sensor discovery topic")
    problems += [f"unknown key {key}" for key in set(config) - SENSOR_KEYS]
    for key in ("state_topic", "availability_topic", "json_attributes_topic"):
        value = config.get(key)
        if value is not None and (not isinstance(value, str) or not value or set(value) & {"+", "#"}):
            problems.append(f"{key} must be a topic without wildcards")
    if "state_topic" not in config:
        problems.append("state_topic is required")
    device = config.get("device")
    if device is not None:
        if not config.get("unique_id"):
            problems.append("a sensor with a device needs a unique_id")
        if not (device.get("identifiers") or device.get("connections")):
            problems.append("device needs identifiers or connections")
        problems += [f"unknown device key {key}" for key in set(device) - DEVICE_KEYS]
    if "origin" in config and not config["origin"].get("name"):
        problems.append("origin needs a name")
    device_class, unit = config.get("device_class"), config.get("unit_of_measurement")
    if device_class == "enum":
        if not config.get("options") or unit is not None or "state_class" in config:
            problems.append("an enum sensor has options, and neither a unit nor a state_class")
    elif device_class is not None and unit not in UNITS.get(device_class, ()):
        problems.append(f"{unit!r} is not a unit of {device_class}")
    if "options" in config and device_class != "enum":
        problems.append("options only with the device class enum")
    if "state_class" in config and config["state_class"] not in STATE_CLASSES:
        problems.append(f"state_class {config['state_class']!r}")
    return problems


def test_every_discovery_config_is_one_home_assistant_accepts(server, broker, subscriber):
    fields = {
        "Barometer": (3, "pressure", "hPa", "Pressure", "1013.5"),
        "Shed": (4, "temperature", "degrees", "Odd unit", "5"),
    }
    for name, (number, kind, unit, label, value) in fields.items():
        registered = station(server, name, placement="other", field=number)
        execute(
            server,
            f"UPDATE devices_field SET kind = '{kind}', unit = '{unit}', label = '{label}' "
            f"WHERE device_id = {registered['id']}",
        )
        # A field the outbox has not announced yet is announced with its first reading.
        query = urllib.parse.urlencode({"api_key": registered["key"], f"field{number}": value})
        assert request(f"{server.url}/update?{query}")[0] == 200
    home = MqttLogin(broker, *server.manage("mqtt_credentials", "--home-assistant").splitlines()[-2:])
    home.subscribe("homeassistant/#")

    def configs() -> dict[str, dict]:
        return {t: json.loads(p) for t, p, retained in home.messages if t.endswith("/config")}

    names = lambda: {config["name"] for config in configs().values()}  # noqa: E731
    wait_for(lambda: {"Pressure", "Odd unit", "Window advice"} <= names(), "the retained configs")
    found = configs()
    assert {t: home_assistant_would_refuse(t, c) for t, c in found.items()} == {t: [] for t in found}
    by_name = {c["name"]: c for c in found.values()}
    assert (by_name["Pressure"]["device_class"], by_name["Pressure"]["unit_of_measurement"]) == (
        "pressure",
        "hPa",
    )
    assert "device_class" not in by_name["Odd unit"]  # shown, as a plain number, rather than refused
    assert by_name["Window advice"]["options"] == ["open", "shut", "even", "unknown"]
    assert all(retained for t, _, retained in home.messages if t.endswith("/config"))
    home.close()


@pytest.fixture
def own_broker(tmp_path):
    """A broker of its own: the test database's device ids would clash with the live server's logins."""
    with mosquitto(tmp_path / "mosquitto") as running:
        yield running


def test_the_admin_issues_a_login_and_shows_its_password_once(admin_client, settings, own_broker, outside):
    broker = own_broker
    settings.MQTT_URL = broker.url
    device = outside.api_key.device

    answer = admin_client.post(
        "/admin/devices/device/",
        {"action": "issue_mqtt_login", "_selected_action": [device.pk]},
        follow=True,
    )

    (shown,) = [str(m) for m in answer.context["messages"] if "MQTT login" in str(m)]
    password = re.search(r"password (\S+) —", shown)[1]
    board = MqttLogin(broker, f"station-{device.pk}", password)
    assert not board.connack.is_failure
    assert not board.publish(f"channels/{device.pk}/publish", "field1=20").is_failure
    assert board.publish("channels/999999/publish", "field1=20").value == NOT_AUTHORIZED
    board.close()
    assert password not in admin_client.get("/admin/mqtt/account/").content.decode()


def test_a_channels_read_login_reads_its_subscribe_topics_and_nothing_else(server, broker, subscriber):
    porch, other = station(server, "Porch read"), station(server, "Other read")
    reader = MqttLogin(
        broker, *server.manage("mqtt_credentials", "--device", "Porch read", "--read").splitlines()[-2:]
    )

    assert not reader.subscribe(f"channels/{porch['id']}/subscribe/fields/field1").is_failure
    assert reader.subscribe(f"channels/{other['id']}/subscribe/#").value == NOT_AUTHORIZED
    assert reader.subscribe(f"weather/{porch['mac']}/readings").value == NOT_AUTHORIZED
    assert reader.publish(f"channels/{porch['id']}/publish", "field1=10").value == NOT_AUTHORIZED
    board = login(broker, porch)
    board.publish(f"channels/{porch['id']}/publish/fields/field1", "11.5")

    assert reader.received(f"channels/{porch['id']}/subscribe/fields/field1") == b"11.5"
    assert values(server, porch["id"]) == [11.5]
    reader.close()
    board.close()
