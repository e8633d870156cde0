"""The household's notification page, and the admin's notification history (read-only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.timezone import now

from alerts.models import EMAIL, TEXT_BODY, WEBHOOK, Alert, Channel, Notification, Rule, Subscription
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"


@pytest.fixture
def anna(client):
    user = MemberFactory.create(username="anna")
    client.force_login(user)
    return user


def rule(name: str) -> Rule:
    return Rule.objects.get(name=name)


OPEN = "Outside became cooler than inside: open the windows"
SHUT = "Outside became warmer than inside: shut the windows"


def test_it_needs_a_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_member_sees_the_active_rules_to_pick_from(client, anna):
    Rule.objects.filter(name=SHUT).update(is_active=False)

    page = client.get(PAGE).content.decode()

    assert OPEN in page
    assert SHUT not in page
    assert "Nowhere yet" in page


def test_a_member_picks_the_rules_that_reach_them(client, anna):
    client.post(PAGE, {"rules": [rule(OPEN).pk, rule(SHUT).pk]})
    assert set(Subscription.objects.filter(user=anna).values_list("rule__name", flat=True)) == {OPEN, SHUT}

    response = client.post(PAGE, {"rules": [rule(SHUT).pk]})

    assert response.status_code == 302
    assert list(Subscription.objects.filter(user=anna).values_list("rule__name", flat=True)) == [SHUT]
    assert "checked" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("999999", "Select a valid choice"),
        ("open", "is not a valid value"),
        ("inactive", "Select a valid choice"),
    ],
)
def test_a_rule_that_is_not_offered_is_refused_and_nothing_changes(client, anna, bad, reason):
    Subscription.objects.create(user=anna, rule=rule(OPEN))
    if bad == "inactive":
        Rule.objects.filter(name=SHUT).update(is_active=False)
        bad = str(rule(SHUT).pk)

    response = client.post(PAGE, {"rules": [bad]})

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert list(Subscription.objects.filter(user=anna).values_list("rule__name", flat=True)) == [OPEN]


def test_a_member_adds_their_phone_as_an_ntfy_push(client, anna):
    response = client.post(
        "/notifications/channels/",
        {"name": "Anna's phone", "kind": WEBHOOK, "url": "https://ntfy.sh/weather-7f3a"},
    )

    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.user, channel.kind, channel.url, channel.body_format) == (
        anna,
        WEBHOOK,
        "https://ntfy.sh/weather-7f3a",
        TEXT_BODY,
    )
    assert "https://ntfy.sh/weather-7f3a" in client.get(PAGE).content.decode()


def test_an_email_channel_without_an_address_uses_the_accounts(client, anna):
    client.post("/notifications/channels/", {"name": "mail", "kind": EMAIL, "url": "", "email": ""})

    assert Channel.objects.get().address == "anna@example.org"


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"name": "phone", "kind": WEBHOOK, "url": ""}, "A push needs the URL to post to."),
        ({"name": "phone", "kind": WEBHOOK, "url": "ftp://example.org/x"}, "Only http:// and https:// URLs."),
        ({"name": "phone", "kind": "pigeon", "url": "https://ntfy.sh/x"}, "Select a valid choice."),
        ({"name": "mail", "kind": EMAIL, "email": "not an address"}, "Enter a valid email address."),
    ],
)
def test_a_bad_channel_is_refused_with_the_reason_and_nothing_is_stored(client, anna, form, reason):
    response = client.post("/notifications/channels/", form)

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Channel.objects.exists()


def test_a_member_removes_their_own_channel_and_no_one_elses(client, anna):
    ben = MemberFactory.create(username="ben")
    mine = Channel.objects.create(user=anna, name="mine", kind=EMAIL)
    theirs = Channel.objects.create(user=ben, name="theirs", kind=EMAIL)

    assert client.post(f"/notifications/channels/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/notifications/channels/{mine.pk}/delete/").status_code == 302

    assert list(Channel.objects.values_list("name", flat=True)) == ["theirs"]


def test_the_dashboard_menu_links_to_the_page(client, anna):
    assert 'href="/notifications/"' in client.get("/").content.decode()


# The admin


def test_the_admin_shows_the_history_of_messages_read_only(admin_client, anna):
    channel = Channel.objects.create(user=anna, name="Anna's phone", kind=WEBHOOK, url="https://ntfy.sh/x")
    alert = Alert.objects.create(
        key="1:window:1",
        rule=rule(OPEN),
        subject="window",
        title="Open the windows",
        message="Outside is 2.0° cooler",
    )
    sent = Notification.objects.create(
        alert=alert, channel=channel, status="sent", attempts=2, sent_at=now(), last_error=""
    )
    Notification.objects.create(
        alert=Alert.objects.create(key="2:device:1:1", subject="device:1", title="Porch quiet", message="m"),
        channel=channel,
        attempts=1,
        next_attempt_at=now() + timedelta(seconds=30),
        last_error="webhook answered 500 Internal Server Error",
    )

    page = admin_client.get("/admin/alerts/notification/").content.decode()

    assert "Open the windows" in page and "Porch quiet" in page
    assert "webhook answered 500 Internal Server Error" in page
    assert admin_client.get("/admin/alerts/notification/add/").status_code == 403
    detail = admin_client.get(f"/admin/alerts/notification/{sent.pk}/change/")
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()  # shown, not editable
    assert (
        admin_client.post(f"/admin/alerts/notification/{sent.pk}/change/", {"status": "pending"}).status_code
        == 403
    )
    assert admin_client.get(f"/admin/alerts/alert/{alert.pk}/change/").status_code == 200


@pytest.mark.parametrize("page", ["rule", "channel", "subscription", "alert", "notification"])
def test_every_notification_page_of_the_admin_opens(admin_client, page):
    assert admin_client.get(f"/admin/alerts/{page}/").status_code == 200


def test_the_admin_refuses_a_threshold_rule_without_a_threshold(admin_client):
    response = admin_client.post(
        "/admin/alerts/rule/add/",
        {
            "name": "Too humid",
            "kind": "above",
            "is_active": "on",
            "quiet_minutes": "60",
            "hysteresis": "0.5",
            "field_kind": "humidity",
            "subscription_set-TOTAL_FORMS": "0",
            "subscription_set-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "A threshold rule needs a threshold." in response.content.decode()
    assert not Rule.objects.filter(name="Too humid").exists()
