"""Two-factor sign-in: a time-based code from an authenticator app (TOTP), or a recovery code,
after the password. Built on django-otp: a confirmed TOTPDevice is the app, a StaticDevice
holds the ten single-use recovery codes.

Who must have one is a setting per role (TWO_FACTOR_REQUIRED_ROLES, admins and managers in
production); anyone may turn it on. Until a signed-in session has passed its second factor,
SecondFactorMiddleware sends every page to the code page (or, where it is required and not
set up yet, to the set-up page), and answers the session's API calls 403. API tokens are
made from a verified session and are not asked again. "Remember this device" is a signed
cookie naming the user and their app for TRUSTED_DEVICE_DAYS; resetting the factor (an
admin, audited) deletes the devices, and with them every remembered browser.
"""

import segno
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ifixit.accounts import audit
from ifixit.accounts.authentication import is_token_request

RECOVERY_CODES = 10
PENDING = "ifixit_2fa_pending"  # in the session: the password passed, the code is still to come
TRUSTED_COOKIE = "ifixit-trusted-device"
TRUSTED_SALT = "ifixit.two-factor.trusted-device"
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def required_for(user) -> bool:
    return user.role in settings.TWO_FACTOR_REQUIRED_ROLES


def app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Enrolment ---------------------------------------------------------------------------


def enrolment_start(user) -> TOTPDevice:
    """The app to be confirmed: the one waiting, or a new one with a new secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=5, title="Scan with your authenticator app")


def secret_for_typing(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def enrolment_confirm(request, *, code: str) -> list[str] | None:
    """Confirm the waiting app with a code from it; the recovery codes (shown once), or None
    if the code is wrong."""
    user = request.user
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(_digits(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_renew(user)
    otp_login(request, device)
    audit.record(request, "2fa.enrolled", target=user)
    return codes


def recovery_codes_renew(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def reset(request, *, user) -> int:
    """An admin (or the user, where it is optional) removes the second factor; audited."""
    deleted = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    audit.record(request, "2fa.reset", target=user, detail={"by_self": request.user.pk == user.pk})
    return deleted


# --- Signing in --------------------------------------------------------------------------


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def verify(request, *, code: str) -> tuple[bool, str]:
    """Check a code from the app or a recovery code (used up by this); (passed, why not)."""
    user = request.user
    code = _digits(code)
    app = app_device(user)
    if app is not None and code.isdigit():
        allowed, info = app.verify_is_allowed()
        if not allowed:
            locked_until = (info or {}).get("locked_until")
            wait = max(1, int((locked_until - _now()).total_seconds())) if locked_until else 1
            return False, f"Too many wrong codes: wait {wait} seconds, then use the newest code from your app."
        if app.verify_token(code):
            otp_login(request, app)
            request.session.pop(PENDING, None)
            audit.record(request, "2fa.passed", target=user)
            return True, ""
    for recovery in StaticDevice.objects.filter(user=user, confirmed=True):
        if recovery.verify_token(code.lower()):
            otp_login(request, recovery)
            request.session.pop(PENDING, None)
            audit.record(request, "2fa.recovery_code_used", target=user, detail={"left": recovery_codes_left(user)})
            return True, ""
    audit.record(request, "2fa.failed", target=user)
    return (
        False,
        "That code is wrong or has expired: type the 6 digits your app shows now, or one of your recovery codes.",
    )


def _now():
    from django.utils import timezone

    return timezone.now()


def remember(response, user) -> None:
    app = app_device(user)
    if app is None:
        return
    value = signing.dumps({"u": user.pk, "d": app.persistent_id}, salt=TRUSTED_SALT)
    response.set_cookie(
        TRUSTED_COOKIE,
        value,
        max_age=settings.TRUSTED_DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
        path="/",
    )


def pass_by_remembered_device(request) -> bool:
    """At sign-in: a browser remembered in the last TRUSTED_DEVICE_DAYS passes the second factor."""
    raw = request.COOKIES.get(TRUSTED_COOKIE)
    if not raw:
        return False
    try:
        value = signing.loads(raw, salt=TRUSTED_SALT, max_age=settings.TRUSTED_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return False
    app = app_device(request.user)
    if app is None or value.get("u") != request.user.pk or value.get("d") != app.persistent_id:
        return False
    otp_login(request, app)
    audit.record(request, "2fa.remembered_device", target=request.user)
    return True


def next_step(request, default: str) -> str | None:
    """Where a freshly signed-in user goes before the page they asked for, if anywhere."""
    user = request.user
    if is_enrolled(user):
        if pass_by_remembered_device(request):
            return None
        request.session[PENDING] = True
        return f"{reverse('two_factor_verify')}?{urlencode({'next': default})}"
    if required_for(user):
        return f"{reverse('two_factor_setup')}?{urlencode({'next': default})}"
    return None


def safe_next(request, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


# --- Every request -----------------------------------------------------------------------

OPEN_PATHS = ("/login/", "/logout/", "/account/two-factor/", "/static/", "/healthz", "/favicon.ico", "/csp-report/")


class SecondFactorMiddleware:
    """A signed-in session that has not passed its second factor reaches only the code and
    set-up pages (and signing out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_token_request(request):
            return self.get_response(request)  # a token: the session plays no part
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(OPEN_PATHS) or user.is_verified():
            return self.get_response(request)
        # Who owes a code: a sign-in that passed the password of an enrolled user (marked in
        # the session, so that others cost no query here), or anyone of a role that must.
        if request.session.get(PENDING):
            step = "two_factor_verify"
        elif required_for(user):
            step = "two_factor_verify" if is_enrolled(user) else "two_factor_setup"
        else:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Finish signing in with your second factor first (open the site and enter the code)."},
                status=403,
            )
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
