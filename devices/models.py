"""Devices (weather stations), the fields they send, and their API keys."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now

from devices.mac import normalise_mac, validate_mac


class Placement(models.TextChoices):
    """Where a station stands: the advice compares inside with outside."""

    INSIDE = "inside", "Inside"
    OUTSIDE = "outside", "Outside"
    OTHER = "other", "Other"


class Kind(models.TextChoices):
    """What a field measures: it decides the plausible range and the default unit."""

    TEMPERATURE = "temperature", "Temperature"
    PRESSURE = "pressure", "Pressure"
    HUMIDITY = "humidity", "Humidity"
    OTHER = "other", "Other"


class Scope(models.TextChoices):
    """A write key stores readings; a read key (ThingSpeak's "Read API Key") only reads them."""

    WRITE = "write", "Write"
    READ = "read", "Read"


# The names the rest of the code uses.
INSIDE, OUTSIDE, OTHER = Placement.INSIDE, Placement.OUTSIDE, Placement.OTHER
PLACEMENTS = Placement.choices
TEMPERATURE, PRESSURE, HUMIDITY = Kind.TEMPERATURE, Kind.PRESSURE, Kind.HUMIDITY
KINDS = Kind.choices
DEFAULT_UNITS = {TEMPERATURE: "°C", PRESSURE: "hPa", HUMIDITY: "%", Kind.OTHER: ""}
WRITE, READ = Scope.WRITE, Scope.READ
KEY_SCOPES = Scope.choices

FIELD_NUMBERS = range(1, 9)  # the original station URL and ThingSpeak both number fields 1..8


class Device(models.Model):
    name = models.CharField(max_length=100, unique=True)
    mac = models.CharField(
        "MAC address",
        max_length=17,
        unique=True,
        validators=[validate_mac],
        help_text="Any case, with ':' or '-'; stored as aa:bb:cc:dd:ee:ff.",
    )
    location = models.CharField(max_length=100, blank=True, help_text="For example “Back porch”.")
    placement = models.CharField(max_length=10, choices=PLACEMENTS, default=OUTSIDE)
    is_active = models.BooleanField("active", default=True)
    is_public = models.BooleanField(
        "public",
        default=False,
        help_text="Anyone may read its ThingSpeak feeds without a key, as a public ThingSpeak channel; "
        "writing still needs its write key.",
    )
    created_at = models.DateTimeField(default=now, editable=False)
    last_seen = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.mac = normalise_mac(self.mac)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.mac:
            try:
                self.mac = normalise_mac(self.mac)
            except ValueError:
                pass  # the field validator reports it


class Field(models.Model):
    """What one of a device's numbered fields measures, so a reading on it can be checked and shown."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="fields")
    number = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(FIELD_NUMBERS.start), MaxValueValidator(FIELD_NUMBERS.stop - 1)]
    )
    label = models.CharField(max_length=60, default="Temperature")
    unit = models.CharField(max_length=20, blank=True, default="°C")
    kind = models.CharField(max_length=12, choices=KINDS, default=TEMPERATURE)

    class Meta:
        ordering = ["device", "number"]
        constraints = [
            models.UniqueConstraint(fields=["device", "number"], name="field_number_once_per_device"),
        ]

    def __str__(self) -> str:
        return f"{self.device} field {self.number}: {self.label}"


class ApiKey(models.Model):
    """One of a device's keys. Only its hash is kept; a device may hold several while rotating."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters.")
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    # Separate so that a key printed into a dashboard or app that only reads cannot post readings.
    scope = models.CharField(max_length=5, choices=KEY_SCOPES, default=WRITE, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # To the hour (devices.services.KEY_USE_RESOLUTION): which key a board really uses.
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)
    # "Replace the board's key": this key is revoked by the first use of the one that replaces it.
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="replaces"
    )

    class Meta:
        verbose_name = "API key"
        ordering = ["device", "-created_at"]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… ({self.scope}, {state})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
