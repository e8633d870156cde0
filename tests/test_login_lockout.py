"""Password guessing on the admin's and the household's login, and who may reach the admin."""

from __future__ import annotations

import math
import time

import pytest
from django.contrib.auth.models import User

from tests.factories import MemberFactory


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


def test_the_right_password_logs_in_to_the_admin(client, settings, staff):
    settings.LOGIN_FAILURE_LIMIT = "3/hour"
    response = admin_login(client, "alex", "correct horse battery")

    assert response.status_code == 302 and logged_in(client)


@pytest.mark.parametrize("login_path", ["/admin/login/", "/accounts/login/"])
def test_after_repeated_failures_even_the_right_password_is_refused(client, settings, staff, login_path):
    settings.LOGIN_FAILURE_LIMIT = "3/hour"
    for guess in ("123456", "password", "alex2026"):
        response = client.post(login_path, {"username": "alex", "password": guess})
        assert response.status_code == 200 and not logged_in(client)

    response = client.post(login_path, {"username": "alex", "password": "correct horse battery"})

    assert response.status_code == 200  # the form again, not the redirect of a login
    assert not logged_in(client)


def test_the_lockout_holds_for_that_name_from_another_address(client, settings, staff):
    settings.LOGIN_FAILURE_LIMIT = "3/hour"
    for guess in ("a", "b", "c"):
        client.post("/admin/login/", {"username": "ALEX", "password": guess}, REMOTE_ADDR="203.0.113.5")

    client.post(
        "/admin/login/", {"username": "alex", "password": "correct horse battery"}, REMOTE_ADDR="10.0.0.9"
    )

    assert not logged_in(client)


def test_the_lockout_holds_for_that_address_with_another_name(client, settings, staff, household):
    settings.LOGIN_FAILURE_LIMIT = "3/hour"
    for name in ("root", "admin", "pi"):
        client.post("/admin/login/", {"username": name, "password": "x"}, REMOTE_ADDR="203.0.113.5")

    client.post(
        "/admin/login/", {"username": "alex", "password": "correct horse battery"}, REMOTE_ADDR="203.0.113.5"
    )

    assert not logged_in(client)


def test_the_lockout_ends_with_its_window(client, settings, staff, time_machine):
    settings.LOGIN_FAILURE_LIMIT = "1/s"
    # Time stands at the beginning of a second, so both tries share its window.
    time_machine.move_to(math.ceil(time.time()), tick=False)
    client.post("/admin/login/", {"username": "alex", "password": "wrong"})
    admin_login(client, "alex", "correct horse battery")
    assert not logged_in(client)

    time_machine.shift(1)

    admin_login(client, "alex", "correct horse battery")
    assert logged_in(client)


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
