"""Settings for the test suite: the real settings, with a throwaway secret and fast hashing."""

import os
import secrets

# Fresh for each run and never written down: with DEBUG off the settings refuse a short or known
# key, exactly as in production, and no key in this repository can ever pass that check.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from iotserver.settings import *  # noqa: E402,F403
from iotserver.settings import DATABASES, STORAGES  # noqa: E402

# Login in tests needs no slow password hash; the real settings keep Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests post hundreds of readings and refused keys from one address; the rate-limit tests
# switch the limits back on with the `settings` fixture.
DEVICE_RATE_LIMIT = UNKNOWN_KEY_RATE_LIMIT = LOGIN_FAILURE_LIMIT = "off"
# The tests' webhook receivers listen on loopback; the SSRF tests turn this off again.
WEBHOOK_ALLOW_PRIVATE_IPS = True
AXES_ENABLED = False  # LOGIN_FAILURE_LIMIT "off"; the lockout tests turn it on
# Tests render pages without running collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's in-memory default: the concurrency tests need several connections
    # to see one database, exactly as gunicorn's workers do.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_SQLITE_PATH", "test-db.sqlite3")}
