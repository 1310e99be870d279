"""Reminders of watched lots: a lot going live or ending within the minutes its watcher chose."""

import math
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from ifixit.auctions.alerts.matching import Reason
from ifixit.auctions.alerts.sending import PendingAlert, alerts_raise
from ifixit.auctions.models import Lot, LotAlert, LotWatch

# Watches are reminded at most this long before (LotWatch's check constraint).
MAX_REMINDER_LEAD = timedelta(minutes=120)


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def watch_reminders_send(*, now: datetime | None = None) -> int:
    """Remind watchers of lots going live or ending within their watch's minutes, once per
    lot and reason: a lot whose end moves later (a late bid extends it) is reminded by its
    new end if not reminded yet, and not again if it was. Returns reminders sent."""
    now = now or timezone.now()
    horizon = now + MAX_REMINDER_LEAD
    open_stages = [Lot.Stage.PREBID, Lot.Stage.LIVE]
    watches = list(
        LotWatch.objects.select_related("lot__source")
        .filter(lot__stage__in=open_stages)
        .filter(
            Q(
                lot__stage=Lot.Stage.PREBID,
                lot__starts_at__gt=now,
                lot__starts_at__lte=horizon,
                remind_before_start__gt=0,
            )
            | Q(lot__ends_at__gt=now, lot__ends_at__lte=horizon, remind_before_end__gt=0)
        )
    )
    if not watches:
        return 0
    sent = set(
        LotAlert.objects.filter(
            lot_id__in={w.lot_id for w in watches}, reason__in=[Reason.STARTING, Reason.ENDING]
        ).values_list("user_id", "lot_id", "reason")
    )
    due = []
    for watch in watches:
        lot = watch.lot
        starts, ends = lot.starts_at, lot.ends_at
        if (
            watch.remind_before_start
            and lot.stage == Lot.Stage.PREBID
            and starts is not None
            and now < starts <= now + timedelta(minutes=watch.remind_before_start)
            and (watch.user_id, lot.pk, Reason.STARTING) not in sent
        ):
            due.append(
                PendingAlert(
                    watch.user_id,
                    lot,
                    Reason.STARTING,
                    lot.current_bid,
                    None,
                    f"goes live in {_minutes_until(starts, now)} min",
                )
            )
        if (
            watch.remind_before_end
            and ends is not None
            and now < ends <= now + timedelta(minutes=watch.remind_before_end)
            and (watch.user_id, lot.pk, Reason.ENDING) not in sent
        ):
            due.append(
                PendingAlert(
                    watch.user_id, lot, Reason.ENDING, lot.current_bid, None, f"ends in {_minutes_until(ends, now)} min"
                )
            )
    return alerts_raise(due)
