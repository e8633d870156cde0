"""The broker as the server reaches it: a paho client from MQTT_URL, and Mosquitto's dynamic-security
plugin driven over `$CONTROL/dynamic-security/v1` (the server's login is the plugin's admin)."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from paho.mqtt.client import CallbackAPIVersion, Client, MQTTv5

logger = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = CONTROL_TOPIC + "/response"
SERVER_ROLE = "iotserver"


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str
    password: str


def broker_address(url: str | None = None) -> BrokerAddress:
    """MQTT_URL (mqtt://user:password@host:port) taken apart; ImproperlyConfigured when unusable."""
    url = settings.MQTT_URL if url is None else url
    if not url:
        raise ImproperlyConfigured("MQTT_URL is not set: set it to mqtt://user:password@host:1883")
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname or not parts.username:
        raise ImproperlyConfigured("MQTT_URL must look like mqtt://user:password@host:1883")
    return BrokerAddress(
        parts.hostname, parts.port or 1883, unquote(parts.username), unquote(parts.password or "")
    )


def new_client(client_id: str = "", *, manual_ack: bool = False) -> Client:
    return Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTv5, manual_ack=manual_ack)


class DynamicSecurityError(RuntimeError):
    pass


class DynamicSecurity:
    """Commands to the dynamic-security plugin, each answered before the next is sent.

    Used as a context manager: it connects with MQTT_URL's login and disconnects at the end.
    """

    def __init__(self, address: BrokerAddress | None = None, timeout: float = 10) -> None:
        self.address = address or broker_address()
        self.timeout = timeout
        self._answers: dict[str, dict] = {}
        self._arrived = threading.Condition()
        self.client = new_client(f"iotserver-control-{uuid.uuid4().hex[:8]}")
        self.client.username_pw_set(self.address.username, self.address.password)
        self.client.on_message = self._on_message

    def __enter__(self) -> DynamicSecurity:
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_connect = lambda client, *_: client.subscribe(RESPONSE_TOPIC, qos=1)
        try:
            self.client.connect(self.address.host, self.address.port, keepalive=30)
        except OSError as error:
            raise DynamicSecurityError(
                f"cannot reach the broker at {self.address.host}:{self.address.port}: {error}"
            ) from None
        self.client.loop_start()
        if not subscribed.wait(self.timeout):
            self.client.loop_stop()
            raise DynamicSecurityError(
                f"no answer from the broker at {self.address.host}:{self.address.port} "
                f"as {self.address.username!r}: is it running, and is that login its dynamic-security admin?"
            )
        return self

    def __exit__(self, *exc) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_message(self, client, userdata, message) -> None:
        try:
            responses = json.loads(message.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            return
        with self._arrived:
            for response in responses:
                self._answers[response.get("correlationData", "")] = response
            self._arrived.notify_all()

    def run(self, command: str, *, allow: tuple[str, ...] = (), **arguments) -> dict:
        """Send one command; its response. An error not named in `allow` raises DynamicSecurityError."""
        correlation = uuid.uuid4().hex
        body = {"commands": [{"command": command, "correlationData": correlation, **arguments}]}
        self.client.publish(CONTROL_TOPIC, json.dumps(body), qos=1)
        with self._arrived:
            if not self._arrived.wait_for(lambda: correlation in self._answers, self.timeout):
                raise DynamicSecurityError(f"the broker did not answer {command}")
            response = self._answers.pop(correlation)
        error = response.get("error")
        if error and not any(error.startswith(allowed) for allowed in allow):
            raise DynamicSecurityError(f"{command}: {error}")
        return response

    def replace_client(self, *, username: str, password: str, rolename: str, acls: list[dict]) -> None:
        """Make (or remake) a login with its own role holding exactly these ACLs."""
        self.run("deleteClient", username=username, allow=("Client not found",))
        self.run("deleteRole", rolename=rolename, allow=("Role not found",))
        self.run("createRole", rolename=rolename, acls=acls)
        self.run("createClient", username=username, password=password, roles=[{"rolename": rolename}])

    def ensure_server_role(self, acls: list[dict]) -> None:
        """Give the server's own login (MQTT_URL's) what the subscriber and the outbox need."""
        self.run("deleteRole", rolename=SERVER_ROLE, allow=("Role not found",))
        self.run("createRole", rolename=SERVER_ROLE, acls=acls)
        self.run("addClientRole", username=self.address.username, rolename=SERVER_ROLE)


def acl(kind: str, topic: str) -> dict:
    return {"acltype": kind, "topic": topic, "allow": True}
