"""The audit log of security-relevant actions: sign-ins that passed or failed, lockouts,
second-factor changes, API tokens made and revoked, and what was done with a customer's
personal data (CUSTOMER_ACTIONS). `record` adds a row; nothing edits one.

Rows are kept AUDIT_KEEP_DAYS (beat prunes older ones, `audit_prune`).
"""

from datetime import timedelta

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

# What was done with a customer's personal data (privacy.data_rights, crm.services). Their
# detail holds record numbers only, never the customer's details: an erasure must not
# leave a copy behind in its own audit row.
CUSTOMER_EXPORTED = "customer.exported"
CUSTOMER_ERASED = "customer.erased"
CUSTOMER_ERASE_REFUSED = "customer.erase_refused"
CUSTOMER_MERGED = "customer.merged"
CUSTOMER_ACTIONS = [CUSTOMER_EXPORTED, CUSTOMER_ERASED, CUSTOMER_ERASE_REFUSED, CUSTOMER_MERGED]


def record(request, action: str, *, actor=None, target=None, username: str = "", detail: dict | None = None) -> None:
    """One row; the actor is the request's user unless given (a service without a request)."""
    from ifixit.accounts.models import AuditEvent

    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_user=target,
        username=(username or getattr(target, "username", ""))[:150],
        ip_address=(get_client_ip_address(request) or None) if request is not None else None,
        detail=detail or {},
    )


def prune(*, now=None) -> int:
    from ifixit.accounts.models import AuditEvent

    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_KEEP_DAYS)
    return AuditEvent.objects.filter(at__lt=cutoff).delete()[0]


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record(request, "signin.passed", target=user)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    record(request, "signin.failed", username=str((credentials or {}).get("username", "")))


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(request, "signout", target=user)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    record(request, "signin.locked_out", username=username or "")
