"""What the API tests of reports build and call: sales to report on, a schedule saved through
the service, a schedule's request body, and the API's paths."""

from datetime import time, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from ifixit.inventory.models import Phase, Sale
from ifixit.reports import services
from ifixit.reports.models import Schedule
from ifixit.testing.factories import CarFactory


def url(name, *args):
    return reverse(name, args=args)


def sold(location, *, days_ago: int = 2, price: str = "10000", make: str = "Ford", model: str = "Focus") -> Sale:
    car = CarFactory(location=location, phase=Phase.SOLD, make=make, model=model)
    return Sale.objects.create(
        car=car,
        sold_on=timezone.localdate() - timedelta(days=days_ago),
        price=Decimal(price),
        location=location,
        cost_at_sale=car.acquisition_cost,
        delivered_at=timezone.now(),
    )


def schedule_of(user, **fields) -> Schedule:
    data = {
        "report_key": "sales",
        "params": {"period": "last_30_days"},
        "format": "csv",
        "frequency": "weekly",
        "weekday": 0,
        "time_of_day": time(7, 0),
        "time_zone": "Europe/London",
        "recipient_user_ids": [user.pk],
        **fields,
    }
    return services.schedule_save(user=user, **data)


def new_schedule(user, **changes) -> dict:
    return {
        "name": "Monday sales",
        "report_key": "sales",
        "params": {"period": "last_week", "make": "Ford"},
        "format": "xlsx",
        "frequency": "weekly",
        "weekday": 0,
        "time_of_day": "07:00",
        "time_zone": "Europe/London",
        "recipient_user_ids": [user.pk],
        "recipient_emails": ["Accounts@Example.com", "bank@example.com"],
        **changes,
    }


def sales_path(**query) -> str:
    query = {"period": "last_30_days", **query}
    return url("api_report_result", "sales") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
