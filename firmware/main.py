"""Boot entry point: build the station from config.py and keep it running, whatever happens.

Kept small on purpose: main.py stays source on the board, and compiling
source costs heap; the work is in the compiled station module.
"""

DEFAULTS = {
    "WIFI_CONNECT_TIMEOUT_S": 20, "WIFI_BACKOFF_MAX_S": 300,
    "MAC_ADDRESS": None, "HTTP_TIMEOUT_S": 10,
    "SENSOR": "mcp9808", "TEMPERATURE_FIELD": 1, "PRESSURE_FIELD": None, "INTERVAL_S": 60,
    "I2C_SCL_PIN": 5, "I2C_SDA_PIN": 4, "MCP9808_ADDRESS": 0x18, "BMP280_ADDRESS": 0x77,
    "BACKLOG_RAM_READINGS": 120, "BACKLOG_FILE": "backlog", "BACKLOG_FILE_MAX_BYTES": 262144,
    "BATCH_SIZE": 50, "FLUSH_BATCHES_PER_INTERVAL": 4, "UPLINK_BACKOFF_MAX_S": 300,
    "NTP_HOST": "pool.ntp.org", "NTP_RESYNC_S": 3600,
    "LED_PIN": 0, "WATCHDOG_TIMEOUT_S": 90, "MAX_FAILURES": 5, "SAFE_MODE_AFTER_BOOTS": 4,
    "DEEP_SLEEP_S": 0,
}
REQUIRED = ("SSID", "WIFI_PASSWORD", "SERVER_URL", "API_KEY")


def setting(config, name):
    if name in REQUIRED:
        if not hasattr(config, name):
            raise ValueError("config.py: %s is missing" % name)
        return getattr(config, name)
    return getattr(config, name, DEFAULTS[name])


def main():
    try:
        import config
    except ImportError:
        config = None

    def get(name):
        return setting(config, name) if config is not None else DEFAULTS.get(name)

    # One module at a time with a collection between: loading a .mpy leaves temporary
    # buffers among the code it keeps, and a fragmented heap fails later, larger requests.
    import gc
    for name in ("led", "backlog", "uplink", "wallclock", "wifi", "watchdog", get("SENSOR"), "station"):
        try:
            __import__(name)
        except ImportError:
            pass   # an unknown SENSOR: the station says so
        gc.collect()
    import station
    station.boot(config, get, get("MAX_FAILURES"), get("WATCHDOG_TIMEOUT_S"), get("SAFE_MODE_AFTER_BOOTS"))


if __name__ == "__main__":
    main()
