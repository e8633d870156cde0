"""Notification rules: each fires on a change, once, and not while nothing changes (hysteresis, quiet)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils.timezone import now

from alerts.models import (
    ABOVE,
    BACK,
    BELOW,
    EMAIL,
    STALE,
    WINDOW_OPEN,
    WINDOW_SHUT,
    Alert,
    Channel,
    Notification,
    Rule,
    RuleState,
    Subscription,
)
from alerts.services import rules_evaluate
from devices.models import Device
from devices.services import IssuedKey
from tests.factories import MemberFactory, ReadingFactory


@pytest.fixture
def t0() -> datetime:
    """A whole minute two hours ago: readings are stamped from here on, never in the future."""
    return now().replace(second=0, microsecond=0) - timedelta(hours=2)


@pytest.fixture(autouse=True)
def only_the_rules_under_test(db):
    """The rules made on first run stay out of the way; each test makes the rule it checks."""
    Rule.objects.update(is_active=False)


def both(inside: IssuedKey, outside: IssuedKey, *, inside_value: float, outside_value: float, at: datetime):
    ReadingFactory.create(station=inside, value=inside_value, recorded_at=at)
    ReadingFactory.create(station=outside, value=outside_value, recorded_at=at)


def titles(rule: Rule) -> list[str]:
    return list(Alert.objects.filter(rule=rule).order_by("fired_at").values_list("title", flat=True))


def station_last_seen(issued: IssuedKey, at: datetime | None) -> Device:
    """What record_readings leaves behind when the station last reported at `at`."""
    device = issued.api_key.device
    Device.objects.filter(pk=device.pk).update(last_seen=at)
    return device


def window_rules(quiet_minutes: int = 60) -> tuple[Rule, Rule]:
    return (
        Rule.objects.create(name="open", kind=WINDOW_OPEN, quiet_minutes=quiet_minutes),
        Rule.objects.create(name="shut", kind=WINDOW_SHUT, quiet_minutes=quiet_minutes),
    )


# The rules a household starts with


def test_first_run_creates_the_sensible_rules():
    rules = {rule.name: rule for rule in Rule.objects.all()}

    assert {rule.kind for rule in rules.values()} == {WINDOW_OPEN, WINDOW_SHUT, STALE, BACK, ABOVE, BELOW}
    heat = rules["Inside above 28 °C"]
    assert (heat.kind, heat.placement, heat.threshold) == (ABOVE, "inside", 28.0)
    frost = rules["Outside below 0 °C"]
    assert (frost.kind, frost.placement, frost.threshold) == (BELOW, "outside", 0.0)
    assert rules["A station has not reported for 30 minutes"].minutes == 30


def test_the_first_run_heat_rule_fires_on_a_hot_living_room(inside, t0):
    Rule.objects.filter(name="Inside above 28 °C").update(is_active=True)
    ReadingFactory.create(station=inside, value=29.25, recorded_at=t0)

    fired = rules_evaluate(at=t0 + timedelta(seconds=5))

    assert [alert.title for alert in fired] == ["Inside above 28 °C"]
    assert fired[0].message.startswith("Living room: Temperature is 29.2 °C at ")
    assert fired[0].message.endswith(", above 28 °C.")


# Window advice


def test_outside_becoming_cooler_fires_open_and_warmer_fires_shut(inside, outside, t0):
    open_rule, shut_rule = window_rules(quiet_minutes=0)

    both(inside, outside, inside_value=25.0, outside_value=26.0, at=t0)
    rules_evaluate(at=t0 + timedelta(seconds=5))
    both(inside, outside, inside_value=25.0, outside_value=24.0, at=t0 + timedelta(minutes=10))
    rules_evaluate(at=t0 + timedelta(minutes=10, seconds=5))

    assert titles(shut_rule) == ["Shut the windows"]
    assert titles(open_rule) == ["Open the windows"]
    alert = Alert.objects.get(rule=open_rule)
    assert alert.message == "Outside is 1.0° cooler than inside: open the windows"


def test_a_difference_inside_the_hysteresis_changes_nothing(inside, outside, t0, settings):
    settings.WINDOW_HYSTERESIS = 0.5
    open_rule, shut_rule = window_rules(quiet_minutes=0)
    both(inside, outside, inside_value=25.0, outside_value=26.0, at=t0)
    rules_evaluate(at=t0 + timedelta(seconds=5))

    # Outside 0.3 cooler: less than the hysteresis, so the advice stays "shut".
    both(inside, outside, inside_value=25.0, outside_value=24.7, at=t0 + timedelta(minutes=10))
    rules_evaluate(at=t0 + timedelta(minutes=10, seconds=5))
    assert titles(open_rule) == []

    # 0.6 cooler: past it.
    both(inside, outside, inside_value=25.0, outside_value=24.4, at=t0 + timedelta(minutes=20))
    rules_evaluate(at=t0 + timedelta(minutes=20, seconds=5))
    assert titles(open_rule) == ["Open the windows"]
    assert titles(shut_rule) == ["Shut the windows"]


def test_advice_that_stays_the_same_is_told_once(inside, outside, t0):
    open_rule, _ = window_rules(quiet_minutes=0)
    for minute, outside_value in [(0, 22.0), (10, 21.5), (20, 21.0)]:
        both(
            inside, outside, inside_value=25.0, outside_value=outside_value, at=t0 + timedelta(minutes=minute)
        )
        rules_evaluate(at=t0 + timedelta(minutes=minute, seconds=5))

    assert titles(open_rule) == ["Open the windows"]


def test_a_change_within_the_quiet_period_waits_and_is_sent_if_it_still_holds(inside, outside, t0):
    open_rule, shut_rule = window_rules(quiet_minutes=60)
    steps = [(0, 26.0), (10, 24.0), (20, 26.0), (30, 24.0)]  # shut, open, shut, open: a flickery evening
    for minute, outside_value in steps:
        both(
            inside, outside, inside_value=25.0, outside_value=outside_value, at=t0 + timedelta(minutes=minute)
        )
        rules_evaluate(at=t0 + timedelta(minutes=minute, seconds=5))

    # One message each: the second "shut" (20) and "open" (30) came within the hour after the first.
    assert titles(shut_rule) == ["Shut the windows"]
    assert titles(open_rule) == ["Open the windows"]

    # An hour after the first "open", it is still cooler outside: now the household hears it again.
    both(inside, outside, inside_value=25.0, outside_value=24.0, at=t0 + timedelta(minutes=75))
    rules_evaluate(at=t0 + timedelta(minutes=75, seconds=5))
    assert titles(open_rule) == ["Open the windows", "Open the windows"]
    # "Shut" waited for its quiet period too, but no longer holds: it is never sent.
    assert titles(shut_rule) == ["Shut the windows"]


def test_no_advice_without_both_sides(outside, t0):
    open_rule, shut_rule = window_rules(quiet_minutes=0)
    ReadingFactory.create(station=outside, value=10.0, recorded_at=t0)

    assert rules_evaluate(at=t0 + timedelta(seconds=5)) == []
    assert not RuleState.objects.exists()


# Stations gone quiet, and back


def test_a_station_that_sends_nothing_at_all_is_noticed(outside, t0):
    rule = Rule.objects.create(name="quiet", kind=STALE, minutes=30, quiet_minutes=0)
    station_last_seen(outside, t0)  # and not one reading stored since, or ever

    assert rules_evaluate(at=t0 + timedelta(minutes=29)) == []
    fired = rules_evaluate(at=t0 + timedelta(minutes=31))

    assert [alert.title for alert in fired] == ["Back porch has gone quiet"]
    assert fired[0].message.startswith("Back porch has not reported for 30 minutes (last reading at ")
    # Still quiet later: no second message.
    assert rules_evaluate(at=t0 + timedelta(minutes=90)) == []
    assert titles(rule) == ["Back porch has gone quiet"]


def test_a_station_is_back_after_a_silence_and_may_go_quiet_again(outside, t0):
    quiet = Rule.objects.create(name="quiet", kind=STALE, minutes=30, quiet_minutes=0)
    back = Rule.objects.create(name="back", kind=BACK, minutes=30, quiet_minutes=0)
    station_last_seen(outside, t0)
    rules_evaluate(at=t0 + timedelta(minutes=40))

    station_last_seen(outside, t0 + timedelta(minutes=50))
    fired = rules_evaluate(at=t0 + timedelta(minutes=51))
    assert [alert.title for alert in fired] == ["Back porch is back"]

    station_last_seen(outside, t0 + timedelta(minutes=52))
    assert rules_evaluate(at=t0 + timedelta(minutes=60)) == []  # reporting along: nothing to say
    rules_evaluate(at=t0 + timedelta(minutes=90))  # quiet again
    assert titles(quiet) == ["Back porch has gone quiet", "Back porch has gone quiet"]
    assert titles(back) == ["Back porch is back"]


def test_a_station_reporting_when_the_sender_starts_is_not_back(outside, t0):
    Rule.objects.create(name="back", kind=BACK, minutes=30, quiet_minutes=0)
    Rule.objects.create(name="quiet", kind=STALE, minutes=30, quiet_minutes=0)
    station_last_seen(outside, t0)

    assert rules_evaluate(at=t0 + timedelta(minutes=1)) == []


def test_stations_never_seen_or_switched_off_are_not_quiet(outside, inside, t0):
    Rule.objects.create(name="quiet", kind=STALE, minutes=30, quiet_minutes=0)
    station_last_seen(outside, None)
    Device.objects.filter(pk=station_last_seen(inside, t0).pk).update(is_active=False)

    assert rules_evaluate(at=t0 + timedelta(hours=1)) == []


def test_a_station_rule_can_watch_one_station(outside, inside, t0):
    rule = Rule.objects.create(
        name="porch", kind=STALE, minutes=30, quiet_minutes=0, device=outside.api_key.device
    )
    station_last_seen(outside, t0 + timedelta(minutes=50))
    station_last_seen(inside, t0)

    assert rules_evaluate(at=t0 + timedelta(minutes=60)) == []
    assert titles(rule) == []


# Thresholds


def heat_rule(**fields) -> Rule:
    return Rule.objects.create(
        **{"name": "Too warm inside", "kind": ABOVE, "placement": "inside", "threshold": 28.0, **fields}
    )


def test_a_threshold_fires_once_and_again_only_after_coming_back_past_the_hysteresis(inside, t0):
    rule = heat_rule(hysteresis=0.5, quiet_minutes=0)
    fired_at = []
    for minute, value in enumerate([27.9, 28.6, 28.2, 27.8, 28.4, 27.4, 28.3]):
        ReadingFactory.create(station=inside, value=value, recorded_at=t0 + timedelta(minutes=minute))
        if rules_evaluate(at=t0 + timedelta(minutes=minute, seconds=5)):
            fired_at.append(value)

    # 27.8 is within 0.5 of 28: hovering at the threshold does not re-arm; 27.4 does.
    assert fired_at == [28.6, 28.3]
    assert titles(rule) == ["Too warm inside", "Too warm inside"]


def test_a_threshold_watches_only_its_placement(inside, outside, t0):
    rule = heat_rule(quiet_minutes=0)
    ReadingFactory.create(station=outside, value=35.0, recorded_at=t0)
    ReadingFactory.create(station=inside, value=22.0, recorded_at=t0)

    assert rules_evaluate(at=t0 + timedelta(seconds=5)) == []
    assert titles(rule) == []


def test_an_old_reading_says_nothing_about_now(inside, t0):
    heat_rule(quiet_minutes=0)
    ReadingFactory.create(station=inside, value=30.0, recorded_at=t0)

    assert rules_evaluate(at=t0 + timedelta(minutes=11)) == []


def test_frost_outside(outside, t0):
    rule = Rule.objects.create(name="Frost", kind=BELOW, placement="outside", threshold=0.0, quiet_minutes=0)
    ReadingFactory.create(station=outside, value=0.5, recorded_at=t0)
    rules_evaluate(at=t0 + timedelta(seconds=5))
    ReadingFactory.create(station=outside, value=-0.25, recorded_at=t0 + timedelta(minutes=1))
    fired = rules_evaluate(at=t0 + timedelta(minutes=1, seconds=5))

    assert titles(rule) == ["Frost"]
    assert "Temperature is -0.2 °C" in fired[0].message


def test_a_threshold_on_one_field_of_one_station(outside, inside, t0):
    rule = Rule.objects.create(
        name="Porch field 1 above 30",
        kind=ABOVE,
        device=outside.api_key.device,
        field_number=1,
        threshold=30.0,
        quiet_minutes=0,
    )
    ReadingFactory.create(station=inside, value=31.0, recorded_at=t0)
    ReadingFactory.create(station=outside, value=30.5, recorded_at=t0)

    rules_evaluate(at=t0 + timedelta(seconds=5))

    assert list(Alert.objects.filter(rule=rule).values_list("subject", flat=True)) == [
        f"field:{outside.api_key.device.pk}:1"
    ]


# Who hears about it


def test_only_subscribed_members_active_channels_get_a_notification(inside, t0):
    anna = MemberFactory.create(username="anna")
    ben = MemberFactory.create(username="ben")
    rule = heat_rule(quiet_minutes=0)
    Subscription.objects.create(user=anna, rule=rule)
    phone = Channel.objects.create(user=anna, name="phone", kind="webhook", url="http://127.0.0.1:9/x")
    Channel.objects.create(user=anna, name="old mail", kind=EMAIL, is_active=False)
    Channel.objects.create(user=ben, name="ben's mail", kind=EMAIL)
    ReadingFactory.create(station=inside, value=29.0, recorded_at=t0)

    rules_evaluate(at=t0 + timedelta(seconds=5))

    assert list(Notification.objects.values_list("channel", flat=True)) == [phone.pk]


def test_a_rule_fires_for_the_history_even_with_no_one_subscribed(inside, t0):
    heat_rule(quiet_minutes=0)
    ReadingFactory.create(station=inside, value=29.0, recorded_at=t0)

    rules_evaluate(at=t0 + timedelta(seconds=5))

    assert Alert.objects.count() == 1
    assert Notification.objects.count() == 0
