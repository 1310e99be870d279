"""REST API v1 of reports, scheduled reports: made, changed, paused, resumed, sent now and
deleted, and their history; another user's schedule (404), a role without the permissions
(403), bad input (field-keyed 400 with nothing written) and the list's fixed query count."""

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.reports import services
from ifixit.reports.models import Run, Schedule
from ifixit.reports.tests.builders import new_schedule, schedule_of, sold, url
from ifixit.testing.factories import UserFactory

# --- Schedules -----------------------------------------------------------------------------------------


def test_a_schedule_is_made_with_its_cadence_next_runs_and_recipients(api, manager):
    response = api.post(url("api_report_schedule_list"), new_schedule(manager), format="json")

    assert response.status_code == 201, response.json()
    made = Schedule.objects.get()
    assert (made.owner, made.name, made.format) == (manager, "Monday sales", "xlsx")
    assert (made.frequency, made.weekday, made.time_of_day) == ("weekly", 0, time(7))
    assert made.params == {"period": "last_week", "locations": [], "phase": "", "make": "Ford"}
    assert made.emails == ["accounts@example.com", "bank@example.com"]
    assert list(made.recipient_users.all()) == [manager]
    body = response.json()
    assert body["cadence"] == "Weekly on Monday at 07:00 (Europe/London)"
    assert body["is_active"] and body["owner"] == "nina" and body["report_title"] == "Sales and gross profit"
    assert body["recipient_emails"] == ["accounts@example.com", "bank@example.com"]
    assert [user["username"] for user in body["recipient_users"]] == ["nina"]
    assert len(body["upcoming"]) == 3 and body["next_run_at"] == body["upcoming"][0]
    assert body["url"] == "http://testserver" + url("api_report_schedule_detail", made.pk)


def test_a_schedule_without_params_takes_the_report_s_default_period(api, manager):
    body = new_schedule(manager, frequency="monthly", on_last_day=True, weekday=None)
    del body["params"]
    response = api.post(url("api_report_schedule_list"), body, format="json")

    assert response.status_code == 201, response.json()
    made = Schedule.objects.get()
    assert made.params["period"] == "last_month" and made.on_last_day and made.weekday is None
    assert response.json()["cadence"] == "Monthly on the last day at 07:00 (Europe/London)"


@pytest.mark.parametrize(
    "changes, field, says",
    [
        ({"recipient_user_ids": [], "recipient_emails": []}, "recipient_users", "at least one recipient"),
        ({"recipient_emails": ["accounts@example"]}, "recipient_emails", "is not an email address"),
        ({"recipient_emails": "accounts@example.com"}, "recipient_emails", "Expected a list"),
        ({"params": {"period": "last_week", "phase": "fixing"}}, "phase", "does not take a phase"),
        ({"params": {"period": "custom", "start": "2026-06-01", "end": "2026-05-01"}}, "end", "ends before it starts"),
        ({"params": {"period": "last_week", "colour": "red"}}, "params.colour", "No report takes"),
        ({"params": {"start": "June"}}, "start", "wrong format"),
        ({"params": "last_week"}, "params", "dictionary"),
        ({"format": "doc"}, "format", "not a valid choice"),
        ({"report_key": "gossip"}, "report_key", "no report"),
        ({"weekday": None}, "weekday", "day of the week"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone"),
        ({"owner": 1}, "owner", "cannot be changed"),
    ],
)
def test_a_bad_schedule_is_refused_by_field_and_nothing_is_written(api, manager, changes, field, says):
    response = api.post(url("api_report_schedule_list"), new_schedule(manager, **changes), format="json")

    assert response.status_code == 400
    assert says in " ".join(response.json().get(field, [])), response.json()
    assert not Schedule.objects.exists()


def test_the_workshop_schedules_its_own_reports_but_not_prices_and_profit(workshop_api, workshop_user):
    refused = workshop_api.post(url("api_report_schedule_list"), new_schedule(workshop_user), format="json")
    assert refused.status_code == 400 and "may not run" in refused.json()["report_key"][0]
    assert not Schedule.objects.exists()
    repairs = new_schedule(workshop_user, report_key="repairs")
    made = workshop_api.post(url("api_report_schedule_list"), repairs, format="json")
    assert made.status_code == 201, made.json()
    assert Schedule.objects.get().owner == workshop_user


def test_a_schedule_refuses_a_location_the_owner_may_not_see(api, manager, south):
    body = new_schedule(manager, params={"period": "last_week", "locations": [south.pk]})
    response = api.post(url("api_report_schedule_list"), body, format="json")
    assert response.status_code == 400 and "only on your own locations" in response.json()["locations"][0]
    assert not Schedule.objects.exists()


def test_the_list_shows_the_users_schedules_and_an_admin_everyone_s(api, manager, outsider, admin_api):
    mine = schedule_of(manager, name="B weekly")
    paused = schedule_of(manager, name="A paused")
    services.schedule_pause(user=manager, schedule_id=paused.pk)
    theirs = schedule_of(outsider, name="Theirs")

    body = api.get(url("api_report_schedule_list")).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [mine.pk, paused.pk]  # active first
    assert body["results"][1]["upcoming"] == [] and body["results"][1]["next_run_at"] is None
    every = admin_api.get(url("api_report_schedule_list")).json()
    assert {row["id"] for row in every["results"]} == {mine.pk, paused.pk, theirs.pk}


def test_the_list_runs_a_fixed_number_of_queries(api_for, manager, north):
    colleague = UserFactory(locations=[north])

    def count_queries() -> tuple[int, int]:
        client = api_for(User.objects.get(pk=manager.pk))  # permissions are cached on the user object
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("api_report_schedule_list"))
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    for n in range(2):
        schedule_of(manager, name=f"Schedule {n}", recipient_user_ids=[manager.pk, colleague.pk])
    count_queries()  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    few, two = count_queries()
    for n in range(2, 10):
        schedule_of(manager, name=f"Schedule {n}", recipient_user_ids=[manager.pk, colleague.pk])
    many, ten = count_queries()
    assert (two, ten) == (2, 10)
    # The page's count, its rows (owner selected) and their recipients; the user's permissions
    # come from the cache.
    assert few == many == 3


def test_a_schedule_is_changed_in_part(api, manager):
    made = schedule_of(manager, recipient_emails="old@example.com")

    response = api.patch(
        url("api_report_schedule_detail", made.pk),
        {"name": "Daily sales", "frequency": "daily", "time_of_day": "06:30", "recipient_emails": ["new@example.com"]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    made.refresh_from_db()
    assert (made.name, made.frequency, made.weekday, made.time_of_day) == ("Daily sales", "daily", None, time(6, 30))
    assert made.emails == ["new@example.com"] and made.params["period"] == "last_30_days"
    assert list(made.recipient_users.all()) == [manager]  # left as they were
    assert response.json()["cadence"] == "Daily at 06:30 (Europe/London)"
    params = api.patch(url("api_report_schedule_detail", made.pk), {"params": {"period": "last_month"}}, format="json")
    assert params.status_code == 200 and params.json()["params"]["period"] == "last_month"


def test_a_bad_change_is_refused_and_the_schedule_stays_as_it_was(api, manager):
    made = schedule_of(manager)
    for body, field in (
        ({"recipient_user_ids": [], "recipient_emails": []}, "recipient_users"),
        ({"params": {"period": "last_week", "phase": "sold"}}, "phase"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"is_active": False}, "is_active"),
    ):
        response = api.patch(url("api_report_schedule_detail", made.pk), body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    made.refresh_from_db()
    assert (made.time_zone, made.params["period"], made.is_active) == ("Europe/London", "last_30_days", True)
    assert list(made.recipient_users.all()) == [manager]


def test_pause_resume_and_delete(api, manager):
    made = schedule_of(manager)

    paused = api.post(url("api_report_schedule_pause", made.pk))
    assert paused.status_code == 200 and paused.json()["is_active"] is False and paused.json()["next_run_at"] is None
    resumed = api.post(url("api_report_schedule_resume", made.pk))
    assert resumed.status_code == 200 and resumed.json()["is_active"] is True
    made.refresh_from_db()
    assert made.is_active and made.next_run_at > timezone.now()
    assert api.delete(url("api_report_schedule_detail", made.pk)).status_code == 204
    assert not Schedule.objects.exists()
    assert api.get(url("api_report_schedule_detail", made.pk)).status_code == 404


def test_send_now_runs_it_and_the_history_shows_the_run(api, manager, north, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    sold(north, days_ago=3)
    made = schedule_of(manager, recipient_emails="accounts@example.com")

    response = api.post(url("api_report_schedule_send_now", made.pk))

    assert response.status_code == 202, response.json()
    run = Run.objects.get()
    assert (run.trigger, run.schedule, response.json()["id"]) == ("send_now", made, run.pk)
    assert response["Location"] == "http://testserver" + url("api_report_run_detail", run.pk)
    services.run_execute(run_id=run.pk)
    history = api.get(url("api_report_schedule_runs", made.pk))
    assert history.status_code == 200
    [entry] = history.json()
    assert (entry["status"], entry["row_count"], entry["attempts"], entry["error"]) == ("sent", 1, 1, "")
    assert sorted(entry["recipients"]) == ["accounts@example.com", "nina@example.com"]
    assert entry["when"] == entry["created_at"] and entry["duration_ms"] is not None
    assert entry["file_name"].endswith(".csv")
    assert entry["download_url"] == "http://testserver" + url("report_run_file", run.pk)
    assert len(smtp_server.messages) == 1


def test_another_users_schedule_does_not_exist_for_them(outsider_api, manager):
    made = schedule_of(manager)
    run = services.schedule_send_now(user=manager, schedule_id=made.pk)

    assert outsider_api.get(url("api_report_schedule_detail", made.pk)).status_code == 404
    patch = outsider_api.patch(url("api_report_schedule_detail", made.pk), {"time_zone": "bad"}, format="json")
    assert patch.status_code == 404  # before the body is read
    assert outsider_api.delete(url("api_report_schedule_detail", made.pk)).status_code == 404
    for name in ("api_report_schedule_pause", "api_report_schedule_resume", "api_report_schedule_send_now"):
        assert outsider_api.post(url(name, made.pk)).status_code == 404
    assert outsider_api.get(url("api_report_schedule_runs", made.pk)).status_code == 404
    assert outsider_api.get(url("api_report_run_detail", run.pk)).status_code == 404
    assert outsider_api.get(url("api_report_schedule_list")).json()["count"] == 0
    made.refresh_from_db()
    assert made.is_active and made.time_zone == "Europe/London" and Run.objects.count() == 1


def test_an_admin_manages_anyone_s_schedule(manager, admin_api):
    made = schedule_of(manager)
    assert admin_api.post(url("api_report_schedule_pause", made.pk)).status_code == 200
    made.refresh_from_db()
    assert not made.is_active


def test_a_user_without_the_schedule_permissions_is_forbidden(api_for, manager, north):
    made = schedule_of(manager)
    nobody = UserFactory(locations=[north])
    nobody.groups.clear()
    client = api_for(nobody)
    for response in (
        client.get(url("api_report_schedule_list")),
        client.post(url("api_report_schedule_list"), new_schedule(nobody), format="json"),
        client.get(url("api_report_schedule_detail", made.pk)),
        client.post(url("api_report_schedule_send_now", made.pk)),
    ):
        assert response.status_code == 403
    assert Schedule.objects.count() == 1 and not Run.objects.exists()
