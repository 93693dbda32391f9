"""API plumbing shared by every domain: error format, references, pagination defaults,
input validation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn a service's django ValidationError into a 400 with translated messages."""
    if isinstance(exc, DjangoValidationError):
        detail: Any = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = serializers.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class ErrorOutput(serializers.Serializer):
    """The shape of every refusal: a translated message and, where a client can act on
    it, a stable code (busy, in_progress, no_longer_available…)."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class RefOutput(serializers.Serializer):
    """Another object by id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The input checked by the serializer (a 400 with field messages if it is wrong)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
