"""Delivering one notification: e-mail through Django's mail settings, or a webhook POST (JSON or ntfy)."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from email.header import Header

from django.conf import settings
from django.core.mail import send_mail

from alerts.models import EMAIL, JSON_BODY, Notification

WEBHOOK_TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The channel did not take the message; the sender tries again later."""


class PrivateDestination(OSError):
    """A webhook's name resolves only to addresses on this machine or its networks."""


PRIVATE_REFUSAL = (
    "{host} is a loopback, link-local or private address; webhooks go to the internet "
    "unless WEBHOOK_ALLOW_PRIVATE_IPS is set"
)


def public_address(address: str) -> bool:
    """Whether an IP address is on the internet: not loopback, link-local, private, reserved or multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is link-local
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def private_destination_refusal(url: str) -> str | None:
    """Why a webhook URL may not be saved, or None. A name that does not resolve now is let through:
    the sender checks again, on the address it connects to, every time it sends."""
    if settings.WEBHOOK_ALLOW_PRIVATE_IPS:
        return None
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):
        return None
    if any(not public_address(address) for address in addresses):
        return PRIVATE_REFUSAL.format(host=host)
    return None


def _guarded_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """socket.create_connection, connecting only to public addresses unless the setting allows others.

    The check is on the addresses the name resolves to at this moment, and the socket connects
    to the address checked: a name that resolved to a public address when the channel was saved,
    and to 127.0.0.1 now (DNS rebinding), is refused.
    """
    host, port = address
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_IPS
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if not allow_private and not public_address(sockaddr[0]):
            error = PrivateDestination(PRIVATE_REFUSAL.format(host=host))
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as failed:
            sock.close()
            error = error if isinstance(error, PrivateDestination) else failed
    raise error or OSError(f"{host} does not resolve")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


# Every connection, redirects included, goes through the guard. No proxy from the environment:
# through one, the guard would see the proxy's address instead of the webhook's.
_opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), _GuardedHTTPHandler(), _GuardedHTTPSHandler()
)


def deliver(notification: Notification) -> None:
    """Send the notification's alert to its channel, or raise DeliveryFailed saying why."""
    channel = notification.channel
    if channel.kind == EMAIL:
        _email(notification)
    else:
        _webhook(notification)


def _email(notification: Notification) -> None:
    address = notification.channel.address
    if not address:
        raise DeliveryFailed("no e-mail address: set one on the channel or on the user")
    alert = notification.alert
    try:
        send_mail(alert.title, alert.message, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    except OSError as error:  # smtplib's errors are OSErrors, as are refused connections
        raise DeliveryFailed(f"e-mail not accepted: {error}") from error


def header_text(text: str) -> str:
    """A header value that survives HTTP: ASCII as it is, anything else as an RFC 2047 encoded word.

    HTTP headers are Latin-1 at best; ntfy (2.4 and later) decodes RFC 2047, so "°C" arrives intact.
    """
    if text.isascii():
        return text
    return Header(text, "utf-8").encode()


def webhook_request(notification: Notification) -> urllib.request.Request:
    alert, channel = notification.alert, notification.channel
    headers = {"User-Agent": "iotserver-alerts/1"}
    if channel.authorization:
        headers["Authorization"] = channel.authorization
    if channel.body_format == JSON_BODY:
        body = json.dumps(
            {
                "title": alert.title,
                "message": alert.message,
                "rule": alert.rule.name if alert.rule else None,
                "subject": alert.subject,
                "fired_at": alert.fired_at.isoformat(),
                "key": alert.key,
            }
        ).encode()
        headers["Content-Type"] = "application/json"
    else:
        # ntfy's form: the body is the message, the Title header its title.
        body = alert.message.encode()
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Title"] = header_text(alert.title)
    return urllib.request.Request(channel.url, data=body, headers=headers, method="POST")


def _webhook(notification: Notification) -> None:
    request = webhook_request(notification)
    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"webhook answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, PrivateDestination):
            raise DeliveryFailed(f"webhook refused: {reason}") from error
        raise DeliveryFailed(f"webhook not reached: {reason}") from error
