"""The notification centre's tasks run twice, as a redelivery or an admin's "retry now" runs
them: a delivery is sent once, and a fault of ours is a dead letter, not a loop of the sweep."""

import datetime

import pytest
from django.utils import timezone

from ifixit.jobs import services as jobs
from ifixit.jobs.models import JobRun
from ifixit.notifications import services, tasks
from ifixit.notifications.models import Delivery, Preference
from ifixit.testing.factories import UserFactory


@pytest.fixture
def texted(north, settings, tmp_path):
    """A user who wants their notifications by SMS, through the console provider's file."""
    settings.SMS_BACKEND = "console"
    settings.SMS_CONSOLE_FILE = tmp_path / "sms-outbox.log"
    user = UserFactory(username="ned", mobile="+447911123456", locations=[north])
    Preference.objects.create(user=user, kind="system", in_app=True, sms=True)
    return user


def texts_sent(settings) -> int:
    path = settings.SMS_CONSOLE_FILE
    return path.read_text().count("+447911123456") if path.exists() else 0


def test_a_delivery_run_twice_is_sent_once(texted, settings):
    delivery = services.notify(recipient=texted, kind="system", title="Car 12 overdue").deliveries.get()
    first = tasks.deliver.apply(args=[delivery.pk])
    tasks.deliver.apply(args=[delivery.pk], task_id=first.id)  # redelivered: already succeeded
    tasks.deliver.apply(args=[delivery.pk])  # a second message for it: the claim refuses it
    assert texts_sent(settings) == 1
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


def test_a_fault_of_ours_is_a_dead_letter_the_sweep_leaves_and_retry_now_sends_once(texted, admin_user, settings):
    delivery = services.notify(recipient=texted, kind="system", title="Car 12 overdue").deliveries.get()
    settings.SMS_BACKEND = "misspelt"  # bad configuration: no retry can mend it

    tasks.deliver.apply(args=[delivery.pk])
    dead = JobRun.objects.get(task="ifixit.notifications.tasks.deliver", state="dead")
    assert dead.attempt == 1 and "KeyError" in dead.error  # not retried
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and "KeyError" in delivery.last_error
    in_a_day = timezone.now() + datetime.timedelta(days=1)
    assert delivery.pk not in services.deliveries_requeue_stuck(now=in_a_day)[0]  # no loop

    settings.SMS_BACKEND = "console"  # mended
    retry = jobs.dead_letter_retry(user=admin_user, run_id=dead.pk)
    tasks.deliver.apply(args=[delivery.pk], task_id=str(retry.retried_as))
    tasks.deliver.apply(args=[delivery.pk], task_id=str(retry.retried_as))
    delivery.refresh_from_db()
    assert delivery.status == "sent" and texts_sent(settings) == 1
