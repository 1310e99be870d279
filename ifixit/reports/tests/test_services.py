"""Schedules and runs through their services, against a real SMTP server on loopback:
what a schedule refuses, one run per slot, the report read back from the email (CSV,
XLSX, PDF), exactly once through retries and crashes, failures that retry and then tell
the owner, large files sent as a signed link, and files made on demand."""

import csv
import io
from datetime import UTC, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ifixit.accounts import roles
from ifixit.inventory.models import Phase, Sale
from ifixit.notifications.models import Notification
from ifixit.reports import services
from ifixit.reports.models import Run, Schedule
from ifixit.testing.factories import CarFactory, UserFactory

WEEKLY = {"frequency": "weekly", "weekday": 0, "time_of_day": time(7, 0), "time_zone": "Europe/London"}


def sold(location, *, days_ago: int, price: str = "10000", make: str = "Ford", model: str = "Focus"):
    car = CarFactory(location=location, phase=Phase.SOLD, make=make, model=model)
    Sale.objects.create(
        car=car,
        sold_on=timezone.localdate() - timedelta(days=days_ago),
        price=Decimal(price),
        location=location,
        cost_at_sale=car.acquisition_cost,
        delivered_at=timezone.now(),
    )
    return car


def schedule(user, **fields):
    data = {
        "report_key": "sales",
        "params": {"period": "last_30_days"},
        "format": "xlsx",
        "recipient_user_ids": [user.pk],
        **WEEKLY,
        **fields,
    }
    return services.schedule_save(user=user, **data)


def attachment(message) -> tuple[str, bytes]:
    for part in message.walk():
        if part.get_filename():
            return part.get_filename(), part.get_payload(decode=True)
    raise AssertionError("no attachment")


# --- What a schedule refuses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"recipient_user_ids": [], "recipient_emails": ""}, "recipient_users", "at least one recipient"),
        ({"recipient_emails": "accounts@example"}, "recipient_emails", "is not an email address"),
        ({"params": {"period": "last_30_days", "phase": "fixing"}}, "phase", "does not take a phase"),
        ({"params": {"period": "custom", "start": "2026-06-01", "end": "2026-05-01"}}, "end", "ends before it starts"),
        ({"params": {"period": "next_decade"}}, "period", "Unknown period"),
        ({"report_key": "gossip"}, "report_key", "no report"),
        ({"frequency": "weekly", "weekday": None}, "weekday", "day of the week"),
        ({"frequency": "monthly", "day_of_month": None, "on_last_day": False}, "day_of_month", "day of the month"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone"),
    ],
)
def test_a_bad_schedule_is_refused_with_a_clear_message_and_nothing_is_written(fields, field, message, manager):
    with pytest.raises(ValidationError) as caught:
        schedule(manager, **fields)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Schedule.objects.exists()


def test_a_user_schedules_only_reports_on_locations_they_may_see(manager, south):
    with pytest.raises(ValidationError, match="only on your own locations"):
        schedule(manager, params={"period": "last_30_days", "locations": [south.pk]})


def test_a_colleague_who_cannot_see_every_location_is_refused_as_recipient(manager, north, south):
    both = UserFactory(role=roles.MANAGER, locations=[north, south])
    northerner = UserFactory(role=roles.MANAGER, locations=[north], email="n@example.com")
    with pytest.raises(ValidationError, match="may not see every location"):
        schedule(both, recipient_user_ids=[northerner.pk])  # all of both's locations, South included
    assert schedule(
        both, recipient_user_ids=[northerner.pk], params={"period": "last_30_days", "locations": [north.pk]}
    )


def test_a_schedule_is_saved_with_its_next_slot_and_normalised_addresses(manager):
    made = schedule(manager, recipient_emails="Accounts@Example.com, bank@example.com\naccounts@example.com")
    assert made.emails == ["accounts@example.com", "bank@example.com"]
    assert made.next_run_at > timezone.now() and made.next_run_at.astimezone(UTC).weekday() == 0
    assert made.name == "Sales and gross profit" and made.params["period"] == "last_30_days"


def test_pause_resume_and_delete(manager):
    made = schedule(manager)
    services.schedule_pause(user=manager, schedule_id=made.pk)
    made.refresh_from_db()
    assert (made.is_active, made.next_run_at) == (False, None)
    services.schedule_resume(user=manager, schedule_id=made.pk)
    made.refresh_from_db()
    assert made.is_active and made.next_run_at > timezone.now()
    services.schedule_delete(user=manager, schedule_id=made.pk)
    assert not Schedule.objects.exists()


def test_someone_else_s_schedule_is_not_theirs_to_change(manager, outsider):
    made = schedule(manager)
    with pytest.raises(ValidationError, match="No such schedule"):
        services.schedule_pause(user=outsider, schedule_id=made.pk)


# --- Beat: one run per slot --------------------------------------------------------------------------


def test_a_due_schedule_gets_one_run_per_slot_however_often_beat_asks(manager):
    made = schedule(manager)
    slot = made.next_run_at
    assert services.schedules_queue_due(now=slot - timedelta(seconds=1)) == []
    [run_id] = services.schedules_queue_due(now=slot)
    assert services.schedules_queue_due(now=slot) == []  # a duplicate beat
    assert services.schedules_queue_due(now=slot + timedelta(seconds=30)) == []
    run = Run.objects.get(pk=run_id)
    made.refresh_from_db()
    assert (run.scheduled_for, run.trigger) == (slot, Run.Trigger.SCHEDULE)
    assert made.next_run_at == slot + timedelta(days=7)


def test_slots_missed_while_beat_was_down_are_sent_once(manager):
    made = schedule(manager, frequency="daily", weekday=None)
    slot = made.next_run_at
    assert len(services.schedules_queue_due(now=slot + timedelta(days=3, hours=1))) == 1
    made.refresh_from_db()
    assert made.next_run_at > slot + timedelta(days=3, hours=1)


# --- Running and sending ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_a_scheduled_run_emails_the_report_which_reads_back(fmt, manager, north, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    for days_ago, price in ((3, "10000"), (5, "12000"), (40, "9999")):  # the third is outside the last 30 days
        sold(north, days_ago=days_ago, price=price)
    made = schedule(manager, format=fmt, recipient_emails="accounts@example.com")
    [run_id] = services.schedules_queue_due(now=made.next_run_at)
    run = services.run_execute(run_id=run_id)
    assert run.status == Run.Status.SENT and run.row_count == 2 and run.emailed_at
    assert sorted(run.recipients) == ["accounts@example.com", "nina@example.com"]
    [mail] = smtp_server.messages
    assert set(mail["X-Envelope-To"].split(", ")) == {"accounts@example.com", "nina@example.com"}
    assert "accounts@example.com" not in (mail["To"] or "")  # outsiders are blind-copied
    name, content = attachment(mail)
    assert name == run.file_name and name.endswith(f".{fmt}")
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        prices = [row[[h.startswith("Price") for h in rows[0]].index(True)] for row in rows[1:]]
        assert prices == ["12000.00", "10000.00", "22000.00"]  # oldest sale first, then the totals row
        assert "Total" in rows[-1]
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        header_at = next(i for i, row in enumerate(values) if "Price" in [str(v) for v in row])
        price_col = [str(v) for v in values[header_at]].index("Price")
        prices = [row[price_col] for row in values[header_at + 1 :] if row[price_col] is not None]
        assert prices == [12000, 10000, 22000]  # typed numbers, the totals row last
        assert sheet.freeze_panes == f"A{header_at + 2}"  # the header row stays in view
    else:
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages) == 1 and "Sales and gross profit" in reader.pages[0].extract_text()


def test_a_run_is_done_once_whatever_asks_again(manager, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    run = services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk)
    assert services.run_execute(run_id=run.pk).status == Run.Status.SENT
    assert services.run_execute(run_id=run.pk) is None  # a retried or redelivered task
    assert len(smtp_server.messages) == 1


def test_a_worker_that_died_mid_run_is_taken_over_and_the_report_is_sent_once(manager, smtp_server, settings):
    manager.email = "nina@example.com"
    manager.save()
    run = services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk)
    # A worker claimed it and died before sending: its claim stops beating.
    long_ago = timezone.now() - timedelta(seconds=settings.REPORTS_STALE_CLAIM_SECONDS + 5)
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.RUNNING, claimed_at=long_ago, heartbeat_at=long_ago, attempts=1
    )
    assert services.runs_requeue_stuck() == [run.pk]
    done = services.run_execute(run_id=run.pk)
    assert done.status == Run.Status.SENT and done.attempts == 2 and len(smtp_server.messages) == 1


def test_a_live_claim_is_left_alone(manager, smtp_server):
    run = services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk)
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.RUNNING, claimed_at=timezone.now(), heartbeat_at=timezone.now()
    )
    assert services.run_execute(run_id=run.pk) is None and services.runs_requeue_stuck() == []
    assert not smtp_server.messages


def test_a_run_that_had_sent_before_its_worker_died_does_not_send_again(manager, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    run = services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk)
    services.run_execute(run_id=run.pk)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RETRYING)  # as if recording the end had failed
    assert services.run_execute(run_id=run.pk).status == Run.Status.SENT
    assert len(smtp_server.messages) == 1


def test_a_mail_server_refusal_retries_then_fails_and_tells_the_owner(manager, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    run = services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk)
    smtp_server.fail_next = ["451 4.3.0 Try again later"] * 2
    with pytest.raises(services.RetryRun):
        services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Run.Status.RETRYING and "451" in run.error and run.file  # the file is kept for the retry
    assert services.run_execute(run_id=run.pk, final_attempt=True).status == Run.Status.FAILED
    note = Notification.objects.get(recipient=manager, kind="report_failed")
    assert "Sales and gross profit" in note.title and "451" in note.body
    assert not smtp_server.messages


def test_a_large_file_goes_as_a_signed_link(manager, north, smtp_server, settings):
    settings.REPORTS_ATTACH_MAX_BYTES = 100
    manager.email = "nina@example.com"
    manager.save()
    sold(north, days_ago=2)
    run = services.run_execute(run_id=services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk).pk)
    assert run.sent_as_link
    [mail] = smtp_server.messages
    body = mail.get_payload(decode=True).decode()
    link = next(line for line in body.splitlines() if "/reports/files/" in line)
    path = link.split(settings.SITE_URL, 1)[1]
    anonymous = Client()
    response = anonymous.get(path)
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"
    assert anonymous.get(path[:-3] + "xyz/").status_code == 410


def test_a_report_made_on_demand_is_ready_to_download_and_the_user_is_told(manager, north):
    from ifixit.reports.catalogue import Params

    sold(north, days_ago=1)
    run = services.report_generate(user=manager, report_key="sales", params=Params(period="last_7_days"), format="csv")
    done = services.run_execute(run_id=run.pk)
    assert done.status == Run.Status.READY and done.file and done.row_count == 1 and not done.emailed_at
    note = Notification.objects.get(recipient=manager, kind="report_ready")
    assert note.link == reverse("report_run_detail", args=[run.pk])


def test_on_demand_refuses_bad_parameters_and_reports_of_other_roles(manager, workshop_user, south):
    from ifixit.reports.catalogue import Params

    with pytest.raises(ValidationError, match="only on your own locations"):
        services.report_generate(
            user=manager, report_key="sales", params=Params(period="last_7_days", locations=(south.pk,)), format="csv"
        )
    with pytest.raises(ValidationError, match="Choose CSV, XLSX or PDF"):
        services.report_generate(user=manager, report_key="sales", params=Params(period="last_7_days"), format="doc")
    assert not Run.objects.exists()


def test_an_admin_sending_someone_s_schedule_now_sends_the_owner_s_report(
    manager, admin_user, north, south, smtp_server
):
    manager.email = "nina@example.com"
    manager.save()
    sold(north, days_ago=2)
    sold(south, days_ago=2, make="Southmake")
    made = schedule(manager, format="csv")  # no locations chosen: all of Nina's, which is North
    run = services.run_execute(run_id=services.schedule_send_now(user=admin_user, schedule_id=made.pk).pk)
    assert run.row_count == 1
    [mail] = smtp_server.messages
    assert b"Southmake" not in attachment(mail)[1]


# --- Found in review -------------------------------------------------------------------------------


def test_a_run_whose_send_was_interrupted_is_not_sent_again_and_the_owner_is_told(manager, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    run = services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk)
    Run.objects.filter(pk=run.pk).update(sending_at=timezone.now() - timedelta(hours=1))  # died inside SMTP
    done = services.run_execute(run_id=run.pk)
    assert done.status == Run.Status.FAILED and "may or may not have arrived" in done.error
    assert not smtp_server.messages
    assert Notification.objects.filter(recipient=manager, kind="report_failed").exists()


def test_an_address_typed_in_of_a_colleague_who_may_not_see_the_report_is_refused(manager, south):
    from ifixit.accounts import roles as role_names

    UserFactory(role=role_names.MANAGER, locations=[south], email="sam@example.com")
    with pytest.raises(ValidationError, match="sam@example.com belongs to someone who may not see"):
        schedule(manager, recipient_emails="sam@example.com")


def test_a_lost_retry_is_picked_up_by_the_sweep(manager):
    run = services.schedule_send_now(user=manager, schedule_id=schedule(manager).pk)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RETRYING, retry_at=timezone.now() - timedelta(minutes=6))
    assert services.runs_requeue_stuck() == [run.pk]
    Run.objects.filter(pk=run.pk).update(retry_at=timezone.now() + timedelta(minutes=1))
    assert services.runs_requeue_stuck() == []  # its retry is still due to come back by itself


def test_a_schedule_whose_owner_left_is_paused_and_the_admins_told(manager, admin_user):
    made = schedule(manager)
    [run_id] = services.schedules_queue_due(now=made.next_run_at)
    manager.is_active = False
    manager.save()
    run = services.run_execute(run_id=run_id)
    made.refresh_from_db()
    assert run.status == Run.Status.FAILED and not made.is_active and made.next_run_at is None
    assert Notification.objects.filter(recipient=admin_user, kind="report_failed").exists()


def test_editing_a_schedule_keeps_the_slot_it_waits_for_unless_its_timing_changes(manager):
    made = schedule(manager)
    Schedule.objects.filter(pk=made.pk).update(next_run_at=made.next_run_at - timedelta(minutes=1))  # due in a moment
    waiting = Schedule.objects.get(pk=made.pk).next_run_at
    services.schedule_save(user=manager, schedule_id=made.pk, recipient_emails="new@example.com")
    assert Schedule.objects.get(pk=made.pk).next_run_at == waiting
    services.schedule_save(user=manager, schedule_id=made.pk, time_of_day=time(9, 0))
    assert Schedule.objects.get(pk=made.pk).next_run_at != waiting
