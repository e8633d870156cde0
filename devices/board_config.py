"""The config.py a board runs with: firmware/config.example.py filled in for one device."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from devices.models import PRESSURE, TEMPERATURE, Device
from devices.services import key_issue

FIRMWARE = Path(settings.BASE_DIR) / "firmware"
EXAMPLE = FIRMWARE / "config.example.py"
DEFAULT_INTERVAL_S = 60
# Left as in the example when not given, so the file still runs and says what to fill in.
SSID_PLACEHOLDER = "My WiFi Network"
WIFI_PASSWORD_PLACEHOLDER = "my_wifi_password"

# `NAME = value   # comment` at the start of a line of the example.
SETTING_LINE = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*) = (?P<value>.*?)(?P<comment>\s+#.*)?$", re.MULTILINE)


@dataclass(frozen=True)
class BoardSettings:
    """What the server knows about one board, as config.py settings."""

    server_url: str
    api_key: str
    mac: str
    sensor: str
    temperature_field: int
    pressure_field: int | None
    interval_s: int = DEFAULT_INTERVAL_S
    ssid: str | None = None
    wifi_password: str | None = None

    def as_config(self) -> dict[str, object]:
        return {
            "SSID": self.ssid if self.ssid is not None else SSID_PLACEHOLDER,
            "WIFI_PASSWORD": self.wifi_password
            if self.wifi_password is not None
            else WIFI_PASSWORD_PLACEHOLDER,
            "SERVER_URL": self.server_url,
            "API_KEY": self.api_key,
            "MAC_ADDRESS": self.mac,
            "SENSOR": self.sensor,
            "TEMPERATURE_FIELD": self.temperature_field,
            "PRESSURE_FIELD": self.pressure_field,
            "INTERVAL_S": self.interval_s,
        }


def boards_url() -> str:
    """The address boards reach this server at, for every config generator: SITE_URL if set, else
    http://<this machine's address on the LAN>:<the port gunicorn binds (GUNICORN_BIND)>."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/")
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            # A UDP connect sends nothing; it only picks the interface a packet would leave by.
            probe.connect(("192.0.2.1", 80))
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    return f"http://{address}:{port}"


def unreachable_warning(url: str) -> str | None:
    """Why boards could not reach this address, or None: a loopback address is the board itself."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host == "::1" or host.startswith("127."):
        return (
            f"{url} is a loopback address: a board would call itself, not this server. "
            "Set SITE_URL to the address boards reach the server at (e.g. http://192.168.1.10:8000)."
        )
    return None


def board_settings(
    *,
    device: Device,
    server_url: str,
    api_key: str,
    interval_s: int = DEFAULT_INTERVAL_S,
    ssid: str | None = None,
    wifi_password: str | None = None,
) -> BoardSettings:
    """The device's fields as the firmware sees them: a BMP280 when it has a pressure field."""
    fields = list(device.fields.order_by("number"))
    temperature = next((f.number for f in fields if f.kind == TEMPERATURE), None)
    if temperature is None:
        raise ValueError(f"device {device.name!r} has no temperature field; add one in the admin first")
    pressure = next((f.number for f in fields if f.kind == PRESSURE), None)
    return BoardSettings(
        server_url=server_url.rstrip("/"),
        api_key=api_key,
        mac=device.mac,
        sensor="bmp280" if pressure is not None else "mcp9808",
        temperature_field=temperature,
        pressure_field=pressure,
        interval_s=interval_s,
        ssid=ssid,
        wifi_password=wifi_password,
    )


def config_render(board: BoardSettings, *, device_name: str) -> str:
    """The example with this board's values put in; every other setting keeps the example's default."""
    values = board.as_config()
    seen: set[str] = set()

    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in values:
            return match[0]
        seen.add(name)
        return f"{name} = {values[name]!r}{match['comment'] or ''}"

    body = SETTING_LINE.sub(fill, EXAMPLE.read_text())
    missing = set(values) - seen
    if missing:  # the example lost a setting the server fills in: fail loudly, not a silent default
        raise RuntimeError(f"{EXAMPLE.name} has no line for {', '.join(sorted(missing))}")
    header = (
        f"# config.py for the station {device_name!r}, made by the weather server.\n"
        "# It holds this board's API key, shown nowhere else: keep it off version control.\n"
    )
    if board.ssid is None or board.wifi_password is None:
        header += "# Fill in SSID and WIFI_PASSWORD below before uploading.\n"
    return header + body


def board_config_issue(
    *,
    device: Device,
    server_url: str,
    interval_s: int = DEFAULT_INTERVAL_S,
    ssid: str | None = None,
    wifi_password: str | None = None,
) -> str:
    """A config.py for the device with a freshly issued write key, which only this file shows.

    The device's older keys stay valid until revoked, so a board still running keeps posting.
    """
    # Checked before issuing, so that a device without a temperature field gets no stray key.
    board_settings(device=device, server_url=server_url, api_key="", interval_s=interval_s)
    issued = key_issue(device=device)
    board = board_settings(
        device=device,
        server_url=server_url,
        api_key=issued.key,
        interval_s=interval_s,
        ssid=ssid,
        wifi_password=wifi_password,
    )
    return config_render(board, device_name=device.name)
