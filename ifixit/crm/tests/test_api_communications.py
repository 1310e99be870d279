"""REST API v1 of customer care, the communication log: logging a call, sending an email
or SMS (with consent for marketing, about a purchase for service), refused by field with
nothing written; the outsider (404), anonymous (401), the workshop (403), the wrong method."""

import pytest

from ifixit.crm.models import Communication
from ifixit.crm.tests.conftest import sale_of, url


def test_it_logs_a_call_and_lists_it(api, customer, manager):
    response = api.post(
        url("api_customer_communications", customer.id),
        {"channel": "call", "direction": "in", "subject": "Brakes", "body": "Asked about the brakes"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["channel"] == "call"
        and body["direction"] == "in"
        and body["status"] == "logged"
        and body["user"] == "nina"
    )
    logged = Communication.objects.get()
    assert logged.customer == customer and logged.user == manager

    listed = api.get(url("api_customer_communications", customer.id)).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == logged.id


def test_it_sends_an_email_about_a_purchase(api, customer, north, django_capture_on_commit_callbacks):
    sale = sale_of(customer, location=north)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            url("api_customer_communications", customer.id),
            {
                "channel": "email",
                "purpose": "service",
                "subject": "Your Corsa",
                "body": "Its first service is due.",
                "car": sale.car_id,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["address"] == "jo@example.com" and body["car"]["id"] == sale.car_id
    assert Communication.objects.get().status == Communication.Status.QUEUED
    assert len(callbacks) == 1  # the send is queued once the row is committed


@pytest.mark.parametrize(
    "message, field",
    [
        ({"channel": "sms", "purpose": "marketing", "body": "20% off"}, "purpose"),  # no consent to SMS marketing
        ({"channel": "email", "purpose": "marketing", "subject": "Offer", "body": "20% off"}, "purpose"),
        ({"channel": "email", "subject": "Hi", "body": "Hello"}, "purpose"),  # purpose not given
        ({"channel": "email", "purpose": "marketing", "body": "No subject"}, "subject"),
        ({"channel": "sms", "purpose": "service", "body": "x" * 481}, "body"),
        ({"channel": "fax", "body": "Hello"}, "channel"),
        ({"channel": "call", "body": ""}, "body"),
        ({"channel": "call", "purpose": "service", "body": "Rang"}, "purpose"),
        ({"channel": "visit", "body": "Came in", "occurred_at": "2999-01-01T10:00:00Z"}, "occurred_at"),
        ({"channel": "note", "body": "About a car", "car": 999999}, "car"),
    ],
)
def test_a_message_that_may_not_go_is_refused_by_field(api, customer, north, message, field):
    customer.email_marketing = False
    customer.save()
    sale_of(customer, location=north)  # so service messages have something to be about
    response = api.post(url("api_customer_communications", customer.id), message, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Communication.objects.exists()


def test_marketing_goes_with_consent(api, customer):
    customer.sms_marketing = True
    customer.save()
    message = {"channel": "sms", "purpose": "marketing", "body": "20% off"}
    response = api.post(url("api_customer_communications", customer.id), message, format="json")
    assert response.status_code == 201
    assert response.json()["address"] == "+447911123456"


def test_communications_refuse_the_outsider_anonymous_the_workshop_and_delete(
    anon, api, outsider_api, workshop_api, customer, assert_unauthenticated
):
    note = {"channel": "note", "body": "Prefers calls"}
    assert outsider_api.post(url("api_customer_communications", customer.id), note, format="json").status_code == 404
    assert_unauthenticated(anon.post(url("api_customer_communications", customer.id), note, format="json"))
    assert workshop_api.post(url("api_customer_communications", customer.id), note, format="json").status_code == 403
    assert api.delete(url("api_customer_communications", customer.id)).status_code == 405
    assert not Communication.objects.exists()
