"""Unsent readings on flash, as ready-to-send JSON lines, with a persisted read position.

Nothing is held only in RAM: a reading the server has not confirmed is a line
in a file <prefix>.<n> (a ring of `segments` files, at most max_bytes in all;
when full, the oldest file goes whole: nothing is ever rewritten, which wears
the flash least). Each line is one JSON object of the batch body,
'{"field":1,"data":21.5625,"recorded_at":1795237200.125}\\n', so a batch is
sent by copying lines to the socket: newlines are JSON whitespace. What was
delivered is remembered in <prefix>.pos ("segment offset"), written after each
delivered batch; a power cut between a batch and that write sends the batch
again, which the server ignores for stamped readings.

A line torn by a power cut (FAT keeps part of it, or zeros) is not a valid
line: it is skipped, never a stall. A file that cannot be read is moved aside
to <prefix>.bad instead of crashing the station. Readings taken before the
clock was ever set wait in <prefix>.t ("ticks,field,value") until it is, or,
after a restart (their ticks are then meaningless), go out without a time.
"""

LINE_MAX = 96


def valid(line):
    return 12 < len(line) <= LINE_MAX and line.startswith(b'{"field":') and line.endswith(b"}\n")


def reading_line(field, value, when):
    """The JSON line of a reading; `when` is Unix seconds as text, or None."""
    if when is None:
        return ('{"field":%d,"data":%s}\n' % (field, repr(value))).encode()
    return ('{"field":%d,"data":%s,"recorded_at":%s}\n' % (field, repr(value), when)).encode()


class Backlog:
    def __init__(self, os_module, prefix="backlog", max_bytes=262144, segments=8, log=print):
        self._os = os_module
        self._prefix = prefix
        self._segments = segments
        self.segment_bytes = max(256, max_bytes // segments)
        self._log = log
        self._segs = []          # [[number, bytes], ...] oldest first
        self._rn = 0             # read position: segment number...
        self._roff = 0           # ...and byte offset in it
        self.dropped = 0         # readings lost to the cap, to refusals and torn lines
        self._scan()

    # --- files -----------------------------------------------------------
    def _name(self, n):
        return "%s.%d" % (self._prefix, n)

    def _folder(self):
        slash = self._prefix.rfind("/")
        if slash < 0:
            return "", self._prefix
        return self._prefix[:slash] or "/", self._prefix[slash + 1:]

    def _scan(self):
        folder, base = self._folder()
        found = []
        for name in (self._os.listdir(folder) if folder else self._os.listdir()):
            if name.startswith(base + ".") and name[len(base) + 1:].isdigit():
                found.append(int(name[len(base) + 1:]))
        found.sort()
        for n in found:
            try:
                st = self._os.stat(self._name(n))
                if st[0] & 0x4000:   # a directory where a file should be
                    raise OSError(21)
                self._segs.append([n, st[6]])
            except OSError as e:
                self._aside(n, e)
        if self._segs:
            self._repair_tail()
        self._load_pos()

    def _repair_tail(self):
        # A power cut in an append leaves a last line without its newline:
        # end it, so the fragment is one invalid line and the next append is whole.
        seg = self._segs[-1]
        if seg[1] == 0:
            return
        try:
            with open(self._name(seg[0]), "rb") as f:
                f.seek(seg[1] - 1)
                last = f.read(1)
            if last != b"\n":
                with open(self._name(seg[0]), "ab") as f:
                    f.write(b"\n")
                seg[1] += 1
        except OSError as e:
            self._aside(self._segs.pop()[0], e)

    def _load_pos(self):
        self._rn, self._roff = (self._segs[0][0] if self._segs else 0), 0
        try:
            with open(self._prefix + ".pos", "rb") as f:
                raw = f.read(40)
            # torn (no newline: the offset may be cut short) or garbage: start from the oldest
            # file; stamped readings are not stored twice
            if not raw.endswith(b"\n"):
                return
            parts = raw.split()
            n, off = int(parts[0]), int(parts[1])
        except Exception:
            return
        for seg in self._segs:
            if seg[0] == n and 0 <= off <= seg[1]:
                self._rn, self._roff = n, off
                return

    def _save_pos(self):
        try:
            if self._segs:
                with open(self._prefix + ".pos", "w") as f:
                    f.write("%d %d\n" % (self._rn, self._roff))
            else:
                self._os.remove(self._prefix + ".pos")
        except OSError:
            pass

    def _aside(self, n, error):
        name = self._name(n)
        self._log("backlog: %s unreadable (%r), moved to %s.bad" % (name, error, self._prefix))
        try:
            self._remove(self._prefix + ".bad")
            self._os.rename(name, self._prefix + ".bad")
        except OSError:
            self._remove(name)

    def _remove(self, name):
        try:
            self._os.remove(name)
        except OSError:
            try:
                self._os.rmdir(name)
            except OSError:
                pass

    def _drop_segment(self):
        n = self._segs.pop(0)[0]
        self._roff = 0
        self._rn = self._segs[0][0] if self._segs else n + 1
        self._remove(self._name(n))

    # --- writing ---------------------------------------------------------
    def append(self, line):
        """Keep one reading line (bytes from reading_line) after the others."""
        segs = self._segs
        if not segs or segs[-1][1] + len(line) > self.segment_bytes:
            n = segs[-1][0] + 1 if segs else self._rn
            segs.append([n, 0])
            if len(segs) > self._segments:
                lost = self._lines_unsent(segs[0])
                self.dropped += lost
                self._log("backlog: flash full, dropped %d oldest readings" % lost)
                self._drop_segment()
                self._save_pos()
        with open(self._name(segs[-1][0]), "ab") as f:
            f.write(line)
        segs[-1][1] += len(line)

    def _lines_unsent(self, seg):
        count = 0
        try:
            with open(self._name(seg[0]), "rb") as f:
                if seg[0] == self._rn:
                    f.seek(self._roff)
                while f.readline(LINE_MAX + 1):
                    count += 1
        except OSError:
            pass
        return count

    def keep_unsynced(self, ticks, field, value):
        with open(self._prefix + ".t", "a") as f:
            f.write("%d,%d,%s\n" % (ticks, field, repr(value)))

    def has_unsynced(self):
        try:
            self._os.stat(self._prefix + ".t")
            return True
        except OSError:
            return False

    def stamp_unsynced(self, when_of):
        """Move readings kept before the clock was set to the queue; when_of(ticks)
        gives their time as text, or None when unknown (kept from an earlier boot)."""
        name = self._prefix + ".t"
        try:
            with open(name, "rb") as f:
                while True:
                    line = f.readline(LINE_MAX + 1)
                    if not line:
                        break
                    try:
                        parts = line.decode().split(",")
                        if len(parts) != 3 or not line.endswith(b"\n"):
                            raise ValueError
                        ticks, field, value = int(parts[0]), int(parts[1]), float(parts[2])
                    except Exception:
                        self.dropped += 1   # torn by a power cut, or garbage
                        continue
                    self.append(reading_line(field, value, when_of(ticks)))
        except OSError:
            return
        self._remove(name)

    # --- reading ---------------------------------------------------------
    def pending_bytes(self):
        total = -self._roff if self._segs else 0
        for seg in self._segs:
            total += seg[1]
        return total

    def __len__(self):
        return self.pending_bytes()

    def batch(self, limit):
        """(count, body bytes, end offset) of the next up to `limit` valid lines,
        all in one file; (0, 0, 0) when nothing is left. Invalid lines before
        them are skipped for good."""
        while self._segs:
            seg = self._segs[0]
            if self._rn != seg[0]:
                self._rn, self._roff = seg[0], 0
            count = body = 0
            off = end = self._roff
            try:
                with open(self._name(seg[0]), "rb") as f:
                    f.seek(off)
                    while count < limit:
                        line = f.readline(LINE_MAX + 1)
                        if not line:
                            break
                        off += len(line)
                        if valid(line):
                            count += 1
                            body += len(line) + (1 if count > 1 else 0)
                            end = off
                        elif count:
                            break    # the next batch starts with it, and skips it
                        else:
                            self.dropped += 1
                            self._log("backlog: torn line skipped")
                            self._roff = end = off
            except OSError as e:
                self._segs.pop(0)
                self._aside(seg[0], e)
                self._roff = 0
                continue
            if count:
                return count, body, end
            # nothing valid left in this file: it is done
            self._drop_segment()
            self._save_pos()
        return 0, 0, 0

    def emit(self, send, end):
        """Write the valid lines from the read position to `end` with send()."""
        first = True
        with open(self._name(self._rn), "rb") as f:
            f.seek(self._roff)
            off = self._roff
            while off < end:
                line = f.readline(LINE_MAX + 1)
                if not line:
                    break
                off += len(line)
                if valid(line):
                    if not first:
                        send(b",")
                    send(line)
                    first = False

    def advance(self, end):
        """The lines up to `end` were delivered (or refused): never send them again."""
        self._roff = end
        if self._segs and end >= self._segs[0][1]:
            self._drop_segment()
        self._save_pos()

    def skip_one(self):
        """Drop the next valid line (the server refused it)."""
        count, _, end = self.batch(1)
        if count:
            self.dropped += 1
            self.advance(end)
