"""Customer-care pages: the happy paths, who may see what, wrong methods, bad input,
a fixed number of queries per list, and the public survey page and SMS webhook."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ifixit.crm import services
from ifixit.crm.models import Communication, Customer, FollowUp, FollowUpRule, Survey
from ifixit.crm.webhooks import twilio_signature
from ifixit.inventory.models import Phase, Sale
from ifixit.testing.factories import CarFactory, CustomerFactory, RepairItemFactory


@pytest.fixture
def signed_in(client, sales_user):
    client.force_login(sales_user)
    return client


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Jo Bloggs", locations=[north], email="jo@example.com")


def sold_to(customer, location, user, **sale):
    car = CarFactory(location=location, phase=Phase.SOLD)
    return Sale.objects.create(
        car=car,
        sold_on=timezone.localdate(),
        price=Decimal(8000),
        location=location,
        sold_by=user,
        customer=customer,
        **sale,
    )


def test_it_adds_a_customer_and_normalises_contact_details(signed_in, north):
    response = signed_in.post(
        reverse("customer_create"),
        {"kind": "person", "name": "Jo Bloggs", "email": "JO@Example.com", "phone": "07911 123456"},
    )
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customer_detail", args=[customer.pk])
    assert (customer.email, customer.phone, list(customer.locations.all())) == (
        "jo@example.com",
        "+447911123456",
        [north],
    )


def test_bad_contact_details_are_shown_beside_their_fields(signed_in):
    response = signed_in.post(
        reverse("customer_create"), {"kind": "person", "name": "Jo", "email": "jo@", "phone": "123"}
    )
    body = response.content.decode()
    assert response.status_code == 400 and 'id="id_email-error"' in body and 'id="id_phone-error"' in body
    assert not Customer.objects.exists()


def test_a_duplicate_is_offered_then_can_be_added_anyway(signed_in, customer, north):
    data = {"kind": "person", "name": "Jo B", "email": "jo@example.com"}
    offered = signed_in.post(reverse("customer_create"), data)
    assert offered.status_code == 409 and f'href="/customers/{customer.pk}/"' in offered.content.decode()
    assert Customer.objects.count() == 1
    forced = signed_in.post(reverse("customer_create"), {**data, "allow_duplicate": "on"})
    assert forced.status_code == 302 and Customer.objects.count() == 2


def test_a_duplicate_at_another_location_is_offered_without_its_details(signed_in, south, north):
    theirs = CustomerFactory(name="Secret Person", email="pat@example.com", locations=[south])
    offered = signed_in.post(reverse("customer_create"), {"kind": "person", "name": "Pat", "email": "pat@example.com"})
    body = offered.content.decode()
    assert offered.status_code == 409 and "Secret Person" not in body and "South Yard" in body
    shared = signed_in.post(
        reverse("customer_share"), {"customer": theirs.pk, "email": "pat@example.com", "location": north.pk}
    )
    assert shared.status_code == 302 and north in theirs.locations.all()


def test_the_customer_page_shows_one_timeline(signed_in, customer, north, sales_user):
    sale = sold_to(customer, north, sales_user)
    services.communication_log(user=sales_user, customer_id=customer.pk, channel="call", body="Rang to say thanks")
    Survey.objects.create(
        sale=sale,
        customer=customer,
        location=north,
        send_on=sale.sold_on,
        status="answered",
        answered_at=timezone.now(),
        recommend_score=9,
        satisfaction=5,
        comment="Lovely car",
    )
    body = signed_in.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    for text in ["Bought", sale.car.model, "Rang to say thanks", "9/10 recommend", "Lovely car"]:
        assert text in body


def test_the_customer_page_runs_a_fixed_number_of_queries(signed_in, customer, north, sales_user):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert signed_in.get(reverse("customer_detail", args=[customer.pk])).status_code == 200
        return len(ctx)

    sold_to(customer, north, sales_user)
    services.communication_log(user=sales_user, customer_id=customer.pk, channel="note", body="one")
    few = count()
    for i in range(8):
        sold_to(customer, north, sales_user)
        services.communication_log(user=sales_user, customer_id=customer.pk, channel="call", body=f"call {i}")
        services.follow_up_create(
            user=sales_user,
            customer_id=customer.pk,
            due_at=timezone.now() + datetime.timedelta(days=i + 1),
            assignee_id=sales_user.pk,
        )
    assert count() == few  # the same with 9 purchases, 9 log entries and 8 follow-ups


@pytest.mark.parametrize("url_name", ["customer_list", "follow_up_list"])
def test_lists_run_a_fixed_number_of_queries(signed_in, north, sales_user, url_name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        for _ in range(n):
            c = CustomerFactory(locations=[north])
            c.tags.create(name=f"tag-{c.pk}")
            sold_to(c, north, sales_user)
            FollowUp.objects.create(customer=c, location=north, assignee=sales_user, due_at=timezone.now())

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert signed_in.get(reverse(url_name)).status_code == 200
        return len(ctx)

    make(2)
    count()  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    few = count()
    make(15)
    assert count() == few


def test_the_customer_list_searches_by_phone_as_dialled(signed_in, north):
    CustomerFactory(name="Findable", phone="+447911123456", locations=[north])
    CustomerFactory(name="Other", phone="+447911654321", locations=[north])
    body = signed_in.get(reverse("customer_list"), {"q": "07911 123456"}).content.decode()
    assert "Findable" in body and "Other" not in body


def test_the_list_answers_htmx_with_its_results_only(signed_in, customer, htmx):
    response = signed_in.get(reverse("customer_list"), {"q": "Jo"}, **htmx, HTTP_HX_TARGET="customer-results")
    body = response.content.decode()
    assert "Jo Bloggs" in body and "<html" not in body


def test_pages_refuse_anonymous_and_other_roles(client, customer, workshop_user):
    url = reverse("customer_detail", args=[customer.pk])
    assert client.get(url).status_code == 302
    client.force_login(workshop_user)
    for name, args in [
        ("customer_list", []),
        ("customer_detail", [customer.pk]),
        ("follow_up_list", []),
        ("satisfaction", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403


def test_a_customer_of_another_location_is_404_everywhere(client, customer, outsider):
    client.force_login(outsider)
    for name in ["customer_detail", "customer_edit", "customer_history"]:
        assert client.get(reverse(name, args=[customer.pk])).status_code == 404
    for name in ["customer_message", "customer_log", "follow_up_create"]:
        assert client.post(reverse(name, args=[customer.pk]), {}).status_code == 404
    assert customer.name not in client.get(reverse("customer_list")).content.decode()


def test_wrong_methods_are_405(signed_in, customer):
    assert signed_in.get(reverse("customer_message", args=[customer.pk])).status_code == 405
    assert signed_in.get(reverse("customer_log", args=[customer.pk])).status_code == 405
    assert signed_in.post(reverse("customer_list")).status_code == 405
    assert signed_in.get(reverse("follow_up_action", args=[1, "done"])).status_code == 405


def test_logging_a_call_from_the_page_and_a_bad_log(signed_in, customer):
    url = reverse("customer_log", args=[customer.pk])
    ok = signed_in.post(url, {"log-channel": "call", "log-direction": "in", "log-body": "Asked about the MOT"})
    assert ok.status_code == 302 and customer.communications.get().body == "Asked about the MOT"
    bad = signed_in.post(url, {"log-channel": "call", "log-direction": "in", "log-body": ""})
    assert bad.status_code == 400 and "Say what was said or done." in bad.content.decode()
    assert customer.communications.count() == 1


def test_marketing_without_consent_is_refused_on_the_page(signed_in, customer):
    response = signed_in.post(
        reverse("customer_message", args=[customer.pk]),
        {"msg-channel": "email", "msg-purpose": "marketing", "msg-subject": "Sale", "msg-body": "20% off"},
    )
    assert response.status_code == 400 and "has not agreed to marketing by email" in response.content.decode()
    assert not Communication.objects.exists()


def test_follow_up_done_from_the_list(signed_in, customer, north, sales_user):
    follow_up = FollowUp.objects.create(customer=customer, location=north, assignee=sales_user, due_at=timezone.now())
    body = signed_in.get(reverse("follow_up_list")).content.decode()
    assert "Jo Bloggs" in body and "overdue" in body
    response = signed_in.post(
        reverse("follow_up_action", args=[follow_up.pk, "done"]), {"outcome": "spoke", "note": "All good"}
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == "done" and follow_up.outcome_note == "All good"


def test_follow_up_of_another_location_is_404(client, customer, north, sales_user, outsider):
    follow_up = FollowUp.objects.create(customer=customer, location=north, assignee=sales_user, due_at=timezone.now())
    client.force_login(outsider)
    assert (
        client.post(reverse("follow_up_action", args=[follow_up.pk, "done"]), {"outcome": "spoke"}).status_code == 404
    )


def test_managers_set_rules_and_survey_timing(client, manager, sales_user, north, south):
    client.force_login(manager)
    url = reverse("customer_care_settings", args=[north.pk])
    assert client.get(url).status_code == 200
    saved = client.post(
        url,
        {
            "what": "rule",
            "rule-name": "Check-in call",
            "rule-months_after_sale": 0,
            "rule-days_after_sale": 3,
            "rule-assign_to": "seller",
            "rule-is_active": "on",
        },
    )
    assert saved.status_code == 302 and FollowUpRule.objects.get().location == north
    rule = FollowUpRule.objects.get()
    assert 'value="Check-in call"' in client.get(url, {"rule": rule.pk}).content.decode()
    paused = client.post(
        url,
        {
            "what": "rule",
            "rule": rule.pk,
            "rule-name": "Check-in call",
            "rule-months_after_sale": 0,
            "rule-days_after_sale": 4,
            "rule-assign_to": "seller",
        },
    )
    assert paused.status_code == 302
    rule.refresh_from_db()
    assert rule.days_after_sale == 4 and rule.is_active is False
    refused = client.post(
        url,
        {
            "what": "rule",
            "rule-name": "Never",
            "rule-months_after_sale": 0,
            "rule-days_after_sale": 0,
            "rule-assign_to": "seller",
        },
    )
    assert refused.status_code == 400 and FollowUpRule.objects.count() == 1
    assert client.post(url, {"what": "survey", "survey-survey_after_days": ""}).status_code == 302
    north.refresh_from_db()
    assert north.survey_after_days is None
    assert client.get(reverse("customer_care_settings", args=[south.pk])).status_code == 404
    client.force_login(sales_user)
    assert client.get(url).status_code == 403


def test_satisfaction_page_and_survey_detail_with_the_repairs(client, manager, outsider, customer, north, sales_user):
    sale = sold_to(customer, north, sales_user)
    RepairItemFactory(car=sale.car, description="New clutch")
    survey = Survey.objects.create(
        sale=sale,
        customer=customer,
        location=north,
        salesperson=sales_user,
        send_on=sale.sold_on,
        status="answered",
        answered_at=timezone.now(),
        recommend_score=4,
        satisfaction=2,
        comment="Clutch judders",
    )
    client.force_login(manager)
    body = client.get(reverse("satisfaction")).content.decode()
    assert 'data-testid="nps">-100<' in body and "Clutch judders" in body
    detail = client.get(reverse("survey_detail", args=[survey.pk])).content.decode()
    assert "New clutch" in detail and "4/10" in detail
    assert client.get(reverse("satisfaction"), {"from": "2026-05-01", "to": "2026-04-01"}).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("survey_detail", args=[survey.pk])).status_code == 404
    assert 'data-testid="answers">0<' in client.get(reverse("satisfaction")).content.decode()


def test_admin_merges_from_the_page(client, admin_user, manager, north):
    a = CustomerFactory(name="Jo Bloggs", locations=[north])
    b = CustomerFactory(name="J Bloggs", locations=[north])
    client.force_login(manager)
    assert client.get(reverse("customer_merge", args=[a.pk])).status_code == 403
    client.force_login(admin_user)
    preview = client.get(reverse("customer_merge", args=[a.pk]), {"merged": b.pk})
    assert preview.status_code == 200 and "J Bloggs" in preview.content.decode()
    merged = client.post(reverse("customer_merge", args=[a.pk]), {"merged": b.pk, "confirm": "on"})
    assert merged.status_code == 302
    assert client.get(reverse("customer_detail", args=[b.pk])).url == reverse("customer_detail", args=[a.pk])


# --- The public survey page --------------------------------------------------------------


@pytest.fixture
def open_survey(customer, north, sales_user):
    sale = sold_to(customer, north, sales_user)
    survey = Survey.objects.create(sale=sale, customer=customer, location=north, send_on=sale.sold_on)
    token = "t" * 43
    Survey.objects.filter(pk=survey.pk).update(
        status="sent",
        token_hash=Survey.hash_token(token),
        sent_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    return token, survey


def test_survey_page_answers_once(open_survey):
    token, survey = open_survey
    client = Client(enforce_csrf_checks=False)
    page = client.get(reverse("survey_answer", args=[token]))
    assert (
        page.status_code == 200
        and "How did we do?" in page.content.decode()
        and page["Referrer-Policy"] == "same-origin"
    )
    missing = client.post(reverse("survey_answer", args=[token]), {"comment": "hi"})
    assert missing.status_code == 400 and "Choose a number from 0 to 10." in missing.content.decode()
    done = client.post(reverse("survey_answer", args=[token]), {"recommend_score": "10", "satisfaction": "5"})
    assert done.status_code == 200 and 'data-testid="survey-thanks"' in done.content.decode()
    again = client.post(reverse("survey_answer", args=[token]), {"recommend_score": "0", "satisfaction": "1"})
    assert again.status_code == 410 and "already been answered" in again.content.decode()
    survey.refresh_from_db()
    assert (survey.recommend_score, survey.satisfaction) == (10, 5)


def test_tampered_and_expired_links_get_a_polite_page(open_survey):
    token, survey = open_survey
    client = Client()
    tampered = client.get(reverse("survey_answer", args=[token[:-1] + "x"]))
    assert tampered.status_code == 404 and "not one we recognise" in tampered.content.decode()
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expired = client.post(reverse("survey_answer", args=[token]), {"recommend_score": "9", "satisfaction": "5"})
    assert expired.status_code == 410 and "closed" in expired.content.decode()
    assert Survey.objects.get(pk=survey.pk).answered_at is None


# --- The inbound SMS webhook -----------------------------------------------------------------


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_ACCOUNT_SID = "AC" + "1" * 32
    settings.SMS_API_KEY = "auth-token-for-tests"
    settings.SITE_URL = "http://testserver"
    return settings


def post_signed(client, params, token="auth-token-for-tests"):
    url = reverse("sms_inbound_webhook")
    signature = twilio_signature(auth_token=token, url=f"http://testserver{url}", params=params)
    return client.post(
        url, urlencode(params), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )


def test_a_signed_stop_withdraws_sms_consent(client, twilio, north):
    customer = CustomerFactory(locations=[north], phone="+447911123456", sms_marketing=True)
    params = {
        "From": "+447911123456",
        "To": "+447700900000",
        "Body": "STOP",
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": twilio.SMS_ACCOUNT_SID,
    }
    response = post_signed(client, params)
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    customer.refresh_from_db()
    assert customer.sms_marketing is False


def test_an_unsigned_or_forged_webhook_is_refused_and_changes_nothing(client, twilio, north):
    customer = CustomerFactory(locations=[north], phone="+447911123456", sms_marketing=True)
    params = {"From": "+447911123456", "Body": "STOP", "MessageSid": "SM1"}
    assert post_signed(client, params, token="wrong-token").status_code == 403
    assert client.post(reverse("sms_inbound_webhook"), params).status_code == 403
    customer.refresh_from_db()
    assert customer.sms_marketing is True and not Communication.objects.exists()


def test_a_non_ascii_signature_is_refused_not_a_crash(client, twilio, north):
    response = client.post(
        reverse("sms_inbound_webhook"), {"From": "+447911123456", "Body": "STOP"}, HTTP_X_TWILIO_SIGNATURE="sïgnätüre"
    )
    assert response.status_code == 403


def test_editing_into_another_locations_customer_offers_sharing_and_saving_anyway(signed_in, customer, south):
    CustomerFactory(name="Hidden Person", email="pat@example.com", locations=[south])
    url = reverse("customer_edit", args=[customer.pk])
    data = {"kind": "person", "name": customer.name, "email": "pat@example.com", "phone": customer.phone}
    offered = signed_in.post(url, data)
    body = offered.content.decode()
    assert (
        offered.status_code == 400
        and "Hidden Person" not in body
        and "South Yard" in body
        and 'name="allow_duplicate"' in body
    )
    saved = signed_in.post(url, {**data, "allow_duplicate": "on"})
    assert saved.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "pat@example.com"


def test_a_stale_edit_form_keeps_a_consent_withdrawn_meanwhile(signed_in, customer):
    customer.sms_marketing = True
    customer.save()
    form_as_loaded = {
        "kind": "person",
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "sms_marketing": "on",
        "was_sms_marketing": "on",
        "town": "York",
    }
    services.sms_inbound(from_number=customer.phone, body="STOP", provider_id="SM1")  # while the form was open
    assert signed_in.post(reverse("customer_edit", args=[customer.pk]), form_as_loaded).status_code == 302
    customer.refresh_from_db()
    assert customer.town == "York" and customer.sms_marketing is False


def test_the_webhook_is_off_without_a_provider(client, settings):
    settings.SMS_BACKEND = "console"
    assert client.post(reverse("sms_inbound_webhook"), {"From": "+447911123456", "Body": "STOP"}).status_code == 503
    assert client.get(reverse("sms_inbound_webhook")).status_code == 405
