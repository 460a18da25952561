from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.envelope import ok
from config.api.environment import request_environment
from config.api.errors import NotFound
from config.api.openapi import CURSOR_PARAMETERS, envelope
from config.api.pagination import paginate, parse_page_size
from regions.apis import KeyView
from regions.models import Region
from regions.services import region_rotate_signing_secret

from . import selectors, services, signing
from .models import Subscription
from .serializers import (
    DeliverySerializer,
    SigningSecretSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateSerializer,
)

TAGS = ["Webhooks"]


class SubscriptionView(KeyView):
    def subscription(self, request: Request, subscription_id: str) -> Subscription:
        subscription = selectors.subscription_get(
            region=self.region,
            environment=request_environment(request),
            subscription_id=subscription_id,
        )
        if subscription is None:
            raise NotFound("No such webhook subscription.")
        return subscription


class SubscriptionListCreateApi(SubscriptionView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_list",
        parameters=CURSOR_PARAMETERS,
        responses={200: envelope(SubscriptionSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        page = paginate(
            selectors.subscription_list(
                region=self.region, environment=request_environment(request)
            ),
            cursor=request.query_params.get("cursor"),
            page_size=parse_page_size(request.query_params.get("pageSize")),
            scope=f"webhooks:{self.region.pk}:{request_environment(request)}",
        )
        data = SubscriptionSerializer(page.items, many=True).data
        return ok(request, data, cursor=page.next_cursor)

    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_create",
        description="Subscribe a URL to events of this environment. Deliveries are signed "
        "like mutation callbacks (see the signing-secret operations).",
        request=SubscriptionSerializer,
        responses={201: envelope(SubscriptionSerializer)},
    )
    def post(self, request: Request) -> Response:
        serializer = SubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = services.subscription_create(
            region=self.region,
            environment=request_environment(request),
            **serializer.validated_data,
        )
        return ok(request, SubscriptionSerializer(subscription).data, status=201)


class SubscriptionDetailApi(SubscriptionView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_get",
        responses={200: envelope(SubscriptionSerializer)},
    )
    def get(self, request: Request, subscription_id: str) -> Response:
        subscription = self.subscription(request, subscription_id)
        return ok(request, SubscriptionSerializer(subscription).data)

    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_update",
        request=SubscriptionUpdateSerializer,
        responses={200: envelope(SubscriptionSerializer)},
    )
    def patch(self, request: Request, subscription_id: str) -> Response:
        subscription = self.subscription(request, subscription_id)
        serializer = SubscriptionUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription = services.subscription_update(
            subscription=subscription, **serializer.validated_data
        )
        return ok(request, SubscriptionSerializer(subscription).data)

    @extend_schema(tags=TAGS, operation_id="webhooks_delete", responses={204: None})
    def delete(self, request: Request, subscription_id: str) -> Response:
        services.subscription_delete(subscription=self.subscription(request, subscription_id))
        return Response(status=204)


class SubscriptionTestApi(SubscriptionView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_test",
        description="Queue a signed ping event to this subscription (even a disabled one); "
        "follow its progress in the deliveries list.",
        request=None,
        responses={202: envelope(DeliverySerializer)},
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        delivery = services.subscription_ping(
            subscription=self.subscription(request, subscription_id)
        )
        return ok(request, DeliverySerializer(delivery).data, status=202)


class SubscriptionDeliveriesApi(SubscriptionView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_deliveries",
        description="Deliveries to this subscription, oldest first, with every attempt.",
        parameters=CURSOR_PARAMETERS,
        responses={200: envelope(DeliverySerializer, many=True)},
    )
    def get(self, request: Request, subscription_id: str) -> Response:
        subscription = self.subscription(request, subscription_id)
        page = paginate(
            selectors.delivery_list(subscription=subscription),
            cursor=request.query_params.get("cursor"),
            page_size=parse_page_size(request.query_params.get("pageSize")),
            scope=f"webhook-deliveries:{subscription.pk}",
        )
        data = DeliverySerializer(page.items, many=True).data
        return ok(request, data, cursor=page.next_cursor)


def signing_secret_body(region: Region) -> dict[str, Any]:
    body: dict[str, Any] = {
        "secret": region.signing_secret,
        "standardWebhooksSecret": signing.standard_webhooks_secret(region.signing_secret),
    }
    secrets = selectors.region_signing_secrets(region=region)
    if len(secrets) > 1:
        body["previousSecret"] = secrets[1]
        body["previousSecretExpiresAt"] = services.isoformat(
            region.previous_signing_secret_expires_at
        )
    return body


class SigningSecretApi(KeyView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_signing_secret",
        description="The region's secret for verifying callbacks and events (both "
        "environments). During a rotation the previous secret is listed until it expires.",
        responses={200: envelope(SigningSecretSerializer)},
    )
    def get(self, request: Request) -> Response:
        region = self.region
        if not region.signing_secret:
            region = region_rotate_signing_secret(region=region)
        return ok(request, signing_secret_body(region))


class SigningSecretRotateApi(KeyView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_signing_secret_rotate",
        description="A new secret signs from now on; the old one keeps signing in parallel "
        "for 24 hours, so receivers can switch without missing a delivery.",
        request=None,
        responses={200: envelope(SigningSecretSerializer)},
    )
    def post(self, request: Request) -> Response:
        region = region_rotate_signing_secret(region=self.region)
        return ok(request, signing_secret_body(region))
