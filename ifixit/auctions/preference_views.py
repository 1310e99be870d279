"""Pages of bidding preferences (list, editor, delete), lot alerts, alert channels and the
lot page's Watch button. Each user sees and changes only their own; auctions' permission
(auctions.view_lot) is needed for all of it."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ifixit import money
from ifixit.auctions import selectors, services
from ifixit.auctions.models import Lot
from ifixit.auctions.preference_forms import AlertChannelsForm, PreferenceForm, WatchForm

PAGE_SIZE = 50
ALERTS_PAGE_SIZE = 25


def buyers_only(view):
    @login_required
    @permission_required("auctions.view_lot", raise_exception=True)
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return wrapped


def _own_preference(request, pk: int):
    """Another user's preference is not found, never forbidden: its id is not confirmed."""
    return get_object_or_404(selectors.preferences_of(request.user), pk=pk)


def _errors_to_form(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _list_context(request, *, channels_form=None) -> dict:
    page = Paginator(selectors.preferences_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    recent = selectors.recent_matches(list(page))
    for preference in page:
        preference.recent_count = recent.counts.get(preference.pk, 0)
    channels_form = channels_form or AlertChannelsForm(current=selectors.alert_channels_of(request.user))
    return {"page": page, "recent": recent, "channels_form": channels_form}


@buyers_only
@require_GET
def preference_list(request):
    return TemplateResponse(request, "auctions/preferences.html", _list_context(request))


@buyers_only
@require_http_methods(["GET", "POST"])
def preference_edit(request, pk: int | None = None):
    preference = _own_preference(request, pk) if pk is not None else None
    form = PreferenceForm(request.POST or None, preference=preference)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.preference_save(user=request.user, data=form.to_input(), preference_id=pk)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"Preference “{saved.name}” saved.")
            return redirect("bidding_preferences")
    return TemplateResponse(
        request,
        "auctions/preferences_form.html",
        {"form": form, "preference": preference},
        status=400 if request.method == "POST" else 200,
    )


@buyers_only
@require_POST
def preference_active(request, pk: int):
    """Turn a preference on or off (the list's button; with htmx, its row comes back)."""
    preference = _own_preference(request, pk)
    preference = services.preference_set_active(
        user=request.user, preference_id=preference.pk, active=request.POST.get("active") == "1"
    )
    if request.htmx:
        preference = _own_preference(request, pk)
        preference.recent_count = selectors.recent_matches([preference]).counts.get(preference.pk, 0)
        return TemplateResponse(request, "auctions/preferences.html#preference", {"preference": preference})
    messages.success(request, f"“{preference.name}” is {'active' if preference.active else 'paused'}.")
    return redirect("bidding_preferences")


@buyers_only
@require_http_methods(["GET", "POST"])
def preference_delete(request, pk: int):
    preference = _own_preference(request, pk)
    if request.method == "POST":
        services.preference_delete(user=request.user, preference_id=preference.pk)
        messages.success(request, f"Preference “{preference.name}” deleted.")
        return redirect("bidding_preferences")
    return TemplateResponse(request, "auctions/preferences_delete.html", {"preference": preference})


@buyers_only
@require_POST
def alert_channels(request):
    form = AlertChannelsForm(request.POST, current=selectors.alert_channels_of(request.user))
    if form.is_valid():
        try:
            services.alert_channels_save(user=request.user, channels=form.channels())
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "How lot alerts reach you is saved.")
            return redirect("bidding_preferences")
    return TemplateResponse(
        request, "auctions/preferences.html", _list_context(request, channels_form=form), status=400
    )


@buyers_only
@require_GET
def alert_list(request):
    page = Paginator(selectors.alerts_of(request.user), ALERTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "auctions/preferences_alerts.html", {"page": page, "currency": money.currency()})


@buyers_only
@require_http_methods(["GET", "POST"])
def lot_watch(request, pk: int):
    """The Watch button of the lot page. The lot page loads it with htmx (hx-get); without
    JavaScript its link leads to this view's own small page."""
    lot = get_object_or_404(Lot.objects.select_related("source"), pk=pk)
    watch = selectors.watch_of(request.user, lot.pk)
    times = (
        {"remind_before_start": watch.remind_before_start, "remind_before_end": watch.remind_before_end}
        if watch
        else None
    )
    form = WatchForm(initial=times)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "unwatch":
            services.lot_unwatch(user=request.user, lot_id=lot.pk)
            watch, form = None, WatchForm()
        else:
            form = WatchForm(request.POST)
            if form.is_valid():
                watch = services.lot_watch(user=request.user, lot_id=lot.pk, **form.cleaned_data)
            else:
                status = 400
        if status == 200 and not request.htmx:
            messages.success(request, "Watching this lot." if watch else "No longer watching this lot.")
            return redirect("lot_detail", pk=lot.pk)
    context = {"lot": lot, "watch": watch, "watch_form": form, "watch_loaded": True}
    template = "auctions/_watch.html" if request.htmx else "auctions/preferences_watch.html"
    return TemplateResponse(request, template, context, status=status)
