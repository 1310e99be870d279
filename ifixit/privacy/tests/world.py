"""The world the data-rights tests share: what a customer told us, a sale to them, and reads of
everything stored and every figure, to compare before and after an erasure."""

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


# What the customer told us, each somewhere else: none of it may survive erasure.
PERSONAL = [
    "Jo Bloggs",
    "jo@example.com",
    "jo.old@example.com",
    "+447911123456",
    "1 Acacia Avenue",
    "Flat 2",
    "Leeds",
    "LS1 1AA",
    "Prefers calls after six",
    "VIP",
    "Joanne Bloggs",
    "joanne@example.com",
    "Rang about the MOT",
    "Your Corsa is ready",
    "Ask about her new job",
    "Spoke to her husband",
    "Lovely people",
    "Payslips from Acme seen",
    "Paid by her brother",
]


def sale_of(customer, location, user, *, price="8000.00", cost="6100.50", **extra) -> Sale:
    car = CarFactory(location=location, phase=Phase.SOLD, make="Vauxhall", model="Corsa")
    return Sale.objects.create(
        car=car,
        customer=customer,
        location=location,
        sold_on=timezone.localdate(),
        price=Decimal(price),
        cost_at_sale=Decimal(cost),
        sold_by=user,
        buyer_name=customer.name,
        **extra,
    )


def everything_stored() -> str:
    """Every row of every table that holds anything of a customer, as one text to search."""
    tables = [
        Customer,
        data_rights.HistoricalCustomer,
        data_rights.HistoricalCustomerTag,
        Communication,
        FollowUp,
        Survey,
        FinanceApplication,
        ApplicationEvent,
        Sale,
        Notification,
        AuditEvent,
    ]
    rows = {model._meta.label: list(model.objects.order_by("pk").values()) for model in tables}
    rows["tags"] = list(Customer.tags.through.objects.values("customer_id", "tag__name"))
    rows["tags of versions"] = list(data_rights.HistoricalCustomerTag.objects.values("customer_id", "tag__name"))
    return json.dumps(rows, default=str)


def figures(user) -> dict:
    """What the dashboard, the finance figures and the satisfaction page say, and raw sums."""
    today = timezone.localdate()
    dashboard = inventory_selectors.dashboard(user=user)
    finance = finance_selectors.finance_figures(user=user, start=today - datetime.timedelta(days=31), end=today)
    satisfaction = selectors.satisfaction_figures(user=user).overall
    sums = {
        name: sorted(model.objects.values_list(*fields))
        for name, model, fields in [
            ("sales", Sale, ("price", "cost_at_sale", "part_exchange_allowance", "sold_on")),
            (
                "finance",
                FinanceApplication,
                ("cash_price", "deposit", "part_exchange", "amount_financed", "apr", "monthly_payment"),
            ),
            ("surveys", Survey, ("recommend_score", "satisfaction", "answered_at")),
        ]
    }
    return {
        "month_revenue": dashboard.month_revenue,
        "month_gross_profit": dashboard.month_gross_profit,
        "finance_revenue": sum(m.revenue for m in finance.months),
        "funded_amount": finance.funded_amount,
        "nps": satisfaction.nps,
        "average_satisfaction": satisfaction.average_satisfaction,
        **sums,
    }


def actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__in=audit.CUSTOMER_ACTIONS).order_by("id").values_list("action", flat=True)
    )
