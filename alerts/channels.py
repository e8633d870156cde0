"""Delivering one notification: e-mail through Django's mail settings, or a webhook POST (JSON or ntfy)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.header import Header

from django.conf import settings
from django.core.mail import send_mail

from alerts.models import EMAIL, JSON_BODY, Notification

WEBHOOK_TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The channel did not take the message; the sender tries again later."""


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
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"webhook answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"webhook not reached: {reason}") from error
