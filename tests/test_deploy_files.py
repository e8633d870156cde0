"""The example unit files, nginx site and environment file in deploy/ carry what a production server needs."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys

import pytest

from readings.rules import MAX_BATCH
from tests.live import PROJECT, THROWAWAY_SECRET_KEY

DEPLOY = PROJECT / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    # systemd keys are case-sensitive; configparser's documented way, which its stubs refuse.
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def nginx() -> str:
    return (DEPLOY / "nginx-iotserver.conf").read_text()


def environment_file() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_web_unit_runs_gunicorn_with_the_repositorys_config_and_restarts_it():
    service = unit("iotserver.service")["Service"]
    assert service["ExecStart"].endswith("/.venv/bin/gunicorn -c gunicorn.conf.py iotserver.wsgi")
    assert (PROJECT / "gunicorn.conf.py").exists()
    assert service["Restart"] in {"on-failure", "always"}
    assert service["EnvironmentFile"] == "/etc/iotserver/env"
    assert service["WorkingDirectory"]
    assert service["User"] != "root"
    assert unit("iotserver.service")["Install"]["WantedBy"] == "multi-user.target"


def test_the_alert_sender_runs_beside_it_with_the_same_environment():
    service = unit("iotserver-alerts.service")["Service"]
    assert service["ExecStart"].endswith("/.venv/bin/python manage.py sendalerts")
    assert service["Restart"] == "always"
    assert service["EnvironmentFile"] == unit("iotserver.service")["Service"]["EnvironmentFile"]
    assert service["WorkingDirectory"] == unit("iotserver.service")["Service"]["WorkingDirectory"]


def test_nginx_terminates_tls_and_proxies_to_gunicorn_where_the_environment_file_binds_it():
    site = nginx()
    upstream = re.search(r"upstream iotserver \{(.*?)\}", site, re.S).group(1)
    assert f"server {environment_file()['GUNICORN_BIND']};" in upstream
    assert site.count("proxy_pass http://iotserver;") == 2
    assert site.count("proxy_set_header X-Forwarded-Proto $scheme;") == 2
    assert site.count("proxy_set_header Host $host;") == 2
    assert re.search(r"listen 443 ssl;", site)
    assert re.search(r"ssl_certificate \S+;", site) and re.search(r"ssl_certificate_key \S+;", site)
    assert "return 301 https://$host$request_uri;" in site


def test_nginx_lets_a_full_batch_through():
    limit = re.search(r"client_max_body_size (\d+)([km]);", nginx())
    limit_bytes = int(limit.group(1)) * {"k": 1024, "m": 1024 * 1024}[limit.group(2)]
    batch = {
        "mac": "6c:ef:7a:3b:9d:e8",
        "api_key": "x" * 32,
        "readings": [{"field": 8, "data": -12.3456789, "recorded_at": "2026-11-21T05:00:00.123456+00:00"}]
        * MAX_BATCH,
    }
    assert len(json.dumps(batch, indent=2)) < limit_bytes


def test_the_environment_file_names_only_settings_the_server_reads():
    read_somewhere = (PROJECT / "iotserver" / "settings.py").read_text() + (
        PROJECT / "gunicorn.conf.py"
    ).read_text()
    names = set(environment_file())
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "BEHIND_TLS_PROXY", "GUNICORN_BIND"} <= names
    assert [name for name in names if f'"{name}"' not in read_somewhere] == []
    assert environment_file()["DATABASE_URL"].startswith("postgres://")


@pytest.mark.live  # manage.py in a subprocess, under the production settings
@pytest.mark.parametrize(
    "flag, expected", [("true", "('HTTP_X_FORWARDED_PROTO', 'https') True"), ("", "None False")]
)
def test_the_forwarded_proto_header_is_trusted_only_behind_the_tls_proxy(flag, expected):
    shown = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "from django.conf import settings; "
            "print(settings.SECURE_PROXY_SSL_HEADER, settings.SESSION_COOKIE_SECURE)",
        ],
        cwd=PROJECT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "iotserver.settings",
            "SECRET_KEY": THROWAWAY_SECRET_KEY,
            "BEHIND_TLS_PROXY": flag,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == expected


def test_the_mqtt_subscriber_runs_beside_it_with_the_same_environment():
    unit = (PROJECT / "deploy" / "iotserver-mqtt.service").read_text()
    web = (PROJECT / "deploy" / "iotserver.service").read_text()

    assert "ExecStart=/srv/iotserver/.venv/bin/python manage.py mqtt_ingest" in unit
    for line in ("EnvironmentFile=", "WorkingDirectory=", "User="):
        assert [x for x in unit.splitlines() if x.startswith(line)] == [
            x for x in web.splitlines() if x.startswith(line)
        ]
    assert "Restart=always" in unit


def test_the_mosquitto_config_enforces_logins_and_keeps_the_subscribers_queue():
    config = (PROJECT / "deploy" / "mosquitto-iotserver.conf").read_text().splitlines()
    settings = dict(line.split(" ", 1) for line in config if line and not line.startswith("#"))

    assert settings["allow_anonymous"] == "false"
    assert settings["plugin"].endswith("/mosquitto_dynamic_security.so")
    assert settings["persistence"] == "true"
    assert int(settings["max_queued_messages"]) >= 100_000
    # Debian's mosquitto.conf names it; a second one stops Mosquitto from starting.
    assert "persistence_location" not in settings
