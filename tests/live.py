"""A real gunicorn serving the project on loopback, with its own database, for end-to-end tests.

Its own SQLite file when the suite runs on SQLite; its own fresh PostgreSQL database (on the
suite's server, dropped afterwards) when the suite runs on PostgreSQL; or a given DATABASE_URL,
which lets two servers share one database.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings

from tests import postgres

PROJECT = Path(__file__).resolve().parent.parent
# For every server and command the tests start with the production settings (DEBUG off), which
# refuse a short or known key: a strong one, made fresh for each run.
THROWAWAY_SECRET_KEY = secrets.token_urlsafe(50)


@dataclass
class LiveServer:
    url: str
    database: Path | str  # the SQLite file, or the PostgreSQL database's URL
    access_log: Path
    error_log: Path
    env: dict
    process: subprocess.Popen

    def manage(self, *args: str) -> str:
        """Run a management command against this server's database; its standard output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def get(self, path: str) -> tuple[int, str]:
        return request(self.url + path)

    @property
    def vendor(self) -> str:
        return "sqlite" if isinstance(self.database, Path) else "postgresql"

    def query(self, sql: str) -> list[tuple]:
        """Rows of one SQL statement, read straight from this server's database."""
        if self.vendor == "sqlite":
            with sqlite3.connect(self.database) as db:
                return db.execute(sql).fetchall()
        with psycopg.connect(str(self.database), autocommit=True) as db:
            return db.execute(sql).fetchall()


def request(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def suite_on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@contextmanager
def gunicorn_server(
    folder: Path, workers: int = 2, extra_env: dict | None = None, database_url: str | None = None
) -> Iterator[LiveServer]:
    """Migrate the server's own database and serve it as `make run` does, on a free loopback port."""
    with ExitStack() as cleanup:
        if database_url:
            database: Path | str = database_url if "://" in database_url else Path(database_url)
        elif suite_on_postgresql():
            server = postgres.probe()
            if server is None:
                raise RuntimeError(postgres.unreachable_reason())
            database = cleanup.enter_context(postgres.fresh_database(server, "live"))
        else:
            database = folder / "live.sqlite3"
        yield cleanup.enter_context(_serve(folder, workers, extra_env, database))


def wait_for_port(port: int, process: subprocess.Popen, *, seconds: float, failing) -> None:
    """Until a server process accepts connections on 127.0.0.1:port; RuntimeError(failing()) if it
    exits or is not listening within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(failing()) from None
            time.sleep(0.05)


@contextmanager
def _serve(folder: Path, workers: int, extra_env: dict | None, database: Path | str) -> Iterator[LiveServer]:
    port = free_port()
    access_log = folder / f"access-{port}.log"
    error_log = folder / f"gunicorn-{port}.err"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iotserver.settings",
        "SECRET_KEY": THROWAWAY_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{database}" if isinstance(database, Path) else database,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": str(access_log),
        "WEB_CONCURRENCY": str(workers),
        # As in the test settings: tests post bursts no board would; rate-limit tests turn them on.
        "DEVICE_RATE_LIMIT": "off",
        "UNKNOWN_KEY_RATE_LIMIT": "off",
        "LOGIN_FAILURE_LIMIT": "off",
        **(extra_env or {}),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "iotserver.wsgi"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(error_log, "w"),  # noqa: SIM115 - lives as long as the server
    )
    server = LiveServer(f"http://127.0.0.1:{port}", database, access_log, error_log, env, process)
    try:
        wait_for_port(
            port, process, seconds=30, failing=lambda: "gunicorn did not start: " + error_log.read_text()
        )
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
