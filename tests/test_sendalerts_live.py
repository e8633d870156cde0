"""The sender as it runs in production: a loop beside a real gunicorn, stopped, restarted, pushing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from email.header import decode_header, make_header

import pytest

from tests.live import PROJECT, gunicorn_server
from tests.webhook_recorder import webhook_recorder

pytestmark = pytest.mark.live

SETUP = """
from django.contrib.auth import get_user_model
from alerts.models import Channel, Rule, Subscription
anna = get_user_model().objects.create_user("anna", "anna@example.org", "pw")
Channel.objects.create(user=anna, name="phone", kind="webhook", url="{url}")
Subscription.objects.create(user=anna, rule=Rule.objects.get(name="Inside above 28 °C"))
"""


@pytest.fixture
def server(tmp_path):
    with gunicorn_server(tmp_path, workers=1) as live:
        yield live


def start_sender(server) -> subprocess.Popen:
    """The loop, once it says it is checking (so a stop signal meets its handler, not Django's start-up)."""
    sender = subprocess.Popen(
        [sys.executable, "manage.py", "sendalerts", "--interval", "0.2"],
        cwd=PROJECT,
        env={**server.env, "LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert sender.stdout is not None  # stdout=PIPE
    for line in sender.stdout:
        if "sendalerts: checking every" in line:
            return sender
    raise AssertionError(f"sendalerts ended before its loop started (exit {sender.wait()})")


def stop(sender: subprocess.Popen) -> tuple[int, str, float]:
    started = time.monotonic()
    sender.send_signal(signal.SIGTERM)
    output, _ = sender.communicate(timeout=10)
    return sender.returncode, output, time.monotonic() - started


def wait_for(condition, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_hot_living_room_reaches_the_phone_once_across_restarts(server):
    key = (
        server.manage(
            "register_device", "--name", "Living room", "--mac", "6C:EF:7A:3B:9D:E9", "--placement", "inside"
        )
        .strip()
        .splitlines()[-1]
    )
    with webhook_recorder() as phone:
        server.manage("shell", "-c", SETUP.format(url=phone.url + "/weather-at-home"))
        sender = start_sender(server)
        try:
            status, _ = server.get(f"/update/API_key={key}/mac=6c:ef:7a:3b:9d:e9/field=1/data=29.5")
            assert status == 200
            assert wait_for(lambda: len(phone.received) == 1), "no push within 15 s"
        finally:
            code, output, took = stop(sender)
        assert code == 0, output
        assert took < 5
        assert "sendalerts stopped." in output

        # Started again, with the living room still hot: the phone hears nothing more.
        sender = start_sender(server)
        time.sleep(1.5)
        code, output, _ = stop(sender)
        assert code == 0, output

    [push] = phone.received
    assert str(make_header(decode_header(push.headers["Title"]))) == "Inside above 28 °C"
    assert push.body.decode().startswith("Living room: Temperature is 29.5 °C at ")
    assert server.query("SELECT status, attempts FROM alerts_notification") == [("sent", 1)]
