"""The station loop: read the sensor, post or keep the readings, wait for the next slot."""

import gc

import led as status
from uplink import OK, REFUSED, RETRY


class Station:
    """Ties the parts together; every part is passed in, so fakes can stand in.

    sensor.read() -> [(quantity, value)]; fields maps a quantity to its
    server field number (None = not sent). clock is the time module (or a
    fake with ticks_ms, ticks_add, ticks_diff, sleep_ms).
    """

    def __init__(self, sensor, fields, uplink, backlog, wifi, wallclock, clock, watchdog,
                 led=None, interval_ms=60000, batch_size=50, flush_batches=4,
                 feed_every_ms=1000, log=print):
        self.sensor = sensor
        self.fields = fields
        self.uplink = uplink
        self.backlog = backlog
        self.wifi = wifi
        self.wallclock = wallclock
        self.clock = clock
        self.watchdog = watchdog
        self.led = led
        self.interval_ms = interval_ms
        self.batch_size = batch_size
        self.flush_batches = flush_batches
        self.feed_every_ms = feed_every_ms
        self.log = log
        self.steps = 0
        self.status = None

    def read_sensor(self):
        """[(field, value)] for this slot; [] when the sensor fails."""
        try:
            pairs = self.sensor.read()
        except Exception as e:   # OSError when the I2C device does not answer
            self.log("sensor: read failed: %r" % e)
            return None
        out = []
        for quantity, value in pairs:
            field = self.fields.get(quantity)
            if field is None:
                continue
            if value != value or value in (float("inf"), float("-inf")):
                self.log("sensor: bad %s value %r, skipped" % (quantity, value))
                continue   # NaN would make the whole JSON batch invalid later
            out.append((field, value))
        return out

    def step(self):
        """One slot: read, then post (or keep), then flush the backlog."""
        self.watchdog.feed()
        self.steps += 1
        worst = status.OK
        taken = self.clock.ticks_ms()
        readings = self.read_sensor()
        if readings is None:
            readings = []
            worst = status.SENSOR

        online = self.wifi.ensure()
        self.watchdog.feed()
        if online and self.wallclock.sync_if_due():
            # readings kept before the clock was set get their real time now
            self.backlog.backdate(self.wallclock.stamp_at)
        stamp = self.wallclock.stamp_at(taken)

        server_up = online
        for field, value in readings:
            if server_up:
                outcome = self.uplink.send_reading(field, value)
                self.watchdog.feed()
                if outcome == OK:
                    continue
                if outcome == REFUSED:
                    self.log("station: server refused field %d = %s, dropped" % (field, value))
                    worst = max(worst, status.REFUSED)
                    continue
                server_up = False
            self.backlog.add(field, value, stamp, taken)

        if server_up and len(self.backlog):
            outcome, refused = self.flush()
            server_up = outcome != RETRY
            if refused:
                worst = max(worst, status.REFUSED)
        if not online:
            worst = max(worst, status.WIFI)
        elif not server_up:
            worst = max(worst, status.SERVER)

        self.status = worst
        self.log("station: slot %d %s %s backlog=%d dropped=%d" % (
            self.steps, status.NAMES[worst], readings, len(self.backlog), self.backlog.dropped))
        gc.collect()   # keep the heap unfragmented for the next request
        if self.led is not None:
            self.led.blink(worst)
        return worst

    def flush(self):
        """Send the backlog as batches, oldest first, a few batches per slot so
        the cadence holds. Readings leave the backlog only after a 2xx, or a
        4xx. Returns (last outcome, whether a batch was refused)."""
        outcome, refused = OK, False
        for _ in range(self.flush_batches):
            batch = self.backlog.peek(self.batch_size)
            if not batch:
                break
            outcome = self.uplink.send_batch(batch)
            self.watchdog.feed()
            if outcome == RETRY:
                break
            if outcome == REFUSED:
                # a 4xx is final (bad key, bad data): retrying would block the backlog forever
                self.log("station: server refused a batch of %d, dropped" % len(batch))
                refused = True
            self.backlog.remove()
        return outcome, refused

    def wait_until(self, due):
        """Sleep until ticks_ms() reaches due, feeding the watchdog meanwhile."""
        clock = self.clock
        while True:
            left = clock.ticks_diff(due, clock.ticks_ms())
            if left <= 0:
                return
            self.watchdog.feed()
            clock.sleep_ms(min(left, self.feed_every_ms))

    def run(self, slots=None):
        """Loop forever (or `slots` times): slots start at fixed multiples of the
        interval from the first one, so time spent in a slot does not add up."""
        clock = self.clock
        due = clock.ticks_ms()
        done = 0
        while slots is None or done < slots:
            self.step()
            done += 1
            due = clock.ticks_add(due, self.interval_ms)
            late = clock.ticks_diff(clock.ticks_ms(), due)
            if late >= 0:
                # the slot overran (a long WiFi wait): skip the missed slots, keep the phase
                missed = late // self.interval_ms + 1
                self.log("station: %d slot(s) skipped" % missed)
                due = clock.ticks_add(due, missed * self.interval_ms)
            self.wait_until(due)
