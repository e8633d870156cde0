"""The real settings plus one test-only throttled URL, for the two-app-server test."""

from iotserver.settings import *  # noqa: F403
from iotserver.settings import STORAGES

ROOT_URLCONF = "tests.shared_state_urls"
# The admin pages render without a collectstatic run (which would write into the working tree).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
