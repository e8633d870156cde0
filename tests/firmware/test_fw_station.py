"""The station loop against fakes: outages, buffering, flush order, cadence, watchdog, LED."""

import json

import led
import machine
import ntptime
import pytest
import rig
from fakeclock import FakeClock
from wallclock import SECONDS_1970_TO_2000, WallClock

MINUTE = 60000


def step(r, celsius=None):
    """One slot at the current time, then move to the next minute."""
    if celsius is not None:
        r.set_celsius(celsius)
    r.led_pin.history = []
    result = r.station.step()
    r.clock.now_ms = (r.clock.now_ms // MINUTE + 1) * MINUTE
    return result


def posted(r):
    """Every reading that went out in a JSON batch, in order."""
    out = []
    for call in r.posts():
        out.extend(json.loads(call.data)["readings"])
    return out


def test_normal_slot_posts_one_get_and_buffers_nothing():
    r = rig.Rig()
    assert step(r, 21.5625) == led.OK
    assert r.gets() == [rig.SERVER + "/update/API_key=KEY123/mac=aa:bb:cc:dd:ee:ff/field=1/data=21.5625"]
    assert len(r.backlog) == 0 and r.posts() == []
    assert r.http.all_closed()
    assert r.led_pin.lit_count() == 1


@pytest.mark.parametrize("failure", [500, 503, OSError(110)], ids=["500", "503", "timeout"])
def test_server_down_readings_kept_then_flushed_oldest_first(failure):
    r = rig.Rig()
    r.http.responder = lambda call: (
        failure if r.clock.now_ms < 3 * MINUTE else 201 if call.method == "POST" else 200
    )
    boot = r.clock.true_unix()
    for celsius in (20.0, 20.5, 21.0):
        assert step(r, celsius) == led.SERVER
        assert r.led_pin.lit_count() == led.SERVER
    assert [rec[1] for rec in r.ram()] == [20.0, 20.5, 21.0]
    assert r.posts() == []
    assert step(r, 21.5) == led.OK  # server back: this reading by GET, the backlog by POST
    assert r.gets()[-1].endswith("/data=21.5")
    assert posted(r) == [
        {"field": 1, "data": 20.0, "recorded_at": boot},
        {"field": 1, "data": 20.5, "recorded_at": boot + 60},
        {"field": 1, "data": 21.0, "recorded_at": boot + 120},
    ]
    assert len(r.backlog) == 0
    assert r.http.all_closed()


def test_refused_reading_is_dropped_with_a_printed_reason():
    r = rig.Rig()
    r.http.default = (403, "API key invalid")
    assert step(r, 22.0) == led.REFUSED
    assert len(r.backlog) == 0  # not retried forever
    assert any("403" in line and "API key invalid" in line for line in r.logs)
    assert any("refused" in line and "dropped" in line for line in r.logs)
    assert r.led_pin.lit_count() == led.REFUSED
    step(r, 22.0)
    assert len(r.gets()) == 2  # each new reading is tried once, nothing piles up


def test_rate_limited_reading_is_kept_and_sent_later():
    r = rig.Rig()
    r.http.script = [429]
    assert step(r, 19.0) == led.SERVER
    assert [rec[1] for rec in r.ram()] == [19.0]
    r.http.default = 201
    step(r, 19.5)
    assert [p["data"] for p in posted(r)] == [19.0]
    assert len(r.backlog) == 0


def test_refused_batch_is_dropped_not_retried():
    r = rig.Rig()
    r.http.script = [500]
    step(r, 18.0)
    r.http.script = [200, 400]  # the GET works, the batch is refused
    assert step(r, 18.5) == led.REFUSED
    assert len(r.backlog) == 0
    step(r, 19.0)
    assert len(r.posts()) == 1


def test_backlog_leaves_only_after_2xx_and_resumes_where_it_stopped():
    r = rig.Rig(batch_size=2)
    r.http.default = 500
    for i in range(5):
        step(r, 10.0 + i)
    r.http.default = 201
    r.http.script = [200, 201, 500]  # GET ok, first batch ok, second batch fails
    assert step(r, 99.0) == led.SERVER
    assert [rec[1] for rec in r.ram()] == [12.0, 13.0, 14.0]
    step(r, 99.5)
    datas = [p["data"] for p in posted(r)]
    assert datas == [10.0, 11.0, 12.0, 13.0, 12.0, 13.0, 14.0]  # failed batch re-sent, order kept
    assert len(r.backlog) == 0


def test_flush_is_limited_per_slot_so_the_cadence_holds():
    r = rig.Rig(batch_size=10, flush_batches=2)
    r.http.default = 500
    for i in range(45):
        step(r, float(i))
    r.http.default = 201
    step(r, 50.0)
    assert len(r.posts()) == 2 and len(r.backlog) == 25
    step(r, 51.0)
    step(r, 52.0)
    assert [p["data"] for p in posted(r)] == [float(i) for i in range(45)]


def test_buffer_cap_drops_oldest_and_counts():
    r = rig.Rig(capacity=5)
    r.http.default = 500
    for i in range(8):
        step(r, float(i))
    assert [rec[1] for rec in r.ram()] == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert r.backlog.dropped == 3
    assert "dropped=3" in r.logs[-1]


def test_wifi_loss_and_return():
    r = rig.Rig()
    step(r, 20.0)
    assert r.wifi.attempts == 1  # the connection at boot
    r.wlan.lose()
    assert step(r, 20.5) == led.WIFI
    assert r.led_pin.lit_count() == led.WIFI
    assert len(r.http.calls) == 1  # nothing tried without a link
    assert r.wifi.attempts == 2
    assert r.wlan.disconnect_calls == 1  # the failed attempt is stopped cleanly
    for celsius in (21.0, 21.5, 22.0, 22.5, 23.0):
        step(r, celsius)
    # backoff doubles from 5 s: 5, 10, 20, 40 s still allow one try per slot, 80 s skips one
    assert r.wifi.attempts == 6
    for _ in range(4):
        step(r, 23.5)
    assert r.wifi.attempts < 10  # backing off, not hammering
    r.wlan.restore()
    for _ in range(6):  # within the 300 s backoff cap it reconnects
        if step(r, 24.0) == led.OK:
            break
    assert r.wlan.isconnected()
    datas = [p["data"] for p in posted(r)]
    assert datas[:6] == [20.5, 21.0, 21.5, 22.0, 22.5, 23.0]
    assert len(r.backlog) == 0


def test_wifi_connect_waits_at_most_the_timeout_feeding_the_watchdog():
    r = rig.Rig()
    r.wlan.lose()
    before = r.wdt.feeds
    t0 = r.clock.now_ms
    r.station.step()
    spent = r.clock.now_ms - t0
    assert 20000 <= spent < 25000  # 20 s connect timeout, plus the LED pattern
    assert r.wdt.feeds - before >= 20000 // 1000


def test_watchdog_fed_every_slot_and_through_the_wait():
    r = rig.Rig()
    r.station.run(3)
    # at least once a second while waiting for the next slot
    assert r.wdt.feeds >= 3 * 55
    assert r.watchdog.feeds == r.wdt.feeds


def test_watchdog_guard_resets_a_hung_board():
    r = rig.Rig()
    timer = machine.Timer.instances[-1]
    r.clock.advance(30000)
    timer.fire()  # fed recently enough: nothing happens
    r.watchdog.feed()
    r.clock.advance(r.watchdog.timeout_ms + 1)
    with pytest.raises(machine.ResetCalled):
        timer.fire()
    assert machine.resets == 1


def test_steady_cadence_slow_requests_do_not_accumulate_drift():
    r = rig.Rig(latency_ms=1234)
    reads = []
    real_read = r.sensor.read

    def read():
        reads.append(r.clock.now_ms)
        return real_read()

    r.sensor.read = read
    r.station.run(10)
    assert reads == [i * MINUTE for i in range(10)]


def test_overrun_slot_is_skipped_and_phase_kept():
    r = rig.Rig()
    reads = []
    real_read = r.sensor.read

    def read():
        reads.append(r.clock.now_ms)
        if len(reads) == 2:
            r.clock.advance(70000)  # this slot took 70 s
        return real_read()

    r.sensor.read = read
    r.station.run(4)
    assert reads[:2] == [0, MINUTE]
    assert reads[2:] == [3 * MINUTE, 4 * MINUTE]
    assert all(t % MINUTE == 0 for t in reads)


def test_cadence_holds_across_ticks_wraparound():
    r = rig.Rig(start_ticks=(1 << 30) - 150000)  # ticks_ms wraps 2.5 minutes after boot
    reads = []
    real_read = r.sensor.read
    r.sensor.read = lambda: reads.append(r.clock.now_ms) or real_read()
    r.station.run(6)
    assert reads == [i * MINUTE for i in range(6)]


def test_readings_before_first_ntp_sync_are_backdated_when_it_works():
    r = rig.Rig(ntp_fails=True)
    r.http.default = 500
    boot = r.clock.true_unix()
    step(r, 15.0)
    step(r, 15.5)
    assert [rec[2] for rec in r.ram()] == [None, None]
    ntptime.fail = False
    r.http.default = 201
    step(r, 16.0)
    assert [(p["data"], p["recorded_at"]) for p in posted(r)] == [(15.0, boot), (15.5, boot + 60)]


def test_never_synced_readings_are_sent_without_a_time():
    r = rig.Rig(ntp_fails=True)
    r.http.default = 500
    step(r, 15.0)
    r.http.default = 201
    step(r, 15.5)
    assert posted(r) == [{"field": 1, "data": 15.0}]  # the server stamps them on arrival


def test_ntp_resynced_hourly_and_retried_after_failure():
    r = rig.Rig()
    step(r)
    assert ntptime.calls == 1
    for _ in range(59):
        step(r)
    assert ntptime.calls == 1
    step(r)
    assert ntptime.calls == 2
    ntptime.fail = True
    for _ in range(60):
        step(r)
    assert ntptime.calls == 3
    step(r)
    assert ntptime.calls == 4  # after a failure, tried again a minute later


@pytest.mark.parametrize("epoch_year", [2000, 1970])
def test_wallclock_is_unix_time_on_either_epoch(epoch_year):
    clock = FakeClock(unix=1795237200, epoch_year=epoch_year)
    ntptime.reset(clock)
    wc = WallClock(ntptime, clock, log=lambda m: None)
    assert wc.unix_now() is None  # never synced: no time at all
    assert wc.sync_if_due()
    assert wc.unix_now() == 1795237200
    assert (clock.time() + SECONDS_1970_TO_2000 == 1795237200) == (epoch_year == 2000)


def test_sensor_failure_posts_nothing_but_still_flushes():
    r = rig.Rig()
    r.http.default = 500
    step(r, 17.0)
    r.http.default = 201
    r.unplug_sensor()
    assert step(r) == led.SENSOR
    assert r.led_pin.lit_count() == led.SENSOR
    assert any("sensor" in line for line in r.logs)
    assert len(r.gets()) == 1  # only the failed one from the first slot
    assert [p["data"] for p in posted(r)] == [17.0]


def test_nan_reading_is_never_sent():
    r = rig.Rig()
    r.sensor.read = lambda: [("temperature", float("nan"))]
    step(r)
    assert r.http.calls == [] and len(r.backlog) == 0


def test_bmp280_station_posts_temperature_and_pressure_fields():
    r = rig.Rig(sensor="bmp280")
    step(r)
    assert [u.split("/update/")[1] for u in r.gets()] == [
        "API_key=KEY123/mac=aa:bb:cc:dd:ee:ff/field=2/data=25.08",
        "API_key=KEY123/mac=aa:bb:cc:dd:ee:ff/field=3/data=1006.53",
    ]


def test_bmp280_second_reading_kept_when_server_fails_midway():
    r = rig.Rig(sensor="bmp280")
    r.http.script = [200, 500]
    step(r)
    assert [(rec[0], rec[1]) for rec in r.ram()] == [(3, 1006.53)]
