"""factory-boy factories: household members, stations and readings, made the way the project makes them.

Members are users with a real (test-speed) password hash; stations go through `device_register` as
the admin registers them, readings through `record_readings` as every write endpoint stores them,
so rollups, last_seen and the rest follow as in production.

    MemberFactory.create(username="sam")                  # a household member, password PASSWORD
    StationFactory.create(name="Shed", placement=INSIDE)  # an IssuedKey, as device_register answers
    ReadingFactory.create(station=outside, value=18.0)    # stored half a minute ago, first field
    ReadingFactory.create(station=outside, value=1013.25, field=3, minutes_ago=25)
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth.models import User
from django.utils.timezone import now

from devices.models import OUTSIDE
from devices.services import IssuedKey, device_register
from readings.rules import NewReading
from readings.services import record_readings

PASSWORD = "a long household password"


class MemberFactory(factory.django.DjangoModelFactory[User]):
    """A household member (not staff): can log in to the dashboard, not to the admin."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda member: f"{member.username}@example.org")
    password = factory.django.Password(PASSWORD)


class StationFactory(factory.Factory[IssuedKey]):
    """A station registered as the admin does it; the answer is its IssuedKey (key shown once)."""

    class Meta:
        model = IssuedKey

    name = factory.Sequence(lambda n: f"Station {n}")
    mac = factory.Sequence(lambda n: f"02:00:00:00:{n // 256 % 256:02x}:{n % 256:02x}")
    placement = OUTSIDE

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> IssuedKey:
        return device_register(**kwargs)


class ReadingFactory(factory.Factory[NewReading]):
    """One reading stored through record_readings; answers the NewReading that was stored.

    `station` (an IssuedKey) defaults to a new outside station; `field` to the station's first;
    the time is `recorded_at`, or `minutes_ago` minutes before now (half a minute by default).
    """

    class Meta:
        model = NewReading

    class Params:
        minutes_ago = 0.5

    station = factory.SubFactory(StationFactory)
    field = factory.LazyAttribute(lambda reading: reading.station.api_key.device.fields.first().number)
    value = 21.5
    recorded_at = factory.LazyAttribute(lambda reading: now() - timedelta(minutes=reading.minutes_ago))

    @classmethod
    def _create(cls, model_class, *args, station: IssuedKey, **kwargs) -> NewReading:
        reading = model_class(**kwargs)
        record_readings(device=station.api_key.device, readings=[reading])
        return reading
