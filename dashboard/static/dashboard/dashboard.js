// The dashboard's behaviour: °C/°F, relative times, live values every 10 s, and the history chart.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var POLL_MS = 10000;
  var zone = config.timeZone; // the household's TIME_ZONE, as the server's own times
  var unit = localStorage.getItem("temperatureUnit") === "F" ? "F" : "C";
  var etag = null;
  var history = null; // the last /api/history/ answer, with live points appended
  var range = "24h";

  function toUnit(c) { return unit === "F" ? c * 9 / 5 + 32 : c; }
  function fmt(c) { return toUnit(c).toFixed(1) + "°" + unit; }
  function fmtDelta(dc) { return (Math.abs(dc) * (unit === "F" ? 1.8 : 1)).toFixed(1) + "°"; }

  function paintUnits() {
    document.querySelectorAll("[data-c]").forEach(function (el) { el.textContent = fmt(+el.dataset.c); });
    document.querySelectorAll("[data-dc]").forEach(function (el) { el.textContent = fmtDelta(+el.dataset.dc); });
    document.querySelectorAll("[data-unit]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.unit === unit));
    });
    if (history) drawCharts();
  }

  function ago(iso) {
    var s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 45) return "just now";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    if (s < 129600) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " days ago";
  }
  function clock(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
  }
  function paintTimes() {
    document.querySelectorAll("time[datetime]").forEach(function (t) { t.textContent = ago(t.getAttribute("datetime")); });
  }

  // A value not known yet shows nothing (the card says what it waits for), never a dangling dash.
  function setC(el, c) {
    if (!el) return;
    if (c === null || c === undefined) { delete el.dataset.c; el.textContent = ""; return; }
    el.dataset.c = c; el.textContent = fmt(c);
  }

  function applyLatest(body) {
    var advice = document.getElementById("advice");
    advice.className = "advice advice-" + body.advice.state;
    advice.dataset.state = body.advice.state;
    var parts = body.advice.text.split("{delta}");
    var p = advice.querySelector(".advice-text");
    p.textContent = parts[0];
    if (parts.length > 1) {
      var span = document.createElement("span");
      span.className = "delta"; span.dataset.dc = body.advice.difference;
      span.textContent = fmtDelta(body.advice.difference);
      p.appendChild(span); p.appendChild(document.createTextNode(parts[1]));
    }
    var forecast = advice.querySelector(".forecast");
    if (forecast && body.forecast) {
      forecast.textContent = body.forecast.text; forecast.dataset.state = body.forecast.state;
      forecast.hidden = !body.forecast.text;
    }
    Object.keys(body.means).forEach(function (placement) {
      var mean = document.querySelector('[data-mean="' + placement + '"]');
      setC(mean, body.means[placement]);
      if (mean && body.means[placement] === null) mean.textContent = "none fresh";
    });
    var unknown = false;
    var stations = {};
    body.series.forEach(function (s) {
      var el = document.querySelector('[data-key="' + s.key + '"]');
      if (!el) { unknown = true; return; }
      var station = el.closest(".station");
      stations[station.dataset.device] = stations[station.dataset.device] || { station: station, stale: true, any: false };
      stations[station.dataset.device].stale = stations[station.dataset.device].stale && s.stale;
      stations[station.dataset.device].any = stations[station.dataset.device].any || s.at !== null;
      el.classList.toggle("stale", s.stale);
      var other = el.querySelector(".value-other");
      if (other) { other.textContent = s.value === null ? "no reading yet" : s.value.toFixed(1) + other.dataset.suffix; return; }
      setC(el.querySelector(".value"), s.value);
      setC(el.querySelector(".low"), s.low);
      setC(el.querySelector(".high"), s.high);
      el.querySelector(".today").hidden = s.low === null;
      el.classList.toggle("no-reading", s.at === null);
      var trend = el.querySelector(".trend");
      trend.className = "trend trend-" + (s.trend || "none"); trend.textContent = s.trend;
      if (s.at) {
        el.querySelector(".when").innerHTML = '<time></time> · <span class="clock"></span>';
        var t = el.querySelector("time");
        t.setAttribute("datetime", s.at); t.title = new Date(s.at).toLocaleString([], { timeZone: zone }); t.textContent = ago(s.at);
        el.querySelector(".clock").textContent = clock(s.at);
        appendPoint(s.key, s.at, s.value);
      }
    });
    Object.keys(stations).forEach(function (id) {
      var st = stations[id];
      var stale = st.any && st.stale;
      st.station.classList.toggle("stale", stale);
      st.station.querySelector(".stale-note").hidden = !stale;
      var waiting = st.station.querySelector(".waiting");
      if (waiting && st.any) waiting.remove();
    });
    // A station added or removed since the page was drawn: redraw the page once.
    if (unknown) location.reload();
  }

  // The service worker answers with the last copy it kept when the server cannot be reached, and
  // marks it; the page then says it is offline, and since when its values are.
  function showOffline(copy) {
    var note = document.getElementById("offline-note");
    if (!note) return;
    note.hidden = copy === null;
    var when = copy && Date.parse(copy);
    note.querySelector(".saved-at").textContent = when ? ", at " + clock(new Date(when).toISOString()) : "";
  }
  function copyOf(response) { return response.headers.get("X-Offline-Copy"); }

  function poll(once) {
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(config.latest, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        showOffline(copyOf(r));
        if (r.status === 304 || !r.ok) return null;
        if (copyOf(r) === null) etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (body) { if (body) applyLatest(body); })
      .catch(function () { showOffline(""); /* the next poll tries again */ })
      .then(function () { if (!once) setTimeout(poll, POLL_MS); });
  }

  // ---- live points: a reading that arrives joins (or starts) the last bucket of its series ----
  function appendPoint(key, iso, value) {
    if (!history || value === null || view) return; // a zoomed stretch stays as asked
    var series = history.series.find(function (s) { return s.key === key; });
    if (!series) return;
    // Readings the history answer already holds are not added twice.
    if (Date.parse(iso) <= Date.parse(history.end)) return;
    var t = Date.parse(iso) / 1000;
    var last = series.points[series.points.length - 1];
    var start = Math.floor(t / history.bucket_seconds) * history.bucket_seconds;
    if (last && last.seen === iso) return;
    if (last && last[0] === start) {
      last[1] = Math.min(last[1], value); last[3] = Math.max(last[3], value); last[2] = value;
    } else if (!last || start > last[0]) {
      last = [start, value, value, value];
      series.points.push(last);
    } else return;
    last.seen = iso;
    if (t > Date.parse(history.end) / 1000) history.end = iso; // the axis grows with the new point
    drawCharts();
  }

  // ---- the charts (uPlot): server-downsampled buckets, the mean as a line, min..max as a band ----
  // One colour per station, the same in every chart, in the legend and on the station's card.
  var PALETTE = 8;
  var colourIndex = {}; // device id -> palette slot
  function assignColours(series) {
    var next = 2, taken = {};
    // The first outside and inside stations keep the sides' own colours (slots 0 and 1).
    ["outside", "inside"].forEach(function (placement, slot) {
      var first = series.find(function (s) { return s.placement === placement; });
      if (first && colourIndex[first.device] === undefined) colourIndex[first.device] = slot;
    });
    Object.keys(colourIndex).forEach(function (d) { taken[colourIndex[d]] = true; });
    series.forEach(function (s) {
      if (colourIndex[s.device] !== undefined) return;
      while (taken[next % PALETTE] && Object.keys(taken).length < PALETTE) next++;
      colourIndex[s.device] = next % PALETTE; taken[next % PALETTE] = true; next++;
    });
  }
  function colourOf(s) {
    return getComputedStyle(document.documentElement).getPropertyValue("--c" + (colourIndex[s.device] + 1)).trim();
  }
  function paintCardSwatches() {
    document.querySelectorAll(".station[data-device]").forEach(function (card) {
      var slot = colourIndex[card.dataset.device];
      var sw = card.querySelector(".swatch");
      if (sw && slot !== undefined) sw.style.background = "var(--c" + (slot + 1) + ")";
    });
  }

  var view = null; // [start, end] seconds of the zoomed range, or null for the whole range
  var charts = []; // {plot, list, box, readout}: read by the browser tests too
  window.dashboardCharts = charts;

  function localParts(t) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(t * 1000))
      .forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }
  function hm(t) { var p = localParts(t); return p.hour + ":" + p.minute; }
  function dayMonth(t) { return new Date(t * 1000).toLocaleDateString([], { day: "numeric", month: "short", timeZone: zone }); }
  function weekdayDay(t) {
    return new Date(t * 1000).toLocaleDateString([], { weekday: "short", day: "numeric", month: "short", timeZone: zone });
  }
  // Tick labels: clock times on round hours, the date at midnight, months for a year.
  function timeTick(t, incr) {
    if (incr >= 28 * 86400) {
      var d = new Date(t * 1000);
      return d.toLocaleDateString([], { month: "short", timeZone: zone }) +
        (localParts(t).month === "01" ? " " + localParts(t).year : "");
    }
    var clockText = hm(t);
    if (incr >= 86400 || clockText === "00:00") return dayMonth(t);
    return clockText;
  }
  function bucketText(t, width) {
    if (width >= 86400) return weekdayDay(t);
    return weekdayDay(t) + ", " + hm(t) + (width > 60 ? "–" + hm(t + width) : "");
  }
  function number(v, step) { return v.toFixed(step < 1 ? 1 : 0); }
  // Steps a person counts in: 1, 2 or 5 times a power of ten, never 2.5.
  var Y_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  // Time steps that land on round clock times: hours that divide a day, whole days, weeks, months.
  var H = 3600, D = 86400;
  var X_STEPS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, H, 2 * H, 3 * H, 6 * H, 12 * H, D, 2 * D, 7 * D, 14 * D,
    30 * D, 60 * D, 90 * D, 180 * D, 365 * D];

  // Aligns each series' buckets on one time axis. A hole left by alignment stays undefined (the
  // line runs on); a real gap in a series (over three of its usual steps) is a null (the line stops).
  function align(list, convert) {
    var width = history.bucket_seconds;
    var xs = {}, gapsAt = [];
    list.forEach(function (s, n) {
      var steps = s.points.slice(1).map(function (p, k) { return p[0] - s.points[k][0]; }).sort(function (a, b) { return a - b; });
      s.step = Math.max(width, steps.length ? steps[Math.floor(steps.length / 2)] : width);
      gapsAt[n] = [];
      s.points.forEach(function (p, k) {
        xs[p[0]] = true;
        if (k && p[0] - s.points[k - 1][0] > 3 * s.step) {
          xs[s.points[k - 1][0] + width] = true; gapsAt[n].push(s.points[k - 1][0] + width);
        }
      });
    });
    var times = Object.keys(xs).map(Number).sort(function (a, b) { return a - b; });
    var at = {};
    times.forEach(function (t, i) { at[t] = i; });
    var data = [times.map(function (t) { return t + width / 2; })];
    var isolated = [];
    list.forEach(function (s, n) {
      var lo = new Array(times.length), mean = new Array(times.length), hi = new Array(times.length);
      gapsAt[n].forEach(function (t) { lo[at[t]] = mean[at[t]] = hi[at[t]] = null; });
      var alone = [];
      s.points.forEach(function (p, k) {
        var i = at[p[0]];
        lo[i] = convert(p[1]); mean[i] = convert(p[2]); hi[i] = convert(p[3]);
        var before = k === 0 || p[0] - s.points[k - 1][0] > 3 * s.step;
        var after = k === s.points.length - 1 || s.points[k + 1][0] - p[0] > 3 * s.step;
        if (before && after) alone.push(i);
      });
      data.push(mean, hi, lo);
      isolated.push(alone);
    });
    return { data: data, isolated: isolated, width: width };
  }

  // The bucket of series n nearest to the cursor's index, within half the series' usual step.
  function bucketNear(chart, n, idx) {
    var xs = chart.plot.data[0], means = chart.plot.data[1 + 3 * n];
    var step = chart.list[n].step;
    var best = null;
    for (var d = 0; idx - d >= 0 || idx + d < xs.length; d++) {
      var cands = [idx - d, idx + d];
      for (var c = 0; c < 2; c++) {
        var i = cands[c];
        if (i < 0 || i >= xs.length) continue;
        if (Math.abs(xs[i] - xs[idx]) > step / 2) return best;
        if (means[i] !== undefined && means[i] !== null) return i;
      }
    }
    return best;
  }

  function readout(chart, idx) {
    var plot = chart.plot, width = history.bucket_seconds, u = chart.unitText;
    var time = chart.readout.querySelector(".readout-time");
    if (idx === null || idx === undefined) {
      time.textContent = "Hover over or tap the chart to read each station's values";
      time.classList.add("idle");
      chart.readout.querySelectorAll(".readout-value").forEach(function (v) { v.textContent = ""; });
      return;
    }
    time.textContent = bucketText(plot.data[0][idx] - width / 2, width);
    time.classList.remove("idle");
    chart.list.forEach(function (s, n) {
      var out = chart.readout.querySelector('[data-series="' + s.key + '"] .readout-value');
      var i = bucketNear(chart, n, idx);
      if (i === null) { out.textContent = "no reading"; return; }
      var mean = plot.data[1 + 3 * n][i], hi = plot.data[2 + 3 * n][i], lo = plot.data[3 + 3 * n][i];
      // A bucket flat at the shown precision (often one reading) needs no min and max.
      var flat = lo.toFixed(1) === hi.toFixed(1);
      out.textContent = mean.toFixed(1) + u + (flat ? "" : " (min " + lo.toFixed(1) + ", max " + hi.toFixed(1) + ")");
    });
  }

  function makeLegend(list, chartBox) {
    var wrap = document.createElement("div"); wrap.className = "readout";
    var time = document.createElement("p"); time.className = "readout-time"; wrap.appendChild(time);
    var legend = document.createElement("ul"); legend.className = "legend";
    list.forEach(function (s) {
      var li = document.createElement("li"); li.dataset.series = s.key;
      var sw = document.createElement("i"); sw.className = "swatch";
      sw.style.background = colourOf(s); if (s.dash) sw.classList.add("dashed");
      li.appendChild(sw);
      var name = document.createElement("span"); name.className = "series-name";
      name.textContent = s.name + (s.placement !== "other" ? " (" + s.placement + ")" : "") + (s.kind === "temperature" && !s.onlyField ? " · " + s.label : "");
      li.appendChild(name);
      var value = document.createElement("span"); value.className = "readout-value"; li.appendChild(value);
      legend.appendChild(li);
    });
    wrap.appendChild(legend);
    chartBox.after(wrap);
    return wrap;
  }

  function chartSize(box) {
    var w = Math.max(280, box.clientWidth || 600);
    return { width: w, height: w < 500 ? 240 : 300 };
  }

  function drawChart(box, list, convert, unitText) {
    box.textContent = "";
    var old = box.nextElementSibling;
    if (old && old.classList.contains("readout")) old.remove();
    var points = list.reduce(function (n, s) { return n + s.points.length; }, 0);
    if (!points) {
      var p = document.createElement("p"); p.className = "chart-empty";
      p.textContent = view ? "No readings in this stretch." : "No readings in this range yet."; box.appendChild(p); return null;
    }
    var css = getComputedStyle(document.documentElement);
    var muted = css.getPropertyValue("--muted").trim(), line = css.getPropertyValue("--line").trim();
    var text = css.getPropertyValue("--text").trim();
    var aligned = align(list, convert);
    var t0 = view ? view[0] : Date.parse(history.start) / 1000, t1 = view ? view[1] : Date.parse(history.end) / 1000;
    var font = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    var series = [{}], bands = [];
    list.forEach(function (s, n) {
      var colour = colourOf(s);
      series.push({
        label: s.name, stroke: colour, width: 2, dash: s.dash ? [6, 4] : undefined,
        points: { show: false, size: 7, fill: colour, filter: function () { return aligned.isolated[n].length ? aligned.isolated[n] : null; } },
      });
      series.push({ label: s.name + " max", stroke: "transparent", width: 0, points: { show: false } });
      series.push({ label: s.name + " min", stroke: "transparent", width: 0, points: { show: false } });
      bands.push({ series: [2 + 3 * n, 3 + 3 * n], fill: colour + "2e" });
    });
    var size = chartSize(box);
    var chart = { list: list, box: box, unitText: unitText, bucketSeconds: history.bucket_seconds, range: history.range };
    var opts = {
      width: size.width, height: size.height, series: series, bands: bands,
      legend: { show: false },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), zone); },
      scales: { x: { time: true, range: function () { return [t0, t1]; } } },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 8 } },
      axes: [
        { stroke: muted, font: font, space: size.width < 500 ? 55 : 70, gap: 4, size: 30, incrs: X_STEPS,
          grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1, size: 4 },
          values: function (u, splits, axisIdx, space, incr) { return splits.map(function (t) { return timeTick(t, incr); }); } },
        // The unit on every tick label: read at a glance, without turning the head.
        { stroke: muted, font: font, size: unitText.length > 2 ? 64 : 50, gap: 4, space: 30, incrs: Y_STEPS,
          grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1, size: 4 },
          values: function (u, splits, axisIdx, space, incr) {
            return splits.map(function (v) { return number(v, incr) + (unitText.charAt(0) === "°" ? "" : " ") + unitText; });
          } },
      ],
      hooks: {
        setCursor: [function (u) { readout(chart, u.cursor.idx); }],
        setSelect: [function (u) {
          if (u.select.width < 8) return;
          var from = u.posToVal(u.select.left, "x"), to = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          zoomTo(from, to);
        }],
      },
    };
    chart.plot = new uPlot(opts, aligned.data, box);
    chart.readout = makeLegend(list, box);
    readout(chart, null);
    touchControls(chart);
    box.querySelector(".u-over").addEventListener("dblclick", unzoom);
    return chart;
  }

  // Touch: a tap or a one-finger slide moves the crosshair; two fingers pinch to zoom. Vertical
  // swipes still scroll the page (touch-action: pan-y on the chart).
  function touchControls(chart) {
    var over = chart.plot.over, pinch = null;
    function x(touch) { return touch.clientX - over.getBoundingClientRect().left; }
    function y(touch) { return touch.clientY - over.getBoundingClientRect().top; }
    over.addEventListener("touchstart", function (e) {
      if (e.touches.length === 2) {
        var u = chart.plot, a = x(e.touches[0]), b = x(e.touches[1]);
        pinch = { a: u.posToVal(a, "x"), b: u.posToVal(b, "x"), min: u.scales.x.min, max: u.scales.x.max, moved: false };
        e.preventDefault();
      } else if (e.touches.length === 1) {
        chart.plot.setCursor({ left: x(e.touches[0]), top: y(e.touches[0]) });
      }
    }, { passive: false });
    over.addEventListener("touchmove", function (e) {
      if (pinch && e.touches.length === 2) {
        e.preventDefault();
        var u = chart.plot, w = over.clientWidth;
        var pa = x(e.touches[0]), pb = x(e.touches[1]);
        if (Math.abs(pb - pa) < 10) return;
        // Keep the two touched moments under the two fingers.
        var perPx = (pinch.b - pinch.a) / (pb - pa);
        var min = pinch.a - pa * perPx, max = min + w * perPx;
        pinch.moved = true; pinch.to = [min, max];
        previewRange(chart, min, max);
      } else if (e.touches.length === 1) {
        chart.plot.setCursor({ left: x(e.touches[0]), top: y(e.touches[0]) });
      }
    }, { passive: false });
    over.addEventListener("touchend", function (e) {
      if (pinch && e.touches.length < 2) {
        var done = pinch; pinch = null;
        if (done.moved) zoomTo(done.to[0], done.to[1]);
      }
    });
  }

  function previewRange(chart, min, max) {
    chart.plot.scales.x.range = function () { return [min, max]; };
    chart.plot.setScale("x", { min: min, max: max });
  }

  // Asks the server for the stretch: it answers the same 500 buckets over it, so finer ones.
  function zoomTo(from, to) {
    from = Math.floor(from); to = Math.ceil(to);
    if (to - from < 60) { from = Math.floor((from + to) / 2) - 30; to = from + 60; } // the finest worth asking
    view = [from, to];
    loadHistory();
  }
  function unzoom() {
    if (!view) return;
    view = null;
    loadHistory();
  }

  function paintZoomNote() {
    var note = document.getElementById("zoom-note");
    if (!note) return;
    note.hidden = !view;
    if (view) note.querySelector(".zoom-range").textContent = bucketText(view[0], 60) + " to " + bucketText(view[1], 60);
  }

  function drawCharts() {
    assignColours(history.series);
    paintCardSwatches();
    charts.forEach(function (c) { c.plot.destroy(); });
    charts.length = 0;
    var sideOrder = { outside: 0, inside: 1 };
    var temps = history.series.filter(function (s) { return s.kind === "temperature"; });
    // Outside first, then inside, as the cards above; the server's order within a side.
    temps = temps.map(function (s, i) { return [s, i]; }).sort(function (a, b) {
      return ((sideOrder[a[0].placement] !== undefined ? sideOrder[a[0].placement] : 2) -
        (sideOrder[b[0].placement] !== undefined ? sideOrder[b[0].placement] : 2)) || a[1] - b[1];
    }).map(function (pair) { return pair[0]; });
    var fieldsOf = {};
    temps.forEach(function (s) { fieldsOf[s.device] = (fieldsOf[s.device] || 0) + 1; });
    var seen = {};
    temps.forEach(function (s) {
      seen[s.device] = (seen[s.device] || 0) + 1;
      s.dash = seen[s.device] > 1; // a station's second temperature: its colour, dashed
      s.onlyField = fieldsOf[s.device] === 1;
    });
    var chart = drawChart(document.getElementById("chart-temperature"), temps, toUnit, "°" + unit);
    if (chart) charts.push(chart);
    // Pressure, humidity and the rest: one small chart per label and unit, never on the temperature axis.
    var others = document.getElementById("chart-others"); others.textContent = "";
    var groups = {};
    history.series.filter(function (s) { return s.kind !== "temperature"; }).forEach(function (s) {
      s.onlyField = true;
      var k = s.label + " (" + s.unit + ")"; (groups[k] = groups[k] || []).push(s);
    });
    Object.keys(groups).forEach(function (k) {
      var wrap = document.createElement("div"); wrap.className = "other-chart";
      var h = document.createElement("h3"); h.textContent = k; wrap.appendChild(h);
      var box = document.createElement("div"); box.className = "chart"; wrap.appendChild(box);
      others.appendChild(wrap);
      var c = drawChart(box, groups[k], function (v) { return v; }, groups[k][0].unit);
      if (c) charts.push(c);
    });
    paintZoomNote();
    document.dispatchEvent(new CustomEvent("charts-drawn"));
  }

  var loading = 0;
  function loadHistory() {
    var box = document.getElementById("chart-temperature");
    if (!box) return;
    var query = view ? "?start=" + view[0] + "&end=" + view[1] : "?range=" + range;
    var mine = ++loading;
    fetch(config.history + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (copyOf(r) !== null) showOffline(copyOf(r)); return r.ok ? r.json() : null; })
      .then(function (body) { if (body && mine === loading) { history = body; drawCharts(); } })
      .catch(function () { /* offline: the chart keeps what it shows */ });
  }

  document.querySelectorAll("[data-unit]").forEach(function (b) {
    b.addEventListener("click", function () {
      unit = b.dataset.unit; localStorage.setItem("temperatureUnit", unit); paintUnits();
    });
  });
  document.querySelectorAll("[data-range]").forEach(function (b) {
    b.addEventListener("click", function () {
      range = b.dataset.range; view = null;
      document.querySelectorAll("[data-range]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
      loadHistory();
    });
  });
  var unzoomButton = document.querySelector("[data-unzoom]");
  if (unzoomButton) unzoomButton.addEventListener("click", unzoom);
  var resizing;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      charts.forEach(function (c) { var size = chartSize(c.box); c.plot.setSize(size); });
    }, 150);
  });
  paintUnits();
  paintTimes();
  setInterval(paintTimes, 30000);
  loadHistory();
  // At once when the page may be a kept copy (it says so if offline); then every POLL_MS.
  poll();
  if ("serviceWorker" in navigator && config.serviceWorker) {
    navigator.serviceWorker.register(config.serviceWorker).catch(function () { /* the page works without */ });
  }
})();
