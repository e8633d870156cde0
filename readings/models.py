"""A reading: one value of one field of one device, at one moment (UTC)."""

from __future__ import annotations

from django.db import models

from devices.models import Device


class Reading(models.Model):
    # Two stations posting every minute make ten million rows in ten years.
    id = models.BigAutoField(primary_key=True)
    # PROTECT: deleting a station must not silently take years of history with it; deactivate it.
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="readings")
    field = models.PositiveSmallIntegerField()
    value = models.FloatField()
    # The board's own time when it sent one, else the moment the server received the reading.
    recorded_at = models.DateTimeField()
    # True when recorded_at came from the board: such a reading sent twice is the same reading.
    stamped_by_device = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # "Readings of one device and field in a time range": charts, exports, feeds.
            models.Index(fields=["device", "field", "recorded_at"], name="reading_device_field_time"),
            # "Latest reading of each device": the dashboard, last_seen checks, the admin list.
            models.Index(fields=["device", "-recorded_at"], name="reading_device_latest"),
        ]
        constraints = [
            # A board retrying a batch after a lost answer must not store its readings twice.
            # Partial, so server-stamped readings (which may share a microsecond) never clash,
            # and the index stays as small as the backlog traffic.
            models.UniqueConstraint(
                fields=["device", "field", "recorded_at"],
                condition=models.Q(stamped_by_device=True),
                name="reading_stamped_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} field {self.field} = {self.value} at {self.recorded_at:%Y-%m-%d %H:%M:%S}"
