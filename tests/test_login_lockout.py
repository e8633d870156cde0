"""Password guessing on the admin's and the household's login, and who may reach the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils.timezone import now

from tests.factories import MemberFactory


@pytest.fixture
def lockout(settings):
    """LOGIN_FAILURE_LIMIT=3/hour, as settings turn it into django-axes' settings."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(hours=1)


@pytest.fixture
def staff(db) -> User:
    return MemberFactory.create(
        username="alex", password="correct horse battery", is_staff=True, is_superuser=True
    )


@pytest.fixture
def household(db) -> User:
    return MemberFactory.create(username="sam", password="sam's own password")


def admin_login(client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_logs_in_to_the_admin(client, lockout, staff):
    response = admin_login(client, "alex", "correct horse battery")

    assert response.status_code == 302 and logged_in(client)


@pytest.mark.parametrize("login_path", ["/admin/login/", "/accounts/login/"])
def test_after_repeated_failures_even_the_right_password_is_refused(client, lockout, staff, login_path):
    for guess in ("123456", "password"):
        response = client.post(login_path, {"username": "alex", "password": guess})
        assert response.status_code == 200 and not logged_in(client)
    client.post(login_path, {"username": "alex", "password": "alex2026"})

    response = client.post(login_path, {"username": "alex", "password": "correct horse battery"})

    assert response.status_code == 429  # a page that says so, not the redirect of a login
    assert "Too many failed logins" in response.content.decode()
    assert not logged_in(client)


def test_the_lockout_holds_for_that_name_from_another_address(client, lockout, staff):
    for guess in ("a", "b", "c"):
        client.post("/admin/login/", {"username": "ALEX", "password": guess}, REMOTE_ADDR="203.0.113.5")

    client.post(
        "/admin/login/", {"username": "alex", "password": "correct horse battery"}, REMOTE_ADDR="10.0.0.9"
    )

    assert not logged_in(client)


def test_the_lockout_holds_for_that_address_with_another_name(client, lockout, staff, household):
    for name in ("root", "admin", "pi"):
        client.post("/admin/login/", {"username": name, "password": "x"}, REMOTE_ADDR="203.0.113.5")

    client.post(
        "/admin/login/", {"username": "alex", "password": "correct horse battery"}, REMOTE_ADDR="203.0.113.5"
    )

    assert not logged_in(client)


def test_the_lockout_ends_with_its_period(client, lockout, staff):
    with time_machine.travel(now(), tick=False) as clock:
        for guess in ("a", "b", "c"):
            client.post("/admin/login/", {"username": "alex", "password": guess})
        clock.shift(timedelta(minutes=59))
        admin_login(client, "alex", "correct horse battery")
        assert not logged_in(client)

        clock.shift(timedelta(minutes=2))

        admin_login(client, "alex", "correct horse battery")
        assert logged_in(client)


def test_the_old_password_on_the_change_form_cannot_be_guessed_forever(client, lockout, household):
    client.force_login(household)
    form = {"new_password1": "a new long password", "new_password2": "a new long password"}
    for guess in ("a", "b"):
        answer = client.post("/accounts/password/", {**form, "old_password": guess})
        assert answer.status_code == 200 and "password was entered incorrectly" in answer.content.decode()
    assert client.post("/accounts/password/", {**form, "old_password": "c"}).status_code == 429

    answer = client.post("/accounts/password/", {**form, "old_password": "sam's own password"})

    assert "locked" in answer.content.decode()
    household.refresh_from_db()
    assert household.check_password("sam's own password")  # not changed while locked out
    # The guesses count as failed logins: the name cannot log in elsewhere either.
    client.logout()
    client.post("/accounts/login/", {"username": "sam", "password": "sam's own password"})
    assert not logged_in(client)


def test_a_household_member_sees_the_dashboard_but_not_the_admin(client, household):
    client.force_login(household)

    assert client.get("/").status_code == 200
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert client.get("/admin/devices/device/").status_code == 302


def test_a_household_member_cannot_log_in_to_the_admin(client, household):
    response = admin_login(client, "sam", "sam's own password")

    assert response.status_code == 200 and not logged_in(client)


def test_staff_reach_the_admin(client, staff):
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200
