"""Location pages: the list, each location's inventory page, and the admin-only forms
and buttons that create, edit, deactivate, reactivate and delete locations.

Thin adapters: the form shapes the input, locations.selectors reads (scoped to the
user's locations), locations.services writes. Permission checks are here, in the
decorators, never only in the templates.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ifixit.pages import apply_service_errors
from ifixit.inventory.sites import charts, selectors, services
from ifixit.inventory.sites.forms import LocationForm


@login_required
@require_GET
def location_list(request):
    return TemplateResponse(
        request,
        "locations/location_list.html",
        {
            "locations": selectors.location_list(user=request.user),
            "can_manage": selectors.can_manage_locations(request.user),
        },
    )


@login_required
@require_GET
def location_detail(request, location_id: int):
    location = selectors.location_get(user=request.user, location_id=location_id)
    figures = selectors.location_figures(location=location)
    return TemplateResponse(
        request,
        "locations/location_detail.html",
        {
            "location": location,
            "figures": figures,
            "chart": charts.gross_profit_chart(figures.months),
            "locations": selectors.location_list(user=request.user),
            "can_manage": selectors.can_manage_locations(request.user),
        },
    )


@login_required
@permission_required("locations.add_location", raise_exception=True)
@require_http_methods(["GET", "POST"])
def location_create(request):
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{location.name} ({location.code}) created.")
            return redirect("location_detail", location_id=location.pk)
    return TemplateResponse(
        request, "locations/location_form.html", {"form": form, "creating": True}, status=400 if form.errors else 200
    )


def _edit_page(request, location, form, *, status: int = 200, delete_error: str = ""):
    return TemplateResponse(
        request,
        "locations/location_form.html",
        {
            "form": form,
            "location": location,
            "creating": False,
            "can_delete": request.user.has_perm("locations.delete_location"),
            "delete_error": delete_error,
        },
        status=status,
    )


def _initial(location) -> dict:
    return {name: getattr(location, name) for name in LocationForm.base_fields}


@login_required
@permission_required("locations.change_location", raise_exception=True)
@require_http_methods(["GET", "POST"])
def location_edit(request, location_id: int):
    location = selectors.location_get(user=request.user, location_id=location_id)
    form = LocationForm(request.POST or None, initial=_initial(location))
    if request.method == "POST" and form.is_valid():
        try:
            services.location_update(user=request.user, location_id=location.pk, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("location_detail", location_id=location.pk)
    return _edit_page(request, location, form, status=400 if form.errors else 200)


def _after_status_change(request, location_id: int, message: str):
    """With htmx, the list row that changed; without, back to the list."""
    if request.htmx:
        row = selectors.location_list_row(user=request.user, location_id=location_id)
        return TemplateResponse(
            request, "locations/location_list.html#location-row", {"location": row, "can_manage": True}
        )
    messages.success(request, message)
    return redirect("location_list")


@login_required
@permission_required("locations.change_location", raise_exception=True)
@require_POST
def location_deactivate(request, location_id: int):
    location = selectors.location_get(user=request.user, location_id=location_id)
    services.location_deactivate(user=request.user, location_id=location.pk)
    message = f"{location.name} deactivated: it keeps its cars and history but receives no new cars or transfers."
    return _after_status_change(request, location.pk, message)


@login_required
@permission_required("locations.change_location", raise_exception=True)
@require_POST
def location_reactivate(request, location_id: int):
    location = selectors.location_get(user=request.user, location_id=location_id)
    services.location_reactivate(user=request.user, location_id=location.pk)
    return _after_status_change(request, location.pk, f"{location.name} is active again.")


@login_required
@permission_required("locations.delete_location", raise_exception=True)
@require_POST
def location_delete(request, location_id: int):
    location = selectors.location_get(user=request.user, location_id=location_id)
    try:
        services.location_delete(user=request.user, location_id=location.pk)
    except ValidationError as exc:
        # 409: the request was fine, the location's history is what stands in the way.
        form = LocationForm(initial=_initial(location))
        return _edit_page(request, location, form, status=409, delete_error=" ".join(exc.messages))
    messages.success(request, f"{location.name} deleted.")
    return redirect("location_list")
