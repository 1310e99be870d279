"""Protection of the sign-in against password guessing, on top of django-axes.

Axes records every failed sign-in in the database (so every web node sees the same count)
and locks out an account, or an address, after SIGNIN_FAILURE_LIMIT failures for
SIGNIN_LOCKOUT_MINUTES; an admin unlocks earlier by deleting the attempt in the admin
(Axes > Access attempts) or with `manage.py axes_reset_username <name>`. Before the lockout
the wait grows: from the SIGNIN_DELAY_AFTER-th failure, the next try is refused unread until
2, 4, 8... seconds have passed since the last one (a guesser's rate halves with every miss; a
person who mistyped barely notices). The owner of a locked-out account is emailed.
"""

import logging
import math
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Max, Q, Sum
from django.dispatch import receiver
from django.template.response import TemplateResponse
from django.utils import timezone

log = logging.getLogger(__name__)

MAX_DELAY_SECONDS = 60


def delay_after(failures: int) -> int:
    """Seconds the next try must wait after this many failures in a row."""
    if failures < settings.SIGNIN_DELAY_AFTER:
        return 0
    return min(2 ** (failures - settings.SIGNIN_DELAY_AFTER + 1), MAX_DELAY_SECONDS)


def _recent():
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES))


def _attempts(request, username: str):
    where = Q(ip_address=get_client_ip_address(request))
    if username:
        where |= Q(username=username)
    return _recent().filter(where)


def seconds_to_wait(request, username: str) -> int:
    """How long this account or address must still wait before its next try (0: go on).
    Failures are counted as Axes counts them: summed per account and per address."""
    groups = [_recent().filter(ip_address=get_client_ip_address(request))]
    if username:
        groups.append(_recent().filter(username=username))
    failures, last = 0, None
    for attempts in groups:
        figures = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if figures["failures"] and figures["failures"] > failures:
            failures, last = figures["failures"], figures["last"]
    if not failures:
        return 0
    ready_at = last + timedelta(seconds=delay_after(failures))
    return max(0, int((ready_at - timezone.now()).total_seconds() + 0.999))


def lockout_minutes_left(request, username: str) -> int:
    last = _attempts(request, username).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return settings.SIGNIN_LOCKOUT_MINUTES
    left = last + timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES) - timezone.now()
    return max(1, math.ceil(left.total_seconds() / 60))


def refusal(request, *, message: str, retry_after: int) -> TemplateResponse:
    """The sign-in page again with the reason, as 429 with Retry-After. The form is not
    checked (that would try the password): it comes back with the username only."""
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "refusal": message, "next": request.POST.get("next", "")}
    response = TemplateResponse(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(max(1, retry_after))
    return response


def is_locked(request, username: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": username})


def lockout_response(request, original_response=None, credentials=None):
    """Axes calls this for every attempt while the account or address is locked out."""
    username = (credentials or {}).get("username", "") or request.POST.get("username", "")
    minutes = lockout_minutes_left(request, username)
    message = (
        f"Too many failed sign-ins: this account or address is locked for {minutes} more minute"
        f"{'' if minutes == 1 else 's'}. Wait, or ask an admin to unlock it; if it was not you, tell an admin."
    )
    response = refusal(request, message=message, retry_after=minutes * 60)
    response.render()
    return response


@receiver(user_locked_out)
def tell_the_owner(sender, request, username, ip_address, **kwargs):
    """Email the person whose account was locked: it may be them, or someone guessing."""
    # Sent once per lockout: SignInView refuses every try while locked before Axes sees it.
    user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
    if user is None or not user.email:
        log.warning("sign-in lockout for %r from %s (no owner to tell)", username, ip_address)
        return
    log.warning("sign-in lockout for %r from %s", username, ip_address)
    body = (
        f"Hello {user.get_short_name() or user.username},\n\n"
        f"Your I-fixit account ({user.username}) was locked at {timezone.localtime():%d %b %Y %H:%M} after "
        f"{settings.SIGNIN_FAILURE_LIMIT} failed sign-ins from the address {ip_address}. It unlocks by itself in "
        f"{settings.SIGNIN_LOCKOUT_MINUTES} minutes, or an admin can unlock it now.\n\n"
        "If this was you, wait and try again. If it was not, someone may be guessing your password: "
        "tell an admin and change your password once you are signed in.\n\n"
        f"{settings.SITE_URL}\n"
    )
    try:
        EmailMessage(subject="Your I-fixit account was locked after failed sign-ins", body=body, to=[user.email]).send()
    except Exception:  # the lockout stands whether or not the mail went out
        log.exception("could not email %s about their lockout", user.username)
