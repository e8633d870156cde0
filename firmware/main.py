"""Boot entry point: build the station from config.py and keep it running, whatever happens."""

import gc
import sys

HEALTHY_MS = 3600000   # a crash after an hour of running is a fresh start, not a streak
RETRY_PAUSE_MS = 10000  # also the window to press Ctrl-C at the serial console

DEFAULTS = {
    "WIFI_CONNECT_TIMEOUT_S": 20, "WIFI_BACKOFF_MAX_S": 300,
    "MAC_ADDRESS": None, "HTTP_TIMEOUT_S": 10,
    "SENSOR": "mcp9808", "TEMPERATURE_FIELD": 1, "PRESSURE_FIELD": None, "INTERVAL_S": 60,
    "I2C_SCL_PIN": 5, "I2C_SDA_PIN": 4, "MCP9808_ADDRESS": 0x18, "BMP280_ADDRESS": 0x77,
    "BACKLOG_RAM_READINGS": 120, "BACKLOG_FILE": "backlog", "BACKLOG_FILE_MAX_BYTES": 65536,
    "BATCH_SIZE": 50, "FLUSH_BATCHES_PER_INTERVAL": 4,
    "NTP_HOST": "pool.ntp.org", "NTP_RESYNC_S": 3600,
    "LED_PIN": 0, "WATCHDOG_TIMEOUT_S": 90, "MAX_FAILURES": 5,
}
REQUIRED = ("SSID", "WIFI_PASSWORD", "SERVER_URL", "API_KEY")


def setting(config, name):
    if name in REQUIRED:
        if not hasattr(config, name):
            raise ValueError("config.py: %s is missing" % name)
        return getattr(config, name)
    return getattr(config, name, DEFAULTS[name])


def print_exception(e):
    if hasattr(sys, "print_exception"):
        sys.print_exception(e)      # MicroPython
    else:
        import traceback
        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stdout)  # like the board


def make_sensor(config, machine, clock):
    i2c = machine.I2C(scl=machine.Pin(setting(config, "I2C_SCL_PIN")),
                      sda=machine.Pin(setting(config, "I2C_SDA_PIN")))
    kind = setting(config, "SENSOR")
    if kind == "mcp9808":
        from mcp9808 import MCP9808
        return MCP9808(i2c, setting(config, "MCP9808_ADDRESS"))
    if kind == "bmp280":
        from bmp280 import BMP280
        return BMP280(i2c, clock, setting(config, "BMP280_ADDRESS"))
    raise ValueError("config.py: SENSOR must be 'mcp9808' or 'bmp280', not %r" % kind)


def build_station(config, machine, network, http, ntptime, os_module, clock, watchdog, log=print):
    """Wire the real (or fake) modules into a Station according to config."""
    from backlog import Backlog, FlashSpill
    from led import Led
    from station import Station
    from uplink import Uplink
    from wallclock import WallClock
    from wifi import Wifi, mac_of

    try:
        network.WLAN(network.AP_IF).active(False)   # the board's own access point is not needed
    except Exception:
        pass
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    mac = setting(config, "MAC_ADDRESS") or mac_of(wlan)
    log("main: station %s, sensor %s" % (mac, setting(config, "SENSOR")))

    spill = None
    if setting(config, "BACKLOG_FILE"):
        spill = FlashSpill(os_module, setting(config, "BACKLOG_FILE"),
                           setting(config, "BACKLOG_FILE_MAX_BYTES"), log=log)
    pin = setting(config, "LED_PIN")
    led = Led(machine.Pin(pin, machine.Pin.OUT) if pin is not None else None, clock)
    return Station(
        sensor=make_sensor(config, machine, clock),
        fields={"temperature": setting(config, "TEMPERATURE_FIELD"),
                "pressure": setting(config, "PRESSURE_FIELD")},
        uplink=Uplink(http, setting(config, "SERVER_URL"), setting(config, "API_KEY"), mac,
                      setting(config, "HTTP_TIMEOUT_S"), log=log),
        backlog=Backlog(setting(config, "BACKLOG_RAM_READINGS"), spill, log=log),
        wifi=Wifi(wlan, setting(config, "SSID"), setting(config, "WIFI_PASSWORD"), clock, watchdog,
                  setting(config, "WIFI_CONNECT_TIMEOUT_S") * 1000,
                  backoff_max_ms=setting(config, "WIFI_BACKOFF_MAX_S") * 1000, log=log),
        wallclock=WallClock(ntptime, clock, setting(config, "NTP_RESYNC_S") * 1000,
                            host=setting(config, "NTP_HOST"), log=log),
        clock=clock, watchdog=watchdog, led=led,
        interval_ms=setting(config, "INTERVAL_S") * 1000,
        batch_size=setting(config, "BATCH_SIZE"),
        flush_batches=setting(config, "FLUSH_BATCHES_PER_INTERVAL"), log=log)


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
            watchdog.stop()
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
                watchdog.feed()
            clock.sleep_ms(500)
            waited += 500


def main():
    import machine
    import network
    import os
    try:
        import utime as time
    except ImportError:
        import time
    try:
        import urequests as http
    except ImportError:
        import requests as http
    try:
        import ntptime
    except ImportError:
        ntptime = None
    from led import Led
    from watchdog import Watchdog

    try:
        import config
    except ImportError:
        config = None
    max_failures = DEFAULTS["MAX_FAILURES"]
    if config is not None:
        max_failures = setting(config, "MAX_FAILURES")
        watchdog = Watchdog(machine, time, setting(config, "WATCHDOG_TIMEOUT_S") * 1000)
    else:
        watchdog = Watchdog(machine, time, DEFAULTS["WATCHDOG_TIMEOUT_S"] * 1000)
    pin = getattr(config, "LED_PIN", DEFAULTS["LED_PIN"])
    led = Led(machine.Pin(pin, machine.Pin.OUT) if pin is not None else None, time)

    def start():
        if config is None:
            raise ImportError("config.py missing: copy config.example.py to config.py and fill it in")
        build_station(config, machine, network, http, ntptime, os, time, watchdog).run()

    def on_failure(failures):
        led.blink(10, 40, 60)   # fast flicker: the station crashed and restarts

    keep_running(start, machine.reset, time, watchdog, max_failures, on_failure=on_failure)


if __name__ == "__main__":
    main()
