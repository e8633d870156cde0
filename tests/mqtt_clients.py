"""MQTT clients for tests: a board, Home Assistant, anyone with a login; and the subscriber's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from paho.mqtt.client import CallbackAPIVersion, Client, MQTTv5
from paho.mqtt.subscribeoptions import SubscribeOptions

from tests.live import PROJECT, LiveServer
from tests.mosquitto import Broker


class MqttLogin:
    """A paho client that remembers what the broker answered: CONNACK, PUBACKs, SUBACKs, messages."""

    def __init__(self, broker: Broker, username: str, password: str, client_id: str = "") -> None:
        self.client = Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTv5)
        self.client.username_pw_set(username, password)
        self.connack = None
        self.pubacks: dict[int, object] = {}
        self.subacks: dict[int, list] = {}
        self.messages: list[tuple[str, bytes, bool]] = []
        self.changed = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        self.wait(lambda: self.connack is not None, "no CONNACK")

    def _record(self, action) -> None:
        with self.changed:
            action()
            self.changed.notify_all()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self._record(lambda: setattr(self, "connack", reason_code))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._record(lambda: self.pubacks.__setitem__(mid, reason_code))

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self._record(lambda: self.subacks.__setitem__(mid, reason_codes))

    def _on_message(self, client, userdata, message) -> None:
        self._record(lambda: self.messages.append((message.topic, message.payload, message.retain)))

    def wait(self, condition, what: str, timeout: float = 15) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, timeout), what

    def publish(self, topic: str, payload: str | bytes, qos: int = 1):
        """Publish and answer the broker's PUBACK reason code (None at QoS 0)."""
        info = self.client.publish(topic, payload, qos=qos)
        if qos == 0:
            return None
        self.wait(lambda: info.mid in self.pubacks, f"no PUBACK for {topic}")
        return self.pubacks[info.mid]

    def subscribe(self, topic: str):
        """Subscribe at QoS 1; the broker's SUBACK reason code."""
        _, mid = self.client.subscribe(topic, options=SubscribeOptions(qos=1))
        assert mid is not None
        self.wait(lambda: mid in self.subacks, f"no SUBACK for {topic}")
        return self.subacks[mid][0]

    def received(self, topic: str, timeout: float = 15) -> bytes:
        """The payload of the latest message on `topic` (waiting for one)."""
        found = lambda: [payload for t, payload, _ in self.messages if t == topic]  # noqa: E731
        self.wait(lambda: found(), f"nothing on {topic}", timeout)
        return found()[-1]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class SubscriberProcess:
    """`manage.py mqtt_ingest` against a live server's database; killed with SIGKILL when asked."""

    def __init__(self, server: LiveServer, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log(self) -> Path:
        return self.folder / f"mqtt_ingest-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "mqtt_ingest", "--interval", "0.2"],
            cwd=PROJECT,
            env=self.server.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "w"),  # noqa: SIM115 - lives as long as the process
        )
        deadline = time.monotonic() + 30
        while "mqtt_ingest: connected" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "mqtt_ingest did not connect:\n" + self.log.read_text()
            time.sleep(0.05)

    def kill(self) -> None:
        """As a power cut or the OOM killer would: no goodbye, no acknowledgement of what is in hand."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self) -> str:
        return "".join((self.folder / f"mqtt_ingest-{n}.log").read_text() for n in range(1, self.starts + 1))
