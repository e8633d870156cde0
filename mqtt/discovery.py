"""Home Assistant MQTT discovery: one retained config per station field, and one for the window advice.

With these, a household's Home Assistant (its MQTT integration, discovery on, the default prefix
`homeassistant`) shows every station as a device and every field as a sensor with its unit and
device class, without any configuration.
"""

from __future__ import annotations

from devices.models import HUMIDITY, PRESSURE, TEMPERATURE, Device, Field, Kind
from mqtt.topics import DISCOVERY_PREFIX, STATUS, WINDOW_ADVICE, WINDOW_ADVICE_ATTRIBUTES, station_state
from readings.advice import EVEN, OPEN, SHUT, UNKNOWN

# Home Assistant's device classes for our kinds, with the units it accepts for each: a field whose
# unit is not among them is shown without a device class rather than refused by Home Assistant.
DEVICE_CLASS_UNITS = {
    TEMPERATURE: ("temperature", {"°C", "°F", "K"}),
    PRESSURE: ("pressure", {"cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi"}),
    HUMIDITY: ("humidity", {"%"}),
}
ORIGIN = {"name": "iotserver"}
ADVICE_STATES = [OPEN, SHUT, EVEN, UNKNOWN]


def node_id(device: Device) -> str:
    """[a-zA-Z0-9_-] only, as discovery topics need; the MAC keeps it stable across renames."""
    return "iotserver_" + device.mac.replace(":", "")


def _device(device: Device) -> dict:
    about = {
        "identifiers": [node_id(device)],
        "connections": [["mac", device.mac]],
        "name": device.name,
        "manufacturer": "iotserver",
        "model": f"Weather station ({device.get_placement_display().lower()})",
    }
    if device.location:
        about["suggested_area"] = device.location
    return about


def field_discovery(field: Field) -> tuple[str, dict]:
    """The discovery topic and config of one station field."""
    device = field.device
    config = {
        "name": field.label,
        "unique_id": f"{node_id(device)}_field{field.number}",
        "state_topic": station_state(device.pk, field.number),
        "availability_topic": STATUS,
        "state_class": "measurement",
        "device": _device(device),
        "origin": ORIGIN,
    }
    if field.unit:
        config["unit_of_measurement"] = field.unit
    known = DEVICE_CLASS_UNITS.get(Kind(field.kind)) if field.kind in Kind.values else None
    if known and field.unit in known[1]:
        config["device_class"] = known[0]
    return f"{DISCOVERY_PREFIX}/sensor/{node_id(device)}/field{field.number}/config", config


def advice_discovery() -> tuple[str, dict]:
    """The window advice as an enum sensor, its explanation as attributes."""
    config = {
        "name": "Window advice",
        "unique_id": "iotserver_window_advice",
        "state_topic": WINDOW_ADVICE,
        "json_attributes_topic": WINDOW_ADVICE_ATTRIBUTES,
        "availability_topic": STATUS,
        "device_class": "enum",
        "options": ADVICE_STATES,
        "icon": "mdi:window-open-variant",
        "device": {
            "identifiers": ["iotserver_household"],
            "name": "Weather stations",
            "manufacturer": "iotserver",
        },
        "origin": ORIGIN,
    }
    return f"{DISCOVERY_PREFIX}/sensor/iotserver/window_advice/config", config
