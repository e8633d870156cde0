"""Gunicorn settings for the weather station server (`make run` and the deployment docs use this)."""

import os

# All interfaces by default: the boards on the home LAN must reach the server.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Two sync workers suit a small home machine; each reading is a short request.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
# Let a worker finish its request when told to stop, so an answered reading is a stored reading.
graceful_timeout = 20
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
logger_class = "iotserver.redaction.RedactingLogger"
proc_name = "iotserver"
