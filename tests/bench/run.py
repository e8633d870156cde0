"""Run the benchmarks and print one table: `make bench` (or `python -m tests.bench.run [--quick]`).

Every figure is measured in this run, on this machine, on loopback:
- ingest: wrk, 16 connections, against the station URL under gunicorn as `make run` serves it
  (2 workers, SQLite in WAL with synchronous=FULL, the per-device rate limit off), and against
  the floor (tests/bench/floor_urls.py: one raw INSERT in the same setup); on PostgreSQL too
  when DATABASE_URL points at one;
- reads: generate_readings fills a database (10.5 million readings, or 1 million with --quick),
  then the server time (gunicorn's own %(D)s) of the dashboard, the latest endpoint and history;
- memory: the peak RSS of each gunicorn worker after the reads.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests import postgres
from tests.live import LiveServer, gunicorn_server

INSTALL_WRK = "wrk is needed for the ingest benchmark: `sudo apt-get install -y wrk` (Debian, Ubuntu)"
# What the issue asks of a 2-core machine.
TARGET_RATIO, TARGET_P99_MS = 0.6, 25.0
TARGET_DASHBOARD_MS, TARGET_HISTORY_MS, TARGET_LATEST_MS, TARGET_POINTS = 30.0, 50.0, 10.0, 500
TARGET_RSS_MB = 120.0
# Server time from gunicorn's access log: status, microseconds, path (the path redacted as usual).
ACCESS_FORMAT = '%(s)s %(D)s "%(U)s"'
BENCH_MAC = "02:00:00:00:be:00"


@dataclass
class Report:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # what, figure, target, verdict
    missed: list[str] = field(default_factory=list)

    def add(self, what: str, figure: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "MISSED")
        if met is False:
            self.missed.append(f"{what}: {figure} (target {target})")
        self.rows.append((what, figure, target, verdict))
        print(f"  {what}: {figure}", flush=True)

    def table(self) -> str:
        lines = ["| measured | figure | target | |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {what} | {figure} | {target} | {verdict} |" for what, figure, target, verdict in self.rows
        ]
        return "\n".join(lines)


def _found(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """The first match of `pattern` in `text`; a ValueError that shows both when there is none."""
    match = re.search(pattern, text, flags)
    if match is None:
        raise ValueError(f"no {pattern!r} in:\n{text}")
    return match


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    memory = "unknown RAM"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        total_kb = int(_found(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{total_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError):
        pass
    sqlite = subprocess.run(
        [sys.executable, "-c", "import sqlite3; print(sqlite3.sqlite_version)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite}"
    )


# Ingest -------------------------------------------------------------------------------------


@dataclass
class WrkRun:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def _ms(number: str, unit: str) -> float:
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int) -> WrkRun:
    done = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    if not re.search(r"^\s+99%", out, re.M):
        raise RuntimeError("wrk's output has no latency distribution:\n" + out + done.stderr)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s))\s*$", out, re.M))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkRun(
        requests_per_s=float(_found(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(*_found(r"^([\d.]+)(us|ms|s)", latency["50"]).groups()),
        p99_ms=_ms(*_found(r"^([\d.]+)(us|ms|s)", latency["99"]).groups()),
        requests=int(_found(r"(\d+) requests in", out).group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def answers_2xx(server: LiveServer, path_part: str) -> int:
    """2xx answers the server sent for paths containing path_part, from its access log."""
    lines = server.access_log.read_text().splitlines()
    return sum(1 for line in lines if path_part in line and line.startswith("2"))


def readings_count(server: LiveServer) -> int:
    return server.query("SELECT COUNT(*) FROM readings_reading")[0][0]


def register(server: LiveServer) -> tuple[int, str]:
    out = server.manage(
        "register_device",
        "--name",
        "Bench station",
        "--mac",
        BENCH_MAC,
        "--placement",
        "outside",
        "--field",
        "1",
    )
    key = out.strip().splitlines()[-1].strip()
    [(device_id,)] = server.query("SELECT id FROM devices_device WHERE name = 'Bench station'")
    return device_id, key


def ingest(report: Report, folder: Path, seconds: int, engine: str, database_url: str | None) -> None:
    env = {"DEVICE_RATE_LIMIT": "off", "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"}
    results = {}
    for name, settings_module in (("project", "iotserver.settings"), ("floor", "tests.bench.floor_settings")):
        with ExitStack() as stack:
            url = database_url
            if database_url and "://" in database_url:
                url = stack.enter_context(postgres.fresh_database(database_url, f"bench_{name}"))
            elif database_url is None:
                url = str(folder / f"ingest-{name}.sqlite3")
            server = stack.enter_context(
                gunicorn_server(
                    folder,
                    workers=2,
                    extra_env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
                    database_url=url,
                )
            )
            device_id, key = register(server)
            if name == "project":
                path = f"/update/API_key={key}/mac={BENCH_MAC}/field=1/data=21.5625"
                marker = "/update/"
            else:
                path = f"/floor/{device_id}/"
                marker = "/floor/"
            for _ in range(20):  # warm both workers' connections and imports
                urllib.request.urlopen(server.url + path).read()
            # gunicorn logs a request after answering it: let the warm-up's last lines land
            # before counting, or one of them is taken for a 2xx of the run with no new row.
            time.sleep(1)
            before, answered_before = readings_count(server), answers_2xx(server, marker)
            run = wrk(server.url + path, seconds)
            time.sleep(1)  # let the last answers reach the access log
            stored = readings_count(server) - before
            answered = answers_2xx(server, marker) - answered_before
            results[name] = run
            label = "station URL" if name == "project" else "floor (one raw INSERT)"
            errors = run.non_2xx + run.socket_errors
            report.add(
                f"ingest {engine}, {label}",
                f"{run.requests_per_s:,.0f} req/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms",
                f"p99 < {TARGET_P99_MS:g} ms" if name == "project" else "",
                run.p99_ms < TARGET_P99_MS if name == "project" else None,
            )
            report.add(
                f"ingest {engine}, {label}: errors",
                f"{errors} (non-2xx {run.non_2xx}, socket {run.socket_errors})",
                "0",
                errors == 0,
            )
            report.add(
                f"ingest {engine}, {label}: rows stored",
                f"{stored:,} rows; {answered:,} 2xx sent, {run.requests - run.non_2xx:,} received by wrk",
                "rows = 2xx answers",
                stored == answered,
            )
    ratio = results["project"].requests_per_s / results["floor"].requests_per_s
    report.add(
        f"ingest {engine}: station URL / floor", f"{ratio:.2f}", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO
    )


# Reads --------------------------------------------------------------------------------------


def get(server: LiveServer, path: str) -> bytes:
    try:
        with urllib.request.urlopen(server.url + path) as answer:
            return answer.read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(
            f"{path} answered {error.code}; gunicorn's log:\n{server.error_log.read_text()[-4000:]}"
        ) from error


def server_times_ms(server: LiveServer, path: str, samples: int) -> tuple[list[float], bytes]:
    """gunicorn's own time for `samples` sequential GETs of path, after warming both workers."""
    body = b""
    for _ in range(4):
        body = get(server, path)
    time.sleep(0.3)  # gunicorn logs a request just after answering it
    offset = len(server.access_log.read_text().splitlines())
    for _ in range(samples):
        get(server, path)
    time.sleep(0.3)
    lines = server.access_log.read_text().splitlines()[offset:]
    times = [int(line.split()[1]) / 1000 for line in lines if line.startswith("2")]
    if len(times) != samples:
        raise RuntimeError(f"{path}: {len(times)} of {samples} answers were 2xx")
    return times, body


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def reads(report: Report, folder: Path, rows: int | None, samples: int) -> None:
    import json

    env = {
        "DASHBOARD_PUBLIC": "true",
        "STATIC_ROOT": str(folder / "static"),
        "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'",
    }
    database = folder / "reads.sqlite3"
    with gunicorn_server(folder, workers=2, extra_env=env, database_url=str(database)) as server:
        server.manage("collectstatic", "--noinput")  # the page links hashed static files, as `make run`
        started = time.monotonic()
        size = ["--rows", str(rows)] if rows else ["--years", "10"]
        server.manage("generate_readings", "--devices", "2", "--interval", "60", *size)
        stored = readings_count(server)
        report.add(
            "generate_readings (SQLite)",
            f"{stored:,} readings in {time.monotonic() - started:.0f} s, "
            f"{database.stat().st_size / 2**30:.2f} GiB with rollups",
        )
        key = server.manage("issue_read_key", "--device", "Demo station 1").strip().splitlines()[-1].strip()
        [(device_id,)] = server.query("SELECT id FROM devices_device WHERE name = 'Demo station 1'")
        [(oldest,)] = server.query("SELECT MIN(recorded_at) FROM readings_reading")
        since = datetime.fromisoformat(oldest).replace(tzinfo=UTC) - timedelta(days=1)

        def measure(what: str, path: str, target_ms: float, points: bool = False) -> None:
            times, body = server_times_ms(server, path, samples)
            p50, p95 = statistics.median(times), percentile(times, 0.95)
            figure = f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
            met = p50 < target_ms
            if points:
                found = json.loads(body)
                most = max(len(s["points"]) for s in found["series"])
                figure += f", {most} points a series"
                met = met and most <= TARGET_POINTS
            target = f"p50 < {target_ms:g} ms" + (f", <= {TARGET_POINTS} points" if points else "")
            report.add(what, figure, target, met)

        measure("dashboard page /", "/", TARGET_DASHBOARD_MS)
        measure("latest /api/latest/", "/api/latest/", TARGET_LATEST_MS)
        for name in ("24h", "7d", "30d", "1y"):
            measure(
                f"history {name} /api/history/", f"/api/history/?range={name}", TARGET_HISTORY_MS, points=True
            )
        measure(
            "history all (one device) /api/devices/<id>/history/",
            f"/api/devices/{device_id}/history/?start={since:%Y-%m-%dT%H:%M:%SZ}&api_key={key}",
            TARGET_HISTORY_MS,
            points=True,
        )
        rss = worker_peak_rss_mb(server.process.pid)
        report.add(
            "gunicorn worker peak RSS after the reads",
            ", ".join(f"{mb:.0f} MB" for mb in rss),
            f"< {TARGET_RSS_MB:g} MB",
            bool(rss) and max(rss) < TARGET_RSS_MB,
        )


def worker_peak_rss_mb(master: int) -> list[float]:
    """VmHWM (peak resident set) of each child of the gunicorn master, in MB."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M):
            peaks.append(int(_found(r"^VmHWM:\s+(\d+) kB", text, re.M).group(1)) / 1024)
    return sorted(peaks)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 million readings instead of 10.5 million")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--only", choices=["ingest", "reads"], help="run one half of the suite")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print(INSTALL_WRK, file=sys.stderr)
        return 2
    if args.seconds < 10:
        parser.error("wrk runs at least 10 s")
    started = time.monotonic()
    report = Report()
    print(f"Machine: {machine()}", flush=True)
    postgres_url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        if args.only != "reads":
            ingest(report, Path(folder), args.seconds, "SQLite", None)
            if postgres_url.startswith(("postgres://", "postgresql://")):
                ingest(report, Path(folder), args.seconds, "PostgreSQL", postgres_url)
            else:
                report.add("ingest PostgreSQL", "not run: DATABASE_URL does not point at a PostgreSQL server")
        if args.only != "ingest":
            reads(report, Path(folder), 1_000_000 if args.quick else None, samples=50)
    mode = "--quick (1 million readings)" if args.quick else "full (10.5 million readings)"
    print()
    print(f"make bench {mode}, {time.monotonic() - started:.0f} s in all")
    print(f"Machine: {machine()}")
    print()
    print(report.table())
    print()
    if report.missed:
        print("Targets NOT met:")
        for line in report.missed:
            print(f"- {line}")
        return 1
    print("Every target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
