"""DRF's serializers, reading a JSON body as strictly as the OpenAPI schema describes it.

Every app's API imports its serializers from here (`from ifixit import serializers`), not from
rest_framework. DRF is lenient with JSON: a string field takes 0, a boolean takes 0, 1 or
"yes", an integer takes "5", a decimal takes a JSON number, " 5 " or "1e3", and a nullable
decimal takes "". The schema promises a string, a boolean, an integer and a decimal string, so
a generated client, and the contract check (.ci/contract.sh), must see those refused.

A query string or a form is text by nature, so there DRF's reading stays ("?unread=true").
"""

import re

from rest_framework import serializers as drf
from rest_framework.serializers import *  # noqa: F403  the rest of DRF's serializers, unchanged
from rest_framework.utils import html


def _from_text(field) -> bool:
    """True when the field reads a query string or form (a QueryDict), not a JSON body."""
    return html.is_html_input(getattr(field.root, "initial_data", None))


class _StrictText:
    def to_internal_value(self, data):
        if not isinstance(data, str) and not _from_text(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class CharField(_StrictText, drf.CharField):
    pass


class EmailField(_StrictText, drf.EmailField):
    pass


class URLField(_StrictText, drf.URLField):
    pass


class RegexField(_StrictText, drf.RegexField):
    pass


class SlugField(_StrictText, drf.SlugField):
    pass


class ChoiceField(drf.ChoiceField):
    def to_internal_value(self, data):
        # DRF looks a choice up by str(data), so 0 would pass for "0".
        if not isinstance(data, str) and not _from_text(self) and not self._has_number_choices():
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)

    def _has_number_choices(self) -> bool:
        return any(not isinstance(key, str) for key in self.choices)


class BooleanField(drf.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool) and not _from_text(self):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


# What the database's integer column holds (PostgreSQL "integer"): a bound on every integer the
# API reads unless the field sets a narrower one, so the schema says it and a larger number is
# a 400 that names the field, not a database error.
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1


class IntegerField(drf.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", INTEGER_MIN)
        kwargs.setdefault("max_value", INTEGER_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        whole_float = isinstance(data, float) and data.is_integer()
        if not _from_text(self) and (isinstance(data, bool) or not (isinstance(data, int) or whole_float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class FloatField(drf.FloatField):
    def to_internal_value(self, data):
        if not _from_text(self) and (isinstance(data, bool) or not isinstance(data, (int, float))):
            self.fail("invalid")
        return super().to_internal_value(data)


# A decimal in JSON is a string of digits with an optional sign and point, as the schema's
# pattern says (ifixit.api._truthful_formats); DRF checks the digits and places after.
_DECIMAL_TEXT = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


class DecimalField(drf.DecimalField):
    default_error_messages = {
        "text": 'Send the number as a string of digits with an optional point, such as "1234.50".'
    }

    def validate_empty_values(self, data):
        if isinstance(data, str) and not data.strip() and not _from_text(self):
            self.fail("text")  # DRF reads "" as null for a nullable decimal
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not _from_text(self) and not (isinstance(data, str) and _DECIMAL_TEXT.fullmatch(data)):
            self.fail("text")
        return super().to_internal_value(data)


# --- Links to a row's own detail ----------------------------------------------------------------

# A pk no row has, put through reverse() once so that the path around it can be reused.
_PK_STAND_IN = 918273645546372819


def detail_url(request, view_name: str, pk: int) -> str:
    """What `request.build_absolute_uri(reverse(view_name, args=[pk]))` gives, for a page of
    rows: the scheme and host and the view's path around the pk are made once per request, not
    once per row (reverse and build_absolute_uri were 5-7% of a list's time in the profile)."""
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    made = http_request.__dict__.setdefault("_detail_urls", {})
    if view_name not in made:
        from django.urls import reverse

        before, after = reverse(view_name, args=[_PK_STAND_IN]).split(str(_PK_STAND_IN))
        made[view_name] = (http_request.build_absolute_uri(before), after)
    before, after = made[view_name]
    return f"{before}{pk}{after}"
