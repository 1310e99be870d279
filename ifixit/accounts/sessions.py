"""Signed-in browsers: listed on the account page, signed out one by one or all at once, and
ended after SESSION_IDLE_MINUTES without a request.

The idle timeout is Django's session expiry, renewed by activity: IdleSessionMiddleware
touches the session at most once a minute (so a busy page does not write on every request),
which saves it with a fresh expiry and notes the time on its SignedInSession row. A password
change ends every other session (Django's session hash; the rows go too).
"""

from datetime import timedelta
from importlib import import_module

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from ifixit.accounts import audit
from ifixit.accounts.authentication import is_token_request

TOUCH_EVERY = timedelta(minutes=1)
SEEN_KEY = "ifixit_seen"


def _store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def active_for(user):
    """The user's signed-in browsers whose session has not ended."""
    from ifixit.accounts.models import SignedInSession

    rows = list(SignedInSession.objects.filter(user=user))
    alive = [row for row in rows if _store().exists(row.session_key) and _store(row.session_key).get_expiry_age() > 0]
    ended = [row.pk for row in rows if row not in alive]
    if ended:
        SignedInSession.objects.filter(pk__in=ended).delete()
    return alive


def sign_out(request, *, user, session_key: str) -> bool:
    from ifixit.accounts.models import SignedInSession

    row = SignedInSession.objects.filter(user=user, session_key=session_key).first()
    if row is None:
        return False
    _store(session_key).delete()
    row.delete()
    audit.record(request, "session.signed_out", target=user, detail={"ip": row.ip_address})
    return True


def sign_out_everywhere_else(request, *, user) -> int:
    from ifixit.accounts.models import SignedInSession

    others = SignedInSession.objects.filter(user=user).exclude(session_key=request.session.session_key)
    keys = list(others.values_list("session_key", flat=True))
    for key in keys:
        _store(key).delete()
    others.delete()
    audit.record(request, "session.signed_out_everywhere", target=user, detail={"sessions": len(keys)})
    return len(keys)


def rekeyed(old_key: str | None, new_key: str | None) -> None:
    """The same browser under a new session key (Django cycles it on a password change)."""
    from ifixit.accounts.models import SignedInSession

    if old_key and new_key and old_key != new_key:
        SignedInSession.objects.filter(session_key=old_key).update(session_key=new_key)


@receiver(user_logged_in)
def _note_sign_in(sender, request, user, **kwargs):
    from ifixit.accounts.models import SignedInSession

    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    SignedInSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip_address": get_client_ip_address(request) or None,
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "signed_in_at": timezone.now(),
            "last_seen_at": timezone.now(),
        },
    )
    session[SEEN_KEY] = timezone.now().timestamp()


@receiver(user_logged_out)
def _forget(sender, request, user, **kwargs):
    from ifixit.accounts.models import SignedInSession

    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        SignedInSession.objects.filter(session_key=key).delete()


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_token_request(request):
            return self.get_response(request)  # the token's call: no browser session is being used
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            seen = request.session.get(SEEN_KEY, 0)
            if now.timestamp() - seen >= TOUCH_EVERY.total_seconds():
                request.session[SEEN_KEY] = now.timestamp()  # saved with a fresh expiry
                from ifixit.accounts.models import SignedInSession

                SignedInSession.objects.filter(session_key=request.session.session_key).update(last_seen_at=now)
        return self.get_response(request)
