"""window_advice and advice_over: the heat problem's answer, its hysteresis and its honesty about gaps."""

from __future__ import annotations

import pytest
from django.utils.timezone import now

from readings.advice import EVEN, OPEN, SHUT, UNKNOWN, advice_over, window_advice, window_advice_now

H = 0.5


@pytest.mark.parametrize(
    ("inside", "outside", "previous", "state", "text"),
    [
        (25.0, 21.6, None, OPEN, "Outside is 3.4° cooler than inside: open the windows"),
        (21.0, 24.0, None, SHUT, "Outside is 3.0° warmer than inside: keep the windows shut"),
        (21.0, 20.8, None, EVEN, "Outside is 0.2° cooler than inside: about the same"),
        (21.0, 20.8, SHUT, SHUT, "Outside is only 0.2° cooler than inside: keep the windows shut for now"),
        (
            21.0,
            21.3,
            OPEN,
            OPEN,
            "Outside is 0.3° warmer than inside, not yet by much: the windows can stay open for now",
        ),
        (21.0, 21.0, None, EVEN, "Outside is as warm as inside"),
    ],
)
def test_the_advice_says_what_to_do_in_words(inside, outside, previous, state, text):
    advice = window_advice(inside=inside, outside=outside, hysteresis=H, previous=previous)

    assert advice.state == state
    assert advice.as_text() == text


def test_the_thresholds_themselves_change_the_advice():
    assert window_advice(inside=20.0, outside=19.5, hysteresis=H, previous=SHUT).state == OPEN
    assert window_advice(inside=20.0, outside=20.5, hysteresis=H, previous=OPEN).state == SHUT
    assert window_advice(inside=20.0, outside=19.51, hysteresis=H, previous=SHUT).state == SHUT


@pytest.mark.parametrize(
    ("inside", "outside", "missing"),
    [(None, 20.0, "inside"), (20.0, None, "outside"), (None, None, "inside or outside")],
)
def test_a_missing_side_is_not_enough_data(inside, outside, missing):
    advice = window_advice(inside=inside, outside=outside, hysteresis=H, previous=OPEN)

    assert advice.state == UNKNOWN
    assert advice.difference is None
    assert advice.as_text() == f"Not enough data: no fresh reading from {missing}"


def test_halves_round_up_as_on_the_page():
    assert (
        window_advice(inside=24.0, outside=25.25, hysteresis=H).as_text().startswith("Outside is 1.3° warmer")
    )


def test_the_delta_is_written_in_the_readers_unit():
    advice = window_advice(inside=25.0, outside=23.0, hysteresis=H)

    assert advice.as_text("3.6°") == "Outside is 3.6° cooler than inside: open the windows"


def test_crossing_back_and_forth_inside_the_band_does_not_flicker():
    # The evening: outside cools past inside, then wobbles by ±0.3° around it.
    evening = [(24.0, 27.0), (24.0, 25.0), (24.0, 23.2), (24.0, 24.2), (24.0, 23.8), (24.0, 24.3)]

    states = [advice_over(evening[: n + 1], hysteresis=H).state for n in range(len(evening))]

    assert states == [SHUT, SHUT, OPEN, OPEN, OPEN, OPEN]


def test_the_advice_turns_once_outside_is_clearly_warmer_again():
    morning = [(22.0, 19.0), (22.0, 22.3), (22.0, 22.6)]

    assert advice_over(morning[:2], hysteresis=H).state == OPEN
    assert advice_over(morning, hysteresis=H).state == SHUT


def test_a_gap_in_history_keeps_the_earlier_advice_but_no_reading_now_means_no_advice():
    assert advice_over([(22.0, 25.0), (None, 22.5), (22.0, 21.8)], hysteresis=H).state == SHUT
    assert advice_over([(22.0, 25.0), (22.0, None)], hysteresis=H).state == UNKNOWN
    assert advice_over([], hysteresis=H).state == UNKNOWN


def test_the_advice_now_costs_two_queries_for_the_alert_sender(outside, inside, django_assert_num_queries):
    with django_assert_num_queries(2):  # the latest of each field, and three hours of history
        advice = window_advice_now(at=now())

    assert advice.state == "unknown"  # registered stations, no readings yet
