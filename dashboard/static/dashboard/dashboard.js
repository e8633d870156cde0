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
  var SVG = "http://www.w3.org/2000/svg";

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

  function setC(el, c) {
    if (!el) return;
    if (c === null || c === undefined) { delete el.dataset.c; el.textContent = "–"; return; }
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
    Object.keys(body.means).forEach(function (placement) {
      setC(document.querySelector('[data-mean="' + placement + '"]'), body.means[placement]);
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
      if (other) { other.textContent = s.value === null ? "–" : s.value.toFixed(1); return; }
      setC(el.querySelector(".value"), s.value);
      setC(el.querySelector(".low"), s.low);
      setC(el.querySelector(".high"), s.high);
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

  function poll() {
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(config.latest, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 304 || !r.ok) return null;
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (body) { if (body) applyLatest(body); })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  // ---- the chart: server-downsampled buckets, mean as a line, min..max as a band ----
  function appendPoint(key, iso, value) {
    if (!history || value === null) return;
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

  function nice(lo, hi, count) {
    var span = hi - lo || 1;
    var step = Math.pow(10, Math.floor(Math.log10(span / count)));
    [1, 2, 2.5, 5, 10].some(function (m) { if (span / (step * m) <= count) { step *= m; return true; } return false; });
    var ticks = [];
    for (var v = Math.floor(lo / step) * step; v <= hi + step / 2; v += step) ticks.push(+v.toFixed(6));
    return ticks;
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function timeLabel(t) {
    var d = new Date(t * 1000);
    if (range === "24h") return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
    if (range === "1y") return d.toLocaleDateString([], { month: "short", timeZone: zone });
    return d.toLocaleDateString([], { day: "numeric", month: "short", timeZone: zone });
  }

  function drawChart(box, list, convert, colours) {
    box.textContent = "";
    var points = list.reduce(function (n, s) { return n + s.points.length; }, 0);
    if (!points) {
      var p = document.createElement("p"); p.className = "chart-empty";
      p.textContent = "No readings in this range yet."; box.appendChild(p); return;
    }
    var W = Math.max(320, box.clientWidth || 600), H = W < 500 ? 220 : 280, L = 40, R = 8, T = 8, B = 22;
    var t0 = Date.parse(history.start) / 1000, t1 = Date.parse(history.end) / 1000;
    var lo = Infinity, hi = -Infinity;
    list.forEach(function (s) { s.points.forEach(function (p) { lo = Math.min(lo, convert(p[1])); hi = Math.max(hi, convert(p[3])); }); });
    var ticks = nice(lo, hi, 4); lo = Math.min(lo, ticks[0]); hi = Math.max(hi, ticks[ticks.length - 1]);
    var x = function (t) { return L + (t - t0) / (t1 - t0) * (W - L - R); };
    var y = function (v) { return T + (hi - v) / (hi - lo || 1) * (H - T - B); };
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img" }, box);
    ticks.forEach(function (v) {
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), "class": "grid" }, svg);
      el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, svg).textContent = v;
    });
    var labels = W < 500 ? 2 : 4; // a phone has room for three time labels, a desktop for five
    for (var i = 0; i <= labels; i++) {
      var t = t0 + (t1 - t0) * i / labels;
      el("text", { x: x(t), y: H - 6, "text-anchor": i === 0 ? "start" : i === labels ? "end" : "middle" }, svg)
        .textContent = timeLabel(t);
    }
    var width = history.bucket_seconds;
    list.forEach(function (s, index) {
      var colour = colours(s, index);
      var runs = [[]];
      s.points.forEach(function (p, k) {
        if (k && p[0] - s.points[k - 1][0] > 3 * width) runs.push([]); // a gap: do not draw across it
        runs[runs.length - 1].push(p);
      });
      runs.forEach(function (run) {
        var mid = function (p) { return x(p[0] + width / 2).toFixed(1); };
        var band = run.map(function (p) { return mid(p) + "," + y(convert(p[3])).toFixed(1); })
          .concat(run.slice().reverse().map(function (p) { return mid(p) + "," + y(convert(p[1])).toFixed(1); }));
        el("polygon", { points: band.join(" "), fill: colour, "fill-opacity": 0.18, stroke: "none" }, svg);
        el("polyline", { points: run.map(function (p) { return mid(p) + "," + y(convert(p[2])).toFixed(1); }).join(" "),
          fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": s.dash || "" }, svg);
        if (run.length === 1) el("circle", { cx: mid(run[0]), cy: y(convert(run[0][2])), r: 3, fill: colour }, svg);
      });
    });
    var legend = document.createElement("ul"); legend.className = "legend";
    list.forEach(function (s, index) {
      var li = document.createElement("li"); var sw = document.createElement("i");
      sw.style.background = colours(s, index); li.appendChild(sw);
      li.appendChild(document.createTextNode(s.name + (s.placement !== "other" ? " (" + s.placement + ")" : "") + " · " + s.label));
      legend.appendChild(li);
    });
    box.appendChild(legend);
  }

  function drawCharts() {
    var css = getComputedStyle(document.documentElement);
    var temps = history.series.filter(function (s) { return s.kind === "temperature"; });
    var seen = {};
    temps.forEach(function (s) { seen[s.placement] = (seen[s.placement] || 0) + 1; s.dash = seen[s.placement] > 1 ? "6 4" : ""; });
    var byPlacement = function (s) {
      return css.getPropertyValue(s.placement === "inside" ? "--inside" : s.placement === "outside" ? "--outside" : "--muted").trim();
    };
    drawChart(document.getElementById("chart-temperature"), temps, toUnit, byPlacement);
    // Pressure, humidity and the rest: one small chart per label and unit, never on the temperature axis.
    var others = document.getElementById("chart-others"); others.textContent = "";
    var groups = {};
    history.series.filter(function (s) { return s.kind !== "temperature"; }).forEach(function (s) {
      var k = s.label + " (" + s.unit + ")"; (groups[k] = groups[k] || []).push(s);
    });
    Object.keys(groups).forEach(function (k) {
      var wrap = document.createElement("div"); wrap.className = "other-chart";
      var h = document.createElement("h3"); h.textContent = k; wrap.appendChild(h);
      var box = document.createElement("div"); box.className = "chart"; wrap.appendChild(box);
      others.appendChild(wrap);
      drawChart(box, groups[k], function (v) { return v; }, byPlacement);
    });
  }

  function loadHistory() {
    var box = document.getElementById("chart-temperature");
    if (!box) return;
    fetch(config.history + "?range=" + range, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { history = body; drawCharts(); } });
  }

  document.querySelectorAll("[data-unit]").forEach(function (b) {
    b.addEventListener("click", function () {
      unit = b.dataset.unit; localStorage.setItem("temperatureUnit", unit); paintUnits();
    });
  });
  document.querySelectorAll("[data-range]").forEach(function (b) {
    b.addEventListener("click", function () {
      range = b.dataset.range;
      document.querySelectorAll("[data-range]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
      loadHistory();
    });
  });
  var resizing;
  window.addEventListener("resize", function () {
    clearTimeout(resizing); resizing = setTimeout(function () { if (history) drawCharts(); }, 150);
  });
  paintUnits();
  paintTimes();
  setInterval(paintTimes, 30000);
  loadHistory();
  setTimeout(poll, POLL_MS);
})();
