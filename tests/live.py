"""A real gunicorn serving the project on loopback, with its own SQLite file, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class LiveServer:
    url: str
    database: Path
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


@contextmanager
def gunicorn_server(folder: Path, workers: int = 2, extra_env: dict | None = None) -> Iterator[LiveServer]:
    """Migrate a fresh SQLite file in `folder` and serve it as `make run` does, on a free loopback port."""
    port = free_port()
    database = folder / "live.sqlite3"
    access_log = folder / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iotserver.settings",
        "SECRET_KEY": "live-test-only",
        "DATABASE_URL": f"sqlite:///{database}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": str(access_log),
        "WEB_CONCURRENCY": str(workers),
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
        stderr=open(folder / "gunicorn.err", "w"),  # noqa: SIM115 - lives as long as the server
    )
    server = LiveServer(
        f"http://127.0.0.1:{port}", database, access_log, folder / "gunicorn.err", env, process
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start: " + (folder / "gunicorn.err").read_text()
                    ) from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
