"""The sender: e-mail through Django's outbox, webhooks (JSON and ntfy-style) to a local server,
retries with backoff, and no duplicates when it restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from email.header import decode_header, make_header

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils.timezone import now

from alerts import services
from alerts.models import (
    ABOVE,
    EMAIL,
    FAILED,
    JSON_BODY,
    PENDING,
    SENT,
    WEBHOOK,
    Alert,
    Channel,
    Notification,
    Rule,
    RuleState,
    Subscription,
)
from alerts.services import MAX_ATTEMPTS, notifications_send, retry_delay, rules_evaluate
from devices.services import IssuedKey
from tests.factories import MemberFactory, ReadingFactory
from tests.live import PROJECT, THROWAWAY_SECRET_KEY, free_port
from tests.webhook_recorder import webhook_recorder


@pytest.fixture
def anna(db):
    return MemberFactory.create(username="anna")


@pytest.fixture
def heat(db, anna) -> Rule:
    """The first-run rules off, one heat rule on, Anna subscribed."""
    Rule.objects.update(is_active=False)
    rule = Rule.objects.create(name="Too warm inside", kind=ABOVE, placement="inside", threshold=28.0)
    Subscription.objects.create(user=anna, rule=rule)
    return rule


def hot(inside: IssuedKey, value: float = 28.75) -> datetime:
    """The living room reports a hot reading, stamped a few seconds ago; answers its time."""
    at = now() - timedelta(seconds=5)
    ReadingFactory.create(station=inside, value=value, recorded_at=at)
    return at


def webhook(user, url: str, **fields) -> Channel:
    return Channel.objects.create(user=user, name="phone", kind=WEBHOOK, url=url, **fields)


# E-mail


def test_an_alert_reaches_the_subscribers_mailbox(heat, anna, inside):
    Channel.objects.create(user=anna, name="mail", kind=EMAIL)
    hot(inside)

    result = call_command("sendalerts", "--once")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.org"]
    assert message.subject == "Too warm inside"
    assert message.body.startswith("Living room: Temperature is 28.8 °C at ")
    assert message.from_email == "weather-station@localhost"
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts, notification.last_error) == (SENT, 1, "")
    assert notification.sent_at is not None
    assert "1 alert(s) fired, 1 notification(s) sent" in result


def test_a_channel_address_overrides_the_users(heat, anna, inside):
    Channel.objects.create(user=anna, name="work", kind=EMAIL, email="anna@work.example")
    hot(inside)

    call_command("sendalerts", "--once")

    assert mail.outbox[0].to == ["anna@work.example"]


def test_a_mail_server_that_fails_and_recovers(heat, anna, inside, settings):
    Channel.objects.create(user=anna, name="mail", kind=EMAIL)
    at = hot(inside)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    rules_evaluate(at=at)

    notifications_send(at=at)
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (PENDING, 1)
    assert notification.last_error.startswith("e-mail not accepted:")

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_send(at=at + retry_delay(1))
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (SENT, 2, "")
    assert len(mail.outbox) == 1


# Webhooks


def test_the_ntfy_form_is_plain_text_with_a_title_header(heat, anna, inside):
    with webhook_recorder() as server:
        webhook(anna, server.url + "/weather-at-home-7f3a", authorization="Bearer tk_secret")
        hot(inside)
        call_command("sendalerts", "--once")

    [received] = server.received
    assert received.path == "/weather-at-home-7f3a"
    assert received.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert received.headers["Authorization"] == "Bearer tk_secret"
    assert received.headers["Title"] == "Too warm inside"
    assert received.body.decode().startswith("Living room: Temperature is 28.8 °C at ")
    assert Notification.objects.get().status == SENT


def test_a_title_beyond_ascii_travels_as_an_encoded_word(heat, anna, inside):
    Rule.objects.filter(pk=heat.pk).update(name="Living room above 28 °C")
    with webhook_recorder() as server:
        webhook(anna, server.url + "/topic")
        hot(inside)
        call_command("sendalerts", "--once")

    title = server.received[0].headers["Title"]
    assert title.isascii()
    assert str(make_header(decode_header(title))) == "Living room above 28 °C"


def test_the_json_form_carries_the_whole_alert(heat, anna, inside):
    with webhook_recorder() as server:
        webhook(anna, server.url + "/hook", body_format=JSON_BODY)
        hot(inside)
        call_command("sendalerts", "--once")

    received = server.received[0]
    assert received.headers["Content-Type"] == "application/json"
    body = json.loads(received.body)
    alert = Alert.objects.get()
    assert body == {
        "title": "Too warm inside",
        "message": alert.message,
        "rule": "Too warm inside",
        "subject": f"field:{inside.api_key.device.pk}:2",
        "fired_at": alert.fired_at.isoformat(),
        "key": alert.key,
    }


def test_a_webhook_that_fails_and_recovers_is_retried_with_growing_waits(heat, anna, inside):
    with webhook_recorder() as server:
        server.answers = [500, 503]
        webhook(anna, server.url + "/topic")
        at = hot(inside)
        rules_evaluate(at=at)

        notifications_send(at=at)
        notification = Notification.objects.get()
        assert (notification.status, notification.attempts) == (PENDING, 1)
        assert notification.last_error == "webhook answered 500 Internal Server Error"
        assert notification.next_attempt_at == at + timedelta(seconds=30)

        notifications_send(at=at + timedelta(seconds=29))  # not yet due: nothing is sent
        assert len(server.received) == 1

        notifications_send(at=at + timedelta(seconds=30))
        notification.refresh_from_db()
        assert (notification.attempts, notification.next_attempt_at) == (2, at + timedelta(seconds=90))

        notifications_send(at=at + timedelta(seconds=90))

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (SENT, 3, "")
    assert len(server.received) == 3
    assert {r.body for r in server.received} == {server.received[0].body}  # the same message each time


def test_an_unreachable_webhook_is_retried(heat, anna, inside):
    webhook(anna, f"http://127.0.0.1:{free_port()}/topic")
    hot(inside)

    call_command("sendalerts", "--once")

    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (PENDING, 1)
    assert notification.last_error.startswith("webhook not reached:")


def test_a_channel_that_never_recovers_is_given_up(heat, anna, inside):
    webhook(anna, f"http://127.0.0.1:{free_port()}/topic")
    at = hot(inside)
    rules_evaluate(at=at)

    for attempt in range(MAX_ATTEMPTS + 2):
        notifications_send(at=at + timedelta(days=attempt))

    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (FAILED, MAX_ATTEMPTS)


def test_the_waits_grow_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 9, 20)] == [30, 60, 120, 3600, 3600, 3600]


# Restarts


def test_a_restarted_sender_sends_nothing_twice(heat, anna, inside):
    Channel.objects.create(user=anna, name="mail", kind=EMAIL)
    hot(inside)

    call_command("sendalerts", "--once")
    call_command("sendalerts", "--once")  # a new process: state and outbox come from the database

    assert len(mail.outbox) == 1
    assert Alert.objects.count() == 1


def test_a_sender_stopped_after_firing_sends_on_restart_exactly_once(heat, anna, inside):
    Channel.objects.create(user=anna, name="mail", kind=EMAIL)
    at = hot(inside)
    rules_evaluate(at=at)  # ... and the process dies before sending

    call_command("sendalerts", "--once")
    call_command("sendalerts", "--once")

    assert len(mail.outbox) == 1


def test_a_sender_killed_halfway_through_firing_leaves_nothing_half_done(heat, anna, inside, monkeypatch):
    Channel.objects.create(user=anna, name="mail", kind=EMAIL)
    at = hot(inside)

    def dies(**kwargs):
        raise KeyboardInterrupt  # the process is stopped after the alert row, before its outbox rows

    monkeypatch.setattr(services, "channels_for", dies)
    with pytest.raises(KeyboardInterrupt):
        rules_evaluate(at=at)
    assert not Alert.objects.exists()
    assert RuleState.objects.filter(armed=False).count() == 0

    monkeypatch.undo()
    call_command("sendalerts", "--once")
    assert len(mail.outbox) == 1
    assert Alert.objects.get().key.endswith(":1")


# Mail settings from the environment


@pytest.mark.live  # manage.py in a subprocess, under the production settings
@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {"EMAIL_URL": "smtp+tls://weather%40example.org:secret@smtp.example.org:587"},
            "smtp.example.org 587 weather@example.org secret True",
        ),
        ({"EMAIL_HOST": "mail.lan", "EMAIL_PORT": "2525"}, "mail.lan 2525   False"),
        ({}, "localhost 25   False"),
    ],
)
def test_the_mail_server_comes_from_the_environment(environment, expected):
    show = (
        "from django.conf import settings as s;"
        "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS)"
    )
    names = (
        "EMAIL_URL",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
    )
    env = {key: value for key, value in os.environ.items() if key not in names}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=PROJECT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "iotserver.settings",
            "SECRET_KEY": THROWAWAY_SECRET_KEY,
            **environment,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == expected
