"""The config.py a board is flashed with: from the shell and from the admin, with a key that works."""

from __future__ import annotations

import ast
import runpy
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from devices.board_config import EXAMPLE, SETTING_LINE
from devices.models import PRESSURE, ApiKey, Field
from devices.selectors import device_for_key
from iotserver.refusals import Forbidden

pytestmark = pytest.mark.django_db


def settings_of(config: str, tmp_path: Path) -> dict:
    """Run the file as the board would import it; its settings by name."""
    ast.parse(config)  # valid Python, or this raises
    path = tmp_path / "config.py"
    path.write_text(config)
    return {name: value for name, value in runpy.run_path(str(path)).items() if name.isupper()}


def board_config(*args: str) -> str:
    out = StringIO()
    call_command("board_config", *args, stdout=out)
    return out.getvalue()


def test_the_config_has_the_devices_settings_and_a_new_key_that_posts(outside, tmp_path):
    config = board_config(
        "--device",
        "Back porch",
        "--server-url",
        "http://192.168.1.10:8000/",
        "--ssid",
        "Home 'net'",
        "--wifi-password",
        'p"w#1',
    )

    settings = settings_of(config, tmp_path)
    assert {
        k: settings[k]
        for k in [
            "SSID",
            "WIFI_PASSWORD",
            "SERVER_URL",
            "MAC_ADDRESS",
            "SENSOR",
            "TEMPERATURE_FIELD",
            "PRESSURE_FIELD",
            "INTERVAL_S",
        ]
    } == {
        "SSID": "Home 'net'",
        "WIFI_PASSWORD": 'p"w#1',
        "SERVER_URL": "http://192.168.1.10:8000",
        "MAC_ADDRESS": "6c:ef:7a:3b:9d:e8",
        "SENSOR": "mcp9808",
        "TEMPERATURE_FIELD": 1,
        "PRESSURE_FIELD": None,
        "INTERVAL_S": 60,
    }
    assert device_for_key(key=settings["API_KEY"], mac=settings["MAC_ADDRESS"]) == outside.api_key.device
    assert settings["API_KEY"] != outside.key  # freshly issued; the old key stays valid until revoked
    assert device_for_key(key=outside.key).name == "Back porch"


def test_every_setting_of_the_example_is_in_the_config(outside, tmp_path):
    example = {m["name"] for m in SETTING_LINE.finditer(EXAMPLE.read_text())}

    settings = settings_of(board_config("--device", "Back porch", "--server-url", "http://h:8000"), tmp_path)

    assert example <= set(settings)
    assert settings["BACKLOG_RAM_READINGS"] == 120  # the example's defaults ride along
    assert settings["SSID"] == "My WiFi Network"  # left for the user, and said so
    assert "Fill in SSID and WIFI_PASSWORD" in board_config("--device", "Back porch", "--server-url", "x")


def test_a_device_with_a_pressure_field_gets_a_bmp280(inside, tmp_path):
    device = inside.api_key.device
    Field.objects.create(device=device, number=3, label="Pressure", unit="hPa", kind=PRESSURE)

    settings = settings_of(
        board_config("--device", "Living room", "--server-url", "http://h:8000", "--interval", "120"),
        tmp_path,
    )

    assert (settings["SENSOR"], settings["TEMPERATURE_FIELD"], settings["PRESSURE_FIELD"]) == ("bmp280", 2, 3)
    assert settings["INTERVAL_S"] == 120


def test_unknown_devices_and_devices_without_temperature_get_a_reason_and_no_key(outside):
    outside.api_key.device.fields.update(kind="humidity")
    keys_before = ApiKey.objects.count()

    with pytest.raises(CommandError, match="no device named 'Attic'"):
        board_config("--device", "Attic")
    with pytest.raises(CommandError, match="no temperature field"):
        board_config("--device", "Back porch", "--server-url", "http://h:8000")

    assert ApiKey.objects.count() == keys_before


def test_the_admin_action_downloads_the_config_of_one_device(admin_client, outside, tmp_path, settings):
    settings.SITE_URL = "http://192.168.1.10:8123/"
    device = outside.api_key.device

    response = admin_client.post(
        "/admin/devices/device/",
        {"action": "download_config", "_selected_action": [device.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="config.py"'
    settings = settings_of(response.content.decode(), tmp_path)
    assert settings["SERVER_URL"] == "http://192.168.1.10:8123"  # SITE_URL, not the browser's address
    assert device_for_key(key=settings["API_KEY"], mac=device.mac) == device


def test_the_admin_action_refuses_several_devices(admin_client, outside, inside):
    keys_before = ApiKey.objects.count()
    selected = [outside.api_key.device.pk, inside.api_key.device.pk]

    response = admin_client.post(
        "/admin/devices/device/", {"action": "download_config", "_selected_action": selected}, follow=True
    )

    assert response.status_code == 200
    assert "Select exactly one device" in [str(m) for m in get_messages(response.wsgi_request)][0]
    assert ApiKey.objects.count() == keys_before


def test_a_revoked_config_key_no_longer_posts(outside, tmp_path):
    settings = settings_of(board_config("--device", "Back porch", "--server-url", "http://h:8000"), tmp_path)
    ApiKey.objects.filter(device=outside.api_key.device).exclude(pk=outside.api_key.pk).update(
        revoked_at="2026-01-01T00:00:00Z"
    )

    with pytest.raises(Forbidden):
        device_for_key(key=settings["API_KEY"], mac=settings["MAC_ADDRESS"])


def test_the_admin_action_explains_a_device_without_temperature(admin_client, outside):
    device = outside.api_key.device
    device.fields.update(kind="other")

    response = admin_client.post(
        "/admin/devices/device/", {"action": "download_config", "_selected_action": [device.pk]}, follow=True
    )

    assert "no temperature field" in [str(m) for m in get_messages(response.wsgi_request)][0]
    assert ApiKey.objects.filter(device=device).count() == 1


def test_without_site_url_boards_get_the_lan_address_and_gunicorns_port(outside, tmp_path, monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:8123")

    settings = settings_of(board_config("--device", "Back porch"), tmp_path)

    assert settings["SERVER_URL"].startswith("http://") and settings["SERVER_URL"].endswith(":8123")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"])
def test_a_loopback_address_is_warned_about(outside, url, admin_client, settings):
    err = StringIO()
    call_command("board_config", "--device", "Back porch", "--server-url", url, stdout=StringIO(), stderr=err)
    settings.SITE_URL = url
    response = admin_client.post(
        "/admin/devices/device/",
        {"action": "download_config", "_selected_action": [outside.api_key.device.pk]},
    )

    assert "loopback address" in err.getvalue() and "SITE_URL" in err.getvalue()
    assert any("loopback address" in str(m) for m in get_messages(response.wsgi_request))


def test_writing_over_a_config_file_needs_force_and_issues_no_key_until_then(outside, tmp_path):
    path = tmp_path / "config.py"
    board_config("--device", "Back porch", "--output", str(path))
    first = path.read_text()
    keys = ApiKey.objects.count()

    with pytest.raises(CommandError, match="exists; --force writes over it"):
        board_config("--device", "Back porch", "--output", str(path))

    assert path.read_text() == first and ApiKey.objects.count() == keys
    board_config("--device", "Back porch", "--output", str(path), "--force")
    assert path.read_text() != first
