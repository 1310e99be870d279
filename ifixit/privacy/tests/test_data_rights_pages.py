"""Customers' data rights on the pages, in the API and on a phone: who may use them, and what
they answer."""

import datetime
import io
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ifixit.accounts import audit
from ifixit.accounts.models import AuditEvent
from ifixit.crm import selectors, services
from ifixit.crm.models import Communication, Customer, FollowUp, Survey
from ifixit.finance import selectors as finance_selectors
from ifixit.finance.models import ApplicationEvent, FinanceApplication
from ifixit.inventory import selectors as inventory_selectors
from ifixit.inventory.models import Phase, Sale
from ifixit.notifications.models import Notification
from ifixit.privacy import data_rights
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory

from ifixit.privacy.tests.world import PERSONAL, actions, everything_stored, figures, sale_of


# --- Pages ----------------------------------------------------------------------------------


def test_the_customer_page_offers_the_downloads_and_erasure_to_a_manager(client, jo, manager, sales_user):
    client.force_login(manager)
    body = client.get(reverse("customer_detail", args=[jo.pk])).content.decode()
    for name in ("customer_export_json", "customer_export_pdf", "customer_erase"):
        assert reverse(name, args=[jo.pk]) in body
    client.force_login(sales_user)
    body = client.get(reverse("customer_detail", args=[jo.pk])).content.decode()
    assert reverse("customer_export_pdf", args=[jo.pk]) in body and reverse("customer_erase", args=[jo.pk]) not in body


def test_the_downloads_are_attachments(client, jo, sales_user):
    client.force_login(sales_user)

    as_json = client.get(reverse("customer_export_json", args=[jo.pk]))
    as_pdf = client.get(reverse("customer_export_pdf", args=[jo.pk]))

    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert as_json["Content-Disposition"] == f'attachment; filename="customer-{jo.pk}-data.json"'
    assert json.loads(as_json.content)["customer"]["name"] == "Jo Bloggs"
    assert (
        as_pdf.status_code == 200 and as_pdf["Content-Type"] == "application/pdf" and as_pdf.content.startswith(b"%PDF")
    )
    assert as_pdf["Content-Disposition"] == f'attachment; filename="customer-{jo.pk}-data.pdf"'
    assert as_pdf["Cache-Control"] == "no-store"


def test_the_erase_page_says_what_goes_and_what_stays_then_erases(client, jo, manager):
    client.force_login(manager)
    url = reverse("customer_erase", args=[jo.pk])

    page = client.get(url)
    unconfirmed = client.post(url, {"reason": "Their letter of 3 May"})
    done = client.post(url, {"reason": "Their letter of 3 May", "confirm": "on"})

    body = page.content.decode()
    assert page.status_code == 200 and "What is removed" in body and "kept six years for HMRC" in body
    assert unconfirmed.status_code == 400 and "Tick the box to confirm." in unconfirmed.content.decode()
    assert done.status_code == 302 and done["Location"] == reverse("customer_detail", args=[jo.pk])
    detail = client.get(done["Location"]).content.decode()
    assert "Personal data erased on" in detail and "Jo Bloggs" not in detail
    assert reverse("customer_erase", args=[jo.pk]) not in detail


def test_the_erase_page_shows_a_refusal_with_status_400(client, jo, manager, north):
    FinanceApplicationFactory(customer=jo, car=CarFactory(location=north), status="approved")
    client.force_login(manager)
    url = reverse("customer_erase", args=[jo.pk])

    warned = client.get(url)
    refused = client.post(url, {"reason": "Their letter of 3 May", "confirm": "on"})

    assert warned.status_code == 200 and "cannot be erased now" in warned.content.decode()
    assert refused.status_code == 400 and "still open (approved)" in refused.content.decode()
    assert Customer.objects.get(pk=jo.pk).name == "Jo Bloggs"


def test_the_data_rights_pages_for_other_roles_locations_and_anonymous(client, jo, sales_user, outsider):
    erase = reverse("customer_erase", args=[jo.pk])
    downloads = [reverse("customer_export_json", args=[jo.pk]), reverse("customer_export_pdf", args=[jo.pk])]
    for url in [erase, *downloads]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(sales_user)
    assert client.get(erase).status_code == 403
    assert client.post(erase, {"reason": "x", "confirm": "on"}).status_code == 403
    client.force_login(outsider)
    for url in [erase, *downloads]:
        assert client.get(url).status_code == 404
    assert client.post(erase, {"reason": "x", "confirm": "on"}).status_code == 404
    assert not Customer.objects.get(pk=jo.pk).is_erased


def test_the_data_rights_pages_take_only_their_methods(client, jo, manager):
    client.force_login(manager)
    assert client.post(reverse("customer_export_json", args=[jo.pk])).status_code == 405
    assert client.post(reverse("customer_export_pdf", args=[jo.pk])).status_code == 405
    assert client.put(reverse("customer_erase", args=[jo.pk])).status_code == 405


# --- API ------------------------------------------------------------------------------------


def test_the_api_exports_the_same_document(jo, manager, api_for):
    response = api_for(manager).get(reverse("api_customer_export", args=[jo.pk]))

    assert response.status_code == 200
    body = response.json()
    expected = data_rights.customer_export(user=manager, customer_id=jo.pk)
    assert body.keys() == expected.keys() and body["communications"] == expected["communications"]
    assert body["finance_applications"][0]["cash_price"] == "10000.00"


def test_the_api_erases_and_answers_the_erased_customer(jo, manager, api_for):
    url = reverse("api_customer_erase", args=[jo.pk])
    response = api_for(manager).post(url, {"reason": "Their letter of 3 May"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == jo.pk and body["name"] == f"Erased customer #{jo.pk}" and body["email"] == ""
    assert body["erased_by"] == "nina" and body["erased_at"] and body["tags"] == []
    again = api_for(manager).post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 409 and "nothing is left to erase" in again.json()["non_field_errors"][0]


def test_the_api_refuses_an_open_application_and_a_missing_reason(jo, manager, north, api_for):
    FinanceApplicationFactory(customer=jo, car=CarFactory(location=north), status="referred")
    url = reverse("api_customer_erase", args=[jo.pk])

    missing = api_for(manager).post(url, {}, format="json")
    refused = api_for(manager).post(url, {"reason": "Their letter of 3 May"}, format="json")

    assert missing.status_code == 400 and "reason" in missing.json()
    assert refused.status_code == 409 and "still open (referred)" in refused.json()["non_field_errors"][0]
    assert Customer.objects.get(pk=jo.pk).name == "Jo Bloggs"


def test_the_data_rights_api_for_other_roles_locations_and_anonymous(
    jo, sales_user, outsider, workshop_user, api_for, anon
):
    export, erase = reverse("api_customer_export", args=[jo.pk]), reverse("api_customer_erase", args=[jo.pk])
    body = {"reason": "Their letter of 3 May"}
    assert anon.get(export).status_code == 401
    assert anon.post(erase, body, format="json").status_code == 401
    assert api_for(sales_user).get(export).status_code == 200
    assert api_for(sales_user).post(erase, body, format="json").status_code == 403
    assert api_for(workshop_user).get(export).status_code == 403
    assert api_for(outsider).get(export).status_code == 404
    assert api_for(outsider).post(erase, body, format="json").status_code == 404
    assert api_for(outsider).get(erase).status_code == 405
    assert not Customer.objects.get(pk=jo.pk).is_erased


def test_the_schema_has_the_data_rights_operations(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/customers/{customer_id}/export/" in schema and "/api/v1/customers/{customer_id}/erase/" in schema


# --- On a phone -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_erases_a_customer_on_a_phone(live_server, phone, north):
    from playwright.sync_api import expect

    from ifixit.testing.browser import screenshot
    from ifixit.testing.factories import UserFactory

    UserFactory(username="mia", role="manager", password="mia-long-password", locations=[north])
    customer = CustomerFactory(name="Jo Bloggs", email="jo@example.com", locations=[north])
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("mia-long-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto(f"{live_server.url}{reverse('customer_detail', args=[customer.pk])}")
    page.get_by_test_id("data-rights").get_by_role("link", name="Erase…").click()
    page.get_by_role("textbox", name="Why").fill("Erasure request by email of 3 May")
    page.get_by_label("I understand this cannot be undone").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the erase page scrolls sideways at 375 px"
    screenshot(page, "40-customer-erase-375")
    page.get_by_role("button", name="Erase personal data").click()

    expect(page.get_by_test_id("erased")).to_contain_text("Personal data erased on")
    expect(page.get_by_role("heading", name=f"Erased customer #{customer.pk}")).to_be_visible()
