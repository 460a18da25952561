from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.envelope import ok
from config.api.environment import request_environment
from config.api.errors import BadRequest, ErrorDetail, NotFound
from config.api.openapi import CURSOR_PARAMETERS, envelope
from config.api.pagination import paginate, parse_page_size
from regions.apis import KeyView

from . import selectors
from .models import Mutation, MutationStatus
from .serializers import AcceptedSerializer, MutationSerializer, accepted_body

REPLAYED_HEADER = "Idempotent-Replayed"


def accepted(request: Request, mutation: Mutation, *, replayed: bool = False) -> Response:
    """202 with the accept body and a Location header to the mutation (SPEC 3). A replay of an
    earlier request with the same idempotency key also says ``Idempotent-Replayed: true``."""
    body = accepted_body(request, mutation)
    headers = {"Location": body["links"]["self"]}
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    return ok(request, body, status=202, headers=headers)


ACCEPTED_RESPONSE = envelope(AcceptedSerializer)


class MutationDetailApi(KeyView):
    @extend_schema(
        tags=["Mutations"],
        operation_id="mutations_get",
        responses={200: envelope(MutationSerializer)},
    )
    def get(self, request: Request, mutation_id: str) -> Response:
        mutation = selectors.mutation_get(
            region=self.region, environment=request_environment(request), mutation_id=mutation_id
        )
        if mutation is None:
            raise NotFound("No such mutation.")
        return ok(request, MutationSerializer(mutation, context={"request": request}).data)


class MutationListApi(KeyView):
    @extend_schema(
        tags=["Mutations"],
        operation_id="mutations_list",
        parameters=[
            *CURSOR_PARAMETERS,
            OpenApiParameter("status", str, enum=MutationStatus.values),
        ],
        responses={200: envelope(MutationSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        status = request.query_params.get("status")
        if status is not None and status not in MutationStatus.values:
            raise BadRequest(details=[ErrorDetail("status", f"One of {MutationStatus.values}.")])
        page = paginate(
            selectors.mutation_list(
                region=self.region, environment=request_environment(request), status=status
            ),
            cursor=request.query_params.get("cursor"),
            page_size=parse_page_size(request.query_params.get("pageSize")),
            scope=f"mutations:{self.region.pk}:{request_environment(request)}:{status}",
            id_field="sequence",
        )
        data = MutationSerializer(page.items, many=True, context={"request": request}).data
        return ok(request, data, cursor=page.next_cursor)
