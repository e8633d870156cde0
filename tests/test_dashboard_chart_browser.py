"""The chart as a household reads it, in Chromium: five stations, two days of history.

At 390×844 (touch) and 1280×800 (mouse), light and dark: each station has its own colour and
the legend shows the colour its line is drawn in; ticks fall on round hours and midnights of the
household's time zone; the crosshair's readout gives each station's bucket (mean, min, max) as
computed here from the readings posted; dragging or pinching asks the server for the stretch
and draws its finer buckets. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse
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
    screenshot,
    wait_for_chart,
)

pytestmark = [pytest.mark.browser, pytest.mark.live, needs_chromium]


ZONE = ZoneInfo(HOUSEHOLD_ZONE)
STEP = timedelta(seconds=100)  # three readings in each 5-minute bucket of the 24 h chart
# name, placement, field, mean, daily swing: five stations whose lines never cross.
STATIONS = [
    ("Back porch", "outside", 1, 12.0, 4.0),
    ("Front garden", "outside", 1, 3.0, 2.0),
    ("Living room", "inside", 2, 20.0, 0.6),
    ("Bedroom", "inside", 1, 23.5, 0.6),
    ("Attic", "inside", 1, 28.0, 1.2),
]
VIEWS = [
    pytest.param(390, 844, "light", id="phone-light"),
    pytest.param(390, 844, "dark", id="phone-dark"),
    pytest.param(1280, 800, "light", id="desktop-light"),
    pytest.param(1280, 800, "dark", id="desktop-dark"),
]


def value_at(n: int, at: datetime, mean: float, swing: float) -> float:
    """A day's warming and cooling plus a few tenths of wobble, so a bucket's min, mean and max differ."""
    seconds = at.timestamp()
    day = math.sin((seconds / 86400 - 0.4) * 2 * math.pi)
    return round(mean + swing * day + 0.3 * math.sin(seconds / 211 + n), 2)


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    """A live server with five stations and their readings of the last two days: {name: [(time, value)]}."""
    with household_server(tmp_path_factory.mktemp("chart")) as server:
        end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
        times = [end - STEP * k for k in range(int(timedelta(hours=48) / STEP), -1, -1)]
        readings = {}
        for n, (name, placement, field, mean, swing) in enumerate(STATIONS):
            url = register(server, name, f"6C:EF:7A:3B:9E:{n:02X}", placement, field)
            readings[name] = [(at, value_at(n, at, mean, swing)) for at in times]
            post_batch(
                server,
                url,
                [{"field": field, "data": v, "recorded_at": at.isoformat()} for at, v in readings[name]],
            )
        yield server, readings


def open_chart(browser, server, width, height, scheme):
    context, page = logged_in(browser, server, width, height, scheme, touch=width < 500)
    wait_for_chart(page)
    page.wait_for_function("window.dashboardCharts.length > 0")
    return context, page


def plot_state(page) -> dict:
    """What the temperature chart draws: its series' colours and data, in canvas pixels too."""
    return page.evaluate(
        """() => {
        const chart = window.dashboardCharts[0], u = chart.plot;
        return {
          names: chart.list.map(s => s.name),
          strokes: chart.list.map((s, n) => u.series[1 + 3 * n].stroke()),
          xs: u.data[0],
          means: chart.list.map((s, n) => u.data[1 + 3 * n]),
          xmin: u.scales.x.min, xmax: u.scales.x.max,
          bucket: window.dashboardCharts[0].bucketSeconds,
        };
    }"""
    )


def rgb(text: str) -> tuple[int, ...]:
    if text.startswith("#"):
        return tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(int(v) for v in re.findall(r"\d+", text)[:3])


def distance(a, b) -> float:
    return math.dist(a, b)


@pytest.mark.parametrize(("width", "height", "scheme"), VIEWS)
def test_each_station_has_its_own_colour_and_the_legend_shows_its_lines_colour(
    browser, household, width, height, scheme
):
    server, _ = household
    context, page = open_chart(browser, server, width, height, scheme)
    state = plot_state(page)
    swatches = page.eval_on_selector_all(
        "#chart-temperature + .readout .legend li",
        "items => items.map(li => [li.querySelector('.series-name').textContent,"
        " getComputedStyle(li.querySelector('.swatch')).backgroundColor])",
    )

    # Outside first, then inside; every station once.
    assert [name.split(" (")[0] for name, _ in swatches] == state["names"]
    assert sorted(state["names"]) == sorted(s[0] for s in STATIONS)
    assert state["names"][:2] == ["Back porch", "Front garden"]
    colours = [rgb(colour) for _, colour in swatches]
    for i, a in enumerate(colours):
        for b in colours[i + 1 :]:
            assert distance(a, b) > 80, swatches  # five colours told apart at a glance
    # The pixels of each line, where the chart draws the series' means, are the legend's colour.
    for n, colour in enumerate(colours):
        found = page.evaluate(
            """([n, colour]) => {
            const u = window.dashboardCharts[0].plot, ctx = u.ctx, hits = [];
            const xs = u.data[0], ys = u.data[1 + 3 * n];
            for (let k = 1; k <= 12; k++) {
              const i = Math.floor(xs.length * k / 13);
              if (ys[i] == null) continue;
              const px = Math.round(u.valToPos(xs[i], "x", true));
              const py = Math.round(u.valToPos(ys[i], "y", true));
              const pixels = ctx.getImageData(px - 2, py - 2, 5, 5).data;
              let best = 1e9;
              for (let p = 0; p < pixels.length; p += 4) {
                const [r, g, b] = [pixels[p], pixels[p + 1], pixels[p + 2]];
                best = Math.min(best, Math.hypot(r - colour[0], g - colour[1], b - colour[2]));
              }
              hits.push(best);
            }
            return hits;
        }""",
            [n, list(colour)],
        )
        assert len(found) >= 10 and sum(d < 30 for d in found) >= len(found) - 1, (swatches[n], found)
    # The side headings and the station cards wear the same colours.
    card_colour = page.eval_on_selector(
        "[data-placement=outside] .station .swatch", "e => getComputedStyle(e).backgroundColor"
    )
    assert rgb(card_colour) == colours[0]
    # Drawn at its own size: the canvas is not stretched (which once made labels huge).
    stretch = page.evaluate(
        "(() => { const c = document.querySelector('#chart-temperature canvas');"
        " return c.getBoundingClientRect().width * devicePixelRatio / c.width; })()"
    )
    assert stretch == pytest.approx(1, abs=0.01)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"chart-{width}x{height}-{scheme}.png")
    context.close()


def household_time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=ZONE)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_tick_labels_fall_on_round_hours_and_midnights_of_the_household(browser, household, width, height):
    server, _ = household
    context, page = open_chart(browser, server, width, height, "light")
    for name in ("24h", "7d", "30d", "1y"):
        with page.expect_response(lambda r, name=name: f"range={name}" in r.url):
            page.click(f"button[data-range='{name}']")
        page.wait_for_function(f"window.dashboardCharts[0] && window.dashboardCharts[0].range === '{name}'")
        ticks = page.evaluate(
            "(() => { const a = window.dashboardCharts[0].plot.axes[0];"
            " return a._splits.map((t, i) => [t, a._values[i]]); })()"
        )
        assert len(ticks) >= 3, (name, ticks)
        assert len(ticks) <= (7 if width < 500 else 14), (name, ticks)  # room for every label
        steps = {b[0] - a[0] for a, b in zip(ticks, ticks[1:], strict=False)}
        for seconds, label in ticks:
            local = household_time(seconds)
            assert (local.minute, local.second) == (0, 0), (name, label, local)
            if name == "24h":
                assert local.hour % (min(steps) // 3600) == 0, (name, ticks)  # 00, 04, 08… not 04:44
                if local.hour == 0:
                    assert label == f"{local:%b} {local.day}", (name, label)
                else:
                    assert label == f"{local:%H}:00", (name, label)
            elif name in ("7d", "30d"):
                assert local.hour == 0, (name, label, local)  # midnights only
                assert label == f"{local:%b} {local.day}", (name, label)
            else:
                assert (local.day, local.hour) == (1, 0), (name, label, local)  # first of each month
                assert label.split()[0] == f"{local:%b}", (name, label)
        page.evaluate("document.querySelector('#chart-temperature').scrollIntoView()")
        screenshot(page, f"chart-ticks-{name}-{width}x{height}.png")
    context.close()


def bucket_of(readings, start: datetime, width: int) -> tuple[float, float, float]:
    values = [v for at, v in readings if start <= at < start + timedelta(seconds=width)]
    return sum(values) / len(values), min(values), max(values)


READOUT = re.compile(r"^(-?\d+\.\d)°C \(min (-?\d+\.\d), max (-?\d+\.\d)\)$")
FLAT_READOUT = re.compile(r"^(-?\d+\.\d)°C()()$")


@pytest.mark.parametrize(("width", "height", "scheme"), VIEWS)
def test_the_crosshair_reads_out_every_station_at_the_moment_pointed_at(
    browser, household, width, height, scheme
):
    server, readings = household
    context, page = open_chart(browser, server, width, height, scheme)
    bucket = page.evaluate("window.dashboardCharts[0].bucketSeconds")
    assert bucket == 300
    # Six hours ago, in the middle of its bucket: where a finger or a mouse points.
    moment = (datetime.now(UTC) - timedelta(hours=6)).timestamp()
    start = datetime.fromtimestamp(moment // bucket * bucket, tz=UTC)
    page.evaluate("document.querySelector('#chart-temperature').scrollIntoView()")
    x, y = page.evaluate(
        """(t) => {
        const u = window.dashboardCharts[0].plot, box = u.over.getBoundingClientRect();
        return [box.left + u.valToPos(t, "x"), box.top + box.height / 2];
    }""",
        start.timestamp() + bucket / 2,
    )
    if width < 500:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.move(x, y)

    heading = page.inner_text("#chart-temperature + .readout .readout-time")
    local = start.astimezone(ZONE)
    until = (start + timedelta(seconds=bucket)).astimezone(ZONE)
    assert heading.endswith(f"{local:%H:%M}–{until:%H:%M}"), heading
    assert f"{local:%b} {local.day}" in heading
    shown = dict(
        page.eval_on_selector_all(
            "#chart-temperature + .readout .legend li",
            "items => items.map(li => [li.querySelector('.series-name').textContent.split(' (')[0],"
            " li.querySelector('.readout-value').textContent])",
        )
    )
    assert set(shown) == {s[0] for s in STATIONS}
    for name, text in shown.items():
        mean, low, high = bucket_of(readings[name], start, bucket)
        found = READOUT.match(text) or FLAT_READOUT.match(text)
        assert found, (name, text)
        # As displayed: one decimal. A bucket flat at that precision shows its one value.
        shown_mean, shown_low, shown_high = (float(v or "nan") for v in found.groups())
        assert abs(shown_mean - mean) <= 0.0501, (name, text, mean)
        if found.re is FLAT_READOUT:
            assert high - low < 0.1, (name, text, low, high)
        else:
            assert abs(shown_low - low) <= 0.0501, (name, text, low)
            assert abs(shown_high - high) <= 0.0501, (name, text, high)
    # The chart card alone: scrolling for a full-page shot would move the page under the mouse.
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("section.history").screenshot(
        path=str(ARTIFACTS / f"chart-readout-{width}x{height}-{scheme}.png")
    )
    context.close()


def zoom_request_range(request) -> tuple[int, int]:
    query = parse_qs(urlparse(request.url).query)
    return int(query["start"][0]), int(query["end"][0])


def test_dragging_across_the_chart_asks_the_server_for_that_stretch_and_draws_it_finer(browser, household):
    server, _ = household
    context, page = open_chart(browser, server, 1280, 800, "light")
    page.evaluate("document.querySelector('#chart-temperature').scrollIntoView()")
    box, expected = page.evaluate(
        """() => {
        const u = window.dashboardCharts[0].plot, r = u.over.getBoundingClientRect();
        return [[r.left, r.top, r.width, r.height],
                [u.posToVal(r.width * 0.25, "x"), u.posToVal(r.width * 0.5, "x")]];
    }"""
    )
    left, top, w, h = box
    before = plot_state(page)
    with page.expect_request(lambda r: "/api/history/?start=" in r.url) as asked:
        page.mouse.move(left + w * 0.25, top + h / 2)
        page.mouse.down()
        page.mouse.move(left + w * 0.4, top + h / 2, steps=5)
        page.mouse.move(left + w * 0.5, top + h / 2, steps=5)
        page.mouse.up()
    start, end = zoom_request_range(asked.value)
    per_pixel = (before["xmax"] - before["xmin"]) / w
    assert abs(start - expected[0]) <= per_pixel + 1 and abs(end - expected[1]) <= per_pixel + 1
    page.wait_for_function(f"window.dashboardCharts[0].plot.scales.x.min === {start}")

    after = plot_state(page)
    assert (after["xmin"], after["xmax"]) == (start, end)
    assert after["bucket"] < 300  # finer than the day's 5-minute buckets
    inside = [x for x in before["xs"] if start <= x <= end]
    assert len(after["xs"]) > 2 * len(inside)
    note = page.inner_text("#zoom-note")
    assert note.startswith("Zoomed in:") and "Show the whole range" in note
    screenshot(page, "chart-zoomed-1280x800.png")

    with page.expect_request(lambda r: "/api/history/?range=24h" in r.url):
        page.click("[data-unzoom]")
    page.wait_for_function("window.dashboardCharts[0].bucketSeconds === 300")
    assert page.is_hidden("#zoom-note")
    context.close()


def test_pinching_the_chart_on_a_phone_zooms_into_the_stretch_between_the_fingers(browser, household):
    server, _ = household
    context, page = open_chart(browser, server, 390, 844, "dark")
    page.evaluate("document.querySelector('#chart-temperature').scrollIntoView()")
    left, top, w, h = page.evaluate(
        "(() => { const r = window.dashboardCharts[0].plot.over.getBoundingClientRect();"
        " return [r.left, r.top, r.width, r.height]; })()"
    )
    before = plot_state(page)
    middle = top + h / 2
    touch = context.new_cdp_session(page)

    def fingers(a: float, b: float) -> list[dict]:
        return [{"x": left + w * a, "y": middle, "id": 1}, {"x": left + w * b, "y": middle, "id": 2}]

    with page.expect_request(lambda r: "/api/history/?start=" in r.url) as asked:
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(0.4, 0.6)})
        for k in range(1, 11):
            spread = 0.1 + 0.2 * k / 10
            touch.send(
                "Input.dispatchTouchEvent",
                {"type": "touchMove", "touchPoints": fingers(0.5 - spread, 0.5 + spread)},
            )
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    start, end = zoom_request_range(asked.value)
    # Fingers three times as far apart: a third of the day, around the middle of the chart.
    whole = before["xmax"] - before["xmin"]
    assert (end - start) == pytest.approx(whole / 3, rel=0.05)
    assert (start + end) / 2 == pytest.approx((before["xmin"] + before["xmax"]) / 2, abs=whole * 0.02)
    page.wait_for_function(f"window.dashboardCharts[0].plot.scales.x.min === {start}")
    assert plot_state(page)["bucket"] < 300
    screenshot(page, "chart-pinched-390x844-dark.png")
    context.close()


@pytest.mark.parametrize(("width", "height", "scheme"), VIEWS)
def test_the_records_page_reads_on_a_phone_and_a_desktop(browser, household, width, height, scheme):
    server, readings = household
    context, page = logged_in(browser, server, width, height, scheme, touch=width < 500)
    page.click("a.records-link")
    page.wait_for_url(server.url + "/records/")

    highest = max(
        v for name, rows in readings.items() if name in ("Back porch", "Front garden") for _, v in rows
    )
    cell = page.inner_text("[data-placement=outside] tr[data-period='All time'] .record-high .t")
    assert cell == f"{highest:.1f}°C" or abs(float(cell[:-2]) - highest) <= 0.05
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # tables scroll inside their card
    screenshot(page, f"records-{width}x{height}-{scheme}.png")
    context.close()
