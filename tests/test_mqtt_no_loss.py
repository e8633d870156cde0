"""No loss between broker and database: 5,000 readings at QoS 1 while the subscriber is killed twice
(SIGKILL, no goodbye) and started again are all stored, each exactly once."""

from __future__ import annotations

import threading
import time

import pytest

from tests.live import gunicorn_server
from tests.mosquitto import mosquitto
from tests.mqtt_clients import MqttLogin, SubscriberProcess
from tests.test_mqtt_live import station

pytestmark = [pytest.mark.live, pytest.mark.load]

MESSAGES = 5000
KILL_AT = (1500, 3500)  # stored readings at which the subscriber is killed
BOUND_SECONDS = 300


def test_5000_readings_survive_two_kills_of_the_subscriber_exactly_once(tmp_path):
    with (
        mosquitto(tmp_path / "mosquitto") as broker,
        gunicorn_server(tmp_path, workers=1, extra_env={"MQTT_URL": broker.url}) as server,
    ):
        porch = station(server, "Porch")
        subscriber = SubscriberProcess(server, tmp_path)
        subscriber.start()
        board = MqttLogin(broker, porch["username"], porch["password"])
        started = time.monotonic()

        def stored() -> int:
            return server.query(f"SELECT COUNT(*) FROM readings_reading WHERE device_id = {porch['id']}")[0][
                0
            ]

        # ThingSpeak's form without created_at: stamped on arrival, the case where only the
        # subscriber's record of delivered packets tells a redelivery from a new message.
        sent = [
            board.client.publish(f"channels/{porch['id']}/publish", f"field1={-40 + n / 100:.2f}", qos=1)
            for n in range(MESSAGES)
        ]
        publishing = threading.Thread(target=lambda: [info.wait_for_publish(120) for info in sent])
        publishing.start()
        try:
            for threshold in KILL_AT:
                while stored() < threshold:
                    assert time.monotonic() - started < BOUND_SECONDS, f"only {stored()} stored"
                    time.sleep(0.02)
                subscriber.kill()
                subscriber.start()
            while stored() < MESSAGES:
                assert time.monotonic() - started < BOUND_SECONDS, f"only {stored()} stored"
                time.sleep(0.1)
            elapsed = time.monotonic() - started
            publishing.join(60)
            assert all(info.is_published() for info in sent)
            time.sleep(2)  # anything redelivered late would be stored by now
        finally:
            subscriber.stop()
            board.close()

        values = [
            round(value, 2)
            for (value,) in server.query(
                f"SELECT value FROM readings_reading WHERE device_id = {porch['id']}"
            )
        ]
        redelivered = subscriber.logs().count("was stored already")
        print(
            f"\n{MESSAGES} messages, subscriber killed twice: {len(values)} stored, "
            f"{len(values) - len(set(values))} duplicates, {redelivered} redeliveries recognised, "
            f"{elapsed:.1f} s"
        )
        assert len(values) == MESSAGES
        assert sorted(values) == [round(-40 + n / 100, 2) for n in range(MESSAGES)]


def test_messages_stored_but_never_acknowledged_are_not_stored_again_when_redelivered(
    transactional_db, tmp_path, outside, settings, caplog
):
    # The instant a kill may land in: after the commit, before the acknowledgement. Here the first
    # subscriber never acknowledges and then loses its connection without a goodbye.
    from mqtt.accounts import credentials_issue
    from mqtt.broker import DynamicSecurity, broker_address
    from mqtt.management.commands.mqtt_ingest import Subscriber
    from readings.models import Reading

    device = outside.api_key.device
    with mosquitto(tmp_path / "mosquitto") as broker:
        settings.MQTT_URL = broker.url
        with DynamicSecurity() as control:
            issued = credentials_issue(device=device, broker=control)
        first = Subscriber(broker_address(), session="redelivery-test")
        first.client.ack = lambda mid, qos: 0  # stored, never acknowledged
        first.start()
        assert first.connected.wait(15)
        board = MqttLogin(broker, issued.username, issued.password)
        for n in range(5):
            board.publish(f"channels/{device.pk}/publish", f"field1={n}")  # stamped on arrival
        deadline = time.monotonic() + 20
        while Reading.objects.filter(device=device).count() < 5:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first.stopping.set()
        first.worker.join()
        first.client.loop_stop()
        first.client.socket().close()  # no DISCONNECT: the broker keeps the five in flight

        with caplog.at_level("INFO", logger="mqtt.incoming"):
            second = Subscriber(broker_address(), session="redelivery-test")
            second.start()
            deadline = time.monotonic() + 20
            while caplog.text.count("was stored already") < 5:
                assert time.monotonic() < deadline, caplog.text
                time.sleep(0.05)
            second.stop()
        board.close()

    assert sorted(Reading.objects.filter(device=device).values_list("value", flat=True)) == [0, 1, 2, 3, 4]


def test_a_message_that_could_not_be_stored_is_taken_again_after_a_reconnect(
    transactional_db, tmp_path, outside, settings, monkeypatch
):
    from mqtt.accounts import credentials_issue
    from mqtt.broker import DynamicSecurity, broker_address
    from mqtt.management.commands import mqtt_ingest
    from readings.models import Reading

    failures = []

    def flaky_receive(**kwargs):
        if not failures:
            failures.append(kwargs["messages"][0].topic)
            raise RuntimeError("database is locked")  # what a real outage raises is no Refused
        return receive_all(**kwargs)

    receive_all = mqtt_ingest.receive_all
    monkeypatch.setattr(mqtt_ingest, "receive_all", flaky_receive)
    monkeypatch.setattr(mqtt_ingest, "RETRY_SECONDS", 0)
    device = outside.api_key.device
    with mosquitto(tmp_path / "mosquitto") as broker:
        settings.MQTT_URL = broker.url
        with DynamicSecurity() as control:
            issued = credentials_issue(device=device, broker=control)
        subscriber = mqtt_ingest.Subscriber(broker_address(), session="flaky-test")
        subscriber.start()
        assert subscriber.connected.wait(15)
        board = MqttLogin(broker, issued.username, issued.password)
        board.publish(f"channels/{device.pk}/publish", "field1=17.5")

        deadline = time.monotonic() + 20
        while not Reading.objects.filter(device=device).exists():
            assert time.monotonic() < deadline
            subscriber.recover()  # as mqtt_ingest's main loop does
            time.sleep(0.1)
        time.sleep(1)
        subscriber.stop()
        board.close()

    assert failures and list(Reading.objects.filter(device=device).values_list("value", flat=True)) == [17.5]
