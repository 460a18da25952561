"""Finding 6 (back office): django-axes locks a staff login after repeated wrong passwords,
and says so in Dutch; the right password does not get through while locked."""

from __future__ import annotations

import pytest
from django.test import Client

from .support import PASSWORD, PLATFORM_STAFF, staff_user

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def _login(client: Client, password: str):
    return client.post(LOGIN, {"username": "platform", "password": password})


def test_admin_login_locks_out_after_repeated_failures(region, settings):
    settings.AXES_FAILURE_LIMIT = 5
    staff_user("platform", group=PLATFORM_STAFF, regions=[region])
    client = Client(headers={"accept-language": "nl"}, REMOTE_ADDR="198.51.100.20")
    statuses = [_login(client, f"wrong {i}").status_code for i in range(5)]
    assert statuses[:4] == [200] * 4  # the login form again, with an error
    assert statuses[4] == 429

    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert "Te veel mislukte inlogpogingen" in page
    assert "Inloggen geblokkeerd" in page

    # The same person from another address (e.g. the office) can still log in.
    office = Client(REMOTE_ADDR="203.0.113.20")
    assert _login(office, PASSWORD).status_code == 302
    assert "_auth_user_id" in office.session


def test_a_successful_login_resets_the_count(region, settings):
    settings.AXES_FAILURE_LIMIT = 3
    staff_user("platform", group=PLATFORM_STAFF, regions=[region])
    client = Client(REMOTE_ADDR="198.51.100.21")
    for _ in range(2):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        assert _login(client, "wrong").status_code == 200
    assert _login(client, PASSWORD).status_code == 302
