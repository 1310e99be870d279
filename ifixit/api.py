"""What the REST API of every app shares: the error shape and its schema, one paginator, a
permission made from a permission name (throttling: ifixit.throttling)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Services raise Django's ValidationError; answer it as a field-keyed 400
    (409 when someone else changed the row first)."""
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        codes = {e.code for errors in getattr(exc, "error_dict", {}).values() for e in errors}
        code = status.HTTP_409_CONFLICT if "conflict" in codes else status.HTTP_400_BAD_REQUEST
        return Response(body, status=code)
    if isinstance(exc, OverflowError):
        # An id or count past what the database stores (SQLite and PostgreSQL: 2**63 - 1) is
        # the client's mistake, not the server's: found by schemathesis as a 500.
        return Response({"detail": "A number in the request is too large."}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if exc.__class__.__name__ == "DoesNotExist":
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)



# --- What every app's API uses ----------------------------------------------------------------


class Pagination(PageNumberPagination):
    """Every list: 50 a page, `?page=`; the body is DRF's envelope (count, next, previous, results)."""

    page_size = 50


def permission(codename: str, message: str) -> type[BasePermission]:
    """A DRF permission that holds when the signed-in user has the Django permission `codename`."""

    class HasPermission(BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perm(codename))

    HasPermission.message = message
    HasPermission.__name__ = HasPermission.__qualname__ = f"Has_{codename.replace('.', '_')}"
    return HasPermission


# Error bodies, for the schema: DRF's {"detail": ...} and the services' field-keyed 400s.
DETAIL_ERROR = inline_serializer("ErrorDetail", fields={"detail": serializers.CharField()})
FIELD_ERROR_BODY = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
FIELD_ERRORS = OpenApiResponse(
    response=FIELD_ERROR_BODY,
    description="Invalid input: an object keyed by field name (or non_field_errors), each a list of messages.",
)


def errors(*, forbidden: str, not_found: str) -> dict[int, OpenApiResponse]:
    """The 401, 403 and 404 an operation can answer, worded for the app (429: document_throttling)."""
    return {
        401: OpenApiResponse(response=DETAIL_ERROR, description="Not signed in, or the token is invalid or revoked."),
        403: OpenApiResponse(response=DETAIL_ERROR, description=forbidden),
        404: OpenApiResponse(response=DETAIL_ERROR, description=not_found),
    }


def document_throttling(result, generator, request, public):
    """drf-spectacular post-processing: every API operation is throttled (DEFAULT_THROTTLE_CLASSES),
    so every one documents its 429 with the Retry-After header."""
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "post", "put", "patch", "delete") or "429" in operation.get("responses", {}):
                continue
            operation.setdefault("responses", {})["429"] = {
                "description": "Too many requests from this token or address: wait the seconds Retry-After gives.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
                "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"],
                }}},
            }
    return result
