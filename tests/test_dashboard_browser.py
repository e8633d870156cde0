"""The dashboard in a real browser (Debian's Chromium via Playwright) against a real gunicorn.

A household member logs in on a phone-sized screen, reads both temperatures and the advice,
switches to °F, and sees a reading that a board posts meanwhile appear without a reload.
Screenshots at 390×844 and 1280×800 go to test-artifacts/ (kept by CI, never committed).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser import (
    ARTIFACTS,
    HOUSEHOLD_ZONE,
    household_server,
    logged_in,
    needs_chromium,
    post_batch,
    register,
    wait_for_chart,
)
from tests.live import request

pytestmark = [pytest.mark.browser, pytest.mark.live, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # The household lives on US Pacific time; the test browser's own zone is Tokyo's.
    with household_server(tmp_path_factory.mktemp("browser")) as live:
        yield live


@pytest.fixture(scope="module")
def boards(server) -> dict:
    boards = {
        "outside": register(server, "Back porch", "6C:EF:7A:3B:9D:E8", "outside", 1),
        "inside": register(server, "Living room", "6C:EF:7A:3B:9D:E9", "inside", 2),
    }
    # A day of history, as boards that buffer send it: a cool night outside, a steady inside.
    start = datetime.now(UTC) - timedelta(hours=24)
    for side, field, mean, swing in (("outside", 1, 19.0, 7.0), ("inside", 2, 23.5, 1.0)):
        readings = [
            {
                "field": field,
                "data": round(mean + swing * math.sin((n - 20) / 96 * 2 * math.pi), 2),
                "recorded_at": (start + timedelta(minutes=15 * n)).isoformat(),
            }
            for n in range(94)  # up to half an hour ago
        ]
        post_batch(server, boards[side], readings)
    for side, value in (("outside", "18.5"), ("inside", "24.0")):
        status, _ = server.get(boards[side] + value)
        assert status == 200
    return boards


def value_of(page, key_prefix: str) -> str:
    return page.locator(f'[data-placement="{key_prefix}"] .value').first.inner_text()


def test_a_phone_sees_both_temperatures_the_advice_and_a_new_reading_live(browser, server, boards):
    ARTIFACTS.mkdir(exist_ok=True)
    # Without the service worker, whose answers would count as 0 bytes: every byte is the network's.
    context, page = logged_in(browser, server, 390, 844, workers="block")
    wait_for_chart(page)
    page.wait_for_load_state("networkidle")
    # A new browser's first visit, login page included: what a phone downloads before it can read.
    transferred = page.transferred
    first_load = sum(size for _, size in transferred)

    assert value_of(page, "outside") == "18.5°C"
    assert value_of(page, "inside") == "24.0°C"
    assert page.inner_text("#advice .advice-text") == "Outside is 5.5° cooler than inside: open the windows"
    print(f"first load: {first_load} bytes over {len(transferred)} responses")  # for the README's figures
    assert first_load < 150 * 1024, transferred
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    page.click("button[data-unit=F]")
    assert value_of(page, "outside") == "65.3°F"
    assert value_of(page, "inside") == "75.2°F"
    assert page.inner_text("#advice .advice-text") == "Outside is 9.9° cooler than inside: open the windows"
    assert "outside is 0.9° cooler or warmer than inside" in page.inner_text(".foot")  # 0.5 °C
    page.reload()
    assert value_of(page, "outside") == "65.3°F"  # remembered by this browser
    page.click("button[data-unit=C]")

    page.evaluate("window.notReloaded = true")
    transferred.clear()  # from here on: the live updates only
    status, _ = server.get(boards["outside"] + "25.25")
    assert status == 200
    started = time.monotonic()
    page.wait_for_function(
        "document.querySelector('[data-placement=outside] .value').textContent === '25.3°C'", timeout=15000
    )
    assert time.monotonic() - started < 15
    assert page.evaluate("window.notReloaded") is True
    # 1.25, rounded as the server rounds it.
    shut = "Outside is 1.3° warmer than inside: keep the windows shut"
    assert page.inner_text("#advice .advice-text") == shut
    # Clock times are the household's, not the phone's.
    household_now = datetime.now(ZoneInfo(HOUSEHOLD_ZONE))
    clock = page.inner_text("[data-placement=outside] .clock")
    assert clock in {(household_now - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}
    live_updates = [size for url, size in transferred if "/api/latest/" in url]
    print(f"live updates: {live_updates} bytes")
    assert live_updates and 0 < max(live_updates) < 5 * 1024

    page.screenshot(path=str(ARTIFACTS / "dashboard-390x844.png"), full_page=True)
    context.close()


def test_a_narrow_phone_in_dark_mode_does_not_scroll_sideways(browser, server, boards):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = logged_in(browser, server, 360, 740, color_scheme="dark")
    wait_for_chart(page)
    page.screenshot(path=str(ARTIFACTS / "dashboard-360-dark.png"), full_page=True)

    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 19, 23)"  # the system's dark mode is followed

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('button, summary')]"
        ".filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height))"
    )
    assert smallest >= 44  # touch targets a thumb can hit
    context.close()


def test_a_desktop_gets_the_sides_next_to_each_other(browser, server, boards):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = logged_in(browser, server, 1280, 800)
    wait_for_chart(page)

    outside_box = page.locator('[data-placement="outside"]').bounding_box()
    inside_box = page.locator('[data-placement="inside"]').bounding_box()
    assert outside_box["y"] == inside_box["y"] and outside_box["x"] < inside_box["x"]
    page.click("button[data-range='7d']")
    page.wait_for_function(
        "document.querySelector('[data-range=\"7d\"]').getAttribute('aria-pressed') === 'true'"
    )
    wait_for_chart(page)
    page.screenshot(path=str(ARTIFACTS / "dashboard-1280x800.png"), full_page=True)
    context.close()


def test_logged_out_browsers_get_the_login_page_and_no_data(server, boards):
    status, body = request(server.url + "/api/latest/")

    assert status == 403
    assert "log in" in body.lower() or "credentials" in body.lower()
