"""The register_device command, for servers with no browser at hand."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devices.models import Device
from devices.selectors import device_for_key

pytestmark = pytest.mark.django_db


def register(*args: str) -> str:
    out = StringIO()
    call_command("register_device", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_device_and_prints_its_key_last():
    output = register(
        "--name", "Back porch", "--mac", "6C-EF-7A-3B-9D-E8", "--placement", "outside", "--location", "Porch"
    )

    key = output.strip().splitlines()[-1]
    device = device_for_key(key=key, mac="6c:ef:7a:3b:9d:e8")
    assert (device.name, device.placement, device.location) == ("Back porch", "outside", "Porch")
    assert list(device.fields.values_list("number", flat=True)) == [1]


def test_it_keeps_a_chosen_key_and_field():
    output = register(
        "--name",
        "Inside",
        "--mac",
        "6c:ef:7a:3b:9d:e9",
        "--placement",
        "inside",
        "--field",
        "2",
        "--key",
        "old-flask-key",
    )

    assert output.strip().splitlines()[-1] == "old-flask-key"
    assert list(Device.objects.get().fields.values_list("number", flat=True)) == [2]


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "X", "--mac", "not-a-mac", "--placement", "inside"],
        ["--name", "X", "--mac", "6c:ef:7a:3b:9d:e9", "--placement", "inside", "--key", "short"],
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(args):
    with pytest.raises(CommandError):
        register(*args)
    assert not Device.objects.exists()
