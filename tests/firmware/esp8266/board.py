"""State the fakes share, kept where the test can see it: the host folder in $BOARD_STATE.

Files there: `events` (what the test reads back: watchdog resets, feed gaps,
flash writes, heap marks), `rtc_memory` and `reset_cause` (kept across a
reset; the test deletes them for a power cut), `skip` (virtual ms slept so
far), `taken` (every reading the sensor gave: number, value, real ms, skip),
`schedule` (what goes wrong at which reading) and `condition` (the current one,
for the test's proxy).
"""

import os

STATE = os.getenv("BOARD_STATE") or "."
condition = "ok"
reading = 0          # readings taken so far, over all boots
_schedule = None


def path(name):
    return STATE + "/" + name


def event(text):
    with open(path("events"), "a") as f:
        f.write(text + "\n")


def read(name, default=None):
    try:
        with open(path(name)) as f:
            return f.read()
    except OSError:
        return default


def _load_schedule():
    global _schedule
    _schedule = []
    text = read("schedule", "")
    for line in text.split("\n"):
        parts = line.split()
        if len(parts) == 3:
            _schedule.append((int(parts[0]), int(parts[1]), parts[2]))


def condition_for(n):
    if _schedule is None:
        _load_schedule()
    for lo, hi, what in _schedule:
        if lo <= n <= hi:
            return what
    return "ok"


def set_condition(what, force=False):
    global condition
    if what != condition or force:
        condition = what
        with open(path("condition"), "w") as f:
            f.write(what)


def _count_taken():
    n = 0
    try:
        with open(path("taken")) as f:
            while f.readline():
                n += 1
    except OSError:
        pass
    return n


reading = _count_taken()
set_condition(condition_for(reading + 1), force=True)   # what the last boot left may be stale
