"""Jo, a customer with something in every table that holds customer data, and Otto, who must
be left as he is."""

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

from ifixit.privacy.tests.world import PERSONAL, sale_of


@pytest.fixture
def jo(north, manager, admin_user):
    """A customer with a row in every covered table, and a merged duplicate."""
    jo = services.customer_create(
        user=manager,
        location=north,
        name="Jo Bloggs",
        email="jo.old@example.com",
        phone="07911 123456",
        address_line1="1 Acacia Avenue",
        address_line2="Flat 2",
        town="Leeds",
        postcode="LS1 1AA",
        notes="Prefers calls after six",
        email_marketing=True,
        tags=["VIP"],
    )
    services.customer_update(user=manager, customer_id=jo.pk, email="jo@example.com")  # the old email stays in history
    twin = services.customer_create(user=manager, location=north, name="Joanne Bloggs", email="joanne@example.com")
    services.customer_merge(user=admin_user, survivor_id=jo.pk, merged_id=twin.pk)
    services.communication_log(
        user=manager, customer_id=jo.pk, channel="call", subject="MOT", body="Rang about the MOT"
    )
    sale = sale_of(jo, north, manager, payment_note="Paid by her brother")
    Communication.objects.create(
        customer=jo,
        channel="sms",
        body="Your Corsa is ready",
        address="+447911123456",
        status=Communication.Status.QUEUED,
    )
    FollowUp.objects.create(
        customer=jo,
        location=north,
        assignee=manager,
        due_at=timezone.now() + datetime.timedelta(days=3),
        note="Ask about her new job",
    )
    FollowUp.objects.create(
        customer=jo,
        location=north,
        assignee=manager,
        due_at=timezone.now(),
        status=FollowUp.Status.DONE,
        done_at=timezone.now(),
        outcome="spoke",
        outcome_note="Spoke to her husband",
    )
    Survey.objects.create(
        sale=sale,
        customer=jo,
        location=north,
        send_on=sale.sold_on,
        status=Survey.Status.ANSWERED,
        answered_at=timezone.now(),
        recommend_score=9,
        satisfaction=5,
        comment="Lovely people",
    )
    now = timezone.now()
    application = FinanceApplicationFactory(
        customer=jo, car=sale.car, status="funded", submitted_at=now, decided_at=now, decision="approved", funded_at=now
    )
    ApplicationEvent.objects.create(
        application=application, from_status="contract_signed", to_status="funded", note="Payslips from Acme seen"
    )
    Notification.objects.create(
        recipient=manager, kind="customer_reply", title="Jo Bloggs replied: thanks", link=f"/customers/{jo.pk}/"
    )
    return Customer.objects.get(pk=jo.pk)


@pytest.fixture
def otto(north, manager):
    otto = CustomerFactory(name="Otto Other", email="otto@example.com", locations=[north])
    services.communication_log(user=manager, customer_id=otto.pk, channel="note", body="Otto wants a van")
    sale_of(otto, north, manager, price="12000.00")
    return otto
