"""The firmware on the board-like MicroPython (../shared/tools/micropython-esp8266), as on a real board.

A `Board` is a flash folder (the modules compiled with mpy-cross -O3 as flash_board does, main.py and a
config.py) and a state folder the fakes in esp8266/ share with the test. It boots the interpreter at
34 KB of heap, can cut its power (SIGKILL, RTC memory lost) and boots it again on the same flash.
`Proxy` stands between the board and a real gunicorn and can refuse connections, accept and never
answer, or answer 500. `NtpServer` answers NTP on loopback with the board's virtual time.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
FIRMWARE = PROJECT / "firmware"
FAKES = HERE / "esp8266"
TOOL = PROJECT.parent / "shared" / "tools" / "micropython-esp8266" / "micropython"
HEAP = 34 * 1024  # free heap on a booted ESP8266 (38 KB, less what boot and the network stack hold)
NTP_1900_TO_1970 = 2208988800
AS_SOURCE = ("main.py", "config.py", "config.example.py")


def interpreter() -> str:
    """The board-like interpreter's path; skips the test where this machine has none."""
    path = os.environ.get("MICROPYTHON_ESP8266") or str(TOOL)
    if not os.access(path, os.X_OK):
        why = (
            "the board-like MicroPython is not here (../shared/tools/micropython-esp8266/micropython, "
            "or set MICROPYTHON_ESP8266): the firmware's board tests need it"
        )
        if os.environ.get("FIRMWARE_BOARD_TESTS") == "required":  # CI: never skip them quietly
            pytest.fail(why)
        pytest.skip(why)
    return path


_compiled: dict[tuple[Path, float], bytes] = {}


def mpy_cross(source: Path, target: Path) -> None:
    """Compile as flash_board does (once per source version in a test session)."""
    key = (source, source.stat().st_mtime)
    if key not in _compiled:
        subprocess.run([sys.executable, "-m", "mpy_cross", "-O3", str(source), "-o", str(target)], check=True)
        _compiled[key] = target.read_bytes()
    target.write_bytes(_compiled[key])


class Board:
    def __init__(self, folder: Path, config: dict, schedule: list[tuple[int, int, str]] = (), back_ms=0):
        self.exe = interpreter()
        self.flash = folder / "flash"
        self.state = folder / "state"
        self.fakes = folder / "fakes"
        for d in (self.flash, self.state, self.fakes):
            d.mkdir(parents=True, exist_ok=True)
        self.mpy_sizes = {}
        for module in sorted(FIRMWARE.glob("*.py")):
            if module.name in AS_SOURCE:
                continue
            target = self.flash / (module.stem + ".mpy")
            mpy_cross(module, target)
            self.mpy_sizes[target.name] = target.stat().st_size
        shutil.copy(FIRMWARE / "main.py", self.flash / "main.py")
        for fake in FAKES.glob("*.py"):
            # compiled as well: on the board machine and network cost no heap for their code
            mpy_cross(fake, self.fakes / (fake.stem + ".mpy"))
        self.write_config(config)
        self.fakes_heap = 0
        self.fakes_heaps: list[int] = []  # per boot
        (self.state / "schedule").write_text("".join(f"{lo} {hi} {what}\n" for lo, hi, what in schedule))
        self.back_ms = back_ms
        self.process: subprocess.Popen | None = None
        self.output = self.state / "console"
        self.boots = 0

    def _measure_fakes(self) -> int:
        """Heap the fakes hold once imported, in the board's state as it is now (their
        schedule, the readings counted so far). On the board machine and network are in ROM,
        so the interpreter gets this much on top of 34 KB: the firmware sees what it would on a
        board. Measured on a copy of the state, as importing the fakes touches it."""
        scratch = self.state.parent / "measure"
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(self.state, scratch)
        probe = (
            "import gc\ngc.collect()\nbefore = gc.mem_alloc()\nimport board, time, machine, network\n"
            "gc.collect()\nprint(gc.mem_alloc() - before)\n"
        )
        done = subprocess.run(
            [self.exe, "-X", "heapsize=256k", "-c", probe],
            cwd=scratch,
            env={"MICROPYPATH": str(self.fakes), "BOARD_STATE": str(scratch)},
            capture_output=True,
            text=True,
            check=True,
        )
        shutil.rmtree(scratch)
        return int(done.stdout.split()[-1])

    def write_config(self, config: dict) -> None:
        (self.flash / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in config.items()))

    def start(self) -> subprocess.Popen:
        self.boots += 1
        self.fakes_heap = self._measure_fakes()
        self.fakes_heaps.append(self.fakes_heap)
        with open(self.output, "a") as console:
            console.write(f"=== boot {self.boots}\n")
        self.process = subprocess.Popen(
            [self.exe, "-X", f"heapsize={HEAP + self.fakes_heap}", "-c", BOOT],
            cwd=self.flash,
            env={"MICROPYPATH": str(self.fakes), "BOARD_STATE": str(self.state), "PATH": os.environ["PATH"]},
            stdout=open(self.output, "a"),  # noqa: SIM115 - the process owns it
            stderr=subprocess.STDOUT,
        )
        return self.process

    def power_cut(self) -> None:
        """Pull the plug: the process dies at once, RTC memory is lost, the flash stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        for name in ("rtc_memory", "reset_cause"):
            (self.state / name).unlink(missing_ok=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def run(self, readings: int, limit_s: float = 120) -> list[str]:
        """Boot and keep the board running (booting it again after each reset, as the chip does)
        until `readings` were taken or it ends by itself (safe mode: the REPL). The reset causes
        seen, in order: "1" watchdog, "4" machine.reset()."""
        began = time.monotonic()
        causes = []
        self.start()
        while self.count_taken() < readings:
            if time.monotonic() - began > limit_s:
                self.stop()
                raise AssertionError(f"the board took too long; console:\n{self.console()[-3000:]}")
            if self.process.poll() is not None:
                cause = self.reset_cause()
                if cause is None:
                    break  # returned to the REPL
                causes.append(cause)
                self.start()
            time.sleep(0.002)
        self.stop()
        return causes

    def reset_cause(self) -> str | None:
        path = self.state / "reset_cause"
        return path.read_text() if path.exists() else None

    def events(self) -> list[str]:
        path = self.state / "events"
        return path.read_text().splitlines() if path.exists() else []

    def console(self) -> str:
        return self.output.read_text() if self.output.exists() else ""

    def taken(self) -> list[tuple[int, float, int]]:
        """(reading number, value, true Unix ms when taken) of every reading the sensor gave."""
        path = self.state / "taken"
        out = []
        for line in path.read_text().splitlines() if path.exists() else []:
            parts = line.split()
            if len(parts) == 4:
                out.append((int(parts[0]), float(parts[1]), int(parts[2]) - self.back_ms + int(parts[3])))
        return out

    def heap_marks(self) -> dict[int, int]:
        """The firmware's live heap high-water mark (bytes) in each slot, by reading number:
        sampled at every watchdog feed after a collection, less what the fakes held at boot."""
        marks: dict[int, int] = {}
        base = 0
        for event in self.events():
            if event.startswith("base "):
                base = int(event.split()[1])
            elif event.startswith("heap "):
                _, n, peak = event.split()
                slot = int(n) - 1  # the mark noted at reading n is the peak of the slot before
                marks[slot] = max(marks.get(slot, 0), int(peak) - base)
        marks.pop(0, None)
        return marks

    def heap_available(self) -> int:
        """What the firmware had: the heap given, less what the interpreter and the fakes held at boot."""
        bases = [int(e.split()[1]) for e in self.events() if e.startswith("base ")]
        return min(HEAP + given - base for given, base in zip(self.fakes_heaps, bases, strict=False))

    def count_taken(self) -> int:
        path = self.state / "taken"
        if not path.exists():
            return 0
        with open(path, "rb") as f:
            return f.read().count(b"\n")

    def true_ms(self) -> int:
        """The board's virtual time now: real time, minus where it started, plus what it slept."""
        try:
            skip = int((self.state / "skip").read_text()[:15] or 0)
        except (OSError, ValueError):
            skip = 0
        return int(time.time() * 1000) - self.back_ms + skip


# The fakes first (ROM on a board: the heap they hold is noted as `base`, so that the firmware's
# share is what is measured), then what _boot.py does on the board (the GC threshold at a quarter
# of the heap), then main.py.
BOOT = (
    "import gc\nimport board, time, machine, network\ngc.collect()\nboard.event('base %d' % gc.mem_alloc())\n"
    "gc.threshold((gc.mem_free() + gc.mem_alloc()) // 4)\nimport main\nmain.main()\n"
)


class NtpServer:
    """NTP on loopback that tells the board's virtual time; `zero` answers a zero timestamp."""

    def __init__(self, board: Board):
        self.board = board
        self.zero = False
        self.bad_until = 0  # answer a zero timestamp until the board has taken this many readings
        self.answers = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop:
            try:
                request, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            if len(request) < 48:
                continue
            bad = self.zero or self.board.count_taken() < self.bad_until
            ms = 0 if bad else self.board.true_ms()
            secs = ms // 1000 + NTP_1900_TO_1970 if ms else 0
            frac = (ms % 1000) * (1 << 32) // 1000 if ms else 0
            reply = bytearray(48)
            reply[0] = 0x24  # LI 0, version 4, mode 4 (server)
            reply[1] = 2  # stratum
            reply[24:32] = request[40:48]  # originate = the client's transmit time
            reply[32:40] = reply[40:48] = struct.pack("!II", secs, frac)
            self.sock.sendto(bytes(reply), peer)
            self.answers += 1

    def close(self):
        self._stop = True
        self.thread.join()
        self.sock.close()


class Proxy:
    """Between the board and gunicorn; the board's current condition (its `condition` file) says how:
    `refuse` and `outage`: nothing listens (connection refused); `blackhole`: accepts, never answers;
    `eNNN`: answers status NNN itself (429 and 503 with Retry-After: 600); `lost`: passes the request
    on but drops gunicorn's answer (the server stored it, the board never hears); anything else:
    passes the request on. `requests` counts the requests that reached it, by condition."""

    def __init__(self, board: Board, upstream_port: int):
        self.board = board
        self.upstream = upstream_port
        self.listener: socket.socket | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.requests: dict[str, int] = {}
        self._stop = False
        self._held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def condition(self) -> str:
        try:
            return (self.board.state / "condition").read_text().strip() or "ok"
        except OSError:
            return "ok"

    def _open(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(16)
        s.settimeout(0.01)
        self.listener = s

    def _run(self):
        while not self._stop:
            refusing = self.condition().split("+")[0] in ("refuse", "outage")
            if refusing and self.listener is not None:
                self.listener.close()
                self.listener = None
            elif not refusing and self.listener is None:
                self._open()
            if self.listener is None:
                time.sleep(0.002)
                continue
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                continue
            condition = self.condition().split("+")[0]
            threading.Thread(target=self._handle, args=(conn, condition), daemon=True).start()

    def _handle(self, conn: socket.socket, condition: str):
        conn.settimeout(30)
        self.requests[condition] = self.requests.get(condition, 0) + 1
        try:
            if condition == "blackhole":
                self._held.append(conn)  # never answered; the board gives up
                return
            request = _read_request(conn)
            if condition.startswith("e"):
                status = int(condition[1:])
                body = b'{"detail": "made up by the test proxy"}'
                retry = b"Retry-After: 600\r\n" if status in (429, 503) else b""
                conn.sendall(
                    b"HTTP/1.1 %d Whatever\r\nContent-Type: application/json\r\n%s"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (status, retry, len(body), body)
                )
                return
            with socket.create_connection(("127.0.0.1", self.upstream), timeout=30) as up:
                up.sendall(request)
                while True:
                    chunk = up.recv(65536)
                    if not chunk:
                        break
                    if condition != "lost":
                        conn.sendall(chunk)
        except OSError:
            pass
        finally:
            if condition != "blackhole":
                conn.close()

    def close(self):
        self._stop = True
        self.thread.join()
        if self.listener is not None:
            self.listener.close()
        for conn in self._held:
            conn.close()


def _read_request(conn: socket.socket) -> bytes:
    """The whole request; OSError if the board went (a power cut) before sending all of it, so
    that gunicorn is never left waiting for the rest."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("the board hung up mid-request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("the board hung up mid-request")
        body += chunk
    return head + b"\r\n\r\n" + body
