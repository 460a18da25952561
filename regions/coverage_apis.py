"""Region coverage (SPEC 15): the lookup any key may call, and the admin-key coverage routes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.envelope import ok
from config.api.errors import BadRequest, ErrorDetail, NotFound, Unauthenticated
from config.api.openapi import envelope
from config.api.serializers import StrictSerializer

from . import coverage, selectors
from .apis import AdminKeyView, KeyView
from .authentication import KeyPrincipal
from .models import POSTCODE_MAX, POSTCODE_MIN, Region


class HasAnyKey(BasePermission):
    """Any valid API key, with or without a home region."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not isinstance(request.user, KeyPrincipal):
            raise Unauthenticated()
        return True


class ServingRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    contactEmail = serializers.CharField(allow_blank=True)
    website = serializers.CharField(allow_blank=True)


# ``from`` is a Python keyword, so these two are built with type() (as candidates' are).
PostcodeRangeSerializer = type(
    "PostcodeRangeSerializer",
    (StrictSerializer,),
    {
        "__module__": __name__,
        "__doc__": "Postcodes from–to (4 digits, both included).",
        "from": serializers.IntegerField(min_value=POSTCODE_MIN, max_value=POSTCODE_MAX),
        "to": serializers.IntegerField(min_value=POSTCODE_MIN, max_value=POSTCODE_MAX),
    },
)
SpanSerializer = type(
    "SpanSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "A run of postcodes and the regions covering each of them.",
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
        "regions": serializers.ListField(child=serializers.CharField()),
    },
)


class CoverageSerializer(StrictSerializer):
    postcodeRanges = PostcodeRangeSerializer(many=True, required=False, default=list)
    municipalities = serializers.ListField(
        child=serializers.CharField(max_length=6),
        required=False,
        default=list,
        help_text="CBS codes (GM and four digits); used by the lookup only when the caller "
        "passes municipality=.",
    )


class RegionCoverageSerializer(CoverageSerializer):
    region = serializers.CharField(read_only=True)
    overlapsWithOtherRegions = SpanSerializer(many=True, read_only=True)


class CoverageOverviewSerializer(serializers.Serializer):
    uncovered = SpanSerializer(many=True)
    shared = SpanSerializer(many=True)


def _span(span: coverage.CoverageSpan) -> dict[str, Any]:
    return {"from": span.start, "to": span.end, "regions": list(span.region_codes)}


def _coverage_body(region: Region) -> dict[str, Any]:
    ranges, municipalities = coverage.region_coverage(region)
    return {
        "region": region.code,
        "postcodeRanges": [{"from": r.start, "to": r.end} for r in ranges],
        "municipalities": municipalities,
        "overlapsWithOtherRegions": [
            _span(span) for span in coverage.overlaps_with_other_regions(region)
        ],
    }


class RegionLookupApi(KeyView):
    permission_classes = [HasAnyKey]

    @extend_schema(
        tags=["Regions"],
        operation_id="regions_lookup",
        summary="Which regions serve a Dutch postcode",
        description=(
            "Active regions whose coverage includes the postcode's 4 digits (`3511AB`, "
            "`3511 ab` and `3511` are the same), or — only when `municipality` is passed — "
            "that list that CBS municipality code. No region: `data: []`. Any API key may ask."
        ),
        parameters=[
            OpenApiParameter("postcode", str, description="A Dutch postcode: 1234AB or 1234."),
            OpenApiParameter(
                "municipality",
                str,
                description="Optional CBS municipality code (GM0344); adds regions that list it.",
            ),
        ],
        responses={200: envelope(ServingRegionSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        raw_postcode = request.query_params.get("postcode")
        raw_municipality = request.query_params.get("municipality")
        if raw_postcode is None and raw_municipality is None:
            raise BadRequest(
                "Send postcode (and optionally municipality).",
                details=[ErrorDetail("postcode", "Required.")],
            )
        postcode = None if raw_postcode is None else coverage.parse_postcode(raw_postcode)
        municipality = (
            None if raw_municipality is None else coverage.parse_municipality(raw_municipality)
        )
        return ok(request, coverage.regions_serving(postcode=postcode, municipality=municipality))


def _region(region_id: str) -> Region:
    region = selectors.region_get_by_id_or_code(region_id)
    if region is None:
        raise NotFound("No such region.")
    return region


class RegionCoverageApi(AdminKeyView):
    @extend_schema(
        tags=["Admin"],
        operation_id="regions_coverage_get",
        summary="A region's coverage",
        responses={200: envelope(RegionCoverageSerializer)},
    )
    def get(self, request: Request, region_id: str) -> Response:
        return ok(request, _coverage_body(_region(region_id)))

    @extend_schema(
        tags=["Admin"],
        operation_id="regions_coverage_replace",
        summary="Replace a region's coverage",
        description=(
            "The whole coverage: postcode ranges (4 digits, inclusive) and municipality codes. "
            "Overlaps within the region are a 422; overlaps with other regions are allowed and "
            "listed in `overlapsWithOtherRegions`."
        ),
        request=CoverageSerializer,
        responses={200: envelope(RegionCoverageSerializer)},
    )
    def put(self, request: Request, region_id: str) -> Response:
        region = _region(region_id)
        serializer = CoverageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        coverage.region_coverage_replace(
            region=region,
            postcode_ranges=[
                coverage.PostcodeRange(item["from"], item["to"]) for item in data["postcodeRanges"]
            ],
            municipalities=data["municipalities"],
        )
        return ok(request, _coverage_body(region))


class CoverageOverviewApi(AdminKeyView):
    @extend_schema(
        tags=["Admin"],
        operation_id="regions_coverage_overview",
        summary="Postcode ranges no active region covers, and ranges several regions share",
        responses={200: envelope(CoverageOverviewSerializer)},
    )
    def get(self, request: Request) -> Response:
        gaps, shared = coverage.coverage_overview()
        return ok(
            request,
            {"uncovered": [_span(s) for s in gaps], "shared": [_span(s) for s in shared]},
        )
