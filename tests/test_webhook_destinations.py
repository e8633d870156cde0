"""Webhooks post to the internet only: loopback, link-local and private destinations are refused,
when a member saves one and again, on the address actually connected to, whenever one is sent."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils.timezone import now

from alerts.channels import public_address
from alerts.models import ABOVE, PENDING, SENT, WEBHOOK, Channel, Notification, Rule, Subscription
from readings.rules import NewReading
from readings.services import record_readings
from tests.webhook_recorder import webhook_recorder

pytestmark = pytest.mark.fuzz

PRIVATE_URLS = [
    "http://127.0.0.1:8000/update", "http://127.1/", "http://localhost/x", "http://LOCALHOST./x",
    "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "http://2130706433/x",
    "http://0x7f000001/x", "http://10.0.0.1/x", "http://172.16.5.4/x", "http://192.168.1.1/admin",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "http://100.64.0.1/x",
    "http://[fc00::1]/x", "https://127.0.0.1:443/x", "http://224.0.0.1/x", "http://240.0.0.1/x",
]  # fmt: skip


@pytest.fixture
def member(client, db):
    user = get_user_model().objects.create_user("anna", "anna@example.org", "pw")
    client.force_login(user)
    return user


@pytest.fixture
def no_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_IPS = False  # as in production; the test settings allow them


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_member_cannot_save_a_webhook_to_a_private_address(client, member, no_private, url):
    response = client.post("/notifications/channels/", {"name": "phone", "kind": WEBHOOK, "url": url})

    assert response.status_code == 400
    # Django's URL validator already refuses the odd spellings of 127.0.0.1 (127.1, 0x7f000001).
    page = response.content.decode()
    assert "WEBHOOK_ALLOW_PRIVATE_IPS" in page or "Enter a valid URL" in page
    assert not Channel.objects.exists()


def test_the_setting_lets_a_household_use_its_own_ntfy_server(client, member, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_IPS = True
    response = client.post(
        "/notifications/channels/", {"name": "phone", "kind": WEBHOOK, "url": "http://192.168.1.20/weather"}
    )

    assert response.status_code == 302
    assert Channel.objects.get().url == "http://192.168.1.20/weather"


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::6810:85e5", "8.8.8.8"])
def test_internet_addresses_are_public(address):
    assert public_address(address)


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_every_private_form_resolves_to_a_refused_address(url):
    host = (
        url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        if "]" not in url
        else url.split("[")[1].split("]")[0]
    )
    addresses = {info[4][0] for info in socket.getaddrinfo(host.rstrip("."), None, type=socket.SOCK_STREAM)}
    assert addresses and not any(public_address(address) for address in addresses), addresses


@pytest.fixture
def heat(member, inside):
    """One rule that fires for the living room, Anna subscribed to it."""
    Rule.objects.update(is_active=False)
    rule = Rule.objects.create(name="Too warm inside", kind=ABOVE, placement="inside", threshold=28.0)
    Subscription.objects.create(user=member, rule=rule)
    return rule


def fire(inside) -> None:
    at = now() - timedelta(seconds=5)
    record_readings(device=inside.api_key.device, readings=[NewReading(field=2, value=29.0, recorded_at=at)])
    call_command("sendalerts", "--once")


def test_the_sender_refuses_a_saved_private_destination(heat, member, inside, no_private):
    with webhook_recorder() as phone:
        # Saved by someone who could (an admin, or before this check): the sender still refuses.
        Channel.objects.create(user=member, name="phone", kind=WEBHOOK, url=phone.url + "/topic")
        fire(inside)

    assert phone.received == []
    notification = Notification.objects.get()
    assert notification.status == PENDING
    assert "webhook refused" in notification.last_error
    assert "WEBHOOK_ALLOW_PRIVATE_IPS" in notification.last_error


def test_a_name_that_resolves_to_loopback_only_when_sending_is_refused(
    heat, member, inside, no_private, monkeypatch
):
    """DNS rebinding: public when saved, 127.0.0.1 when the sender connects."""
    real = socket.getaddrinfo
    answers = {"value": "93.184.216.34"}

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            return real(answers["value"], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with webhook_recorder() as phone:
        port = phone.url.rsplit(":", 1)[1]
        saved = f"http://rebind.example:{port}/topic"
        client_answer = _save(member, saved)
        assert client_answer == 302
        answers["value"] = "127.0.0.1"
        fire(inside)

    assert phone.received == []
    assert "webhook refused" in Notification.objects.get().last_error


def _save(user, url: str) -> int:
    client = Client()
    client.force_login(user)
    return client.post("/notifications/channels/", {"name": "phone", "kind": WEBHOOK, "url": url}).status_code


def test_with_the_setting_the_sender_posts_to_the_home_network(heat, member, inside, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_IPS = True
    with webhook_recorder() as phone:
        Channel.objects.create(user=member, name="phone", kind=WEBHOOK, url=phone.url + "/topic")
        fire(inside)

    assert len(phone.received) == 1
    assert Notification.objects.get().status == SENT


def test_a_redirect_to_a_private_address_is_refused_too(heat, member, inside, no_private, monkeypatch):
    """The guard is on every connection the sender makes, redirects included."""
    inside_listener = socket.create_server(("127.0.0.1", 0))  # stands for the router's admin page
    inside_listener.settimeout(0.2)
    target = f"http://127.0.0.1:{inside_listener.getsockname()[1]}/admin"
    posted = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            posted.append(self.path)
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    outside_server = ThreadingHTTPServer(("127.0.0.2", 0), Redirect)  # stands for a public host
    threading.Thread(target=outside_server.serve_forever, daemon=True).start()
    monkeypatch.setattr("alerts.channels.public_address", lambda address: address == "127.0.0.2")
    try:
        url = f"http://127.0.0.2:{outside_server.server_address[1]}/topic"
        Channel.objects.create(user=member, name="phone", kind=WEBHOOK, url=url)
        fire(inside)
        with pytest.raises(TimeoutError):
            inside_listener.accept()  # nothing ever connected to the private address
    finally:
        outside_server.shutdown()
        outside_server.server_close()
        inside_listener.close()

    assert "webhook refused" in Notification.objects.get().last_error
    assert posted == ["/topic"]  # the public hop was made; the private one was not
