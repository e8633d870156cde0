# Station settings. Copy to config.py, fill in, upload with the other files.
# config.py holds the WiFi password and the API key: it is git-ignored.

# WiFi network
SSID = "My WiFi Network"
WIFI_PASSWORD = "my_wifi_password"
WIFI_CONNECT_TIMEOUT_S = 20     # give up one connection attempt after this
WIFI_BACKOFF_MAX_S = 300        # waits between attempts double up to this

# Weather server
SERVER_URL = "http://192.168.1.10:8000"   # no trailing /update needed
API_KEY = "paste-the-station-api-key-here"
MAC_ADDRESS = None              # None = the board's own WiFi MAC
HTTP_TIMEOUT_S = 10             # one whole request: connect, send, answer
UPLINK_BACKOFF_MAX_S = 300      # waits after a failed request double up to this (or Retry-After)

# What is measured, and on which server fields
SENSOR = "mcp9808"              # "mcp9808" or "bmp280"
TEMPERATURE_FIELD = 1           # 1 = outside, 2 = inside on the original setup
PRESSURE_FIELD = None           # bmp280 only, e.g. 3; None = pressure not sent
INTERVAL_S = 60                 # one reading per interval, on a steady cadence
DEEP_SLEEP_S = 0                # battery stations: deep sleep this long between readings
                                # (GPIO16 wired to RST); 0 = stay awake

# Sensor wiring (Feather Huzzah ESP8266)
I2C_SCL_PIN = 5
I2C_SDA_PIN = 4
MCP9808_ADDRESS = 0x18
BMP280_ADDRESS = 0x77           # 0x76 when the breakout's SDO pin is tied to GND

# Readings kept while the server or WiFi is down
BACKLOG_RAM_READINGS = 120      # no longer used: unsent readings are always on flash
BACKLOG_FILE = "backlog"        # flash files backlog.0, backlog.1..., backlog.pos
BACKLOG_FILE_MAX_BYTES = 262144  # hard cap on flash used (~55 bytes a reading); oldest go first
BATCH_SIZE = 50                 # readings per POST /api/readings/ (server takes up to 1000)
FLUSH_BATCHES_PER_INTERVAL = 4  # so catching up never stalls the cadence

# Time (every reading is stamped from NTP-anchored ticks; "host:port" for another port)
NTP_HOST = "pool.ntp.org"
NTP_RESYNC_S = 3600

# Health
LED_PIN = 0                     # 0 = red LED, 2 = blue LED (both active low); None = no LED
WATCHDOG_TIMEOUT_S = 90         # reset when the loop is stuck this long
MAX_FAILURES = 5                # station crashes in a row before machine.reset()
SAFE_MODE_AFTER_BOOTS = 4       # boots in a row that never got healthy before safe mode
