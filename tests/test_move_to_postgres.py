"""A household moves from SQLite to PostgreSQL with the documented dumpdata/loaddata path, losing nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import postgres
from tests.live import PROJECT, THROWAWAY_SECRET_KEY, gunicorn_server

# The commands docs/deploy.md gives, word for word. XML, not JSON: Django's JSON writes times to
# the millisecond, and server-stamped readings carry microseconds.
DUMP = (
    "dumpdata --natural-foreign --exclude contenttypes --exclude auth.permission "
    "--format xml --output household.xml"
)
LOAD = "loaddata household.xml"

FILL = """
import json
from datetime import UTC, datetime, timedelta
from django.contrib.auth.models import User
from devices.models import PRESSURE, Field
from devices.services import device_register, key_issue, key_revoke
from readings.rules import NewReading
from readings.services import record_readings

porch = device_register(name="Back porch", mac="6C:EF:7A:3B:9D:E8", placement="outside", location="Porch")
room = device_register(name="Living room", mac="6c-ef-7a-3b-9d-e9", placement="inside", temperature_field=2)
Field.objects.create(device=room.api_key.device, number=3, label="Pressure", unit="hPa", kind=PRESSURE)
rotated = key_issue(device=porch.api_key.device)
key_revoke(api_key=porch.api_key)
start = datetime(2026, 6, 1, tzinfo=UTC)
for batch in range(3):  # board-stamped backlog, times with microseconds, values not exact in binary
    record_readings(device=porch.api_key.device, readings=[
        NewReading(1, -10 + i * 0.1 + batch / 100, start + timedelta(minutes=batch * 500 + i, microseconds=i))
        for i in range(500)
    ])
for _ in range(5):  # stamped by the server on arrival
    record_readings(device=room.api_key.device, readings=[NewReading(2, 21.5625), NewReading(3, 1013.25)])
User.objects.create_superuser("admin", "", "household-admin-password")
print(json.dumps({
    "active": [[rotated.key, "6c:ef:7a:3b:9d:e8"], [room.key, "6c:ef:7a:3b:9d:e9"]],
    "revoked": [porch.key, "6c:ef:7a:3b:9d:e8"],
}))
"""

# Every stored row of every model, field by field (ids included), except the tables that
# `migrate` fills by itself on the new server and whose ids differ there.
SNAPSHOT = """
import json
from django.apps import apps
skip = {"contenttypes.contenttype", "auth.permission", "admin.logentry"}
out = {}
for model in apps.get_models():
    if model._meta.label_lower in skip:
        continue
    out[model._meta.label_lower] = [
        {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
        for obj in model.objects.order_by("pk")
    ]
print(json.dumps(out, sort_keys=True, default=lambda v: v.isoformat()))
"""

CHECK_KEYS = """
import json, os
from django.contrib.auth import authenticate
from devices.selectors import device_for_key
from iotserver.refusals import Forbidden
from readings.models import Reading
from readings.rules import NewReading
from readings.services import record_readings

keys = json.loads(os.environ["HOUSEHOLD_KEYS"])
names = [device_for_key(key=key, mac=mac).name for key, mac in keys["active"]]
try:
    device_for_key(key=keys["revoked"][0], mac=keys["revoked"][1])
    revoked = "accepted"
except Forbidden:
    revoked = "refused"
newest = Reading.objects.order_by("-id").first().id
device = device_for_key(key=keys["active"][0][0], mac=keys["active"][0][1])
new_id = record_readings(device=device, readings=[NewReading(1, 12.5)])[0]
admin = authenticate(username="admin", password="household-admin-password")
print(json.dumps({"names": names, "revoked": revoked, "new_id_after_old": new_id > newest,
                  "admin_logs_in": admin is not None}))
"""


def manage(database_url: str, *args: str, cwd: Path = PROJECT, extra: dict | None = None) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iotserver.settings",
        "SECRET_KEY": THROWAWAY_SECRET_KEY,
        "DATABASE_URL": database_url,
        **(extra or {}),
    }
    done = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def target_database():
    server = postgres.probe()
    if server is None:
        pytest.skip(postgres.unreachable_reason() + ": the move needs a PostgreSQL to move to")
    with postgres.fresh_database(server, "moved") as url:
        yield url


@pytest.mark.live  # manage.py in subprocesses against a fresh PostgreSQL database
def test_a_household_moves_from_sqlite_to_postgresql_without_loss(tmp_path, target_database):
    source = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    manage(source, "migrate", "--noinput")
    keys = json.loads(manage(source, "shell", "-c", FILL).strip().splitlines()[-1])

    manage(source, *DUMP.split(), cwd=tmp_path)
    manage(target_database, "migrate", "--noinput")
    manage(target_database, *LOAD.split(), cwd=tmp_path)

    before = json.loads(manage(source, "shell", "-v", "0", "-c", SNAPSHOT))
    after = json.loads(manage(target_database, "shell", "-v", "0", "-c", SNAPSHOT))
    assert len(before["readings.reading"]) == 1510
    assert {label: len(rows) for label, rows in after.items()} == {
        label: len(rows) for label, rows in before.items()
    }
    assert after == before  # every value and every time, to the microsecond

    checked = json.loads(
        manage(
            target_database, "shell", "-v", "0", "-c", CHECK_KEYS, extra={"HOUSEHOLD_KEYS": json.dumps(keys)}
        )
    )
    assert checked == {
        "names": ["Back porch", "Living room"],
        "revoked": "refused",
        "new_id_after_old": True,  # loaddata moved the id sequences on past the loaded rows
        "admin_logs_in": True,
    }

    # A board that was posting to the old server posts to the new one with the key it has.
    key, mac = keys["active"][1]
    with gunicorn_server(tmp_path, workers=1, database_url=target_database) as server:
        status, reading_id = server.get(f"/update/API_key={key}/mac={mac}/field=2/data=19.25")
        assert status == 200
        assert server.query(f"SELECT value FROM readings_reading WHERE id = {int(reading_id)}") == [(19.25,)]


def test_the_deployment_guide_gives_the_tested_commands():
    guide = (PROJECT / "docs" / "deploy.md").read_text()
    assert f"manage.py {DUMP}\n" in guide
    assert f"manage.py {LOAD}\n" in guide
