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


class Rollup(models.Model):
    """Min, max, sum and count of one device's field over one aligned bucket of 5 minutes, an hour or a day.

    Kept by record_readings as readings arrive (late and backfilled ones too) and by a signal on
    deletion; `manage.py rebuild_rollups` recomputes them from the readings. Long history ranges
    read these instead of millions of raw rows.
    """

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    field = models.PositiveSmallIntegerField()
    width = models.PositiveIntegerField()  # seconds: 300, 3600 or 86400
    bucket = models.BigIntegerField()  # floor(Unix seconds / width): the bucket starts at bucket * width
    low = models.FloatField()
    high = models.FloatField()
    total = models.FloatField()  # sum of the values, so means combine across buckets exactly
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # The upsert's conflict target, and the index every history range query walks.
            models.UniqueConstraint(
                fields=["device", "field", "width", "bucket"], name="rollup_one_per_bucket"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} field {self.field} {self.width}s bucket {self.bucket}: {self.count}"


class EntryNote(models.Model):
    """What a ThingSpeak update carries beside its fields: a status text and where it was measured.

    One update is one entry: its readings share the device and recorded_at, and so does its note.
    Written only when an update carries any of these, so the station URL's writes cost nothing more.
    """

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    recorded_at = models.DateTimeField()
    # The entry's id as /update answered it: the smallest id of its readings.
    first_reading_id = models.BigIntegerField()
    status = models.CharField(max_length=255, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    elevation = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            # "The notes of a device's entries in a time range": a feed's page, a last entry.
            models.Index(fields=["device", "recorded_at"], name="entrynote_device_time"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} entry {self.first_reading_id}: {self.status[:40]}"
