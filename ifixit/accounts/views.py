"""The user's own account page: who they are, where they work, their API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from ifixit.accounts import audit, services, sessions, signin, two_factor
from ifixit.locations.selectors import locations_visible_to


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'stock export script'.")


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    new_key = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    return TemplateResponse(
        request,
        "accounts/account.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": request.user.api_tokens.all(),
            "locations": locations_visible_to(request.user),
            "two_factor_on": two_factor.is_enrolled(request.user),
            "two_factor_required": two_factor.required_for(request.user),
            "recovery_codes_left": two_factor.recovery_codes_left(request.user),
            "sessions": sessions.active_for(request.user),
            "idle_hours": round(settings.SESSION_IDLE_MINUTES / 60, 1),
        },
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    if services.api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked.")
    else:
        messages.error(request, "No such token.")
    return redirect("account")


class SignInView(auth_views.LoginView):
    """Django's sign-in with the growing wait between failures (accounts.signin); the
    lockout itself is django-axes's, answered by signin.lockout_response."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "").strip()
        if signin.is_locked(request, username):
            return signin.lockout_response(request, credentials={"username": username})
        wait = signin.seconds_to_wait(request, username)
        if wait:
            message = (
                f"Several sign-ins have failed: wait {wait} second{'' if wait == 1 else 's'} before trying again. "
                "Check the username, and Caps Lock."
            )
            return signin.refusal(request, message=message, retry_after=wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)  # signed in; the second factor, if any, comes next
        return redirect(two_factor.next_step(self.request, response.url) or response.url)


# --- Second factor (accounts.two_factor) ------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32, label="Code",
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
    remember = forms.BooleanField(required=False, label=f"Remember this browser for {settings.TRUSTED_DEVICE_DAYS} days")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """After the password: the code from the app (or a recovery code)."""
    target = two_factor.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_verified() or not two_factor.is_enrolled(request.user):
        return redirect(target)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        passed, why = two_factor.verify(request, code=form.cleaned_data["code"])
        if passed:
            response = redirect(target)
            if form.cleaned_data["remember"]:
                two_factor.remember(response, request.user)
            if two_factor.recovery_codes_left(request.user) <= 2:
                messages.warning(request, "You have few recovery codes left: make new ones on your account page.")
            return response
        form.add_error("code", why)
        status = 400
    return TemplateResponse(request, "accounts/two_factor_verify.html", {"form": form, "next": target}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Turn on the second factor: scan the code, confirm with a code from the app, keep the
    recovery codes (shown once)."""
    target = two_factor.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if two_factor.is_enrolled(request.user) and request.user.is_verified():
        return redirect("account")
    if two_factor.is_enrolled(request.user):  # enrolled but this session has not passed it yet
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': target})}")
    device = two_factor.enrolment_start(request.user)
    form = CodeForm(request.POST or None)
    form.fields.pop("remember")
    status = 200
    if request.method == "POST" and form.is_valid():
        codes = two_factor.enrolment_confirm(request, code=form.cleaned_data["code"])
        if codes is not None:
            return TemplateResponse(request, "accounts/two_factor_codes.html", {"codes": codes, "next": target})
        form.add_error("code", "That code does not match: check the app shows I-fixit, then type the 6 digits it shows now.")
        status = 400
    context = {
        "form": form, "next": target, "qr": two_factor.qr_svg(device), "secret": two_factor.secret_for_typing(device),
        "required": two_factor.required_for(request.user),
    }
    return TemplateResponse(request, "accounts/two_factor_setup.html", context, status=status)


@login_required
@require_POST
def two_factor_recovery_codes(request):
    if not two_factor.is_enrolled(request.user):
        return redirect("two_factor_setup")
    codes = two_factor.recovery_codes_renew(request.user)
    audit.record(request, "2fa.recovery_codes_renewed", target=request.user)
    return TemplateResponse(request, "accounts/two_factor_codes.html", {"codes": codes, "next": reverse("account")})


@login_required
@require_POST
def two_factor_disable(request):
    if two_factor.required_for(request.user):
        messages.error(request, "Your role must sign in with a second factor: it cannot be turned off. An admin can reset it.")
    else:
        two_factor.reset(request, user=request.user)
        messages.success(request, "Second factor turned off.")
    return redirect("account")


# --- Signed-in browsers and the password (accounts.sessions) -----------------------------------


@login_required
@require_POST
def session_sign_out(request, session_key: str):
    if session_key == request.session.session_key:
        return redirect("logout")
    if sessions.sign_out(request, user=request.user, session_key=session_key):
        messages.success(request, "That browser is signed out.")
    else:
        messages.error(request, "No such signed-in browser (it may have signed out already).")
    return redirect(reverse("account") + "#sessions")


@login_required
@require_POST
def sessions_sign_out_everywhere(request):
    count = sessions.sign_out_everywhere_else(request, user=request.user)
    messages.success(request, f"Signed out on {count} other browser{'' if count == 1 else 's'}; this one stays signed in.")
    return redirect(reverse("account") + "#sessions")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; every other browser is signed out with it."""

    template_name = "accounts/password_change.html"

    def get_success_url(self):
        return reverse("account")

    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # keeps this session under a new key (update_session_auth_hash)
        sessions.rekeyed(old_key, self.request.session.session_key)
        ended = sessions.sign_out_everywhere_else(self.request, user=self.request.user)
        audit.record(self.request, "password.changed", target=self.request.user, detail={"other_sessions_ended": ended})
        messages.success(self.request, "Password changed; every other browser was signed out.")
        return response
