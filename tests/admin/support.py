"""Helpers for back-office tests: staff users in groups and regions, change-form posts."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import DEFAULT_DB_ALIAS
from django.test import Client

from mutations.models import Mutation
from mutations.services import mutation_accept
from regions.models import Region
from regions.services import staff_membership_grant

PASSWORD = "correct horse battery staple"
COORDINATOR = "Coordinator"
PLATFORM_STAFF = "Platform staff"
_GROUPS_MIGRATION = importlib.import_module("regions.migrations.0004_staff_groups")


def ensure_staff_groups() -> None:
    """The groups come from a data migration; a transactional test's flush empties them."""
    if Group.objects.filter(name__in=[COORDINATOR, PLATFORM_STAFF]).count() < 2:
        _GROUPS_MIGRATION.assign_group_permissions(apps, DEFAULT_DB_ALIAS)


def staff_user(username: str, *, group: str | None, regions: Iterable[Region] = ()) -> User:
    ensure_staff_groups()
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    for region in regions:
        staff_membership_grant(user=user, region=region)
    return user


def client_for(user: User, *, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def accept_update(region: Region, record_id: str = "recAAAAAAAAAAAAAA") -> Mutation:
    """A queued candidate.update, as an API PATCH would leave it."""
    return mutation_accept(
        region=region,
        environment="production",
        operation="candidate.update",
        payload={"fields": {"phase": "matchen"}},
        target_ids=[record_id],
        ordering_keys=[f"candidate:production:{record_id}"],
    ).mutation


def _form_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def change_form_data(page: Any, **changes: Any) -> dict[str, Any]:
    """What the browser would post back from a rendered admin change form, with ``changes``."""
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is False:
            continue
        data[name] = "on" if value is True else _form_value(value)
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{inline.formset.prefix}-{name}"] = management[name].value()
    data.update(changes)
    return data


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
