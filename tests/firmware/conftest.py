"""Makes the firmware modules and their MicroPython fakes importable by plain name."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIRMWARE = os.path.join(HERE, "..", "..", "firmware")
FAKES = os.path.join(HERE, "fakes")

# The board imports `machine`, `network`, `urequests`, `ntptime`, `backlog`...
# by top-level name; the fakes stand in for the MicroPython-only ones.
for path in (FAKES, FIRMWARE):
    path = os.path.normpath(path)
    if path not in sys.path:
        sys.path.insert(0, path)
