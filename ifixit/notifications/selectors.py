"""Reads of the notification centre, scoped to what the user may see."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

from ifixit.accounts.models import User
from ifixit.notifications import kinds
from ifixit.notifications.models import DigestSetting, Notification, Preference


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's in-app notifications, without those about locations they no longer see."""
    if not user.is_authenticated:
        return Notification.objects.none()
    mine = Notification.objects.filter(recipient=user, in_app=True)
    if user.is_group_wide:
        return mine
    return mine.filter(Q(location__isnull=True) | Q(location__staff=user))


def unread_count(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


@dataclass(frozen=True)
class Choice:
    """What reaches a user for one kind: their saved preference or the kind's defaults."""

    kind: kinds.Kind
    in_app: bool
    email: bool
    sms: bool
    timing: str

    def wants(self, channel: str) -> bool:
        return getattr(self, channel)


def _choice(kind: kinds.Kind, pref: Preference | None) -> Choice:
    if pref is None:
        return Choice(kind, in_app=True, email=kind.email, sms=kind.sms, timing=kind.timing)
    return Choice(kind, in_app=pref.in_app, email=pref.email, sms=pref.sms, timing=pref.timing)


def choice_for(user: User, kind_key: str) -> Choice:
    kind = kinds.get(kind_key)
    return _choice(kind, Preference.objects.filter(user=user, kind=kind_key).first())


def choices_for(user: User) -> list[Choice]:
    """One choice per declared kind, in declaration order (one query)."""
    saved = {p.kind: p for p in Preference.objects.filter(user=user)}
    return [_choice(kind, saved.get(kind.key)) for kind in kinds.KINDS.values()]


def digest_time_for(user: User) -> datetime.time:
    setting = DigestSetting.objects.filter(user=user).first()
    return setting.send_at if setting else DigestSetting._meta.get_field("send_at").default


def time_zone_for(user: User) -> zoneinfo.ZoneInfo:
    """The time zone of the user's location (the first by name if they have several);
    the site's for group-wide users without one."""
    location = user.locations.order_by("name").first()
    return zoneinfo.ZoneInfo(location.time_zone if location else settings.TIME_ZONE)
