from __future__ import annotations

from django.urls import path

from . import apis, feed_apis

# The fixed signing-secret paths come before "webhooks/<id>" so they are never read as an id.
urlpatterns = [
    path("events", feed_apis.EventFeedApi.as_view(), name="events"),
    path("webhooks", apis.SubscriptionListCreateApi.as_view(), name="webhooks"),
    path(
        "webhooks/signing-secret",
        apis.SigningSecretApi.as_view(),
        name="webhooks-signing-secret",
    ),
    path(
        "webhooks/signing-secret/rotate",
        apis.SigningSecretRotateApi.as_view(),
        name="webhooks-signing-secret-rotate",
    ),
    path(
        "webhooks/<str:subscription_id>",
        apis.SubscriptionDetailApi.as_view(),
        name="webhook-detail",
    ),
    path(
        "webhooks/<str:subscription_id>/test",
        apis.SubscriptionTestApi.as_view(),
        name="webhook-test",
    ),
    path(
        "webhooks/<str:subscription_id>/deliveries",
        apis.SubscriptionDeliveriesApi.as_view(),
        name="webhook-deliveries",
    ),
]
