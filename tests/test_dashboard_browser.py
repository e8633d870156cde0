"""The dashboard in a real browser (Debian's Chromium via Playwright) against a real gunicorn.

A household member logs in on a phone-sized screen, reads both temperatures and the advice,
switches to °F, and sees a reading that a board posts meanwhile appear without a reload.
Screenshots at 390×844 and 1280×800 go to test-artifacts/ (kept by CI, never committed).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.live import PROJECT, THROWAWAY_SECRET_KEY, gunicorn_server, request

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT / "test-artifacts"
PASSWORD = "a long household password"
HOUSEHOLD_ZONE = "America/Los_Angeles"
# Chromium as a quiet test browser: no sandbox (CI runs as root), no calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium is not installed at /usr/bin/chromium "
        "(apt-get install -y chromium; .ci/run does this)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    static_env = {"STATIC_ROOT": str(folder / "static")}
    # As `make run` does: the page's CSS and JS come from collectstatic, compressed by whitenoise.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "iotserver.settings",
            "SECRET_KEY": THROWAWAY_SECRET_KEY,
            **static_env,
        },
        check=True,
        capture_output=True,
    )
    # The household lives on US Pacific time; the test browser's own zone is Tokyo's (below).
    with gunicorn_server(folder, extra_env={**static_env, "TIME_ZONE": HOUSEHOLD_ZONE}) as live:
        live.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User;"
            f"User.objects.create_user('sam', password='{PASSWORD}')",
        )
        yield live


def register(server, name: str, mac: str, placement: str, field: int) -> str:
    output = server.manage(
        "register_device", "--name", name, "--mac", mac, "--placement", placement, "--field", str(field)
    )
    key = output.strip().splitlines()[-1]
    return f"/update/API_key={key}/mac={mac.lower()}/field={field}/data="


@pytest.fixture(scope="module")
def boards(server) -> dict:
    boards = {
        "outside": register(server, "Back porch", "6C:EF:7A:3B:9D:E8", "outside", 1),
        "inside": register(server, "Living room", "6C:EF:7A:3B:9D:E9", "inside", 2),
    }
    # A day of history, as boards that buffer send it: a cool night outside, a steady inside.
    start = datetime.now(UTC) - timedelta(hours=24)
    for side, field, mean, swing in (("outside", 1, 19.0, 7.0), ("inside", 2, 23.5, 1.0)):
        key = boards[side].split("API_key=")[1].split("/")[0]
        mac = boards[side].split("mac=")[1].split("/")[0]
        readings = [
            {
                "field": field,
                "data": round(mean + swing * math.sin((n - 20) / 96 * 2 * math.pi), 2),
                "recorded_at": (start + timedelta(minutes=15 * n)).isoformat(),
            }
            for n in range(94)  # up to half an hour ago
        ]
        status, _ = request(
            server.url + "/api/readings/",
            json.dumps({"mac": mac, "readings": readings}).encode(),
            {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        )
        assert status == 201
    for side, value in (("outside", "18.5"), ("inside", "24.0")):
        status, _ = server.get(boards[side] + value)
        assert status == 200
    return boards


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def logged_in(browser, server, width: int, height: int, color_scheme: str = "light"):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=1,
        color_scheme=color_scheme,
        timezone_id="Asia/Tokyo",
    )
    page = context.new_page()
    # Everything this browser receives from its very first request: headers and (compressed) bodies.
    page.transferred = []
    page.on(
        "requestfinished",
        lambda r: page.transferred.append(
            (r.url, r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"])
        ),
    )
    page.goto(server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    return context, page


def value_of(page, key_prefix: str) -> str:
    return page.locator(f'[data-placement="{key_prefix}"] .value').first.inner_text()


def test_a_phone_sees_both_temperatures_the_advice_and_a_new_reading_live(browser, server, boards):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = logged_in(browser, server, 390, 844)
    page.wait_for_selector("#chart-temperature svg")
    page.wait_for_load_state("networkidle")
    # A new browser's first visit, login page included: what a phone downloads before it can read.
    transferred = page.transferred
    first_load = sum(size for _, size in transferred)

    assert value_of(page, "outside") == "18.5°C"
    assert value_of(page, "inside") == "24.0°C"
    assert page.inner_text("#advice") == "Outside is 5.5° cooler than inside: open the windows"
    print(f"first load: {first_load} bytes over {len(transferred)} responses")  # for the README's figures
    assert first_load < 150 * 1024, transferred
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    page.click("button[data-unit=F]")
    assert value_of(page, "outside") == "65.3°F"
    assert value_of(page, "inside") == "75.2°F"
    assert page.inner_text("#advice") == "Outside is 9.9° cooler than inside: open the windows"
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
    assert page.inner_text("#advice") == "Outside is 1.3° warmer than inside: keep the windows shut"
    # Clock times are the household's, not the phone's.
    household_now = datetime.now(ZoneInfo(HOUSEHOLD_ZONE))
    clock = page.inner_text("[data-placement=outside] .clock")
    assert clock in {(household_now - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}
    live_updates = [size for url, size in transferred if "/api/latest/" in url]
    print(f"live updates: {live_updates} bytes")
    assert live_updates and max(live_updates) < 5 * 1024

    page.screenshot(path=str(ARTIFACTS / "dashboard-390x844.png"), full_page=True)
    context.close()


def test_a_narrow_phone_in_dark_mode_does_not_scroll_sideways(browser, server, boards):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = logged_in(browser, server, 360, 740, color_scheme="dark")
    page.wait_for_selector("#chart-temperature svg")
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
    page.wait_for_selector("#chart-temperature svg")

    outside_box = page.locator('[data-placement="outside"]').bounding_box()
    inside_box = page.locator('[data-placement="inside"]').bounding_box()
    assert outside_box["y"] == inside_box["y"] and outside_box["x"] < inside_box["x"]
    page.click("button[data-range='7d']")
    page.wait_for_function(
        "document.querySelector('[data-range=\"7d\"]').getAttribute('aria-pressed') === 'true'"
    )
    page.wait_for_selector("#chart-temperature svg")
    page.screenshot(path=str(ARTIFACTS / "dashboard-1280x800.png"), full_page=True)
    context.close()


def test_logged_out_browsers_get_the_login_page_and_no_data(server, boards):
    status, body = request(server.url + "/api/latest/")

    assert status == 403
    assert "log in" in body.lower() or "credentials" in body.lower()
