"""Notification pages: the list behind the bell, following and marking read, and the
user's channel preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ifixit.notifications import selectors, services
from ifixit.notifications.forms import PreferencesForm
from ifixit.notifications.models import Delivery

PAGE_SIZE = 25


@login_required
@require_GET
def notification_list(request):
    notifications = selectors.notifications_for(request.user).prefetch_related("deliveries")
    if request.GET.get("show") == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "notifications/list.html",
        {"page": page, "show": request.GET.get("show", ""), "failed": Delivery.Status.FAILED},
    )


@login_required
@require_GET
def notification_open(request, pk: int):
    """Follow a notification: mark it read and go where it leads."""
    notification = get_object_or_404(selectors.notifications_for(request.user), pk=pk)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notification_list")
    return redirect(target)


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(selectors.notifications_for(request.user), pk=pk)
    notification = services.notification_mark_read(user=request.user, notification_id=notification.pk)
    if request.htmx:
        return TemplateResponse(
            request, "notifications/list.html#item", {"n": notification, "failed": Delivery.Status.FAILED}
        )
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notification_list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        choices=selectors.choices_for(user),
        initial={"mobile": user.mobile, "digest_time": selectors.digest_time_for(user)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_save(
                user=user,
                choices=form.kind_choices(),
                digest_time=form.cleaned_data["digest_time"],
                mobile=form.cleaned_data["mobile"],
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("notification_preferences")
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "notifications/preferences.html",
        {"form": form, "time_zone": selectors.time_zone_for(user)},
        status=status,
    )
