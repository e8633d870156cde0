"""Bounded store of readings that could not be posted yet, oldest first."""


class FlashSpill:
    """Append-only ring of small files on flash with a hard byte cap.

    Readings are spread over `segments` files named <prefix>.<n>, each at most
    max_bytes // segments long. When a new file would exceed the count, the
    oldest file is deleted whole: the oldest readings go, nothing is ever
    rewritten (flash wear), and the total size never exceeds max_bytes.
    A line is "field,value,stamp\\n" with an empty stamp when the time is not
    known. What was already sent from the oldest file is remembered in RAM
    only; after a reboot it is sent again, which the server ignores for
    stamped readings.
    """

    def __init__(self, os_module, prefix="backlog", max_bytes=65536, segments=4, log=print):
        self._os = os_module
        self._prefix = prefix
        self._segments = segments
        self.segment_bytes = max(64, max_bytes // segments)
        self._log = log
        self._segs = []      # [number, lines, bytes] per file, oldest first
        self._offset = 0     # lines of the oldest file already sent
        self.dropped = 0
        self._scan()

    def _name(self, n):
        return "%s.%d" % (self._prefix, n)

    def _scan(self):
        # Pick up what an earlier boot left behind.
        slash = self._prefix.rfind("/")
        folder, base = (self._prefix[:slash] or "/", self._prefix[slash + 1:]) if slash >= 0 else ("", self._prefix)
        names = self._os.listdir(folder) if folder else self._os.listdir()
        found = []
        for name in names:
            if name.startswith(base + ".") and name[len(base) + 1:].isdigit():
                found.append(int(name[len(base) + 1:]))
        found.sort()
        for n in found:
            lines = 0
            with open(self._name(n)) as f:
                for _ in f:
                    lines += 1
            self._segs.append([n, lines, self._os.stat(self._name(n))[6]])

    def __len__(self):
        return sum(s[1] for s in self._segs) - self._offset

    def total_bytes(self):
        return sum(s[2] for s in self._segs)

    def append(self, records):
        """Write (field, value, stamp) records after the ones already stored."""
        f = None
        try:
            for field, value, stamp in records:
                line = "%d,%s,%s\n" % (field, value, "" if stamp is None else stamp)
                if not self._segs or self._segs[-1][2] + len(line) > self.segment_bytes:
                    if f:
                        f.close()
                        f = None
                    self._new_segment()
                if f is None:
                    f = open(self._name(self._segs[-1][0]), "a")
                f.write(line)
                self._segs[-1][1] += 1
                self._segs[-1][2] += len(line)
        finally:
            if f:
                f.close()

    def _new_segment(self):
        n = self._segs[-1][0] + 1 if self._segs else 0
        self._segs.append([n, 0, 0])
        if len(self._segs) > self._segments:
            self._drop_oldest()

    def _drop_oldest(self):
        n, lines, _ = self._segs.pop(0)
        lost = lines - self._offset
        self._offset = 0
        if lost > 0:
            self.dropped += lost
            self._log("backlog: flash full, dropped %d oldest readings" % lost)
        self._remove(n)

    def _remove(self, n):
        try:
            self._os.remove(self._name(n))
        except OSError:
            pass

    def read(self, n):
        """Up to n oldest records from the oldest file, and how many lines they span."""
        while self._segs:
            records, span = [], 0
            with open(self._name(self._segs[0][0])) as f:
                i = 0
                for line in f:
                    i += 1
                    if i <= self._offset:
                        continue
                    span += 1
                    try:
                        field, value, stamp = line.strip().split(",")
                        records.append((int(field), float(value), int(stamp) if stamp else None))
                    except ValueError:
                        # a line torn by a power cut: skip it, it goes with the rest
                        self.dropped += 1
                    if len(records) >= n:
                        break
            if span:
                return records, span
            # the file holds fewer lines than counted (torn write): move on
            self._offset = 0
            self._remove(self._segs.pop(0)[0])
        return [], 0

    def consume(self, lines):
        """Forget the oldest `lines` lines (they were delivered)."""
        while lines > 0 and self._segs:
            left = self._segs[0][1] - self._offset
            if lines < left:
                self._offset += lines
                return
            lines -= left
            self._offset = 0
            self._remove(self._segs.pop(0)[0])


class Backlog:
    """Readings waiting to be sent, oldest first.

    RAM holds up to `capacity` readings. When it is full and a FlashSpill is
    given, the older half is moved to flash; without one, the oldest reading
    is dropped and counted. Readings leave only through remove(), which the
    caller calls after the server confirmed them.
    """

    def __init__(self, capacity=120, spill=None, log=print):
        self.capacity = max(2, capacity)
        # (field, value, stamp, ticks_ms when read); stamp = seconds since
        # 2000-01-01 UTC, or None while the clock was never set
        self._ram = []
        self._spill = spill
        self._log = log
        self._dropped = 0
        self._pending = None     # ("flash", lines) or ("ram", count) from the last peek

    def __len__(self):
        return len(self._ram) + (len(self._spill) if self._spill is not None else 0)

    @property
    def dropped(self):
        return self._dropped + (self._spill.dropped if self._spill is not None else 0)

    def in_ram(self):
        return len(self._ram)

    def add(self, field, value, stamp, ticks):
        if len(self._ram) >= self.capacity:
            if self._spill is not None:
                half = self.capacity // 2
                self._spill.append([(r[0], r[1], r[2]) for r in self._ram[:half]])
                del self._ram[:half]
            else:
                del self._ram[0]
                self._dropped += 1
        self._ram.append((field, value, stamp, ticks))

    def backdate(self, stamp_at):
        """Stamp readings taken before the clock was set, using when they were read.

        stamp_at(ticks) gives the stamp of a ticks_ms value, or None.
        """
        for i in range(len(self._ram)):
            r = self._ram[i]
            if r[2] is None:
                stamp = stamp_at(r[3])
                if stamp is not None:
                    self._ram[i] = (r[0], r[1], stamp, r[3])

    def peek(self, n):
        """Up to n oldest readings as (field, value, stamp); flash ones come first."""
        if self._spill is not None and len(self._spill):
            records, span = self._spill.read(n)
            self._pending = ("flash", span)
            return records
        self._pending = ("ram", min(n, len(self._ram)))
        return [(r[0], r[1], r[2]) for r in self._ram[:n]]

    def remove(self):
        """Drop what the last peek() returned (after the server took it)."""
        if self._pending is None:
            return
        where, count = self._pending
        self._pending = None
        if where == "flash":
            self._spill.consume(count)
        else:
            del self._ram[:count]
