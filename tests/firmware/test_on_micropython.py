"""Runs the firmware's core paths on the real MicroPython interpreter (WebAssembly build, under Node)."""

import os
import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.firmware

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "run_micropython.mjs")
PACKAGE = os.path.join(HERE, "node_modules", "@micropython", "micropython-webassembly-pyscript")
INSTALL = "run `npm ci --prefix tests/firmware` (Node 20+) first; `make test` does it"

# Every check mp_checks.py must report; a check that silently vanished fails here.
CHECKS = [
    "imports",
    "mcp9808_maths",
    "bmp280_datasheet",
    "url",
    "buffer_and_flush_order",
    "refused_and_rate_limited",
    "buffer_cap",
    "flash_spill_cap",
    "loop_cadence_and_watchdog",
    "wifi_loss_and_return",
    "main_resets_after_failures",
    "ntp_epoch",
]


@pytest.fixture(scope="module")
def micropython_run():
    """(stdout, problem): one interpreter run shared by all checks; problem is None when it ran."""
    node = shutil.which("node")
    if node is None:
        return "", "node is not installed: the MicroPython tests need it; " + INSTALL
    if not os.path.isdir(PACKAGE):
        return "", "tests/firmware/node_modules is missing: " + INSTALL
    proc = subprocess.run([node, SCRIPT], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        return proc.stdout, f"MicroPython run failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout, None


def test_micropython_run_completes(micropython_run):
    out, problem = micropython_run
    if problem:
        pytest.fail(problem)
    assert re.search(rf"^DONE {len(CHECKS)}/{len(CHECKS)}$", out, re.M), out


def test_firmware_fits_the_esp8266_heap(micropython_run):
    """Compiled from source, the modules' bytecode lives in the heap; an ESP8266
    has roughly 30-40 KB free. This guards against the firmware quietly growing."""
    out, problem = micropython_run
    if problem:
        pytest.fail(problem)
    used = int(re.search(r"^INFO .* takes (\d+) bytes of heap$", out, re.M).group(1))
    assert used < 40 * 1024, f"firmware modules take {used} bytes of heap: trim them or precompile (.mpy)"


@pytest.mark.parametrize("name", CHECKS)
def test_on_micropython(micropython_run, name):
    out, problem = micropython_run
    if problem:
        pytest.fail(problem)
    if re.search(rf"^FAIL {name}:", out, re.M):
        pytest.fail(out)
    assert re.search(rf"^PASS {name}$", out, re.M), f"check {name} did not run:\n{out}"
