"""What the browser tests share: Debian's Chromium driven by Playwright, a live server, a login."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live import PROJECT, THROWAWAY_SECRET_KEY, LiveServer, gunicorn_server, request

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT / "test-artifacts"
PASSWORD = "a long household password"
HOUSEHOLD_ZONE = "America/Los_Angeles"
PHONE_ZONE = "Asia/Tokyo"  # the test browser's own zone: never the household's
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

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; .ci/run does this)",
)


@contextmanager
def household_server(folder: Path, extra_env: dict | None = None) -> Iterator[LiveServer]:
    """gunicorn with the production settings, static files collected as `make run` does, one member."""
    static_env = {"STATIC_ROOT": str(folder / "static")}
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
    env = {**static_env, "TIME_ZONE": HOUSEHOLD_ZONE, **(extra_env or {})}
    with gunicorn_server(folder, extra_env=env) as live:
        live.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User;"
            f"User.objects.create_user('sam', password='{PASSWORD}')",
        )
        yield live


def register(server: LiveServer, name: str, mac: str, placement: str, field: int) -> str:
    """Registers a board as the admin would; answers its station URL, up to the value."""
    output = server.manage(
        "register_device", "--name", name, "--mac", mac, "--placement", placement, "--field", str(field)
    )
    key = output.strip().splitlines()[-1]
    return f"/update/API_key={key}/mac={mac.lower()}/field={field}/data="


def post_batch(server: LiveServer, station_url: str, readings: list[dict]) -> None:
    """Posts readings with their own times, as a board that buffered them does."""
    key = station_url.split("API_key=")[1].split("/")[0]
    mac = station_url.split("mac=")[1].split("/")[0]
    for first in range(0, len(readings), 1000):
        status, body = request(
            server.url + "/api/readings/",
            json.dumps({"mac": mac, "readings": readings[first : first + 1000]}).encode(),
            {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        )
        assert status == 201, body


def chromium_browser():
    """For a module's `browser` fixture: one Chromium for all its tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(
    browser, width: int, height: int, color_scheme: str = "light", touch: bool = False, workers: str = "allow"
):
    # workers="block": no service worker, so that every request reaches the network and is counted.
    context = browser.new_context(
        service_workers=workers,
        viewport={"width": width, "height": height},
        device_scale_factor=1,
        color_scheme=color_scheme,
        timezone_id=PHONE_ZONE,
        has_touch=touch,
        is_mobile=touch,
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # Everything this browser receives from its very first request: headers and (compressed) bodies.
    page.transferred = []

    def count(request) -> None:
        try:
            sizes = request.sizes()
        except Exception:  # the context closed while a late poll finished: nothing to count
            return
        page.transferred.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", count)
    return context, page


def logged_in(
    browser,
    server,
    width: int,
    height: int,
    color_scheme: str = "light",
    touch: bool = False,
    workers="allow",
):
    context, page = new_page(browser, width, height, color_scheme, touch, workers)
    page.goto(server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    return context, page


def wait_for_chart(page) -> None:
    try:
        page.wait_for_selector("#chart-temperature canvas", timeout=10000)
    finally:
        assert page.errors == []


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky bar lands mid-page in a full-page shot
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
