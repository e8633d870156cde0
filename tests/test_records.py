"""The records page: each side's figures equal what the readings themselves say, in local days."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils.timezone import now

from dashboard.records import PAST_DAYS_FOR, household_records
from devices.models import INSIDE, OUTSIDE, Device
from devices.services import device_register
from readings.rules import NewReading
from readings.services import record_readings

pytestmark = pytest.mark.django_db
ZONE = "America/Los_Angeles"


@pytest.fixture
def household(settings, client):
    """Three stations with readings every 3 h 7 min for 400 days: {side: [(time, value, station)]}."""
    settings.TIME_ZONE = ZONE
    client.force_login(User.objects.create_user("sam", password="a long household password"))
    stations = [
        (device_register(name="Back porch", mac="6c:ef:7a:3b:9d:e8", placement=OUTSIDE), OUTSIDE, 8.0, 9.0),
        (device_register(name="Front garden", mac="6c:ef:7a:3b:9d:e9", placement=OUTSIDE), OUTSIDE, 6.0, 9.0),
        (device_register(name="Living room", mac="6c:ef:7a:3b:9d:ea", placement=INSIDE), INSIDE, 21.0, 2.0),
    ]
    draw = random.Random(19)
    end = now() - timedelta(minutes=1)
    readings = defaultdict(list)
    for issued, side, mean, spread in stations:
        device = issued.api_key.device
        batch = []
        at = end - timedelta(days=400)
        while at <= end:
            value = round(draw.gauss(mean, spread), 2)
            batch.append(NewReading(field=1, value=value, recorded_at=at))
            readings[side].append((at, value, device.name))
            at += timedelta(hours=3, minutes=7)
        for first in range(0, len(batch), 1000):
            record_readings(device=device, readings=batch[first : first + 1000])
    return readings


def local(at):
    return at.astimezone(ZoneInfo(ZONE))


def found(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.S)
    assert match, f"{pattern!r} is not on the page"
    return match


def shown(html: str, side: str, period: str, which: str) -> tuple[float, str]:
    section = found(rf'<section class="card records side-{side}".*?</section>', html).group(0)
    row = found(rf'<tr data-period="{period}">.*?</tr>', section).group(0)
    cell = found(rf'<td class="record-{which}">(.*?)</td>', row).group(1)
    value = float(found(r'data-c="([-\d.]+)"', cell).group(1))
    return value, found(r"<small>(.*?)</small>", cell).group(1)


def test_the_records_are_the_readings_extremes_in_local_days(client, household):
    html = client.get("/records/").content.decode()
    today = local(now()).date()

    for side, rows in household.items():
        spans = {
            "Today": lambda d: d == today,
            "This month": lambda d: (d.year, d.month) == (today.year, today.month),
            "This year": lambda d: d.year == today.year,
            "All time": lambda d: True,
        }
        for period, within in spans.items():
            chosen = [r for r in rows if within(local(r[0]).date())]
            if not chosen:
                continue
            high = min(chosen, key=lambda r: (-r[1], r[0]))
            low = min(chosen, key=lambda r: (r[1], r[0]))
            for which, (at, value, station) in (("high", high), ("low", low)):
                figure, when = shown(html, side, period, which)
                assert figure == pytest.approx(value, abs=1e-4), (side, period, which)
                assert when == f"{local(at):%-d %b %Y, %H:%M} · {station}", (side, period, which)

        days = defaultdict(list)
        for at, value, _ in rows:
            days[local(at).date()].append(value)
        whole = {d: v for d, v in days.items() if d < today}
        night = max(whole, key=lambda d: (min(whole[d]), -d.toordinal()))
        cold = min(whole, key=lambda d: (max(whole[d]), d.toordinal()))
        section = re.search(rf'<section class="card records side-{side}".*?</section>', html, re.S).group(0)
        assert re.search(
            rf'Warmest night: <b data-c="{min(whole[night]):.4f}">.*?the low of {night:%-d %b %Y}', section
        )
        assert re.search(
            rf'Coldest day: <b data-c="{max(whole[cold]):.4f}">.*?the high of {cold:%-d %b %Y}', section
        )

        # Month by month: mean of the readings, extremes, warm days (high ≥ 25) and frosts (low ≤ 0).
        table = re.search(r'<table class="summary" data-summary="months">.*?</table>', section, re.S).group(0)
        lines = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S)
        months = defaultdict(list)
        for day, values in days.items():
            months[day.strftime("%b %Y")].append(values)
        assert [label for label, _ in lines] == sorted(
            months,
            key=lambda m: (
                int(m[-4:]),
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].index(
                    m[:3]
                ),
            ),
            reverse=True,
        )
        for label, cells in lines:
            values = [v for day in months[label] for v in day]
            figures = [float(v) for v in re.findall(r'data-c="([-\d.]+)"', cells)]
            counts = [int(v) for v in re.findall(r"<td>(\d+)</td>", cells)]
            assert figures == pytest.approx([sum(values) / len(values), min(values), max(values)], abs=1e-4)
            assert counts == [
                sum(max(day) >= 25 for day in months[label]),
                sum(min(day) <= 0 for day in months[label]),
                len(months[label]),
            ], label


def test_records_cost_a_fixed_number_of_queries(household, django_assert_max_num_queries):
    with django_assert_max_num_queries(3 + 2 * 8):  # fields, first hour, days; a moment per record
        sides = household_records(at=now())

    assert [s.placement for s in sides] == [OUTSIDE, INSIDE]


def test_strangers_are_sent_to_log_in(client):
    response = client.get("/records/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_household_on_utc_gets_its_records_too(client, settings):
    settings.TIME_ZONE = "UTC"  # no offset changes at all
    client.force_login(User.objects.create_user("sam", password="a long household password"))
    issued = device_register(name="Back porch", mac="6c:ef:7a:3b:9d:e8", placement=OUTSIDE)
    record_readings(
        device=issued.api_key.device,
        readings=[NewReading(field=1, value=17.25, recorded_at=now() - timedelta(minutes=5))],
    )

    html = client.get("/records/").content.decode()

    assert shown(html, OUTSIDE, "All time", "high")[0] == 17.25
    assert "No inside readings yet." in html


def test_today_is_live_and_a_late_reading_into_an_earlier_day_shows_within_minutes(household):
    first = household_records(at=now())
    outside = household[OUTSIDE]
    record = max(v for _, v, _ in outside) + 5
    device = Device.objects.get(name="Back porch")
    yesterday = now() - timedelta(days=1)
    record_readings(device=device, readings=[NewReading(field=1, value=record - 1, recorded_at=now())])
    record_readings(device=device, readings=[NewReading(field=1, value=record, recorded_at=yesterday)])

    soon = household_records(at=now())
    later = household_records(at=now() + PAST_DAYS_FOR + timedelta(seconds=1))

    assert soon[0].periods[0].high.value == record - 1  # today: at once
    assert soon[0].periods[3].high.value == record - 1  # yesterday's late reading: not yet
    assert later[0].periods[3].high.value == record and first[0].periods[3].high.value < record - 1


def test_the_moment_of_todays_record_is_today_even_if_yesterday_ended_on_the_same_value(client, settings):
    settings.TIME_ZONE = ZONE
    client.force_login(User.objects.create_user("sam", password="a long household password"))
    device = device_register(name="Back porch", mac="6c:ef:7a:3b:9d:e8", placement=OUTSIDE).api_key.device
    midnight = local(now()).replace(hour=0, minute=0, second=0, microsecond=0)
    late, early = midnight - timedelta(minutes=10), midnight + timedelta(seconds=30)
    if early > now():
        pytest.skip("the first half-minute of a local day")
    record_readings(
        device=device,
        readings=[
            NewReading(field=1, value=5.0, recorded_at=late),
            NewReading(field=1, value=5.0, recorded_at=early),
        ],
    )

    html = client.get("/records/").content.decode()

    assert shown(html, OUTSIDE, "Today", "low") == (5.0, f"{early:%-d %b %Y, %H:%M} · Back porch")
