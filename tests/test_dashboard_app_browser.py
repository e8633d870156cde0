"""The dashboard as an app on the home screen, in Chromium: installable, and readable offline.

Chromium's own installability check (through the DevTools protocol) must find nothing missing;
the icons are real PNGs of the sizes the manifest claims; and a phone that loses its network
reopens the page to the last values it received, their time, and a note saying it is offline.
"""

from __future__ import annotations

import json
import re
import struct

import pytest

from tests.browser import (
    household_server,
    logged_in,
    needs_chromium,
    new_page,
    register,
    screenshot,
    wait_for_chart,
)

pytestmark = [pytest.mark.browser, pytest.mark.live, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with household_server(tmp_path_factory.mktemp("app")) as live:
        live.boards = {
            "outside": register(live, "Back porch", "6C:EF:7A:3B:9D:E8", "outside", 1),
            "inside": register(live, "Living room", "6C:EF:7A:3B:9D:E9", "inside", 2),
        }
        for side, value in (("outside", "16.5"), ("inside", "22.0"), ("outside", "17.0"), ("inside", "22.5")):
            status, _ = live.get(live.boards[side] + value)
            assert status == 200
        yield live


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


def wait_for_service_worker(page) -> None:
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15000
    )
    # The page and its last answers are kept once they went through the worker (a reload does that).
    page.reload()
    wait_for_chart(page)
    for _ in range(50):
        kept = page.evaluate(
            "caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k).then(c => c.keys()))))"
            ".then(lists => lists.flat().map(r => new URL(r.url).pathname + new URL(r.url).search))"
        )
        if "/api/latest/" in kept and "/" in kept and "/api/history/?range=24h" in kept:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the service worker kept only {kept}")


@pytest.mark.parametrize(("width", "height", "scheme"), [(390, 844, "light"), (1280, 800, "dark")])
def test_the_dashboard_meets_chromiums_installability_checks(browser, server, width, height, scheme):
    context, page = logged_in(browser, server, width, height, scheme, touch=width < 500)
    wait_for_chart(page)
    wait_for_service_worker(page)

    manifest_url = page.eval_on_selector("link[rel=manifest]", "l => l.href")
    manifest = json.loads(context.request.get(manifest_url).body())
    assert (manifest["name"], manifest["start_url"], manifest["display"]) == (
        "Home weather",
        "/",
        "standalone",
    )
    sizes = {}
    for icon in manifest["icons"]:
        body = context.request.get(server.url + icon["src"]).body()
        if icon["type"] == "image/png":
            assert png_size(body) == tuple(int(v) for v in icon["sizes"].split("x")), icon
        else:
            assert icon["type"] == "image/svg+xml" and body.lstrip().startswith(b"<svg")
        sizes.setdefault(icon.get("purpose", "any"), set()).add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes["any"] and "512x512" in sizes["maskable"]
    devtools = context.new_cdp_session(page)
    errors = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chromium never offers an install: that
    # one is the test's, not the page's. Anything else (manifest, icons, worker) would be listed.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    assert page.eval_on_selector("link[rel=icon]", "l => l.type") == "image/svg+xml"  # the favicon
    screenshot(page, f"app-{width}x{height}-{scheme}.png")
    context.close()


@pytest.mark.parametrize(("width", "height", "scheme"), [(390, 844, "dark"), (1280, 800, "light")])
def test_opened_offline_the_page_shows_the_last_values_their_time_and_says_offline(
    browser, server, width, height, scheme
):
    context, page = logged_in(browser, server, width, height, scheme, touch=width < 500)
    wait_for_chart(page)
    wait_for_service_worker(page)
    outside = page.inner_text("[data-placement=outside] .value")
    clock = page.inner_text("[data-placement=outside] .clock")
    assert page.is_hidden("#offline-note")

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#offline-note:not([hidden])", timeout=15000)
    wait_for_chart(page)

    assert page.inner_text("[data-placement=outside] .value") == outside
    assert page.inner_text("[data-placement=outside] .clock") == clock
    note = page.inner_text("#offline-note")
    assert re.fullmatch(r"Offline: showing the last values this phone received, at \d\d:\d\d\.", note), note
    assert page.evaluate("window.dashboardCharts[0].list.length") == 2  # the chart, from the kept answer
    screenshot(page, f"offline-{width}x{height}-{scheme}.png")

    # Back online, the next poll brings the news and the note goes.
    news = "11.4" if width < 500 else "12.6"
    status, _ = server.get(server.boards["outside"] + news)
    assert status == 200
    context.set_offline(False)
    page.wait_for_function(
        f"document.querySelector('[data-placement=outside] .value').textContent === '{news}°C'", timeout=15000
    )
    assert page.is_hidden("#offline-note")
    context.close()


@pytest.mark.parametrize(("width", "height", "scheme"), [(390, 844, "light"), (1280, 800, "dark")])
def test_a_share_link_shows_the_dashboard_logged_out_until_revoked(browser, server, width, height, scheme):
    context, page = logged_in(browser, server, width, height, scheme, touch=width < 500)
    page.goto(server.url + "/shares/")
    page.fill("input[name=name]", f"Neighbour {width}")
    page.click("button:has-text('Create a link')")
    url = page.input_value(".share-url")
    screenshot(page, f"shares-{width}x{height}-{scheme}.png")

    stranger, view = new_page(browser, width, height, scheme, touch=width < 500)
    view.goto(url)
    wait_for_chart(view)
    assert view.url == url  # no detour through the login
    assert view.inner_text("[data-placement=outside] .value").endswith("°C")
    assert view.is_visible("text=Shared view") and not view.is_visible("text=Log out")
    assert view.evaluate("window.dashboardCharts[0].list.length") == 2
    screenshot(view, f"shared-{width}x{height}-{scheme}.png")

    page.reload()
    assert page.inner_text(f"tr:has-text('Neighbour {width}') .last-used") != "never"
    page.click(f"tr:has-text('Neighbour {width}') button:has-text('Revoke')")
    page.wait_for_selector(f"tr.revoked:has-text('Neighbour {width}')")
    assert view.goto(url).status == 404
    stranger.close()
    context.close()
