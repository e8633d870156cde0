"""The dashboard page: every state the household can meet, and who may see it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.timezone import now

from dashboard.selectors import household_overview
from devices.models import HUMIDITY, INSIDE, OTHER, OUTSIDE, PRESSURE, Field
from readings.advice import one_decimal
from readings.selectors import local_day_start
from tests.factories import PASSWORD, MemberFactory, ReadingFactory, StationFactory

pytestmark = pytest.mark.django_db


def page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """What a person reads: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def advice(html: str) -> str:
    """The advice itself, without the forecast line under it."""
    section = re.search(r'<section id="advice".*?<p class="advice-text">.*?</p>', html, re.S)
    assert section, "the page has no advice section"
    return re.sub(r"\s+([:.,])", r"\1", text_of(section.group(0)))


def test_strangers_are_sent_to_log_in(client, outside):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert client.get("/api/latest/").status_code == 403
    assert client.get("/api/history/").status_code == 403


def test_a_public_dashboard_needs_no_login(client, outside, settings):
    settings.DASHBOARD_PUBLIC = True
    ReadingFactory.create(station=outside, value=18.25)

    html = page(client)

    assert "18.2°C" in html or "18.3°C" in html
    assert "Log in" in html and "Log out" not in html
    assert client.get("/api/latest/").status_code == 200
    assert client.get("/api/history/").status_code == 200


@pytest.mark.parametrize(("remember", "closes_with_browser"), [("on", False), (None, True)])
def test_logging_in_keeps_a_phone_logged_in_only_when_asked(client, remember, closes_with_browser):
    MemberFactory.create(username="sam")
    form = {"username": "sam", "password": PASSWORD, "next": "/"}
    if remember:
        form["remember"] = remember

    response = client.post("/accounts/login/", form)

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session.get_expire_at_browser_close() is closes_with_browser
    if not closes_with_browser:
        assert client.session.get_expiry_age() >= 180 * 24 * 3600


def test_a_wrong_password_is_refused_with_a_reason(client):
    MemberFactory.create(username="sam")

    response = client.post("/accounts/login/", {"username": "sam", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_and_password_change_use_djangos_views(client, member):
    html = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in html

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long household password",
            "new_password2": "another long household password",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    member.refresh_from_db()
    assert member.check_password("another long household password")

    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_no_devices_points_to_registering_one(client, member):
    html = page(client)

    assert "No stations yet" in html
    assert reverse("admin:devices_device_add") in html
    assert advice(html) == "Not enough data: no fresh reading from inside or outside"


def test_a_device_without_readings_is_waiting_for_its_first(client, member, outside):
    html = page(client)

    assert "Waiting for the first reading" in html
    card = re.search(r'<article class="card station".*?</article>', html, re.S).group(0)
    # Nothing dangling: no dash for a value, and no "Today: – to –" line shown.
    assert "–" not in text_of(card)
    assert re.search(r'<p class="today" hidden>', card)
    assert "No inside station yet" in html
    assert advice(html) == "Not enough data: no fresh reading from inside or outside"


def test_both_sides_fresh_show_values_and_the_advice(client, member, outside, inside):
    ReadingFactory.create(station=outside, value=21.6)
    ReadingFactory.create(station=inside, value=25.0)

    html = page(client)

    assert 'data-c="21.6000">21.6°C' in html
    assert 'data-c="25.0000">25.0°C' in html
    assert advice(html) == "Outside is 3.4° cooler than inside: open the windows"
    assert 'class="advice advice-open"' in html
    assert "Today:" in text_of(html) and "Waiting" not in html
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">\s*0\xa0minutes ago</time>', html)


def test_outside_warmer_says_keep_the_windows_shut(client, member, outside, inside):
    ReadingFactory.create(station=outside, value=30.0)
    ReadingFactory.create(station=inside, value=24.5)

    assert advice(page(client)) == "Outside is 5.5° warmer than inside: keep the windows shut"


def test_a_stale_station_is_marked_and_left_out_of_the_advice(client, member, outside, inside):
    ReadingFactory.create(station=outside, value=12.0, minutes_ago=25)
    ReadingFactory.create(station=inside, value=22.0)

    html = page(client)

    station = re.search(r'<article class="card station stale" data-device="(\d+)">.*?</article>', html, re.S)
    assert station and int(station.group(1)) == outside.api_key.device.id
    assert "Stale: no reading for over 10 min, left out of the advice" in text_of(station.group(0))
    assert advice(html) == "Not enough data: no fresh reading from outside"


def test_the_stale_threshold_is_a_setting(client, member, outside, inside, settings):
    settings.STALE_AFTER_MINUTES = 30
    ReadingFactory.create(station=outside, value=12.0, minutes_ago=25)
    ReadingFactory.create(station=inside, value=22.0)

    assert advice(page(client)) == "Outside is 10.0° cooler than inside: open the windows"


def test_several_devices_on_a_side_are_each_shown_and_compared_on_their_mean(client, member, outside, inside):
    bedroom = StationFactory.create(name="Bedroom", placement=INSIDE)
    cellar = StationFactory.create(name="Cellar", placement=INSIDE)
    ReadingFactory.create(station=outside, value=20.0)
    ReadingFactory.create(station=inside, value=21.0)
    ReadingFactory.create(station=bedroom, value=25.0)
    ReadingFactory.create(station=cellar, value=5.0, minutes_ago=60)  # stale: not in the mean

    html = page(client)

    assert {"Living room", "Bedroom", "Cellar"} <= set(re.findall(r"<h3>(?:<i[^>]*></i>)?([^<]+)", html))
    assert re.search(r'data-mean="inside" data-c="23\.000">23\.0°C', html)
    assert advice(html) == "Outside is 3.0° cooler than inside: open the windows"


def test_other_fields_show_their_label_and_unit_and_stay_out_of_temperatures(client, member, outside, inside):
    device = outside.api_key.device
    Field.objects.create(device=device, number=3, label="Air pressure", unit="hPa", kind=PRESSURE)
    Field.objects.create(device=device, number=4, label="Humidity", unit="%", kind=HUMIDITY)
    ReadingFactory.create(station=outside, value=18.0)
    ReadingFactory.create(station=outside, value=1013.25, field=3)
    ReadingFactory.create(station=outside, value=64.0, field=4)
    ReadingFactory.create(station=inside, value=20.0)

    html = page(client)
    words = text_of(html)

    assert "Air pressure 1013.2 hPa" in words or "Air pressure 1013.3 hPa" in words
    assert "Humidity 64.0 %" in words
    assert advice(html) == "Outside is 2.0° cooler than inside: open the windows"


def test_todays_min_and_max_are_shown(client, member, outside, inside, settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: the day boundary is not UTC's
    readings = ((15.5, 30), (19.0, 20), (17.25, 1))
    for value, minutes in readings:
        ReadingFactory.create(station=outside, value=value, minutes_ago=minutes)
    ReadingFactory.create(station=inside, value=20.0)
    # Right after local midnight the older readings belong to yesterday.
    today = [v for v, m in readings if now() - timedelta(minutes=m) >= local_day_start(now())]

    html = page(client)

    block = re.search(rf'data-key="{outside.api_key.device.id}-1".*?</div>', html, re.S).group(0)
    # Rounded half up as the page does (17.25 is 17.3); Python's :.1f would say 17.2.
    assert f"Today: {one_decimal(min(today))}°C to {one_decimal(max(today))}°C" in text_of(block)


def test_the_hysteresis_keeps_open_windows_open_while_the_two_cross(client, member, outside, inside):
    # An hour ago outside was clearly cooler; now it is 0.3° warmer: within the 0.5° band.
    for minutes, out_value in ((90, 20.0), (60, 20.5), (30, 21.5), (1, 22.3)):
        ReadingFactory.create(station=outside, value=out_value, minutes_ago=minutes)
        ReadingFactory.create(station=inside, value=22.0, minutes_ago=minutes)

    assert advice(page(client)).endswith("the windows can stay open for now")


def test_the_hysteresis_keeps_shut_windows_shut_until_outside_is_clearly_cooler(
    client, member, outside, inside, settings
):
    for minutes, out_value in ((90, 26.0), (60, 24.0), (1, 21.7)):
        ReadingFactory.create(station=outside, value=out_value, minutes_ago=minutes)
        ReadingFactory.create(station=inside, value=22.0, minutes_ago=minutes)

    assert advice(page(client)) == "Outside is only 0.3° cooler than inside: keep the windows shut for now"
    settings.WINDOW_HYSTERESIS = 0.2
    assert advice(page(client)) == "Outside is 0.3° cooler than inside: open the windows"


def test_the_trend_over_the_last_hour_is_shown(client, member, outside, inside):
    for minutes in range(55, 0, -5):  # outside warming by 6° an hour
        ReadingFactory.create(station=outside, value=30.0 - minutes * 0.1, minutes_ago=minutes)
        ReadingFactory.create(station=inside, value=22.0, minutes_ago=minutes)

    html = page(client)

    assert re.search(rf'data-key="{outside.api_key.device.id}-1".*?trend-rising">rising', html, re.S)
    assert re.search(rf'data-key="{inside.api_key.device.id}-2".*?trend-steady">steady', html, re.S)


def test_the_page_costs_a_fixed_number_of_queries(
    client, member, outside, inside, django_assert_max_num_queries
):
    ReadingFactory.create(station=outside, value=20.0)
    ReadingFactory.create(station=inside, value=22.0)
    with django_assert_max_num_queries(50) as small:
        page(client)
    for n in range(3):
        extra = StationFactory.create(name=f"Extra {n}")
        for minutes in range(0, 120, 2):
            ReadingFactory.create(station=extra, value=20.0 + n, minutes_ago=minutes + 0.5)
    with django_assert_max_num_queries(50) as large:
        page(client)

    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= 7  # session, user, four reads, and the forecast's week


def test_the_overview_needs_four_queries(outside, inside, django_assert_num_queries):
    ReadingFactory.create(station=outside, value=20.0)
    ReadingFactory.create(station=inside, value=22.0)

    with django_assert_num_queries(4):
        overview = household_overview(at=now())

    assert overview.side(OUTSIDE).mean == 20.0 and overview.side(INSIDE).mean == 22.0


def test_a_station_placed_elsewhere_is_shown_but_not_advised_on(client, member, outside, inside):
    greenhouse = StationFactory.create(name="Greenhouse", placement=OTHER)
    ReadingFactory.create(station=greenhouse, value=35.0)
    ReadingFactory.create(station=outside, value=20.0)
    ReadingFactory.create(station=inside, value=22.0)

    html = page(client)

    other = re.search(r'<section class="side side-other".*?</section>', html, re.S).group(0)
    assert "Greenhouse" in other and "35.0°C" in other
    assert advice(html) == "Outside is 2.0° cooler than inside: open the windows"


def test_everything_the_page_loads_comes_from_this_server(client, member, outside):
    html = page(client)

    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert re.findall(r'<script src="([^"]+)"', html) == [
        "/static/dashboard/vendor/uPlot.iife.min.js",
        "/static/dashboard/dashboard.js",
    ]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == [
        "/static/dashboard/dashboard.css",
        "/static/dashboard/vendor/uPlot.min.css",
    ]


def test_the_chart_library_served_is_the_pinned_one_with_its_licence():
    folder = Path(__file__).resolve().parent.parent / "dashboard"
    pinned = json.loads((folder / "frontend" / "package.json").read_text())["dependencies"]["uplot"]
    locked = json.loads((folder / "frontend" / "package-lock.json").read_text())["packages"]
    vendor = folder / "static" / "dashboard" / "vendor"

    assert locked["node_modules/uplot"]["version"] == pinned
    assert (
        (vendor / "uPlot.iife.min.js")
        .read_text()
        .startswith(f"/*! https://github.com/leeoniya/uPlot (v{pinned}) */")
    )
    assert "MIT License" in (vendor / "uPlot.LICENSE").read_text()


def test_the_manifest_and_service_worker_are_public_and_name_only_this_servers_files(client):
    manifest = client.get("/manifest.webmanifest")
    worker = client.get("/sw.js")

    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert "no-cache" in worker["Cache-Control"]  # a new deploy's worker is picked up at once
    body = manifest.json()
    assert body["start_url"] == "/" and body["display"] == "standalone"
    assert all(icon["src"].startswith("/static/dashboard/icons/") for icon in body["icons"])
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", worker.content.decode()).group(1))
    assert "/static/dashboard/vendor/uPlot.iife.min.js" in shell
    assert all(url.startswith("/static/") for url in shell)
    assert re.search(r'var PAGES = \["/"\];', worker.content.decode())  # no member page but the dashboard


def test_without_a_week_of_history_the_forecast_says_it_cannot_tell(client, member, outside, inside):
    ReadingFactory.create(station=outside, value=24.0)
    ReadingFactory.create(station=inside, value=22.0)

    html = page(client)
    latest = client.get("/api/latest/").json()

    said = "Can't tell yet when this will change"
    assert '<p class="forecast" data-state="unknown">' + escape(said) + "</p>" in html
    assert latest["forecast"] == {"state": "unknown", "at": None, "text": said}


# `next` values that lead back to a login page, one way or another; following them would loop.
LOOPING_NEXT = [
    "/accounts/login/",
    "/accounts/login/?next=/accounts/login/",
    "/accounts/login/?next=/",
    "/accounts/login/#top",
    "http://testserver/accounts/login/",
    "//testserver/accounts/login/",
    "/accounts/login/?next=%2Faccounts%2Flogin%2F",
]


@pytest.mark.parametrize("next_url", LOOPING_NEXT)
def test_a_logged_in_member_sent_back_to_the_login_page_lands_on_the_dashboard(client, member, next_url):
    response = client.get("/accounts/login/", {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("next_url", LOOPING_NEXT)
def test_logging_in_with_next_pointing_at_the_login_page_lands_on_the_dashboard(client, next_url):
    MemberFactory.create(username="sam")

    response = client.post(
        f"/accounts/login/?next={next_url}", {"username": "sam", "password": "a long household password"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_safe_next_is_still_followed(client, member):
    assert client.get("/accounts/login/", {"next": "/notifications/"})["Location"] == "/notifications/"
    assert client.get("/accounts/login/", {"next": "https://evil.example/"})["Location"] == "/"
