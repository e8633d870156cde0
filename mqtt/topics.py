"""The topics: where boards publish, where the server publishes, and who may use which.

In (a device's own topics only; the broker's ACL enforces it):
- `channels/<id>/publish`: ThingSpeak's form, `field1=21.5&field2=40&created_at=...`
- `channels/<id>/publish/fields/field<n>`: ThingSpeak's single field, a bare value
- `weather/<mac>/readings`: the JSON form's body, one reading or a batch

Out (published by the server):
- `channels/<id>/subscribe` and `channels/<id>/subscribe/fields/field<n>`: ThingSpeak's subscribe
  topics, readable with that channel's device login
- `homeassistant/sensor/<node>/<object>/config`: Home Assistant discovery, retained
- `iotserver/stations/<id>/field<n>`, `iotserver/window_advice`, `iotserver/status`: the states
  Home Assistant shows, retained
"""

from __future__ import annotations

import re

from devices.models import Device
from mqtt.broker import acl

# What the subscriber subscribes to.
INGEST_FILTERS = ["channels/+/publish", "channels/+/publish/fields/+", "weather/+/readings"]

CHANNEL_UPDATE = re.compile(r"channels/(\d{1,10})/publish", re.ASCII)
CHANNEL_FIELD = re.compile(r"channels/(\d{1,10})/publish/fields/field(\d{1,2})", re.ASCII)
JSON_READINGS = re.compile(r"weather/([^/]{1,40})/readings")

STATUS = "iotserver/status"  # "online" / "offline" (the subscriber's will): Home Assistant's availability
WINDOW_ADVICE = "iotserver/window_advice"
WINDOW_ADVICE_ATTRIBUTES = "iotserver/window_advice/attributes"
DISCOVERY_PREFIX = "homeassistant"


def channel_subscribe(channel: int) -> str:
    return f"channels/{channel}/subscribe"


def channel_subscribe_field(channel: int, field: int) -> str:
    return f"channels/{channel}/subscribe/fields/field{field}"


def station_state(channel: int, field: int) -> str:
    return f"iotserver/stations/{channel}/field{field}"


def device_acls(device: Device) -> list[dict]:
    """A device may publish readings on its own topics and read its own channel; nothing else."""
    return [
        acl("publishClientSend", f"channels/{device.pk}/publish"),
        acl("publishClientSend", f"channels/{device.pk}/publish/fields/+"),
        acl("publishClientSend", f"weather/{device.mac}/readings"),
        acl("subscribePattern", f"channels/{device.pk}/subscribe/#"),
    ]


def channel_reader_acls(device: Device) -> list[dict]:
    """ThingSpeak's read credentials for one channel: its subscribe topics, nothing else."""
    return [acl("subscribePattern", f"channels/{device.pk}/subscribe/#")]


def server_acls() -> list[dict]:
    """The subscriber reads every device's topics and publishes the server's."""
    return [
        *(acl("subscribePattern", topic) for topic in INGEST_FILTERS),
        acl("publishClientSend", "channels/+/subscribe/#"),
        acl("publishClientSend", f"{DISCOVERY_PREFIX}/#"),
        acl("publishClientSend", "iotserver/#"),
    ]


def home_assistant_acls() -> list[dict]:
    """Home Assistant reads discovery and the states, and announces itself (homeassistant/status)."""
    return [
        acl("subscribePattern", f"{DISCOVERY_PREFIX}/#"),
        acl("subscribePattern", "iotserver/#"),
        acl("publishClientSend", f"{DISCOVERY_PREFIX}/status"),
    ]
