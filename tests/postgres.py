"""A PostgreSQL server for the tests: find it, make throwaway databases on it, drop them afterwards.

Also a small command line for `tests/both_engines.sh`:
    python -m tests.postgres probe            the server's URL (exit 1 if none answers)
    python -m tests.postgres create URL NAME  a fresh database NAME on that server
    python -m tests.postgres drop URL PREFIX  drop every database named PREFIX... or test_PREFIX...
"""

from __future__ import annotations

import getpass
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

# CI and most development machines: a local server with trust authentication.
CANDIDATES = [
    "postgres://postgres@127.0.0.1:5432/postgres",
    f"postgres://{getpass.getuser()}@127.0.0.1:5432/postgres",
]


def _server_urls() -> list[str]:
    chosen = os.environ.get("TEST_POSTGRES_URL")
    if chosen:
        return [chosen]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        return [with_database(database_url, "postgres")]
    return CANDIDATES


def with_database(url: str, name: str) -> str:
    """The same server and user, another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def probe() -> str | None:
    """The URL of a PostgreSQL server that lets us create databases, or None."""
    for url in _server_urls():
        try:
            with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT 1")
                return url
        except psycopg.Error:
            continue
    return None


def unreachable_reason() -> str:
    return "PostgreSQL not reachable (tried " + ", ".join(_server_urls()) + ")"


def create_database(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(server, name)


def drop_databases(server: str, prefix: str) -> list[str]:
    """Drop the run's databases and pytest-django's test_ copies of them, even with sessions open."""
    with psycopg.connect(server, autocommit=True) as conn:
        names = [
            name
            for (name,) in conn.execute("SELECT datname FROM pg_database").fetchall()
            if name.startswith(prefix) or name.startswith("test_" + prefix)
        ]
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return names


def run_prefix() -> str:
    """Databases the tests make are named after the run (`tests/both_engines.sh` sets it)."""
    return os.environ.get("TEST_POSTGRES_PREFIX", "iotserver_test")


@contextmanager
def fresh_database(server: str, label: str) -> Iterator[str]:
    """An empty database for one test (or one live server); its URL. Dropped afterwards."""
    name = f"{run_prefix()}_{label}_{uuid.uuid4().hex[:8]}"
    url = create_database(server, name)
    try:
        yield url
    finally:
        drop_databases(server, name)


def main(argv: list[str]) -> int:
    if argv[:1] == ["probe"]:
        url = probe()
        if url is None:
            print(unreachable_reason(), file=sys.stderr)
            return 1
        print(url)
        return 0
    if argv[:1] == ["create"] and len(argv) == 3:
        print(create_database(argv[1], argv[2]))
        return 0
    if argv[:1] == ["drop"] and len(argv) == 3:
        for name in drop_databases(argv[1], argv[2]):
            print(f"dropped database {name}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
