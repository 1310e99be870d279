"""What the REST API shares across apps: the error shape (throttling: ifixit.throttling)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
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
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if exc.__class__.__name__ == "DoesNotExist":
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)

