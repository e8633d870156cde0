"""Read keys: issued per device from the shell and the admin, stored hashed, reading only."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from devices.keys import hash_key
from devices.models import READ, WRITE, ApiKey
from devices.selectors import device_for_key, device_for_read_key
from iotserver.refusals import Forbidden


def test_issue_read_key_prints_a_key_that_reads_that_device_only(outside, inside, capsys):
    call_command("issue_read_key", "--device", "Back porch")
    key = capsys.readouterr().out.strip().splitlines()[-1]

    stored = ApiKey.objects.get(hashed_key=hash_key(key))
    assert stored.scope == READ and stored.device == outside.api_key.device
    assert key not in {k.hashed_key for k in ApiKey.objects.all()}  # only the hash is kept
    assert device_for_read_key(key=key) == outside.api_key.device
    with pytest.raises(Forbidden):
        device_for_key(key=key)


def test_issue_read_key_names_an_unknown_device(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no device named 'Attic'"):
        call_command("issue_read_key", "--device", "Attic")


def test_a_write_key_does_not_read(outside):
    assert outside.api_key.scope == WRITE
    assert device_for_read_key(key=outside.key) is None


def test_the_admin_issues_a_read_key_and_shows_it_once(admin_client, outside):
    device = outside.api_key.device
    answer = admin_client.post(
        "/admin/devices/device/",
        {"action": "issue_read_key", "_selected_action": [device.pk]},
        follow=True,
    )

    [message] = [str(m) for m in answer.context["messages"]]
    key = message.split('Read key for Back porch: <input readonly value="')[1].split('"')[0]
    assert device_for_read_key(key=key) == device
    assert f"/channels/{device.pk}/feeds.json?api_key={key}" in message
