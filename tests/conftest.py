"""Shared fixtures: registered stations and their keys, as the admin would make them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from dashboard.forecast import forget_forecasts
from dashboard.records import forget_past_days
from devices.models import INSIDE, OUTSIDE
from devices.services import IssuedKey, device_register
from tests.factories import MemberFactory


@pytest.fixture
def outside(db) -> IssuedKey:
    """The back-porch station, temperature on field 1, as the original outside board posts."""
    return device_register(
        name="Back porch", mac="6C:EF:7A:3B:9D:E8", placement=OUTSIDE, location="Back porch"
    )


@pytest.fixture
def inside(db) -> IssuedKey:
    """The living-room station, temperature on field 2, as the original inside board posts."""
    return device_register(
        name="Living room",
        mac="6c-ef-7a-3b-9d-e9",
        placement=INSIDE,
        location="Living room",
        temperature_field=2,
    )


@pytest.fixture
def member(client, db) -> User:
    """Sam, a household member, logged in on `client`."""
    user = MemberFactory.create(username="sam")
    client.force_login(user)
    return user


def station_url(
    issued: IssuedKey, *, field: int | str = 1, data: str = "21.5625", prefix: str = "/update"
) -> str:
    device = issued.api_key.device
    return f"{prefix}/API_key={issued.key}/mac={device.mac}/field={field}/data={data}"


@pytest.fixture(autouse=True)
def _per_process_copies_start_empty():
    """The dashboard keeps its forecast and past days per process; each test has its own database."""
    forget_forecasts()
    forget_past_days()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for all of a browser module's tests (tests/browser.py)."""
    from tests.browser import chromium_browser

    yield from chromium_browser()
