"""Reminders of watched lots: shortly before going live and before ending, once each, also
when a late bid moves the end; never for closed lots or to people who may not see auctions."""

from datetime import UTC, datetime, timedelta

import pytest

from ifixit.auctions import alerts, services, tasks
from ifixit.auctions.models import AuctionSource, Lot, LotAlert
from ifixit.notifications.models import Notification
from ifixit.testing.factories import UserFactory

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
STARTING, ENDING = LotAlert.Reason.STARTING, LotAlert.Reason.ENDING


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def buyer(north):
    return UserFactory(username="bea", role="buyer", locations=[north])


@pytest.fixture
def lot(db):
    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")
    return Lot.objects.create(
        source=source,
        external_id="L1",
        make="Ford",
        model="Focus",
        year=2018,
        current_bid=700,
        stage=Lot.Stage.PREBID,
        starts_at=T0 + minutes(30),
        ends_at=T0 + minutes(40),
    )


def sent(user):
    return list(LotAlert.objects.filter(user=user).order_by("id").values_list("reason", flat=True))


def test_a_watched_lot_is_reminded_before_it_goes_live_and_before_it_ends_once_each(buyer, lot):
    services.lot_watch(user=buyer, lot_id=lot.pk)  # 10 minutes before the start, 5 before the end
    assert alerts.watch_reminders_send(now=T0 + minutes(19)) == 0
    assert alerts.watch_reminders_send(now=T0 + minutes(20)) == 1
    assert alerts.watch_reminders_send(now=T0 + minutes(21)) == 0
    assert sent(buyer) == [STARTING]
    note = Notification.objects.get(recipient=buyer)
    assert note.kind == "lot_reminder" and note.title == "2018 Ford Focus goes live in 10 min"
    assert note.link == f"/auctions/lots/{lot.pk}/" and "now at £700" in note.body

    Lot.objects.filter(pk=lot.pk).update(stage=Lot.Stage.LIVE)
    assert alerts.watch_reminders_send(now=T0 + minutes(34)) == 0
    assert alerts.watch_reminders_send(now=T0 + minutes(35.5)) == 1
    assert alerts.watch_reminders_send(now=T0 + minutes(36)) == 0
    assert sent(buyer) == [STARTING, ENDING]
    assert Notification.objects.filter(recipient=buyer).first().title == "2018 Ford Focus ends in 5 min"


def test_an_end_moved_later_by_a_late_bid_is_still_reminded_once(buyer, lot):
    services.lot_watch(user=buyer, lot_id=lot.pk, remind_before_start=0, remind_before_end=5)
    Lot.objects.filter(pk=lot.pk).update(stage=Lot.Stage.LIVE, ends_at=T0 + minutes(43))  # extended before the reminder
    assert alerts.watch_reminders_send(now=T0 + minutes(36)) == 0  # due by the old end, not by the new
    assert alerts.watch_reminders_send(now=T0 + minutes(38)) == 1
    Lot.objects.filter(pk=lot.pk).update(ends_at=T0 + minutes(45))  # and again, after it
    assert alerts.watch_reminders_send(now=T0 + minutes(40)) == 0
    assert alerts.watch_reminders_send(now=T0 + minutes(44)) == 0
    assert sent(buyer) == [ENDING]


def test_each_watcher_gets_their_own_minutes(buyer, manager, lot):
    services.lot_watch(user=buyer, lot_id=lot.pk, remind_before_start=2, remind_before_end=0)
    services.lot_watch(user=manager, lot_id=lot.pk, remind_before_start=15, remind_before_end=0)
    assert alerts.watch_reminders_send(now=T0 + minutes(15)) == 1
    assert sent(manager) == [STARTING] and sent(buyer) == []
    assert alerts.watch_reminders_send(now=T0 + minutes(28)) == 1
    assert sent(buyer) == [STARTING]


def test_no_reminder_when_it_is_too_late_turned_off_closed_or_unwatched(buyer, manager, admin_user, lot):
    services.lot_watch(user=buyer, lot_id=lot.pk, remind_before_start=0, remind_before_end=0)
    services.lot_watch(user=manager, lot_id=lot.pk)
    services.lot_watch(user=admin_user, lot_id=lot.pk)
    assert services.lot_unwatch(user=admin_user, lot_id=lot.pk) is True
    Lot.objects.filter(pk=lot.pk).update(stage=Lot.Stage.LIVE)  # went live early: no "goes live" any more
    assert alerts.watch_reminders_send(now=T0 + minutes(25)) == 0
    Lot.objects.filter(pk=lot.pk).update(stage=Lot.Stage.CLOSED, outcome="bought_now")
    assert alerts.watch_reminders_send(now=T0 + minutes(37)) == 0
    assert not LotAlert.objects.exists()


def test_people_who_may_not_see_auctions_are_not_reminded(sales_user, lot):
    services.lot_watch(user=sales_user, lot_id=lot.pk)  # watched while a buyer
    assert alerts.watch_reminders_send(now=T0 + minutes(25)) == 0


def test_the_beat_task_sends_what_is_due_now(buyer, lot):
    Lot.objects.filter(pk=lot.pk).update(starts_at=None, stage=Lot.Stage.LIVE, ends_at=datetime.now(UTC) + minutes(3))
    services.lot_watch(user=buyer, lot_id=lot.pk)
    assert tasks.send_watch_reminders() == 1
    assert tasks.send_watch_reminders() == 0
    assert sent(buyer) == [ENDING]


def test_reminder_minutes_are_checked(buyer, lot):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.lot_watch(user=buyer, lot_id=lot.pk, remind_before_start=121, remind_before_end=-1)
    assert set(refused.value.message_dict) == {"remind_before_start", "remind_before_end"}
    with pytest.raises(Lot.DoesNotExist):
        services.lot_watch(user=buyer, lot_id=lot.pk + 99)
    assert not buyer.lot_watches.exists()
