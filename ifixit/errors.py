"""The one error a service raises beside a plain ValidationError."""

from django.core.exceptions import ValidationError


def conflict(field: str, message: str) -> ValidationError:
    """The request is well-formed, but the record's current state refuses it (a car's phase, an
    application's status, someone else's change first). Pages show it like any error; the API
    answers 409 rather than 400 (ifixit.api.exception_handler), so a client knows that the same
    request may succeed once the record has moved on, and that its input was not wrong."""
    return ValidationError({field: ValidationError(message, code="conflict")})
