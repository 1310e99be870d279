"""A JSON body is read as the schema describes it; a query string keeps DRF's reading of text."""

import pytest
from django.http import QueryDict

from ifixit import serializers


class Body(serializers.Serializer):
    name = serializers.CharField(required=False)
    active = serializers.BooleanField(required=False)
    count = serializers.IntegerField(required=False)
    share = serializers.FloatField(required=False)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=["van", "car"], required=False)


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", 0),
        ("active", 1),
        ("active", "yes"),
        ("count", "5"),
        ("count", True),
        ("count", 2.5),
        ("share", "0.5"),
        ("price", 1234.5),
        ("price", " 5 "),
        ("price", "1e3"),
        ("price", ""),
        ("price", "NaN"),
        ("kind", 0),
    ],
)
def test_json_of_the_wrong_type_is_refused(field, value):
    body = Body(data={field: value})
    assert not body.is_valid()
    assert field in body.errors


def test_json_of_the_right_type_is_read():
    body = Body(data={"name": "Ann", "active": False, "count": 5.0, "share": 1, "price": "-1234.5", "kind": "van"})
    assert body.is_valid(), body.errors
    assert body.validated_data["count"] == 5
    assert str(body.validated_data["price"]) == "-1234.50"


def test_a_decimal_refusal_says_how_to_send_it():
    body = Body(data={"price": 12.5})
    body.is_valid()
    assert "string of digits" in str(body.errors["price"][0])


def test_a_query_string_is_text_and_read_as_before():
    body = Body(data=QueryDict("name=Ann&active=true&count=5&share=0.5&price=12.50&kind=car"))
    assert body.is_valid(), body.errors
    assert body.validated_data["active"] is True
    assert body.validated_data["count"] == 5
