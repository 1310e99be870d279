"""What the REST API of every app shares: the error shape and its schema, one paginator, a
permission made from a permission name (throttling: ifixit.throttling)."""

import re

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ifixit import serializers


def exception_handler(exc, context):
    """Services raise Django's ValidationError; answer it as a field-keyed 400
    (409 when someone else changed the row first)."""
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        groups = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
        codes = {e.code for errors in groups for e in errors}
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



@csrf_exempt
def not_found(request, *args, **kwargs):
    """An address under /api/ that no route takes: JSON like every other API answer. A GET of
    a route without its trailing slash is sent to it, as Django's APPEND_SLASH would."""
    if request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)


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
    """The 401, 403 and 404 an operation can answer, worded for the app (the rest: complete_responses)."""
    return {
        401: OpenApiResponse(response=DETAIL_ERROR, description="Not signed in, or the token is invalid or revoked."),
        403: OpenApiResponse(response=DETAIL_ERROR, description=forbidden),
        404: OpenApiResponse(response=DETAIL_ERROR, description=not_found),
    }


# --- What the schema says of every operation ----------------------------------------------------

# A 400's body: field name (or non_field_errors) to its messages; a nested or list field's
# errors are an object of the same kind; "detail" alone when the body could not be read at all.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name (or non_field_errors) to a list of messages; a nested or list field's errors "
    "are an object keyed the same way; an unreadable body answers {\"detail\": \"...\"}.",
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}, {"type": "string"}],
    },
}
_DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
_GENERIC = {
    "400": "Invalid input: each wrong field with what is wrong with it.",
    "401": "Not signed in, or the token is invalid or revoked.",
    "403": "Signed in, but this account may not do this (or its sign-in still owes the second factor).",
    "404": "Nothing with this id that you may see, or no such page of the list.",
    "409": "The record's state refuses this now (a car's phase, an application's status, or someone else's change "
    "first); keyed by field like a 400. The same request may succeed once the record has moved on.",
    "429": "Too many requests from this token or address: wait the seconds Retry-After gives.",
}
_METHODS = ("get", "post", "put", "patch", "delete")


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def complete_responses(result, generator, request, public):
    """drf-spectacular post-processing: what every operation can answer, said once.

    Every operation is authenticated (401), permission-checked (403) and throttled (429 with
    Retry-After); one with input can be refused (400, always the same body); a write can meet a
    record whose state refuses it (409, the same body); one with an id in
    its path, or a page number, can find nothing (404). Each app's own wording of a 403 or 404
    is kept where it gave one.
    """
    detail = {"$ref": "#/components/schemas/ErrorDetail"} if "ErrorDetail" in result.get("components", {}).get("schemas", {}) else _DETAIL
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "query" and not parameter.get("required"):
                    # DRF's serializers and django-filter read ?start= as "not given" (an HTML
                    # form's empty field), so an empty value is part of the contract.
                    parameter["allowEmptyValue"] = True
            if parameters or "requestBody" in operation:
                description = responses.get("400", {}).get("description", _GENERIC["400"])
                responses["400"] = _json(VALIDATION_ERROR_SCHEMA, description)
            for code in ("401", "403"):
                responses.setdefault(code, _json(detail, _GENERIC[code]))
            if method != "get":
                responses.setdefault("409", _json(VALIDATION_ERROR_SCHEMA, _GENERIC["409"]))
            if "{" in path or any(p.get("name") == "page" and p.get("in") == "query" for p in parameters):
                responses.setdefault("404", _json(detail, _GENERIC["404"]))
            responses.setdefault("429", _json(detail, _GENERIC["429"], headers={
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
            }))
    _walk_schemas(result, _truthful_formats)
    # What the API reads (query parameters and request bodies; COMPONENT_SPLIT_REQUEST names
    # those "...Request"): DRF's and Django's text fields refuse a NUL character.
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                _walk_schemas(operation.get("parameters", []), _no_nul_in_text)
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _walk_schemas(schema, _no_nul_in_text)
    return result


NO_NUL_PATTERN = r"^[^\x00]*$"


def _no_nul_in_text(schema: dict) -> None:
    if schema.get("type") == "string" and not {"format", "pattern", "enum"} & schema.keys():
        schema["pattern"] = NO_NUL_PATTERN


# DRF reads a decimal as at least one digit with an optional sign and point; drf-spectacular's
# pattern (^-?\d{0,8}(?:\.\d{0,2})?$) also lets through "" and "-", which DRF refuses.
_DECIMAL_PATTERN = re.compile(r"^\^(-\?)?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")
# DRF writes and reads a time as HH:MM[:SS[.ffffff]]; JSON Schema's "time" format demands a
# time-zone offset, which DRF neither writes nor needs (OpenAPI 3.0 has no "time" format).
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


def _truthful_formats(schema: dict) -> None:
    if schema.get("type") != "string":
        return
    if schema.get("format") == "decimal" and (match := _DECIMAL_PATTERN.match(schema.get("pattern", ""))):
        sign, whole, places = match.groups()
        schema["pattern"] = rf"^{sign or ''}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
    elif schema.get("format") == "time":
        del schema["format"]
        schema["pattern"] = TIME_PATTERN


def _walk_schemas(node, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk_schemas(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk_schemas(value, visit)
