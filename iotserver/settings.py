"""Settings for the weather station server, read from the environment or a .env file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from iotserver.secret_key import refuse_weak_secret_key
from ratelimits.rates import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env beside manage.py is the household's configuration; `make run` writes SECRET_KEY there.
env.read_env(BASE_DIR / ".env", overwrite=False)

# No default: a server that starts with a guessable key would sign sessions anyone can forge.
SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
# Nor with a short, example or startproject key: DEBUG off is production, on a LAN or not.
refuse_weak_secret_key(SECRET_KEY, debug=DEBUG)
# The server usually lives on a home LAN and is reached by IP address from boards and phones,
# so every host name is accepted unless the household narrows it (do so when exposed to the internet).
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the docs page's scripts, served by us: no CDN
    "iotserver",
    "devices",
    "readings",
    "dashboard",
    "ratelimits",
    "alerts",
    "mqtt",  # readings over MQTT through Mosquitto, and out to ThingSpeak clients and Home Assistant
    "axes",  # django-axes: failed logins counted and locked out (see LOGIN_FAILURE_LIMIT)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: answers a locked-out login
]

ROOT_URLCONF = "iotserver.urls"
WSGI_APPLICATION = "iotserver.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Default database engine is SQLite, in a file beside manage.py: one can check out the code,
# run `make run` and it works. PostgreSQL is one DATABASE_URL away.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Several gunicorn workers write at once: WAL lets readers run beside the one
            # writer, IMMEDIATE takes the write lock at BEGIN (so no transaction fails halfway
            # on an upgrade to a write lock), and the timeout makes writers queue, not fail.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # synchronous=FULL: a reading answered with 2xx survives a power cut, not only a crash.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA foreign_keys=ON;"
            ),
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # synchronous_commit is PostgreSQL's default; set it per connection so that a server-wide
    # change to "off" cannot quietly make acknowledged readings losable.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c synchronous_commit=on")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# No cache is configured: nothing caches, and what several workers or app servers must share (rate-limit
# counters, sessions) lives in the database.
# Behind nginx with TLS (docs/deploy.md): trust its X-Forwarded-Proto, so Django knows the request
# was HTTPS (secure cookies, CSRF origin checks). Only behind a proxy that sets the header itself;
# on a bare gunicorn a client could forge it.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Behind TLS, a page asked for over plain HTTP is redirected to HTTPS. Never by default: `make run`
# serves plain HTTP on the LAN, and a redirect to an HTTPS nobody serves would lock everyone out.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=BEHIND_TLS_PROXY)
# ...except where boards write. An ESP8266 cannot do TLS, MicroPython's urequests does not follow
# redirects (and a 301 turns a POST into a GET without its body), so a redirected reading is lost.
# Matched against the path without its leading slash; deploy/nginx-iotserver.conf passes the same
# paths through on port 80 (tests/test_production_settings.py checks that the two agree).
SECURE_REDIRECT_EXEMPT = [
    r"^update(/|\.json/?$|$)",  # the station URL /update/API_key=..., and ThingSpeak's /update(.json)
    r"^API_key=",  # the station URL without /update
    r"^api/readings/$",  # the JSON form: the firmware's batches
    r"^channels/[0-9]+/bulk_update\.(json|csv)$",  # ThingSpeak's bulk writes
]
# HSTS: browsers that once saw the site over HTTPS refuse plain HTTP to it for this long (boards
# ignore it). 0 by default; deploy/env.example sets a year, which cannot be taken back quickly.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Rate limits (ratelimits/, DRF's rate syntax "N/s|min|hour|day", or "off"). A board posting every
# few seconds on each of its 8 fields stays far below the device's limit; "off" measures the write
# path alone (the ingest benchmark). Refused keys count per client address; failed logins per name
# and per address, after which that name or address cannot log in until the window ends.
DEVICE_RATE_LIMIT = env("DEVICE_RATE_LIMIT", default="240/min")
UNKNOWN_KEY_RATE_LIMIT = env("UNKNOWN_KEY_RATE_LIMIT", default="30/min")
LOGIN_FAILURE_LIMIT = env("LOGIN_FAILURE_LIMIT", default="10/hour")
AUTHENTICATION_BACKENDS = [
    "ratelimits.logins.LockoutBackend",  # first: a locked-out login never reaches the password check
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes does the counting, in its own tables (shared by every worker and app server): after
# LOGIN_FAILURE_LIMIT failures a name, and separately an address, is locked out for the rate's period.
try:
    _login_rate = parse_rate(LOGIN_FAILURE_LIMIT)
except ValueError as error:
    raise ImproperlyConfigured(f"LOGIN_FAILURE_LIMIT: {error}") from None
AXES_ENABLED = _login_rate is not None
AXES_FAILURE_LIMIT = _login_rate.count if _login_rate else 10
AXES_COOLOFF_TIME = timedelta(seconds=_login_rate.seconds if _login_rate else 3600)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks out
# Tries while locked out do not push the end further: the lockout ends when its period is over.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "ratelimits.logins.login_name"  # "ALEX" and "alex" are one name
AXES_CLIENT_IP_CALLABLE = "iotserver.credentials.client_address"  # behind nginx, the address nginx saw
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are still logged

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The household's zone, for what people see (day boundaries, clock times). Storage is always UTC.
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["iotserver.parsers.GuardedJSONParser"],
    "EXCEPTION_HANDLER": "iotserver.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI schema at /api/schema/ and its documentation page at /api/docs/.
SPECTACULAR_SETTINGS = {
    "TITLE": "Home weather station server",
    "DESCRIPTION": "Read devices and readings; post readings. ThingSpeak's API is described in the README.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Readings stamped earlier than this are refused: a board whose clock was never set counts
# from 2000-01-01 (MicroPython's epoch), and such a time would file the reading decades ago.
READINGS_EARLIEST = env("READINGS_EARLIEST", default="2020-01-01T00:00:00Z")

# The dashboard (`/`): household members log in; a phone stays logged in for half a year.
# The address boards reach this server at, written into every generated config.py. Empty: this
# machine's LAN address and the port gunicorn binds. Behind nginx or a name, set it.
SITE_URL = env("SITE_URL", default="")
DASHBOARD_PUBLIC = env.bool("DASHBOARD_PUBLIC", default=False)  # true: readable without a login
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=180 * 24 * 3600)
# Outside must be this many °C cooler (warmer) than inside before the advice turns to open (shut),
# so that it does not flicker while the two temperatures cross.
WINDOW_HYSTERESIS = env.float("WINDOW_HYSTERESIS", default=0.5)
# Boards post every minute: ten minutes of silence is a station gone quiet, not a late packet.
STALE_AFTER_MINUTES = env.int("STALE_AFTER_MINUTES", default=10)
# The records page counts days whose high reached RECORDS_WARM_DAY (°C; 25 is the meteorologists'
# "summer day") and days whose low fell to RECORDS_FROST_NIGHT or below (0: a frost).
RECORDS_WARM_DAY = env.float("RECORDS_WARM_DAY", default=25.0)
RECORDS_FROST_NIGHT = env.float("RECORDS_FROST_NIGHT", default=0.0)

# Notifications (alerts/): e-mail through Django's mail settings, either one EMAIL_URL
# (smtp+tls://user:password@host:587) or EMAIL_HOST and friends. Without either, mail goes to
# an SMTP server on this machine, as Django's defaults do.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_HOST = env("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="weather-station@localhost")
# How often `manage.py sendalerts` checks the rules: boards post every minute, so 30 s is prompt.
ALERTS_INTERVAL_SECONDS = env.int("ALERTS_INTERVAL_SECONDS", default=30)
# Webhooks go to the internet (ntfy.sh): a household member must not make the server post to
# 127.0.0.1, the router or the LAN. True lets them, for an ntfy server on the home network.
WEBHOOK_ALLOW_PRIVATE_IPS = env.bool("WEBHOOK_ALLOW_PRIVATE_IPS", default=False)

# MQTT (mqtt/): the broker the subscriber (`manage.py mqtt_ingest`) logs in to, as
# mqtt://user:password@host:1883. Empty by default: without a broker nothing about MQTT runs.
MQTT_URL = env("MQTT_URL", default="")
# The subscriber's client id: its persistent session on the broker, where messages wait while it is down.
MQTT_CLIENT_ID = env("MQTT_CLIENT_ID", default="iotserver-ingest")
# How long the broker keeps that session (and queues messages for it) while the subscriber is away.
MQTT_SESSION_EXPIRY_SECONDS = env.int("MQTT_SESSION_EXPIRY_SECONDS", default=7 * 86400)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler redacts: a refused station URL is logged with its path, key and all.
    "filters": {"redact_keys": {"()": "iotserver.redaction.RedactKeysFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_keys"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
