"""mqtt_ingest: the MQTT subscriber, a long-running process beside gunicorn (make run, systemd)."""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from paho.mqtt.client import MQTT_ERR_SUCCESS, Client, MQTTMessage
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from mqtt.broker import DynamicSecurity, DynamicSecurityError, broker_address, new_client
from mqtt.incoming import Message, receive_all
from mqtt.outbox import Outbox
from mqtt.topics import INGEST_FILTERS, STATUS, server_acls

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5  # after a failed store (the database away), before the message is asked for again
BATCH = 100  # messages stored in one transaction, at most


class Command(BaseCommand):
    help = "Take readings from the MQTT broker (MQTT_URL) into the database, and publish them out."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between the outbox's looks (default 1)."
        )
        parser.add_argument(
            "--no-setup",
            action="store_true",
            help="Do not give MQTT_URL's login its ACLs through the dynamic-security plugin at start "
            "(a broker configured by hand).",
        )

    def handle(self, *args, interval: float = 1.0, no_setup: bool = False, **options) -> str:
        if not settings.MQTT_URL:
            return "MQTT_URL is not set: MQTT is off."
        address = broker_address()
        if not no_setup:
            try:
                with DynamicSecurity(address) as broker:
                    broker.ensure_server_role(server_acls())
            except DynamicSecurityError as error:
                logger.warning("mqtt_ingest: could not set up the server's ACLs (%s); going on", error)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        subscriber = Subscriber(address, session=settings.MQTT_CLIENT_ID)
        subscriber.start()
        outbox = Outbox(subscriber.client)
        logger.info("mqtt_ingest: connecting to %s:%s as %s", address.host, address.port, address.username)
        while not stop.wait(interval):
            subscriber.recover()
            if not subscriber.connected.is_set():
                continue
            try:
                outbox.tick()
            except Exception:
                # Publishing out is best effort: it must never stop readings coming in.
                logger.exception("mqtt_ingest: publishing out failed; trying again")
            finally:
                close_old_connections()
        subscriber.stop()
        return "mqtt_ingest stopped."


class Subscriber:
    """A persistent QoS 1 session: messages acknowledged only once their readings are committed.

    paho's network thread only queues what arrives; a worker thread stores what is queued in one
    transaction (up to BATCH messages) and then acknowledges each of them.
    """

    def __init__(self, address, *, session: str) -> None:
        self.address = address
        self.session = session
        self.connected = threading.Event()
        self.broken = threading.Event()  # a message could not be dealt with: reconnect to get it again
        self.broken_at = 0.0
        self.stopping = threading.Event()
        self.inbox: queue.Queue[tuple[int, MQTTMessage]] = queue.Queue()
        # Bumped at each connect: a message of an earlier connection is redelivered, never acknowledged.
        self.connection = 0
        self.client: Client = new_client(session, manual_ack=True)
        self.client.username_pw_set(address.username, address.password)
        # Home Assistant shows the stations unavailable while the subscriber is gone.
        self.client.will_set(STATUS, "offline", qos=1, retain=True)
        self.client.on_connect = self.on_connect
        self.client.on_disconnect = lambda *_: self.connected.clear()
        self.client.on_message = lambda client, userdata, message: self.inbox.put((self.connection, message))
        self.worker = threading.Thread(target=self.work, name="mqtt-store", daemon=True)

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = settings.MQTT_SESSION_EXPIRY_SECONDS
        # clean_start=False: the broker keeps what was sent while the subscriber was away.
        self.client.connect_async(
            self.address.host, self.address.port, keepalive=60, clean_start=False, properties=properties
        )
        self.client.loop_start()
        self.worker.start()

    def stop(self) -> None:
        self.stopping.set()
        self.worker.join(30)
        self.client.publish(STATUS, "offline", qos=1, retain=True)
        self.client.disconnect()
        self.client.loop_stop()

    def recover(self) -> None:
        """After a message could not be stored: reconnect, so the broker sends it again."""
        if not self.broken.is_set() or time.monotonic() - self.broken_at < RETRY_SECONDS:
            return
        close_old_connections()
        self.client.loop_stop()
        try:
            self.client.reconnect()
        except OSError as error:
            logger.warning("mqtt_ingest: cannot reach the broker (%s); trying again", error)
            self.broken_at = time.monotonic()
            return
        self.broken.clear()
        self.client.loop_start()

    def on_connect(self, client: Client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("mqtt_ingest: the broker refused the login: %s", reason_code)
            return
        self.connection += 1
        options = SubscribeOptions(qos=1)
        client.subscribe([(topic, options) for topic in INGEST_FILTERS])
        client.publish(STATUS, "online", qos=1, retain=True)
        logger.info("mqtt_ingest: connected (session %s)", "resumed" if flags.session_present else "new")
        self.connected.set()

    def _in_hand(self) -> list[tuple[int, MQTTMessage]]:
        try:
            batch = [self.inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        while len(batch) < BATCH:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def work(self) -> None:
        while not self.stopping.is_set():
            batch = self._in_hand()
            if self.broken.is_set():
                continue  # not acknowledged: the broker sends these again after the reconnect
            batch = [(connection, message) for connection, message in batch if connection == self.connection]
            if batch:
                self.store(batch)
        close_old_connections()

    def store(self, batch: list[tuple[int, MQTTMessage]]) -> None:
        messages = [
            Message(
                topic=message.topic,
                payload=bytes(message.payload),
                packet_id=message.mid if message.qos else 0,
                dup=bool(message.dup),
            )
            for _, message in batch
        ]
        try:
            receive_all(session=self.session, messages=messages)
        except Exception:
            # The database gone away, a disk full: leave them unacknowledged and reconnect.
            logger.exception("mqtt_ingest: could not store %s message(s); will retry", len(messages))
            connections.close_all()  # this thread's: the next batch opens a fresh one
            self.broken_at = time.monotonic()
            self.broken.set()
            self.client.disconnect()
            return
        for connection, message in batch:
            if message.qos and connection == self.connection:
                if self.client.ack(message.mid, message.qos) != MQTT_ERR_SUCCESS:
                    logger.warning("mqtt_ingest: could not acknowledge packet %s", message.mid)
