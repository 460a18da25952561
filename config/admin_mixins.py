"""Admin building blocks every app shares. Imports Django only, so any app may use them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """For records written elsewhere (the mirror, the engine, sync): staff look, never edit.

    Without change permission Django renders the object as a view page ("… bekijken"),
    without a Save button."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ViewOnlyDetailMixin:
    """A log that staff act on only through list actions (retry, resend): the actions keep the
    change permission, but a single record opens as a view page without Save."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]
