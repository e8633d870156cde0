"""Broker logins: issued by the server, enforced by Mosquitto's dynamic-security plugin.

A device's password is one of its write keys (kept, as every key, only as a hash). The broker
checks it at connect; the subscriber, which cannot ask the broker who published, re-makes it from
SECRET_KEY and the login's salt and hands it to ingest(), so an MQTT reading passes the same key
check as an HTTP one: revoking the key or deactivating the device refuses its readings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from devices.models import Device
from devices.services import key_issue, key_revoke
from mqtt.broker import DynamicSecurity
from mqtt.models import Account
from mqtt.topics import channel_reader_acls, device_acls, home_assistant_acls

HOME_ASSISTANT = "homeassistant"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def device_username(device: Device) -> str:
    return f"station-{device.pk}"


def account_key(account: Account) -> str:
    """The account's password and write key: 32 characters, the same for the same SECRET_KEY and salt."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"mqtt:{account.username}:{account.salt}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def account_replace(*, device: Device) -> Credentials:
    """A new login for the device in the database, replacing any earlier one (whose key is revoked)."""
    with transaction.atomic():
        old = Account.objects.filter(device=device).select_related("api_key").first()
        if old is not None:
            key_revoke(api_key=old.api_key)
            old.delete()
        account = Account(device=device, username=device_username(device), salt=secrets.token_hex(16))
        password = account_key(account)
        account.api_key = key_issue(device=device, key=password).api_key
        account.save()
    return Credentials(account.username, password)


def credentials_issue(*, device: Device, broker: DynamicSecurity) -> Credentials:
    """A new login for the device, on the broker too: it may publish on its own topics only."""
    with transaction.atomic():
        issued = account_replace(device=device)
        # Inside the transaction: if the broker refuses, nothing changes here either.
        broker.replace_client(
            username=issued.username,
            password=issued.password,
            rolename=issued.username,
            acls=device_acls(device),
        )
    return issued


def reader_credentials_issue(*, device: Device, broker: DynamicSecurity) -> Credentials:
    """A login that only reads the device's channel (ThingSpeak's subscribe topics), for apps and
    dashboards that should not be able to publish. Only the broker keeps it; issuing again replaces it."""
    username = f"{device_username(device)}-read"
    password = secrets.token_urlsafe(24)
    broker.replace_client(
        username=username, password=password, rolename=username, acls=channel_reader_acls(device)
    )
    return Credentials(username, password)


def home_assistant_credentials_issue(*, broker: DynamicSecurity) -> Credentials:
    """A login for Home Assistant: it reads discovery and every station's state, publishes nothing else."""
    password = secrets.token_urlsafe(24)
    broker.replace_client(
        username=HOME_ASSISTANT, password=password, rolename=HOME_ASSISTANT, acls=home_assistant_acls()
    )
    return Credentials(HOME_ASSISTANT, password)
