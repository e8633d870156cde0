"""What the server keeps about MQTT: devices' broker logins, messages already dealt with, refusals."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now

from devices.models import ApiKey, Device


class Account(models.Model):
    """A device's login on the broker. Its password is one of the device's write keys, made from
    SECRET_KEY and `salt` so that the subscriber can present it to ingest() without anyone keeping it."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="mqtt_account")
    username = models.CharField(max_length=64, unique=True)
    salt = models.CharField(max_length=32, editable=False)
    # Revoking this key in the admin refuses the device's MQTT readings, as it does over HTTP.
    api_key = models.OneToOneField(ApiKey, on_delete=models.CASCADE, related_name="+", editable=False)
    issued_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name = "MQTT login"

    def __str__(self) -> str:
        return self.username


class Delivery(models.Model):
    """A QoS 1 message the subscriber has stored or refused, by its packet id in the subscriber's
    session: a redelivery of it (the subscriber died before its acknowledgement) is recognised."""

    id = models.BigAutoField(primary_key=True)
    session = models.CharField(max_length=64)
    packet_id = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # SHA-256 of topic and payload

    class Meta:
        constraints = [
            # The lookup of a redelivered message; a packet id is reused only after its ack.
            models.UniqueConstraint(fields=["session", "packet_id"], name="delivery_packet_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session} packet {self.packet_id}"


class Refusal(models.Model):
    """Messages refused on one topic for one reason: how many, and when first and last."""

    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=200)
    reason = models.CharField(max_length=200)
    count = models.PositiveIntegerField(default=1)
    first_at = models.DateTimeField(default=now)
    last_at = models.DateTimeField(default=now)
    last_payload = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "refused MQTT message"
        ordering = ["-last_at"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "reason"], name="refusal_one_row_per_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.topic}: {self.reason} ({self.count}×)"
