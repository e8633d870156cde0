"""Share links: a secret read-only dashboard for someone without a login, revocable at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils.timezone import now

from dashboard.models import ShareLink, token_digest
from dashboard.shares import share_link_create, share_link_use
from readings.rules import NewReading
from readings.services import record_readings

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = User.objects.create_user("sam", password="a long household password")
    client.force_login(user)
    return user


def post(issued, value):
    device = issued.api_key.device
    record_readings(
        device=device,
        readings=[NewReading(field=device.fields.first().number, value=value, recorded_at=now())],
    )


def test_a_member_creates_a_link_and_sees_its_address_once(client, member):
    response = client.post("/shares/", {"name": "Grandma's tablet"}, follow=True)

    html = response.content.decode()
    url = re.search(r'class="share-url" type="text" readonly value="([^"]+)"', html).group(1)
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = ShareLink.objects.get()
    assert url == f"http://testserver/s/{token}/" and link.name == "Grandma's tablet"
    assert link.token_digest == token_digest(token) and token not in link.token_digest  # only a digest kept
    assert link.created_by == member
    again = client.get("/shares/").content.decode()
    assert token not in again and "Grandma&#x27;s tablet" in again and "never" in again


def test_the_link_shows_the_dashboard_logged_out_and_reaches_nothing_else(outside, inside):
    post(outside, 18.5)
    post(inside, 24.0)
    token = share_link_create(name="Neighbour").token
    stranger = Client()

    html = stranger.get(f"/s/{token}/").content.decode()

    assert "18.5°C" in html and "24.0°C" in html and "open the windows" in html
    assert "Shared view" in html and "Log out" not in html and "/notifications/" not in html
    assert "/records/" not in html and "/shares/" not in html
    assert f"/s/{token}/api/latest/" in html and f"/s/{token}/api/history/" in html
    assert stranger.get(f"/s/{token}/api/latest/").status_code == 200
    assert stranger.get(f"/s/{token}/api/history/", {"range": "7d"}).status_code == 200
    # Nothing else opens for the holder of the link.
    assert stranger.get("/").status_code == 302
    assert stranger.get("/api/latest/").status_code == 403
    assert stranger.get("/api/history/").status_code == 403
    for path in ("/records/", "/shares/", "/notifications/", "/admin/"):
        assert stranger.get(path).status_code == 302, path
    assert stranger.get(f"/s/{token}/records/").status_code == 404
    assert stranger.get("/api/devices/").status_code in (401, 403)
    assert stranger.get(f"/s/{token}x/").status_code == 404


def test_the_list_shows_when_a_link_was_last_used(client, member):
    issued = share_link_create(name="Neighbour")
    assert issued.link.last_used_at is None

    Client().get(f"/s/{issued.token}/")

    issued.link.refresh_from_db()
    assert issued.link.last_used_at is not None and now() - issued.link.last_used_at < timedelta(seconds=30)
    row = re.search(
        rf'<tr data-link="{issued.link.pk}".*?</tr>', client.get("/shares/").content.decode(), re.S
    )
    assert "never" not in row.group(0)


def test_polls_record_the_use_at_most_once_a_minute(django_assert_num_queries):
    issued = share_link_create(name="Neighbour")
    share_link_use(token=issued.token)

    with django_assert_num_queries(1):  # the lookup only: no write on every poll
        share_link_use(token=issued.token, at=now() + timedelta(seconds=30))
    with django_assert_num_queries(2):
        share_link_use(token=issued.token, at=now() + timedelta(minutes=2))


def test_a_revoked_link_stops_working_at_once(client, member, outside):
    post(outside, 18.5)
    issued = share_link_create(name="Neighbour")
    stranger = Client()
    assert stranger.get(f"/s/{issued.token}/").status_code == 200

    response = client.post("/shares/", {"revoke": issued.link.pk})

    assert response.status_code == 302
    issued.link.refresh_from_db()
    assert issued.link.revoked_at is not None
    assert stranger.get(f"/s/{issued.token}/").status_code == 404
    assert stranger.get(f"/s/{issued.token}/api/latest/").status_code == 403
    assert stranger.get(f"/s/{issued.token}/api/history/").status_code == 403
    assert "revoked" in client.get("/shares/").content.decode()


def test_strangers_cannot_list_or_make_links(client):
    assert client.get("/shares/").status_code == 302
    assert client.post("/shares/", {"name": "mine"}).status_code == 302
    assert not ShareLink.objects.exists()
