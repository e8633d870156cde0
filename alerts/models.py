"""Notification rules, where messages go (channels, subscriptions), each rule's state, and the outbox."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from devices.models import FIELD_NUMBERS, KINDS, PLACEMENTS, TEMPERATURE, Device


class RuleKind(models.TextChoices):
    WINDOW_OPEN = "window_open", "Outside became cooler than inside (open the windows)"
    WINDOW_SHUT = "window_shut", "Outside became warmer than inside (shut the windows)"
    STALE = "stale", "A station has not reported for N minutes"
    BACK = "back", "A station is back after N minutes of silence"
    ABOVE = "above", "A reading went above a threshold"
    BELOW = "below", "A reading went below a threshold"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class BodyFormat(models.TextChoices):
    JSON_BODY = "json", "JSON (title, message, rule, …)"
    TEXT_BODY = "text", "Plain text with a Title header (ntfy and similar push services)"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, given up"


# The names the rest of the code uses.
WINDOW_OPEN, WINDOW_SHUT = RuleKind.WINDOW_OPEN, RuleKind.WINDOW_SHUT
STALE, BACK, ABOVE, BELOW = RuleKind.STALE, RuleKind.BACK, RuleKind.ABOVE, RuleKind.BELOW
RULE_KINDS = RuleKind.choices
THRESHOLD_KINDS = (ABOVE, BELOW)
STATION_KINDS = (STALE, BACK)
EMAIL, WEBHOOK = ChannelKind.EMAIL, ChannelKind.WEBHOOK
CHANNEL_KINDS = ChannelKind.choices
JSON_BODY, TEXT_BODY = BodyFormat.JSON_BODY, BodyFormat.TEXT_BODY
BODY_FORMATS = BodyFormat.choices
PENDING, SENT, FAILED = NotificationStatus.PENDING, NotificationStatus.SENT, NotificationStatus.FAILED
NOTIFICATION_STATUSES = NotificationStatus.choices


class Rule(models.Model):
    """When to tell the household something. Each rule fires once per change, not on every check."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=RULE_KINDS)
    is_active = models.BooleanField("active", default=True)
    # Which readings a threshold rule (or which stations a station rule) watches: all that match.
    device = models.ForeignKey(
        Device,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        help_text="Only this station; empty: every station (that matches the placement).",
    )
    placement = models.CharField(
        max_length=10, choices=PLACEMENTS, blank=True, help_text="Only stations inside / outside; empty: any."
    )
    field_number = models.PositiveSmallIntegerField(
        "field",
        null=True,
        blank=True,
        choices=[(number, str(number)) for number in FIELD_NUMBERS],
        help_text="Threshold rules: only this field number; empty: every field of the measured kind.",
    )
    field_kind = models.CharField(
        "measures", max_length=12, choices=KINDS, default=TEMPERATURE, help_text="Threshold rules."
    )
    threshold = models.FloatField(null=True, blank=True, help_text="Threshold rules, in the field's unit.")
    hysteresis = models.FloatField(
        default=0.5,
        help_text="Threshold rules: the reading must come back this far past the threshold before the "
        "rule can fire again, so a value hovering at the threshold does not send a message a minute. "
        "Window rules use the dashboard's WINDOW_HYSTERESIS.",
    )
    minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Station rules: minutes of silence that count as gone quiet."
    )
    quiet_minutes = models.PositiveIntegerField(
        "minimum minutes between messages",
        default=60,
        help_text="A change within this time after the rule's last message waits until it is over "
        "(and is sent then only if it still holds).",
    )
    subscribers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Subscription", blank=True, related_name="alert_rules"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in THRESHOLD_KINDS and self.threshold is None:
            raise ValidationError({"threshold": "A threshold rule needs a threshold."})
        if self.kind in STATION_KINDS and not self.minutes:
            raise ValidationError({"minutes": "A station rule needs the minutes of silence."})
        if self.hysteresis < 0:
            raise ValidationError({"hysteresis": "The hysteresis cannot be negative."})


class Channel(models.Model):
    """Where one household member's messages go: an e-mail address or a webhook (ntfy, a chat, …)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_channels"
    )
    name = models.CharField(max_length=100, help_text="For example “Anna's phone”.")
    kind = models.CharField(max_length=8, choices=CHANNEL_KINDS, default=WEBHOOK)
    is_active = models.BooleanField("active", default=True)
    email = models.EmailField(blank=True, help_text="E-mail: the address; empty: the user's own address.")
    url = models.URLField(
        "URL", max_length=500, blank=True, help_text="Webhook: where to POST, e.g. https://ntfy.sh/<topic>."
    )
    body_format = models.CharField(max_length=4, choices=BODY_FORMATS, default=TEXT_BODY)
    authorization = models.CharField(
        max_length=300,
        blank=True,
        help_text="Webhook: an Authorization header, e.g. “Bearer tk_…” for a protected ntfy topic.",
    )

    class Meta:
        ordering = ["user", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        if self.kind == WEBHOOK and not self.url:
            raise ValidationError({"url": "A webhook needs a URL."})
        if self.url and not self.url.lower().startswith(("http://", "https://")):
            raise ValidationError({"url": "Only http:// and https:// URLs."})

    @property
    def address(self) -> str:
        if self.kind == EMAIL:
            return self.email or self.user.email
        return self.url


class Subscription(models.Model):
    """A household member wants this rule's messages, on all their active channels."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "rule"], name="subscription_once")]

    def __str__(self) -> str:
        return f"{self.user} ← {self.rule}"


class RuleState(models.Model):
    """What a rule last saw about one subject (a station, a field, the window advice): kept across restarts.

    `armed`: the condition has been false since the last message (or never fired), so the next
    time it holds is a change worth a message. Firing disarms; the condition clearly ending re-arms.
    """

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="states")
    subject = models.CharField(max_length=50)  # "window", "device:3", "field:3:1"
    armed = models.BooleanField(default=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "subject"], name="rule_state_once")]

    def __str__(self) -> str:
        return f"{self.rule} / {self.subject}: {'armed' if self.armed else 'fired'}"


class Alert(models.Model):
    """One firing of a rule: what happened, told once to each subscribed channel."""

    # Unique per event (rule, subject, moment): a sender that restarts halfway cannot make it twice.
    key = models.CharField(max_length=120, unique=True)
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, related_name="alerts")
    subject = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    message = models.TextField()
    fired_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-fired_at"]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """The outbox: one alert to one channel, with its delivery attempts. The admin's history of messages."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    status = models.CharField(max_length=8, choices=NOTIFICATION_STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "channel"], name="notification_once_per_channel"),
        ]
        indexes = [
            # "Pending notifications due now": the sender's every tick.
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
        ]

    def __str__(self) -> str:
        return f"{self.alert} → {self.channel} ({self.status})"
