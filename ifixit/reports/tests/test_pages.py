"""Report pages: the catalogue by role, a report on screen and as files, background
generation with its progress fragment, schedules (create with bad input beside its
field, actions, history fragment), who may see what, wrong methods."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ifixit.inventory.models import Phase, Sale
from ifixit.reports import services
from ifixit.reports.models import Run, Schedule
from ifixit.testing.factories import CarFactory


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def sold(location, days_ago=2, make="Ford"):
    car = CarFactory(location=location, phase=Phase.SOLD, make=make, model="Focus")
    return Sale.objects.create(
        car=car, sold_on=timezone.localdate() - timedelta(days=days_ago), price=Decimal(9000), location=location
    )


def test_the_catalogue_lists_what_the_role_may_run(client, manager, workshop_user):
    client.force_login(manager)
    body = client.get(reverse("report_catalogue")).content.decode()
    assert "Sales and gross profit" in body
    client.force_login(workshop_user)
    assert client.get(reverse("report_catalogue")).status_code == 200
    assert client.get("/reports/").status_code == 200


def test_anonymous_users_are_sent_to_sign_in(client):
    for url in (reverse("report_catalogue"), reverse("report_run", args=["sales"]), reverse("report_schedule_list")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_report_shows_on_screen_with_its_chart_and_totals(signed_in, north, south):
    sold(north)
    sold(south, make="Southmake")
    body = signed_in.get(reverse("report_run", args=["sales"]) + "?show=1&period=last_7_days").content.decode()
    table = body.split('data-testid="report-table"')[1].split("</table>")[0]
    assert "Ford Focus" in table and "Southmake" not in table and "Total" in table and "£9,000.00" in table
    assert 'data-testid="report-chart"' in body and "North Yard" in body


def test_a_bad_range_is_shown_beside_the_field(signed_in):
    response = signed_in.get(
        reverse("report_run", args=["sales"]) + "?show=1&period=custom&start=2026-06-01&end=2026-05-01"
    )
    assert response.status_code == 400 and "ends before it starts" in response.content.decode()


def test_another_locations_report_is_refused(signed_in, south):
    response = signed_in.get(reverse("report_run", args=["sales"]) + f"?show=1&period=last_7_days&locations={south.pk}")
    assert response.status_code == 400 and "South Yard" not in response.content.decode().split("<main")[1]


@pytest.mark.parametrize("fmt, starts", [("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK"), ("pdf", b"%PDF")])
def test_a_report_downloads_in_each_format(fmt, starts, signed_in, north):
    sold(north)
    response = signed_in.get(reverse("report_run", args=["sales"]) + f"?show=1&period=last_7_days&format={fmt}")
    assert response.status_code == 200 and response.content.startswith(starts)
    assert f".{fmt}" in response["Content-Disposition"]


def test_a_large_download_is_made_in_the_background(signed_in, north, settings, htmx):
    settings.REPORTS_INLINE_MAX_ROWS = 1
    sold(north)
    sold(north)
    response = signed_in.get(reverse("report_run", args=["sales"]) + "?show=1&period=last_7_days&format=pdf")
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("report_run_detail", args=[run.pk])
    progress = signed_in.get(reverse("report_run_detail", args=[run.pk]), **htmx).content.decode()
    assert "<html" not in progress and 'hx-trigger="every 1s"' in progress and "Queued" in progress
    services.run_execute(run_id=run.pk)
    done = signed_in.get(reverse("report_run_detail", args=[run.pk]), **htmx)
    assert done["HX-Refresh"] == "true"
    page = signed_in.get(reverse("report_run_detail", args=[run.pk])).content.decode()
    assert 'data-testid="run-download"' in page
    assert signed_in.get(reverse("report_run_file", args=[run.pk])).status_code == 200


def test_someone_else_s_run_and_file_are_not_found(client, outsider, manager, north):
    from ifixit.reports.catalogue import Params

    run = services.report_generate(user=manager, report_key="sales", params=Params(period="last_7_days"), format="csv")
    services.run_execute(run_id=run.pk)
    client.force_login(outsider)
    assert client.get(reverse("report_run_detail", args=[run.pk])).status_code == 404
    assert client.get(reverse("report_run_file", args=[run.pk])).status_code == 404


# --- Schedules -------------------------------------------------------------------------------------------


def schedule_post(manager, **changes):
    data = {
        "report": "sales",
        "p-period": "last_week",
        "format": "xlsx",
        "frequency": "weekly",
        "weekday": "0",
        "time_of_day": "07:00",
        "time_zone": "Europe/London",
        "recipient_users": [manager.pk],
        "recipient_emails": "",
    }
    data.update(changes)
    return data


def test_a_weekly_schedule_is_made_from_the_form(signed_in, manager):
    response = signed_in.post(
        reverse("report_schedule_create") + "?report=sales",
        schedule_post(manager, recipient_emails="accounts@example.com"),
    )
    made = Schedule.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("report_schedule_detail", args=[made.pk])
    assert (made.frequency, made.weekday, made.time_of_day, made.params["period"]) == (
        "weekly",
        0,
        time(7, 0),
        "last_week",
    )
    page = signed_in.get(reverse("report_schedule_detail", args=[made.pk])).content.decode()
    assert "Weekly on Monday at 07:00" in page and "accounts@example.com" in page and 'data-testid="next-run"' in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"recipient_users": [], "recipient_emails": ""}, "at least one recipient"),
        ({"recipient_emails": "not-an-address"}, "is not an email address"),
        ({"p-period": "custom", "p-start": "2026-06-01", "p-end": "2026-05-01"}, "ends before it starts"),
        ({"time_zone": "Nowhere/City"}, "is not a time zone"),
    ],
)
def test_a_bad_schedule_is_refused_beside_its_field(changes, message, signed_in, manager):
    response = signed_in.post(reverse("report_schedule_create") + "?report=sales", schedule_post(manager, **changes))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Schedule.objects.exists()


def test_send_now_pause_resume_and_the_history_fragment(signed_in, manager, htmx):
    made = services.schedule_save(
        user=manager,
        report_key="sales",
        params={"period": "last_week"},
        format="csv",
        frequency="daily",
        time_of_day=time(6, 0),
        time_zone="Europe/London",
        recipient_user_ids=[manager.pk],
    )
    assert signed_in.post(reverse("report_schedule_action", args=[made.pk, "send-now"])).status_code == 302
    run = Run.objects.get()
    fragment = signed_in.get(reverse("report_schedule_detail", args=[made.pk]), **htmx).content.decode()
    assert "<html" not in fragment and "Queued" in fragment and "every 2s" in fragment
    signed_in.post(reverse("report_schedule_action", args=[made.pk, "pause"]))
    made.refresh_from_db()
    assert not made.is_active
    signed_in.post(reverse("report_schedule_action", args=[made.pk, "resume"]))
    made.refresh_from_db()
    assert made.is_active
    assert signed_in.get(reverse("report_schedule_action", args=[made.pk, "pause"])).status_code == 405
    assert signed_in.post(reverse("report_schedule_action", args=[made.pk, "explode"])).status_code == 404
    assert run.trigger == Run.Trigger.SEND_NOW


def test_another_users_schedule_is_not_found(client, manager, outsider):
    made = services.schedule_save(
        user=manager,
        report_key="sales",
        params={"period": "last_week"},
        format="csv",
        frequency="daily",
        time_of_day=time(6, 0),
        time_zone="Europe/London",
        recipient_user_ids=[manager.pk],
    )
    client.force_login(outsider)
    assert client.get(reverse("report_schedule_detail", args=[made.pk])).status_code == 404
    assert client.post(reverse("report_schedule_action", args=[made.pk, "send-now"])).status_code == 404
    assert "Sales and gross profit" not in client.get(reverse("report_schedule_list")).content.decode()


def test_workshop_staff_see_workshop_reports_but_not_prices_and_profit(client, workshop_user):
    client.force_login(workshop_user)
    catalogue_page = client.get(reverse("report_catalogue")).content.decode()
    assert "Repair spend by category" in catalogue_page and "Sales and gross profit" not in catalogue_page
    assert client.get(reverse("report_run", args=["sales"])).status_code == 403
    assert client.get(reverse("report_run", args=["repairs"])).status_code == 200
    assert client.get(reverse("report_run", args=["nonsense"])).status_code == 404
