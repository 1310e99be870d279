"""Sending and recording alerts: who may receive them, the LotAlert row and its notification
made together (at most once per user, lot and reason), and their wording."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from ifixit.accounts.models import User
from ifixit.auctions.alerts.matching import Reason
from ifixit.auctions.models import BiddingPreference, Lot, LotAlert
from ifixit.money import format_money
from ifixit.notifications.services import notify

KIND_OF_REASON = {
    Reason.MATCH: "lot_match",
    Reason.PRICE_BELOW: "lot_match",
    Reason.PRICE_ABOVE: "lot_price",
    Reason.STARTING: "lot_reminder",
    Reason.ENDING: "lot_reminder",
}


def users_who_may_see_auctions(user_ids: Iterable[int]) -> dict[int, User]:
    """Alerts name lots: only active users holding auctions.view_lot now get them (a user
    whose role changed keeps their preferences, but not the alerts)."""
    ids = set(user_ids)
    if not ids:
        return {}
    perm = Q(groups__permissions__codename="view_lot", groups__permissions__content_type__app_label="auctions")
    direct = Q(user_permissions__codename="view_lot", user_permissions__content_type__app_label="auctions")
    users = User.objects.filter(pk__in=ids, is_active=True).filter(Q(is_superuser=True) | perm | direct).distinct()
    return {u.pk: u for u in users}


@dataclass(frozen=True)
class PendingAlert:
    user_id: int
    lot: Lot
    reason: str
    price: int  # the bid the alert is about
    preference_id: int | None = None
    detail: str = ""


def alerts_raise(alerts: list[PendingAlert]) -> int:
    users = users_who_may_see_auctions(a.user_id for a in alerts)
    names = dict(
        BiddingPreference.objects.filter(pk__in={a.preference_id for a in alerts if a.preference_id}).values_list(
            "pk", "name"
        )
    )
    made = 0
    for alert in alerts:
        user = users.get(alert.user_id)
        if user is not None and _alert_create(
            user=user, alert=alert, preference_name=names.get(alert.preference_id, "")
        ):
            made += 1
    return made


def _alert_create(*, user: User, alert: PendingAlert, preference_name: str = "") -> bool:
    """The alert row and its notification, together or not at all; False when this user was
    already alerted for this lot and reason (by a twin task, or earlier)."""
    lot = alert.lot
    title, body = _wording(alert, preference_name)
    try:
        with transaction.atomic():
            LotAlert.objects.create(
                user=user, lot=lot, reason=alert.reason, preference_id=alert.preference_id, price=alert.price
            )
            notify(
                recipient=user,
                kind=KIND_OF_REASON[alert.reason],
                title=title,
                body=body,
                link=reverse("lot_detail", args=[lot.pk]),
                dedupe_key=f"lot-alert:{lot.pk}:{alert.reason}",
            )
    except IntegrityError:
        if LotAlert.objects.filter(user=user, lot=lot, reason=alert.reason).exists():
            return False
        raise
    return True


def _car(lot: Lot) -> str:
    return " ".join(str(part) for part in (lot.year or "", lot.make, lot.model) if part)


def _wording(alert: PendingAlert, preference_name: str) -> tuple[str, str]:
    lot = alert.lot
    car = _car(lot)
    price = format_money(alert.price) if lot.currency == settings.CURRENCY else f"{lot.currency} {alert.price:,}"
    where = f"Lot {lot.external_id} at {lot.source.name}"
    pref = f" Your preference “{preference_name}”." if preference_name else ""
    if alert.reason == Reason.MATCH:
        return f"Matching lot: {car} at {price}", f"{where}.{pref}"
    if alert.reason == Reason.PRICE_BELOW:
        return f"Within your maximum again: {car} at {price}", f"{where}: {alert.detail}.{pref}"
    if alert.reason == Reason.PRICE_ABOVE:
        return f"Past your maximum: {car} at {price}", f"{where}: {alert.detail}.{pref}"
    return f"{car} {alert.detail}", f"{where}, now at {price}."
