"""A worker killed with SIGKILL in the middle of a scheduled run: after a worker is
back, the report is delivered exactly once (the broker redelivers the unacknowledged
task; the run's claim, gone stale without its worker's heartbeat, is taken over)."""

import random
import time as clock
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ifixit.inventory.models import Car, Phase, Sale
from ifixit.locations.models import Location
from ifixit.reports import services
from ifixit.reports.models import Run
from ifixit.testing.factories import UserFactory, random_vin
from ifixit.testing.processes import process_env, start_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]

# The killed task comes back after this many seconds; the run's claim is stale after STALE.
VISIBILITY_TIMEOUT = 8
STALE = 3
SALES = 3000  # enough rows that the PDF takes a moment to draw: the kill lands mid-run


def many_sales(location: Location) -> None:
    rng = random.Random(7)
    today = timezone.localdate()
    cars = Car.objects.bulk_create(
        Car(
            vin=random_vin(rng),
            make=rng.choice(["Ford", "Vauxhall", "Skoda"]),
            model="Focus",
            year=2018,
            mileage=40000,
            location=location,
            phase=Phase.SOLD,
            purchase_price=Decimal(6000),
        )
        for _ in range(SALES)
    )
    Sale.objects.bulk_create(
        Sale(
            car=car,
            sold_on=today - timedelta(days=1 + i % 5),
            price=Decimal(8000) + i,
            location=location,
            cost_at_sale=Decimal(6000),
        )
        for i, car in enumerate(cars)
    )


def test_a_worker_killed_mid_run_delivers_the_report_exactly_once_after_restart(tmp_path, north, smtp_server):
    many_sales(north)
    owner = UserFactory(username="olga", role="manager", email="olga@example.com", locations=[north])
    schedule = services.schedule_save(
        user=owner,
        report_key="sales",
        params={"period": "last_7_days"},
        format="pdf",
        frequency="daily",
        time_of_day=time(6, 0),
        time_zone="Europe/London",
        recipient_user_ids=[owner.pk],
    )
    env = process_env(
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_USE_TLS="0",
        MEDIA_ROOT=str(tmp_path / "media"),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        CELERY_RESTORE_SWEEP_SECONDS="1",
        REPORTS_STALE_CLAIM_SECONDS=str(STALE),
    )
    worker = start_worker("reports-victim", tmp_path, env)
    try:
        [run_id] = services.schedules_queue_due(now=schedule.next_run_at)  # as beat would: queued on commit
        running = wait_for(
            lambda: Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).first(),
            30,
            "the run to start",
            interval=0.05,
        )  # drawing 3,000 rows of PDF takes over a second: the kill lands well inside it
        worker.kill()  # SIGKILL to the whole process group, mid-run: no ack, no email
    finally:
        worker.kill()
    killed = Run.objects.get(pk=run_id)
    assert killed.status == Run.Status.RUNNING and killed.emailed_at is None and not smtp_server.messages, (
        "the kill came too late to be mid-run"
    )
    assert running.attempts == 1

    survivor = start_worker("reports-survivor", tmp_path, env)
    try:
        done = wait_for(
            lambda: Run.objects.filter(pk=run_id, status=Run.Status.SENT).first(),
            VISIBILITY_TIMEOUT + 60,
            "the run to be sent",
        )
        # Give any duplicate delivery time to show itself before counting emails.
        services.runs_requeue_stuck()
        wait_for(lambda: len(smtp_server.messages) >= 1, 10, "the email")
        clock.sleep(3)
    finally:
        survivor.kill()
    assert len(smtp_server.messages) == 1
    assert done.attempts == 2 and done.row_count == SALES and done.emailed_at is not None
    assert Run.objects.filter(schedule=schedule).count() == 1
