"""What every app's pages share (the API's counterpart is ifixit/api.py): a service's errors
shown on a form, and the ?location= a list page is narrowed to."""

from django.core.exceptions import ValidationError
from django.http import Http404


def apply_service_errors(form, exc: ValidationError) -> None:
    """Show a service's field-keyed errors beside the form's fields."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def location_param(request, locations) -> int | None:
    """The location a list page is narrowed to (?location=), one of `locations` (those the
    user may see), or None for all of them. Another location's id, or a word, is a 404: for
    this user that location does not exist."""
    try:
        location_id = int(request.GET.get("location") or 0) or None
    except ValueError:
        raise Http404("No such location") from None
    if location_id and location_id not in {location.pk for location in locations}:
        raise Http404("No such location")
    return location_id
