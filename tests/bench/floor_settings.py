"""The project's settings with one change: the floor view's URL map (same database, PRAGMAs, middleware)."""

from iotserver.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.floor_urls"
