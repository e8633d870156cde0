"""Makes the firmware modules and their MicroPython fakes importable by plain name."""

import gc
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIRMWARE = os.path.join(HERE, "..", "..", "firmware")
FAKES = os.path.join(HERE, "fakes")

# The board imports `machine`, `network`, `urequests`, `ntptime`, `backlog`...
# by top-level name; the fakes stand in for the MicroPython-only ones.
for path in (FAKES, FIRMWARE):
    path = os.path.normpath(path)
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="module", autouse=True)
def collector_sees_only_the_firmware():
    """The firmware calls gc.collect() on every step (a board's heap is small). On CPython, after
    the rest of the suite, each full collection walked every long-lived object of Django and the
    earlier tests, a tenth of a second a step; frozen, they are left out of it. What the firmware
    tests make is still collected."""
    gc.freeze()
