"""The user's own account page: who they are, where they work, their API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from ifixit.accounts import services, signin
from ifixit.inventory.selectors import locations_visible_to


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
