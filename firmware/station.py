"""The station loop: read the sensor, send or keep the readings on flash, flush, wait for the next slot."""

import gc
import sys

import led as status
from backlog import reading_line
from uplink import refused_index
from wallclock import unix_text

UNSYNCED_MAX = 60   # readings kept without a time before they go out unstamped (NTP blocked)


class Station:
    """Ties the parts together; every part is passed in, so fakes can stand in.

    sensor.read() -> [(quantity, value)]; fields maps a quantity to its
    server field number (None = not sent). clock is the time module.

    Every reading is sent stamped (recorded_at from the NTP-anchored ticks),
    so a batch sent again after a lost answer is stored once. A reading the
    server has not confirmed is on flash before the slot ends.
    """

    def __init__(self, sensor, fields, uplink, backlog, wifi, wallclock, clock, watchdog,
                 led=None, interval_ms=60000, batch_size=50, flush_batches=4,
                 backoff_max_ms=300000, healthy_ms=600000, on_healthy=None, log=print):
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
        self.backoff_max_ms = backoff_max_ms
        self.log = log
        self.steps = 0
        self.status = None
        self.limit = batch_size      # lines per batch; halved to find a refused reading
        self._fails = 0
        self._next_try = None        # ticks_ms before which the server is left alone
        self._unsynced = 0
        self._held = None            # (ticks, readings) of a slot not yet sent or on flash
        self._started = clock.ticks_ms()
        self._healthy_ms = healthy_ms
        self._on_healthy = on_healthy
        if backlog.has_unsynced():
            # kept before a restart: their ticks mean nothing now, the server stamps them
            backlog.stamp_unsynced(lambda ticks: None)

    def read_sensor(self):
        """[(field, value)] for this slot; None when the sensor fails."""
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
                continue
            out.append((field, value))
        return out

    def _when(self, ticks):
        stamp = self.wallclock.stamp(ticks)
        return None if stamp is None else unix_text(stamp)

    def server_due(self):
        return self._next_try is None or self.clock.ticks_diff(self._next_try, self.clock.ticks_ms()) <= 0

    def _back_off(self):
        self._fails += 1
        wait = min(self.backoff_max_ms, 15000 << min(self._fails - 1, 8))
        wait = max(wait, min(self.uplink.retry_after_s, 3600) * 1000)
        self._next_try = self.clock.ticks_add(self.clock.ticks_ms(), wait)
        self.log("station: server left alone for %d s" % (wait // 1000))

    def _sent(self):
        self._fails = 0
        self._next_try = None

    def step(self):
        """One slot: read, keep on flash unless sent at once, then flush the backlog.

        A MemoryError (a fragmented heap) after the reading was taken does not lose it: the
        slot's readings stay held in RAM until they are sent or on flash, at the latest in
        the next slot. A restart of the station in between would lose them, so it is caught.
        """
        wd = self.watchdog
        wd.progress()
        self.steps += 1
        if self._held is not None:
            try:
                self._keep_readings(self._held[0], self._held[1])
                self._held = None
            except MemoryError:
                gc.collect()
                return status.SERVER   # no new reading while one is still only in RAM
        worst = status.OK
        taken = self.clock.ticks_ms()
        readings = self.read_sensor()
        if readings is None:
            readings = []
            worst = status.SENSOR
        if readings:
            self._held = (taken, readings)
        try:
            worst = self._slot(taken, readings, worst)
        except MemoryError:
            gc.collect()
            worst = status.SERVER
            try:
                self.log("station: out of heap this slot, readings held for the next")
            except MemoryError:
                pass
        self.status = worst
        gc.collect()   # keep the heap unfragmented for the next request
        if self._on_healthy is not None and self.clock.ticks_diff(
                self.clock.ticks_ms(), self._started) >= self._healthy_ms:
            self._on_healthy()
            self._on_healthy = None
        if self.led is not None:
            self.led.blink(worst)
        return worst

    def _lines(self, taken, readings):
        """The JSON lines of readings, or [] after keeping them for when the clock is set."""
        lines = []
        if self.wallclock.synced():
            when = self._when(taken)
            for field, value in readings:
                lines.append(reading_line(field, value, when))
        else:
            for field, value in readings:
                self.backlog.keep_unsynced(taken, field, value)
                self._unsynced += 1
        return lines

    def _keep_readings(self, taken, readings):
        for line in self._lines(taken, readings):
            self._keep(line)

    def _slot(self, taken, readings, worst):
        wd = self.watchdog
        online = self.wifi.ensure()
        wd.progress()
        if online and self.wallclock.sync_if_due() and self.backlog.has_unsynced():
            self.backlog.stamp_unsynced(self._when)
            self._unsynced = 0
        wd.progress()
        self.wallclock.rebase()

        lines = self._lines(taken, readings)
        if self._unsynced >= UNSYNCED_MAX:
            self.log("station: no time from NTP, sending readings unstamped")
            self.backlog.stamp_unsynced(lambda ticks: None)
            self._unsynced = 0

        server_up = online and self.server_due()
        if lines and server_up:
            result = self._send_live(lines)   # empties lines of what is settled
            worst = max(worst, result)
            server_up = result != status.SERVER
        for line in lines:
            self._keep(line)
        lines = None
        self._held = None   # this slot's readings are sent or on flash

        if server_up and len(self.backlog):
            result = self.flush()
            worst = max(worst, result)
            server_up = result != status.SERVER
        if not online:
            worst = max(worst, status.WIFI)
        elif not server_up:
            worst = max(worst, status.SERVER)
        self.log("station: slot %d %s %s backlog=%dB dropped=%d" % (
            self.steps, status.NAMES[worst], readings, len(self.backlog), self.backlog.dropped))
        return worst

    def _keep(self, line):
        try:
            self.backlog.append(line)
        except MemoryError:
            # the heap was fragmented at that moment: collect and try once more, rather
            # than lose the reading to the restart a crash would bring
            gc.collect()
            self.backlog.append(line)

    def _send_live(self, lines):
        """This slot's readings in one batch. Returns the LED status; lines the
        server did not take are appended to the backlog by the caller (SERVER),
        or handed to it to find the refused one (REFUSED with several)."""
        body = len(lines) - 1
        for line in lines:
            body += len(line)

        def emit(send):
            for i in range(len(lines)):
                if i:
                    send(b",")
                send(lines[i])

        code = self.uplink.post(body, emit)
        self.watchdog.progress()
        if code == 200 or code == 201:
            self._sent()
            del lines[:]
            return status.OK
        if code == 400:
            if len(lines) == 1:
                self.log("station: server refused %s, dropped" % lines[0][:-1])
                self.backlog.dropped += 1
                lines.pop()
            # several: the backlog's flush finds the one refused
            return status.REFUSED
        if code == 413:
            self.limit = max(1, self.limit // 2)
        self._back_off()
        return status.SERVER

    def flush(self):
        """Send the backlog oldest first, at most flush_batches batches a slot so
        the cadence holds. A line leaves only after a 2xx, or when the server
        refused that very reading (400): a refused batch is halved until the
        reading is found (or the refusal names its index), and only it is dropped.
        Returns the LED status."""
        worst = status.OK
        backlog = self.backlog
        for _ in range(self.flush_batches):
            self.watchdog.progress()
            try:
                count, body, end = backlog.batch(self.limit)
            except MemoryError:
                # a fragmented heap: the lines stay on flash for the next slot
                gc.collect()
                self.log("station: no heap for a batch now")
                return status.SERVER
            if not count:
                break
            code = self.uplink.post(body, lambda send: backlog.emit(send, end))
            self.watchdog.progress()
            if code == 200 or code == 201:
                self._sent()
                backlog.advance(end)
                continue
            if code == 400:
                worst = status.REFUSED
                index = None
                if self.uplink.detail:
                    index = refused_index(self.uplink.detail)
                if count == 1 or index == 0:
                    self.log("station: server refused a reading (%s), dropped" % self.uplink.detail[:60])
                    backlog.skip_one()
                    self.limit = self.batch_size
                elif index is not None and index < count:
                    self.limit = index     # send the good ones before it, then it alone
                else:
                    self.limit = max(1, count // 2)
                continue
            if code == 413:
                self.limit = max(1, count // 2)
            self._back_off()
            return status.SERVER
        return worst

    def wait_until(self, due):
        """Sleep until ticks_ms() reaches due, in steps that keep the watchdog fed."""
        clock = self.clock
        step = max(1000, self.watchdog.timeout_ms // 3)
        while True:
            left = clock.ticks_diff(due, clock.ticks_ms())
            if left <= 0:
                return
            self.watchdog.progress()
            clock.sleep_ms(min(left, step))

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
                missed = late // self.interval_ms + 1
                self.log("station: %d slot(s) skipped" % missed)
                due = clock.ticks_add(due, missed * self.interval_ms)
            self.wait_until(due)


# --- boot: from config.py to a running station (main.py calls boot()) ----------------------

HEALTHY_MS = 600000     # the station ran this long: the boot was a good one
RETRY_PAUSE_MS = 10000  # also the window to press Ctrl-C at the serial console
RTC_TAG = b"WS"         # RTC memory: tag, then the count of boots that did not get healthy


def print_exception(e):
    if hasattr(sys, "print_exception"):
        sys.print_exception(e)      # MicroPython
    else:
        import traceback
        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stdout)  # like the board


def make_sensor(setting, machine, clock):
    i2c = machine.I2C(scl=machine.Pin(setting("I2C_SCL_PIN")),
                      sda=machine.Pin(setting("I2C_SDA_PIN")))
    kind = setting("SENSOR")
    if kind == "mcp9808":
        from mcp9808 import MCP9808
        return MCP9808(i2c, setting("MCP9808_ADDRESS"))
    if kind == "bmp280":
        from bmp280 import BMP280
        return BMP280(i2c, clock, setting("BMP280_ADDRESS"))
    raise ValueError("config.py: SENSOR must be 'mcp9808' or 'bmp280', not %r" % kind)


def build_station(setting, machine, network, socket, select, os_module, clock, watchdog, log=print):
    """Wire the real (or fake) modules into a Station; setting(name) reads config.py."""
    from backlog import Backlog
    from led import Led
    from uplink import Uplink
    from wallclock import WallClock
    from wifi import Wifi, mac_of

    ap = network.WLAN(network.AP_IF)
    if ap.active():   # the board's own access point is not needed; switching it is a flash write
        ap.active(False)
    wlan = network.WLAN(network.STA_IF)
    mac = setting("MAC_ADDRESS") or mac_of(wlan)
    log("main: station %s, sensor %s" % (mac, setting("SENSOR")))

    pin = setting("LED_PIN")
    led = Led(machine.Pin(pin, machine.Pin.OUT) if pin is not None else None, clock, watchdog=watchdog)
    interval_ms = setting("INTERVAL_S") * 1000
    sensor = make_sensor(setting, machine, clock)
    uplink = Uplink(socket, select, setting("SERVER_URL"), setting("API_KEY"), mac,
                    clock, setting("HTTP_TIMEOUT_S") * 1000, watchdog=watchdog, log=log)
    wifi = Wifi(wlan, setting("SSID"), setting("WIFI_PASSWORD"), clock, watchdog,
                setting("WIFI_CONNECT_TIMEOUT_S") * 1000,
                backoff_max_ms=setting("WIFI_BACKOFF_MAX_S") * 1000, log=log)
    wallclock = WallClock(socket, select, clock, setting("NTP_HOST"),
                          setting("NTP_RESYNC_S") * 1000, watchdog=watchdog, log=log)
    backlog = Backlog(os_module, setting("BACKLOG_FILE") or "backlog",
                      setting("BACKLOG_FILE_MAX_BYTES"), log=log)
    gc.collect()   # the backlog's scan of the flash leaves garbage among what stays
    return Station(
        sensor=sensor,
        fields={"temperature": setting("TEMPERATURE_FIELD"),
                "pressure": setting("PRESSURE_FIELD")},
        uplink=uplink, backlog=backlog, wifi=wifi, wallclock=wallclock,
        clock=clock, watchdog=watchdog, led=led,
        interval_ms=interval_ms,
        batch_size=setting("BATCH_SIZE"),
        flush_batches=setting("FLUSH_BATCHES_PER_INTERVAL"),
        backoff_max_ms=setting("UPLINK_BACKOFF_MAX_S") * 1000,
        healthy_ms=min(HEALTHY_MS, 10 * interval_ms),
        on_healthy=lambda: boots_healthy(machine), log=log)


def boot_count(machine):
    """Count this boot in RTC memory (kept across resets, not power cuts);
    a wake from deep sleep is not a new boot. Returns the boots in a row that
    did not get healthy, this one included."""
    rtc = machine.RTC()
    mem = rtc.memory()
    count = mem[2] if len(mem) >= 3 and mem[:2] == RTC_TAG else 0
    if machine.reset_cause() != machine.DEEPSLEEP_RESET:
        count += 1
    rtc.memory(RTC_TAG + bytes([min(count, 255)]))
    return count


def boots_healthy(machine):
    machine.RTC().memory(RTC_TAG + bytes([0]))


def safe_mode(setting, machine, network, clock, boots, log=print):
    """Come up without the watchdog and without the station: WiFi on, the serial
    REPL free, the LED lit steadily. The next reset tries the station again."""
    log("main: SAFE MODE after %d failed boots: no station, no watchdog. Fix config.py or the "
        "files (os.listdir()), then machine.reset()" % (boots - 1))
    boots_healthy(machine)
    pin = setting("LED_PIN")
    if pin is not None:
        machine.Pin(pin, machine.Pin.OUT).value(0)   # active low: lit
    try:
        wlan = network.WLAN(network.STA_IF)
        if not wlan.active():
            wlan.active(True)
        try:
            ssid, key = setting("SSID"), setting("WIFI_PASSWORD")
        except Exception:   # no config.py, or not these in it
            ssid = key = None
        if ssid is not None and wlan.config("ssid") != ssid:
            wlan.connect(ssid, key)   # saved once; later safe boots reuse it
        else:
            wlan.connect()
        deadline = clock.ticks_add(clock.ticks_ms(), 20000)
        while not wlan.isconnected() and clock.ticks_diff(deadline, clock.ticks_ms()) > 0:
            clock.sleep_ms(100)
        log("main: safe mode, WiFi %s" % (wlan.ifconfig()[0] if wlan.isconnected() else "not connected"))
    except Exception as e:
        log("main: safe mode, WiFi failed: %r" % e)


def keep_running(start, reset, clock, watchdog=None, max_failures=5, pause_ms=RETRY_PAUSE_MS,
                 on_failure=None, log=print):
    """Call start() again and again: an exception never ends the station.
    After max_failures crashes in a row, reset the board (a fresh heap and
    radio often cure what a restart in Python does not)."""
    try:
        _keep_running(start, reset, clock, watchdog, max_failures, pause_ms, on_failure, log)
    except KeyboardInterrupt:
        # Ctrl-C at the serial console: hand over to the REPL without the
        # watchdog resetting the board under the user's fingers
        if watchdog is not None:
            watchdog.hold()
        raise


def _keep_running(start, reset, clock, watchdog, max_failures, pause_ms, on_failure, log):
    failures = 0
    while True:
        began = clock.ticks_ms()
        try:
            start()
            log("main: station returned")
        except Exception as e:   # not BaseException: Ctrl-C and reset pass through
            log("main: station crashed:")
            print_exception(e)
        if clock.ticks_diff(clock.ticks_ms(), began) > HEALTHY_MS:
            failures = 0
        failures += 1
        gc.collect()
        if on_failure is not None:
            on_failure(failures)
        if failures >= max_failures:
            log("main: %d failures in a row, resetting the board" % failures)
            reset()
            return   # only reached with a fake machine.reset()
        log("main: restarting in %d s (failure %d of %d)" % (pause_ms // 1000, failures, max_failures))
        waited = 0
        while waited < pause_ms:
            if watchdog is not None:
                watchdog.progress()
            clock.sleep_ms(500)
            waited += 500


def boot(config, setting, max_failures, watchdog_s, safe_after, log=print):
    """What main.py does at boot: count the boot, then safe mode or the station, kept running."""
    import machine
    import network
    import os
    import select
    import socket
    import time

    from led import Led
    from watchdog import Watchdog

    boots = boot_count(machine)
    pin = setting("LED_PIN")
    if boots > safe_after:
        safe_mode(setting, machine, network, time, boots, log)
        return   # to the REPL
    watchdog = Watchdog(machine, time, watchdog_s * 1000, log=log)
    led = Led(machine.Pin(pin, machine.Pin.OUT) if pin is not None else None, time, watchdog=watchdog)

    def start():
        if config is None:
            raise ImportError("config.py missing: copy config.example.py to config.py and fill it in")
        gc.collect()   # what the imports left: the station's objects want whole blocks
        station = build_station(setting, machine, network, socket, select, os, time, watchdog, log)
        sleep_s = setting("DEEP_SLEEP_S")
        if sleep_s:
            # battery station: one slot a wake; everything unsent is on flash already
            station.step()
            machine.deepsleep(sleep_s * 1000)
        station.run()

    def on_failure(failures):
        led.blink(10, 40, 60)   # fast flicker: the station crashed and restarts

    keep_running(start, machine.reset, time, watchdog, max_failures, on_failure=on_failure, log=log)
