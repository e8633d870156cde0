"""Two gunicorn app servers on one PostgreSQL database serve one household: nothing lives in a server."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from tests import postgres
from tests.live import THROWAWAY_SECRET_KEY, gunicorn_server, request

pytestmark = pytest.mark.live

PASSWORD = "two-servers-one-household"


@pytest.fixture(scope="module")
def shared_database():
    server = postgres.probe()
    if server is None:
        pytest.skip(postgres.unreachable_reason() + ": two app servers need one shared PostgreSQL")
    with postgres.fresh_database(server, "shared") as url:
        yield url


@pytest.fixture(scope="module")
def servers(tmp_path_factory, shared_database):
    folder = tmp_path_factory.mktemp("two-servers")
    # Refused keys are counted per address, in the shared database: four a minute here. The
    # admin's pages need collected static files, as `make run` collects them.
    env = {"UNKNOWN_KEY_RATE_LIMIT": "4/min", "STATIC_ROOT": str(folder / "static")}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "iotserver.settings",
            "SECRET_KEY": THROWAWAY_SECRET_KEY,
            **env,
        },
        check=True,
    )
    with (
        gunicorn_server(folder, extra_env=env, database_url=shared_database) as one,
        gunicorn_server(folder, extra_env=env, database_url=shared_database) as two,
    ):
        yield one, two


@pytest.fixture(scope="module")
def board(servers) -> dict:
    one, _ = servers
    output = one.manage(
        "register_device", "--name", "Porch", "--mac", "6C:EF:7A:3B:9D:E8", "--placement", "outside"
    )
    return {"key": output.strip().splitlines()[-1], "mac": "6c:ef:7a:3b:9d:e8"}


def log_in(server) -> str:
    """Log in to the admin on this server as a person would; the session cookie it sets."""
    server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; User.objects.filter(username='admin').exists() "
        f"or User.objects.create_superuser('admin', '', '{PASSWORD}')",
    )
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(server.url + "/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the login page has no CSRF token"
    form = {
        "csrfmiddlewaretoken": token.group(1),
        "username": "admin",
        "password": PASSWORD,
        "next": "/admin/",
    }
    browser.open(server.url + "/admin/login/", urllib.parse.urlencode(form).encode())
    session = next(cookie for cookie in jar if cookie.name == "sessionid")
    assert session.value, "an empty session cookie"
    return session.value


def test_a_reading_posted_to_one_server_is_seen_through_the_other_in_a_session_from_the_first(servers, board):
    one, two = servers
    session = log_in(one)

    status, reading_id = one.get(f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data=17.8125")
    assert status == 200

    status, page = request(two.url + "/admin/readings/reading/", headers={"Cookie": f"sessionid={session}"})
    assert status == 200
    assert "17.8125" in page
    assert f"/admin/readings/reading/{int(reading_id)}/" in page
    # Without the session from the first server, the second sends a stranger to its login page.
    status, page = two.get("/admin/readings/reading/")
    assert "17.8125" not in page and 'name="password"' in page


def test_a_rate_limit_counts_requests_on_both_servers_together(servers, board):
    one, two = servers
    guess = f"/update/API_key=guessed-key/mac={board['mac']}/field=1/data=20.5"
    first_four = [server.get(guess)[0] for server in (one, two, one, two)]
    assert first_four == [403, 403, 403, 403]

    # The fifth refused key within the minute is over the limit, whichever server it reaches.
    assert one.get(guess)[0] == 429
    assert two.get(guess)[0] == 429
    # The counter is a row in the shared database, not a value in one worker's memory.
    buckets = [bucket for (bucket,) in one.query("SELECT bucket FROM ratelimits_ratewindow")]
    assert "unknown-key:127.0.0.1" in buckets


def test_connections_are_reused_and_a_dropped_one_is_replaced_without_an_error(servers, board):
    one, two = servers
    station = f"/update/API_key={board['key']}/mac={board['mac']}/field=1/data=20.5"
    others = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

    assert {one.get(station)[0] for _ in range(20)} | {two.get(station)[0] for _ in range(20)} == {200}
    open_after_first = {pid for (pid,) in one.query(others)}
    assert {one.get(station)[0] for _ in range(20)} | {two.get(station)[0] for _ in range(20)} == {200}
    open_after_second = {pid for (pid,) in one.query(others)}

    # CONN_MAX_AGE: each worker keeps its one connection open between requests (four workers).
    assert open_after_first and open_after_first <= open_after_second
    assert len(open_after_second) <= 4

    # A database restart or a proxy's idle timeout cuts every connection: CONN_HEALTH_CHECKS
    # makes each worker notice at the start of its next request and connect again.
    one.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    statuses = [one.get(station)[0] for _ in range(10)] + [two.get(station)[0] for _ in range(10)]
    assert statuses == [200] * 20
    assert not ({pid for (pid,) in one.query(others)} & open_after_second)
