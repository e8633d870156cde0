"""Gunicorn settings for the weather station server (`make run` and the deployment docs use this)."""

import os

# All interfaces by default: the boards on the home LAN must reach the server.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Two processes suit a small home machine. Each serves its connections from a pool of threads
# (gunicorn's gthread, with time limits on slow clients: iotserver/workers.py), so a board that
# lost WiFi mid-request or a slow reader holds one thread for seconds, never a whole worker.
# Django keeps one database connection per thread; SQLite writers queue on a per-thread flock
# (readings/write_lock.py).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "iotserver.workers.ThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = 30
# Let a worker finish its request when told to stop, so an answered reading is a stored reading.
graceful_timeout = 20
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
logger_class = "iotserver.redaction.RedactingLogger"
proc_name = "iotserver"
