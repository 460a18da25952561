from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.envelope import ok
from config.api.errors import Forbidden, NotFound
from config.api.openapi import CURSOR_PARAMETERS, envelope
from config.api.pagination import paginate, parse_page_size
from config.api.views import ApiView

from . import selectors, services
from .authentication import (
    ApiKeyAuthentication,
    HasAdminKey,
    HasRegionKey,
    key_principal,
    key_region,
)
from .models import ApiKeyScope, Region
from .serializers import (
    ApiKeySerializer,
    CreatedApiKeySerializer,
    RegionSerializer,
    RegionUpdateSerializer,
)


class KeyView(ApiView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasRegionKey]

    @property
    def region(self) -> Region:
        return key_region(self.request)


class AdminKeyView(ApiView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasAdminKey]


class RegionMeApi(KeyView):
    @extend_schema(
        tags=["Regions"], operation_id="regions_me", responses={200: envelope(RegionSerializer)}
    )
    def get(self, request: Request) -> Response:
        return ok(request, RegionSerializer(self.region).data)


class RegionListCreateApi(AdminKeyView):
    @extend_schema(
        tags=["Admin"],
        operation_id="regions_list",
        parameters=CURSOR_PARAMETERS,
        responses={200: envelope(RegionSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        page = paginate(
            selectors.region_list(),
            cursor=request.query_params.get("cursor"),
            page_size=parse_page_size(request.query_params.get("pageSize")),
            scope="regions",
        )
        return ok(request, RegionSerializer(page.items, many=True).data, cursor=page.next_cursor)

    @extend_schema(
        tags=["Admin"],
        operation_id="regions_create",
        request=RegionSerializer,
        responses={201: envelope(RegionSerializer)},
    )
    def post(self, request: Request) -> Response:
        serializer = RegionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        region = services.region_create(**serializer.validated_data)
        return ok(request, RegionSerializer(region).data, status=201)


class RegionDetailApi(AdminKeyView):
    @extend_schema(
        tags=["Admin"],
        operation_id="regions_update",
        request=RegionUpdateSerializer,
        responses={200: envelope(RegionSerializer)},
    )
    def patch(self, request: Request, region_id: str) -> Response:
        region = selectors.region_get_by_id_or_code(region_id)
        if region is None:
            raise NotFound("No such region.")
        serializer = RegionUpdateSerializer(region, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        region = services.region_update(region=region, **serializer.validated_data)
        return ok(request, RegionSerializer(region).data)


class ApiKeyListCreateApi(KeyView):
    @extend_schema(
        tags=["Auth"],
        operation_id="api_keys_list",
        parameters=CURSOR_PARAMETERS,
        responses={200: envelope(ApiKeySerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        page = paginate(
            selectors.api_key_list(
                region=self.region, include_admin=key_principal(request).is_admin
            ),
            cursor=request.query_params.get("cursor"),
            page_size=parse_page_size(request.query_params.get("pageSize")),
            scope=f"api-keys:{self.region.pk}",
        )
        return ok(request, ApiKeySerializer(page.items, many=True).data, cursor=page.next_cursor)

    @extend_schema(
        tags=["Auth"],
        operation_id="api_keys_create",
        request=ApiKeySerializer,
        responses={201: envelope(CreatedApiKeySerializer)},
    )
    def post(self, request: Request) -> Response:
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope = serializer.validated_data["scope"]
        if scope == ApiKeyScope.ADMIN and not key_principal(request).is_admin:
            raise Forbidden("Only admin keys may create admin keys.")
        created = services.api_key_create(
            region=self.region, name=serializer.validated_data["name"], scope=scope
        )
        body = CreatedApiKeySerializer(created.api_key).data | {"key": created.full_key}
        return ok(request, body, status=201)


class ApiKeyRevokeApi(KeyView):
    @extend_schema(
        tags=["Auth"], operation_id="api_keys_revoke", responses={200: envelope(ApiKeySerializer)}
    )
    def delete(self, request: Request, key_id: str) -> Response:
        api_key = selectors.api_key_get(
            region=self.region, key_id=key_id, include_admin=key_principal(request).is_admin
        )
        if api_key is None:
            raise NotFound("No such API key.")
        api_key = services.api_key_revoke(
            api_key=api_key, revoked_by=key_principal(request).api_key
        )
        return ok(request, ApiKeySerializer(api_key).data)
