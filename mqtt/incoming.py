"""Messages from boards into the one way in: each topic's payload parsed by its protocol's own
parser (ThingSpeak's update, the JSON form's serializer), then `ingest()`, exactly once.

Exactly once, given a broker that redelivers (QoS 1): a message is acknowledged only after its
readings are committed. If the subscriber dies between the commit and the acknowledgement, the
broker sends the message again, flagged DUP, with the same packet id. Board-stamped readings would
be recognised by their time anyway, but a ThingSpeak update without `created_at` (or a JSON reading
without `recorded_at`) is stamped on arrival, and its redelivery arrives later: stamping cannot
tell the two apart. So the commit also records the message's packet id and a digest of its topic
and payload (a Delivery), in the same transaction; a DUP message whose packet id and digest match
a recorded one was committed already and is acknowledged without being stored again.

The broker hands out packet ids in turn and reuses one only after its acknowledgement, and at most
`max_inflight_messages` are unacknowledged at once, so only the last few deliveries can come back;
the newest KEEP_DELIVERIES are kept, and a match among them is that message.

The subscriber stores the messages it has in hand in one transaction (`receive_all`), each in
its own savepoint, and acknowledges them after that one commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.db import transaction
from django.db.models import F
from django.utils.timezone import now
from rest_framework import serializers

from devices.mac import normalise_mac
from devices.models import FIELD_NUMBERS, Device
from iotserver.api import first_message
from iotserver.parsers import parse_json
from iotserver.refusals import Forbidden, NotFound, Refused, TooMany
from mqtt.accounts import account_key
from mqtt.models import Account, Delivery, Refusal
from mqtt.topics import CHANNEL_FIELD, CHANNEL_UPDATE, JSON_READINGS
from readings.ingest import Ingested, ingest
from readings.rules import EntryExtras, NewReading
from readings.serializers import ReadingsIn
from readings.write_lock import readings_write_lock
from thingspeak_compat.updates import update_extras, update_readings

logger = logging.getLogger(__name__)

KEEP_DELIVERIES = 1000  # far more than a broker keeps in flight to one client (deploy/: 100)
MAX_PAYLOAD = 320 * 1024  # the JSON form's limit; a ThingSpeak update is a few hundred bytes
MAX_FORM_FIELDS = 50


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    packet_id: int = 0  # 0: QoS 0, never redelivered
    dup: bool = False

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.topic.encode() + b"\0" + self.payload).hexdigest()


@dataclass(frozen=True)
class Outcome:
    stored: Ingested | None = None
    refusal: Refused | None = None
    redelivered: bool = False


@dataclass(frozen=True)
class Parsed:
    device: Device
    readings: list[NewReading]
    mac: str | None
    channel: int | None
    extras: EntryExtras | None = None  # a ThingSpeak update: one entry, with its status and location


def _text(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD:
        raise Refused(f"payload too large: at most {MAX_PAYLOAD} bytes")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the payload is not UTF-8 text") from None


def _channel_device(channel: str) -> Device:
    device = Device.objects.filter(pk=int(channel)).first()
    if device is None:
        raise NotFound(f"no channel {channel}")
    return device


def parse_message(topic: str, payload: bytes) -> Parsed:
    """The device a message's topic names and the readings in its payload; Refused otherwise."""
    if match := CHANNEL_UPDATE.fullmatch(topic):
        device = _channel_device(match[1])
        try:
            params = dict(parse_qsl(_text(payload), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
        except ValueError:
            raise Refused(f"at most {MAX_FORM_FIELDS} parameters in an update") from None
        readings = update_readings(params)
        return Parsed(device, readings, mac=None, channel=device.pk, extras=update_extras(params))
    if match := CHANNEL_FIELD.fullmatch(topic):
        device = _channel_device(match[1])
        if int(match[2]) not in FIELD_NUMBERS:
            raise Refused(f"field{match[2]} is not one of field1..field8")
        params = {f"field{match[2]}": _text(payload).strip()}
        return Parsed(
            device, update_readings(params), mac=None, channel=device.pk, extras=update_extras(params)
        )
    if match := JSON_READINGS.fullmatch(topic):
        try:
            mac = normalise_mac(match[1])
        except ValueError:
            raise Refused("the topic's MAC must look like aa:bb:cc:dd:ee:ff") from None
        found = Device.objects.filter(mac=mac).first()
        if found is None:
            raise NotFound(f"no device with MAC {mac}")
        device = found
        body = parse_json(_text(payload).encode())
        if not isinstance(body, dict):
            raise Refused("the payload must be a JSON object")
        incoming = ReadingsIn(data={"mac": mac, **body})
        try:
            incoming.is_valid(raise_exception=True)
        except serializers.ValidationError as error:
            raise Refused(first_message(error.detail)) from None
        return Parsed(device, incoming.new_readings(), mac=incoming.validated_data["mac"], channel=None)
    raise NotFound(f"not a topic readings are taken from: {topic[:100]}")


_keys: dict[int, str] = {}  # device id → its login's key: one HMAC per device, not per message


def _device_key(device: Device) -> str:
    if device.pk not in _keys:
        account = Account.objects.filter(device=device).first()
        if account is None:
            raise Forbidden(f"device {device.name!r} has no MQTT login; issue one with mqtt_credentials")
        _keys[device.pk] = account_key(account)
    return _keys[device.pk]


def _ingest(parsed: Parsed) -> Ingested:
    return ingest(
        key=_device_key(parsed.device),
        mac=parsed.mac,
        readings=parsed.readings,
        # Refused keys count per device, so one revoked board never slows the others down.
        client=f"mqtt:{parsed.device.pk}",
        channel=parsed.channel,
        extras=parsed.extras,
    )


def _mark(session: str, message: Message) -> None:
    if not message.packet_id:
        return
    Delivery.objects.filter(session=session, packet_id=message.packet_id).delete()
    mark = Delivery.objects.create(session=session, packet_id=message.packet_id, digest=message.digest)
    if mark.pk % 100 == 0:
        Delivery.objects.filter(pk__lte=mark.pk - KEEP_DELIVERIES).delete()


def _take(session: str, message: Message) -> Ingested:
    parsed = parse_message(message.topic, message.payload)
    cached = parsed.device.pk in _keys
    try:
        stored = _ingest(parsed)
    except Forbidden:
        _keys.pop(parsed.device.pk, None)
        if not cached:
            raise
        # The login may have been issued again since its key was remembered: once more, afresh.
        stored = _ingest(parsed)
    _mark(session, message)
    return stored


def _receive_one(session: str, message: Message) -> Outcome:
    if message.dup and message.packet_id:
        if Delivery.objects.filter(
            session=session, packet_id=message.packet_id, digest=message.digest
        ).exists():
            logger.info("mqtt: %s packet %s was stored already", message.topic, message.packet_id)
            return Outcome(redelivered=True)
    try:
        with transaction.atomic():  # a savepoint: a refused message undoes its own writes only
            return Outcome(stored=_take(session, message))
    except Refused as refusal:
        refusal_record(message, refusal)
        _mark(session, message)
        return Outcome(refusal=refusal)


def receive_all(*, session: str, messages: Sequence[Message]) -> list[Outcome]:
    """Store each message's readings, or refuse it and count the refusal; each exactly once.

    One transaction for them all (one commit, one fsync, instead of one each: a backlog after an
    outage drains many times faster); acknowledge none of them before this returns.
    """
    with readings_write_lock(), transaction.atomic():
        return [_receive_one(session, message) for message in messages]


def receive(*, session: str, message: Message) -> Outcome:
    """One message, as `receive_all`."""
    return receive_all(session=session, messages=[message])[0]


def refusal_record(message: Message, refusal: Refused) -> None:
    """Log the refusal and count it against its topic and reason, shown in the admin."""
    logger.warning("mqtt: refused %s (%s): %s", message.topic[:100], refusal.status, refusal.reason)
    device = None
    for pattern in (CHANNEL_UPDATE, CHANNEL_FIELD):
        if match := pattern.match(message.topic):
            device = Device.objects.filter(pk=int(match[1])).first()
    if match := JSON_READINGS.fullmatch(message.topic):
        try:
            device = Device.objects.filter(mac=normalise_mac(match[1])).first()
        except ValueError:
            pass
    reason = refusal.reason
    if isinstance(refusal, TooMany):  # one row per limit, not one per second left in its window
        reason = reason.split("; retry in")[0]
    topic, reason = message.topic[:200], reason[:200]
    payload = message.payload[:200].decode("utf-8", "replace")
    moment = now()
    updated = Refusal.objects.filter(topic=topic, reason=reason).update(
        count=F("count") + 1, last_at=moment, last_payload=payload
    )
    if not updated:
        Refusal.objects.create(
            device=device, topic=topic, reason=reason, first_at=moment, last_at=moment, last_payload=payload
        )
