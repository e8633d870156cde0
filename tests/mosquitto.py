"""A real Mosquitto for a test module: deploy/'s configuration, on a free loopback port, in its own folder.

The dynamic-security plugin starts with one login, the server's (its admin), as docs/deploy.md
sets it up; everything else (device logins, ACLs) the server makes over MQTT, as in production.
"""

from __future__ import annotations

import getpass
import glob
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live import PROJECT, free_port, wait_for_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SERVER_LOGIN = "iotserver"


@dataclass
class Broker:
    host: str
    port: int
    url: str  # MQTT_URL for the server: its login is the dynamic-security admin
    process: subprocess.Popen
    log: Path


def needs_mosquitto() -> None:
    if not Path(MOSQUITTO).exists() or not shutil.which("mosquitto_ctrl"):
        pytest.skip("Mosquitto is not installed (apt-get install mosquitto mosquitto-clients)")


def _config(folder: Path, port: int, dynsec: Path) -> str:
    config = (PROJECT / "deploy" / "mosquitto-iotserver.conf").read_text()
    plugin = (
        glob.glob("/usr/lib/*/mosquitto_dynamic_security.so") or ["/usr/lib/mosquitto_dynamic_security.so"]
    )[0]
    replaced = {
        "listener 1883 0.0.0.0": f"listener {port} 127.0.0.1",
        "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so": plugin,
        "/var/lib/mosquitto/dynamic-security.json": str(dynsec),
    }
    for old, new in replaced.items():
        assert old in config, f"deploy/mosquitto-iotserver.conf no longer has {old!r}"
        config = config.replace(old, new)
    # Run as root (a CI container), Mosquitto would switch to the user `mosquitto`, which cannot
    # write this folder; as anyone else the option is ignored.
    return config + f"\npersistence_location {folder}/\nuser {getpass.getuser()}\nlog_type all\n"


@contextmanager
def mosquitto(folder: Path) -> Iterator[Broker]:
    needs_mosquitto()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    password = secrets.token_urlsafe(18)
    dynsec = folder / "dynamic-security.json"
    subprocess.run(
        ["mosquitto_ctrl", "dynsec", "init", str(dynsec), SERVER_LOGIN, password],
        check=True,
        capture_output=True,
    )
    config = folder / "mosquitto.conf"
    config.write_text(_config(folder, port, dynsec))
    log = folder / "mosquitto.log"
    with open(log, "w") as out:
        process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(
            port, process, seconds=15, failing=lambda: "Mosquitto did not start:\n" + log.read_text()
        )
        yield Broker("127.0.0.1", port, f"mqtt://{SERVER_LOGIN}:{password}@127.0.0.1:{port}", process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
