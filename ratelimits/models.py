"""One counter per rate-limited thing (a device, a client address): requests in its current window."""

from __future__ import annotations

from django.db import models


class RateWindow(models.Model):
    # "device:<id>", "unknown-key:<address>", "login:<address>", "login-user:<name>"
    bucket = models.CharField(max_length=200, primary_key=True)
    started = models.BigIntegerField()  # the window's start, in Unix seconds
    count = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count} since {self.started}"
