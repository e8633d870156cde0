"""generate_readings: synthetic history for benchmarks, bulk-inserted, with its rollups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils.timezone import now

from devices.models import INSIDE, OUTSIDE, Device
from readings.models import Reading
from readings.selectors import history_series
from tests.test_rollups import rollups_from_readings, stored_rollups

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_makes_demo_stations_and_minutely_history_with_rollups():
    call_command("generate_readings", "--devices", "2", "--years", "0.02", "--interval", "60", stdout=None)

    outside, inside = Device.objects.order_by("name")
    assert (outside.name, outside.placement, inside.placement) == ("Demo station 1", OUTSIDE, INSIDE)
    per_device = int(0.02 * 365.2425 * 86400 // 60)
    for device in (outside, inside):
        times = list(
            Reading.objects.filter(device=device)
            .order_by("recorded_at")
            .values_list("recorded_at", flat=True)
        )
        assert len(times) == per_device
        assert {later - earlier for earlier, later in zip(times, times[1:], strict=False)} == {
            timedelta(minutes=1)
        }
        assert now() - timedelta(minutes=2) < times[-1] <= now()
    assert all(-60 < value < 60 for value in Reading.objects.values_list("value", flat=True))
    assert stored_rollups() == rollups_from_readings()
    _, found = history_series(series=[(outside.pk, 1)], start=now() - timedelta(days=30), end=now())
    assert sum(bucket.count for bucket in found[(outside.pk, 1)]) == per_device


def test_running_it_again_leaves_existing_history_alone():
    call_command("generate_readings", "--devices", "1", "--rows", "500", stdout=None)
    call_command("generate_readings", "--devices", "2", "--rows", "1000", stdout=None)

    assert Reading.objects.filter(device__name="Demo station 1").count() == 500
    assert Reading.objects.filter(device__name="Demo station 2").count() == 500
