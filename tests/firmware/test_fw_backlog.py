"""The flash backlog: ready-to-send lines, a persisted read position, torn lines and bad files."""

import json
import os

import backlog

T0 = 1795237200


def make(tmp_path, max_bytes=262144, segments=8):
    logs = []
    b = backlog.Backlog(os, str(tmp_path / "backlog"), max_bytes, segments, log=logs.append)
    return b, logs


def keep(b, first, count):
    for i in range(first, first + count):
        b.append(backlog.reading_line(1, float(i), f"{T0 + 60 * i}.000"))


def body(b, limit=50):
    """The JSON a batch would carry, and its end offset; checks the announced length."""
    count, length, end = b.batch(limit)
    if not count:
        return [], 0
    out = []
    b.emit(out.append, end)
    text = b"".join(out)
    assert len(text) == length  # the Content-Length the uplink announces
    readings = json.loads(b'{"readings":[' + text + b"]}")["readings"]
    assert len(readings) == count
    return readings, end


def drain(b, limit=50):
    values = []
    while True:
        readings, end = body(b, limit)
        if not readings:
            return values
        values += [r["data"] for r in readings]
        b.advance(end)


def backlog_files(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backlog."))


def test_lines_are_ready_to_send_and_leave_only_when_delivered(tmp_path):
    b, _ = make(tmp_path)
    keep(b, 0, 120)
    readings, end = body(b)
    assert readings[0] == {"field": 1, "data": 0.0, "recorded_at": T0}
    assert [r["data"] for r in readings] == [float(i) for i in range(50)]
    readings_again, _ = body(b)  # not delivered: the same batch again
    assert readings_again == readings
    b.advance(end)
    assert drain(b) == [float(i) for i in range(50, 120)]
    assert backlog_files(tmp_path) == []  # delivered files and the position are gone


def test_the_read_position_survives_a_restart(tmp_path):
    b, _ = make(tmp_path)
    keep(b, 0, 80)
    _, end = body(b)
    b.advance(end)
    again, _ = make(tmp_path)  # a reset or a power cut
    assert drain(again) == [float(i) for i in range(50, 80)]


def test_a_torn_position_file_sends_the_oldest_file_again_not_nothing(tmp_path):
    b, _ = make(tmp_path)
    keep(b, 0, 80)
    _, end = body(b)
    b.advance(end)
    (tmp_path / "backlog.pos").write_text("0 28")  # cut before its newline
    again, _ = make(tmp_path)
    assert drain(again) == [float(i) for i in range(80)]  # stamped: the server stores them once


def test_a_torn_last_line_at_a_batch_boundary_is_skipped_not_a_stall(tmp_path):
    b, _ = make(tmp_path)
    keep(b, 0, 50)
    with open(tmp_path / "backlog.0", "ab") as f:
        f.write(b'{"field":1,"data":50.0,"rec')  # the power went in the middle of this write
    after, logs = make(tmp_path)
    keep(after, 51, 3)
    assert drain(after) == [float(i) for i in range(50)] + [51.0, 52.0, 53.0]
    assert after.dropped == 1 and any("torn" in line for line in logs)


def test_zeros_left_by_fat_are_skipped(tmp_path):
    b, _ = make(tmp_path)
    keep(b, 0, 2)
    with open(tmp_path / "backlog.0", "ab") as f:
        f.write(b"\x00" * 300 + b"\n")
    keep(b, 2, 2)
    assert drain(b) == [0.0, 1.0, 2.0, 3.0]


def test_flash_never_exceeds_its_cap_and_the_oldest_go_counted(tmp_path):
    b, logs = make(tmp_path, max_bytes=4096, segments=4)
    for i in range(400):
        keep(b, i, 1)
        assert sum(p.stat().st_size for p in tmp_path.iterdir() if p.suffix[1:].isdigit()) <= 4096
    kept = drain(b)
    assert kept == [float(i) for i in range(400 - len(kept), 400)]
    assert b.dropped == 400 - len(kept) > 0
    assert any("flash full" in line for line in logs)


def test_a_file_that_cannot_be_read_is_moved_aside(tmp_path):
    (tmp_path / "backlog.0").mkdir()  # what a damaged FAT may leave: not a file at all
    b, logs = make(tmp_path)
    keep(b, 0, 3)
    assert drain(b) == [0.0, 1.0, 2.0]
    assert (tmp_path / "backlog.bad").is_dir()
    assert any("moved to" in line for line in logs)


def test_refused_reading_is_skipped_alone(tmp_path):
    b, _ = make(tmp_path)
    keep(b, 0, 3)
    b.skip_one()
    assert drain(b) == [1.0, 2.0] and b.dropped == 1


def test_readings_before_the_clock_was_set_get_their_time_or_none(tmp_path):
    b, _ = make(tmp_path)
    b.keep_unsynced(1000, 1, 21.5)
    b.keep_unsynced(61000, 2, 1006.5)
    assert b.has_unsynced() and len(b) == 0
    b.stamp_unsynced(lambda ticks: f"{T0 + ticks // 1000}.000")
    readings, _ = body(b)
    assert readings == [
        {"field": 1, "data": 21.5, "recorded_at": T0 + 1},
        {"field": 2, "data": 1006.5, "recorded_at": T0 + 61},
    ]
    assert not b.has_unsynced()
    b.keep_unsynced(5, 1, 20.0)
    with open(tmp_path / "backlog.t", "a") as f:
        f.write("77,1,2")  # torn
    after, _ = make(tmp_path)  # a restart: their ticks mean nothing now
    after.stamp_unsynced(lambda ticks: None)
    assert drain(after)[-1] == 20.0 and after.dropped == 1
