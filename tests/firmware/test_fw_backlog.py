"""The bounded backlog: oldest first, cap with dropped count, flash spill with a hard byte cap."""

import os

import backlog


def fill(b, n, start=0):
    for i in range(start, start + n):
        b.add(1, float(i), 848552400 + 60 * i, i)


def values(records):
    return [r[1] for r in records]


def test_peek_is_oldest_first_and_remove_only_drops_what_was_peeked():
    b = backlog.Backlog(10, log=lambda m: None)
    fill(b, 5)
    assert values(b.peek(3)) == [0.0, 1.0, 2.0]
    assert len(b) == 5  # peeking removes nothing
    b.remove()
    assert values(b.peek(10)) == [3.0, 4.0]
    b.remove()
    assert len(b) == 0
    b.remove()  # nothing pending: harmless
    assert len(b) == 0


def test_ram_cap_drops_oldest_and_counts():
    b = backlog.Backlog(4, log=lambda m: None)
    fill(b, 7)
    assert len(b) == 4
    assert b.dropped == 3
    assert values(b.peek(10)) == [3.0, 4.0, 5.0, 6.0]


def test_backdate_stamps_only_unstamped_readings():
    b = backlog.Backlog(10, log=lambda m: None)
    b.add(1, 1.0, None, 1000)
    b.add(1, 2.0, 848552999, 2000)
    b.add(1, 3.0, None, 3000)
    b.backdate(lambda ticks: 848000000 + ticks // 1000)
    assert b.peek(10) == [(1, 1.0, 848000001), (1, 2.0, 848552999), (1, 3.0, 848000003)]


def spill(tmp_path, max_bytes=1000, segments=4):
    return backlog.FlashSpill(os, str(tmp_path / "backlog"), max_bytes, segments, log=lambda m: None)


def disk_bytes(tmp_path):
    return sum(p.stat().st_size for p in tmp_path.iterdir() if p.name.startswith("backlog."))


def test_full_ram_spills_older_half_to_flash_and_order_is_kept(tmp_path):
    b = backlog.Backlog(10, spill(tmp_path, 100000), log=lambda m: None)
    fill(b, 25)
    assert len(b) == 25 and b.dropped == 0
    assert b.in_ram() <= 10
    sent = []
    while len(b):
        batch = b.peek(4)
        sent.extend(values(batch))
        b.remove()
    assert sent == [float(i) for i in range(25)]
    assert disk_bytes(tmp_path) == 0  # delivered files are deleted


def test_flash_spill_never_exceeds_its_byte_cap_and_drops_oldest(tmp_path):
    s = spill(tmp_path, max_bytes=1000, segments=4)
    b = backlog.Backlog(10, s, log=lambda m: None)
    for i in range(500):
        b.add(1, float(i), 848552400 + 60 * i, i)
        assert disk_bytes(tmp_path) <= 1000
        assert s.total_bytes() == disk_bytes(tmp_path)
    assert b.dropped > 0
    assert len(b) + b.dropped == 500  # every reading is either kept or counted
    kept = []
    while len(b):
        kept.extend(values(b.peek(50)))
        b.remove()
    assert kept == [float(i) for i in range(500 - len(kept), 500)]  # the newest survive, in order


def test_flash_backlog_survives_a_reboot(tmp_path):
    b = backlog.Backlog(4, spill(tmp_path), log=lambda m: None)
    fill(b, 9)  # 6 went to flash, 3 stay in RAM and die with it
    assert len(b) == 9
    after = backlog.Backlog(4, spill(tmp_path), log=lambda m: None)
    assert values(after.peek(100)) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert after.peek(1)[0] == (1, 0.0, 848552400)


def test_torn_line_is_skipped_and_counted(tmp_path):
    s = spill(tmp_path)
    s.append([(1, 1.5, 848552400), (1, 2.5, None)])
    with open(str(tmp_path / "backlog.0"), "a") as f:
        f.write("1,3.")  # power cut in the middle of a write
    b = backlog.Backlog(
        4, backlog.FlashSpill(os, str(tmp_path / "backlog"), 1000, log=lambda m: None), log=lambda m: None
    )
    assert b.peek(10) == [(1, 1.5, 848552400), (1, 2.5, None)]
    b.remove()
    assert len(b) == 0 and b.dropped == 1
