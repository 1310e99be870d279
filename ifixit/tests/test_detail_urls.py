"""ifixit.serializers.detail_url: the same absolute link as build_absolute_uri(reverse(...))."""

from django.test import RequestFactory
from django.urls import reverse
from rest_framework.request import Request

from ifixit.serializers import detail_url


def test_it_gives_the_link_reverse_and_build_absolute_uri_give(settings):
    settings.ALLOWED_HOSTS = ["ifixit.example.com"]
    request = RequestFactory().get("/api/v1/cars/", HTTP_HOST="ifixit.example.com", secure=True)
    for pk in (1, 10, 918273, 2**63 - 1):
        expected = request.build_absolute_uri(reverse("api_car_detail", args=[pk]))
        assert detail_url(Request(request), "api_car_detail", pk) == expected
    assert detail_url(request, "api_customer_detail", 7) == "https://ifixit.example.com/api/v1/customers/7/"


def test_it_follows_the_host_of_each_request(settings):
    settings.ALLOWED_HOSTS = [".example.com"]
    north = RequestFactory().get("/", HTTP_HOST="north.example.com")
    south = RequestFactory().get("/", HTTP_HOST="south.example.com:8443")
    assert detail_url(north, "api_car_detail", 3) == "http://north.example.com/api/v1/cars/3/"
    assert detail_url(south, "api_car_detail", 3) == "http://south.example.com:8443/api/v1/cars/3/"
