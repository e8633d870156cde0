"""Production settings: check --deploy is clean with the documented environment, weak keys stop the
start, and boards keep posting over plain HTTP even where browsers are sent to HTTPS."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.live import PROJECT, THROWAWAY_SECRET_KEY, gunicorn_server

DEPLOY = PROJECT / "deploy"


def documented_environment() -> dict[str, str]:
    """deploy/env.example as a household fills it in: everything as written, a real key."""
    lines = (DEPLOY / "env.example").read_text().splitlines()
    written = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {**written, "SECRET_KEY": THROWAWAY_SECRET_KEY}


def run_settings(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """manage.py with the production settings and only the given environment (nothing from ours)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "iotserver.settings",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.live  # manage.py in a subprocess, under the production settings
def test_check_deploy_reports_nothing_with_the_documented_environment():
    done = run_settings(documented_environment(), "check", "--deploy", "--fail-level", "WARNING")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced)."


@pytest.mark.live  # manage.py in a subprocess, under the production settings
def test_check_deploy_names_what_is_missing_without_the_https_settings():
    # The test above is not clean by accident: leave out the documented HTTPS lines and it speaks.
    environment = {
        name: value
        for name, value in documented_environment().items()
        if name != "BEHIND_TLS_PROXY" and not name.startswith("SECURE_HSTS")
    }
    done = run_settings(environment, "check", "--deploy", "--fail-level", "WARNING")

    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr


WEAK_KEYS = {
    "the placeholder of deploy/env.example": None,  # read from the file below
    "what the tests used to pass": "live-test-only",
    "Django's startproject key": "django-insecure-" + "k3#9v@x!q7m2p$w8z^r5t&y1u*e4o6i0a-b+c=d_f" * 2,
    "a long key of few characters": "ab" * 40,
    "an example placeholder lengthened": "replace-me-" + "x7Q2pL9vR4mT8wK3" * 4,
}


@pytest.mark.live  # manage.py in a subprocess, under the production settings
@pytest.mark.parametrize("label", WEAK_KEYS)
def test_the_server_refuses_to_start_with_a_weak_key(label):
    key = WEAK_KEYS[label] or documented_environment_placeholder()

    done = run_settings({**documented_environment(), "SECRET_KEY": key}, "check")

    assert done.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not safe for a server with DEBUG off" in done.stderr
    assert "secrets.token_urlsafe(50)" in done.stderr
    assert key not in done.stderr  # the refusal lands in logs: it must not show the key


def documented_environment_placeholder() -> str:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith("SECRET_KEY="))


@pytest.mark.live  # manage.py in a subprocess, under the production settings
def test_the_server_refuses_to_start_without_a_key(tmp_path):
    environment = {name: value for name, value in documented_environment().items() if name != "SECRET_KEY"}
    # A household's .env beside manage.py (`make run` writes one) would supply a key: this test is
    # about there being none anywhere, so the settings are loaded without reading it.
    load = (
        "import environ; environ.Env.read_env = classmethod(lambda cls, *a, **k: None); "
        "import django; django.setup()"
    )
    done = subprocess.run(
        [sys.executable, "-c", load],
        cwd=PROJECT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "iotserver.settings",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in done.stderr


@pytest.mark.live
def test_gunicorn_does_not_serve_with_a_weak_key(tmp_path):
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    environment = {
        **documented_environment(),
        "SECRET_KEY": "replace-me",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GUNICORN_BIND": "127.0.0.1:0",
        "GUNICORN_ACCESS_LOG": str(tmp_path / "access.log"),
        "WEB_CONCURRENCY": "1",
        "PATH": os.environ.get("PATH", ""),
    }

    done = subprocess.run(
        [gunicorn, "-c", "gunicorn.conf.py", "iotserver.wsgi"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0  # gunicorn exits: "Worker failed to boot"
    assert "SECRET_KEY is not safe" in done.stderr


@pytest.mark.live  # manage.py in a subprocess, under the production settings
def test_a_developer_with_debug_on_may_use_any_key():
    done = run_settings({"DEBUG": "true", "SECRET_KEY": "dev"}, "check")

    assert done.returncode == 0, done.stderr


@pytest.mark.live  # manage.py in a subprocess, under the production settings
def test_the_defaults_serve_plain_http_on_the_lan():
    show = (
        "from django.conf import settings as s; print(json.dumps([s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER]))"
    )
    done = run_settings(
        {"SECRET_KEY": THROWAWAY_SECRET_KEY}, "shell", "-v", "0", "-c", "import json; " + show
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, 0, False, False, None]


def nginx_plain_http_paths() -> re.Pattern:
    """The regex of nginx's port-80 location that is proxied instead of redirected."""
    site = (DEPLOY / "nginx-iotserver.conf").read_text()
    port_80 = site.split("listen 443", 1)[0]
    location = re.search(r"location ~ (\S+) \{", port_80)
    assert location, "no regex location on port 80"
    return re.compile(location.group(1))


BOARD_PATHS = [
    "/update/API_key=ABC/mac=6c:ef:7a:3b:9d:e8/field=1/data=21.5",
    "/API_key=ABC/mac=6c:ef:7a:3b:9d:e8/field=2/data=21.5",
    "/update",
    "/update/",
    "/update.json",
    "/api/readings/",
    "/channels/12/bulk_update.json",
    "/channels/12/bulk_update.csv",
]
BROWSER_PATHS = [
    "/",
    "/accounts/login/",
    "/admin/",
    "/api/history/",
    "/channels/12/feeds.json",
    "/updates-page",
]


@pytest.mark.parametrize("path", BOARD_PATHS + BROWSER_PATHS)
def test_nginx_and_django_agree_on_which_paths_stay_on_plain_http(path):
    by_django = any(re.search(pattern, path.lstrip("/")) for pattern in settings.SECURE_REDIRECT_EXEMPT)
    by_nginx = bool(nginx_plain_http_paths().search(path))

    assert by_django == by_nginx == (path in BOARD_PATHS)


@pytest.fixture(scope="module")
def behind_tls(tmp_path_factory):
    """A gunicorn configured as docs/deploy.md says, reached as nginx would reach it."""
    environment = documented_environment()
    for local in ("DATABASE_URL", "GUNICORN_BIND", "WEB_CONCURRENCY", "EMAIL_URL"):
        environment.pop(local)
    environment["ALLOWED_HOSTS"] = "weather.example.org"
    with gunicorn_server(tmp_path_factory.mktemp("tls"), workers=1, extra_env=environment) as live:
        key = live.manage(
            "register_device", "--name", "Porch", "--mac", "6C:EF:7A:3B:9D:E8", "--placement", "outside"
        ).split()[-1]
        yield live, key


def over(live, method: str, path: str, scheme: str, body: bytes | None = None, headers: dict | None = None):
    """One request as nginx forwards it: its scheme in X-Forwarded-Proto. Redirects are not followed."""
    connection = http.client.HTTPConnection(urlsplit(live.url).netloc, timeout=30)
    connection.request(
        method,
        path,
        body=body,
        headers={"Host": "weather.example.org", "X-Forwarded-Proto": scheme, **(headers or {})},
    )
    response = connection.getresponse()
    answer = (response.status, response.read().decode(), dict(response.getheaders()))
    connection.close()
    return answer


@pytest.mark.live
def test_behind_tls_browsers_are_sent_to_https_with_hsts(behind_tls):
    live, _ = behind_tls

    status, _, headers = over(live, "GET", "/accounts/login/", "http")
    api_status, _, api_headers = over(live, "GET", "/api/latest/", "http")
    secure_status, _, secure_headers = over(live, "GET", "/api/latest/", "https")

    assert (status, headers["Location"]) == (301, "https://weather.example.org/accounts/login/")
    assert (api_status, api_headers["Location"]) == (301, "https://weather.example.org/api/latest/")
    assert secure_status == 403  # not logged in: the answer of the API itself, over HTTPS
    assert secure_headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in headers  # never sent over plain HTTP


@pytest.mark.live
def test_behind_tls_every_board_write_over_plain_http_is_stored_not_redirected(behind_tls):
    live, key = behind_tls
    mac = "6c:ef:7a:3b:9d:e8"
    channel = live.query("SELECT id FROM devices_device WHERE name = 'Porch'")[0][0]
    before = live.query("SELECT COUNT(*) FROM readings_reading")[0][0]
    batch = json.dumps({"mac": mac, "readings": [{"field": 1, "data": 20.5}]}).encode()
    bulk = json.dumps({"write_api_key": key, "updates": [{"delta_t": 0, "field1": 19.5}]}).encode()
    json_type = {"Content-Type": "application/json"}

    answers = [
        over(live, "GET", f"/update/API_key={key}/mac={mac}/field=1/data=21.5625", "http"),
        over(live, "GET", f"/API_key={key}/mac={mac}/field=1/data=21.25", "http"),
        over(live, "GET", f"/update?api_key={key}&field1=22.5", "http"),
        over(
            live,
            "POST",
            "/update.json",
            "http",
            f"api_key={key}&field1=23.5".encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        over(live, "POST", "/api/readings/", "http", batch, {**json_type, "Authorization": f"Api-Key {key}"}),
        over(live, "POST", f"/channels/{channel}/bulk_update.json", "http", bulk, json_type),
        over(
            live,
            "POST",
            f"/channels/{channel}/bulk_update.csv",
            "http",
            f"write_api_key={key}&time_format=relative&updates=0,18.5".encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]

    assert [status for status, _, _ in answers] == [200, 200, 200, 200, 201, 202, 202], answers
    assert live.query("SELECT COUNT(*) FROM readings_reading")[0][0] == before + 7
