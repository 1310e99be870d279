"""Inventory pages. Each view is a thin adapter: a form shapes the input, a
selector reads, a service writes. With htmx, a view answers with the partial
of its own template that changed; without it, the same URL serves a full page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ifixit.inventory import extensions, selectors, services, valuation
from ifixit.inventory.forms import (
    CarFilterForm,
    CarForm,
    CarRegistrationForm,
    PhaseChangeForm,
    RepairItemForm,
    RepairSettingsForm,
    SaleForm,
    SwitchToCashForm,
    TransferActionForm,
    TransferRequestForm,
)
from ifixit.inventory.models import Phase, RepairItem, Transfer
from ifixit.inventory.photos.forms import PhotoUploadForm
from ifixit.inventory.photos.views import GALLERY, photos_context
from ifixit.inventory.placement import placement_advice
from ifixit.inventory.services import photos as photo_services
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to
from ifixit.pages import apply_service_errors, location_param

PAGE_SIZE = 25


@login_required
@require_GET
def home(request):
    locations = locations_visible_to(request.user).filter(is_active=True)
    try:
        location_id = int(request.GET.get("location") or 0) or None
    except ValueError:
        location_id = None
    if location_id and not locations.filter(pk=location_id).exists():
        raise Http404("No such location")
    board = selectors.dashboard(user=request.user, location_id=location_id)
    return TemplateResponse(
        request, "inventory/home.html", {"board": board, "locations": locations, "location_id": location_id}
    )


@login_required
@require_GET
def car_list(request):
    locations = list(locations_visible_to(request.user))
    form = CarFilterForm(request.GET or None, locations=locations)
    filters = form.to_filters()
    paginator = Paginator(selectors.with_primary_photo(selectors.car_list(user=request.user, filters=filters)), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "inventory/car_list.html"
    if request.htmx and request.htmx.target == "car-results":
        template += "#results"
    return TemplateResponse(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "makes": selectors.make_choices(user=request.user),
            "active_filters": sum(1 for name, value in request.GET.items() if value and name not in ("page", "sort")),
        },
    )


def _detail_context(request, car, **extra):
    placement = placement_advice(user=request.user, car=car) if car.phase != Phase.SOLD else None
    ctx = {
        "car": car,
        "timeline": selectors.car_timeline(car=car),
        "repairs": selectors.car_repairs(car=car),
        "phase_form": PhaseChangeForm(initial={"expected_phase": car.phase}),
        "repair_form": RepairItemForm(),
        "can_change_phase": request.user.has_perm("inventory.change_phase"),
        "can_add_repair": request.user.has_perm("inventory.add_repairitem") and car.phase != Phase.SOLD,
        "can_delete_repair": request.user.has_perm("inventory.delete_repairitem") and car.phase != Phase.SOLD,
        "can_edit": request.user.has_perm("inventory.change_car"),
        "can_sell": request.user.has_perm("inventory.add_sale") and car.can_be_sold,
        "transfers": selectors.car_transfers(car=car),
        "can_request_transfer": request.user.has_perm("inventory.add_transfer")
        and car.phase not in (Phase.SOLD, Phase.IN_TRANSIT),
        "transfer_form": TransferRequestForm(destinations=selectors.transfer_destinations(car=car)),
        "placement": placement,
        # Stock advice speaks of prices and margins: not for the workshop.
        "stock_advice": valuation.car_advice(user=request.user, car=car, placement=placement)
        if placement is not None and request.user.has_perm("reports.view_money_reports")
        else None,
    }
    ctx.update(_sale_context(request, car))
    ctx.update(photos_context(request, car, **{k: extra.pop(k) for k in ("photo_form", "upload_errors") if k in extra}))
    ctx.update(extra)
    return ctx


def _sale_context(request, car) -> dict:
    """The sale card of a car's page and the panels other apps add after it (finance's card:
    inventory.extensions)."""
    sale = getattr(car, "sale", None)  # None for unsold cars (and old records sold without one)
    extra = extensions.car_panels(user=request.user, car=car, sale=sale)
    steps = services.sale_next_steps(user=request.user, sale=sale, holds_delivery=extra.holds_delivery)
    return {
        "sale": sale,
        "can_deliver": steps.can_deliver,
        "can_switch_to_cash": steps.can_switch_to_cash,
        "switch_form": SwitchToCashForm(),
        "car_panels": extra.panels,
    }


@login_required
@require_GET
def car_detail(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    return TemplateResponse(request, "inventory/car_detail.html", _detail_context(request, car))


@login_required
@permission_required("inventory.add_car", raise_exception=True)
@require_http_methods(["GET", "POST"])
def car_create(request):
    locations = list(locations_visible_to(request.user).filter(is_active=True))
    form = CarRegistrationForm(request.POST or None, locations=locations)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        location = Location.objects.get(pk=data.pop("location"))
        phase = data.pop("phase")
        try:
            car = services.car_create(user=request.user, location=location, phase=phase, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{car} registered.")
            return redirect("car_detail", pk=car.pk)
    status = 400 if form.errors else 200
    return TemplateResponse(request, "inventory/car_form.html", {"form": form, "creating": True}, status=status)


@login_required
@permission_required("inventory.change_car", raise_exception=True)
@require_http_methods(["GET", "POST"])
def car_edit(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    form = CarForm(request.POST or None, instance=car)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.car_update(user=request.user, car_id=car.pk, **fields)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("car_detail", pk=car.pk)
    status = 400 if form.errors else 200
    return TemplateResponse(
        request, "inventory/car_form.html", {"form": form, "car": car, "creating": False}, status=status
    )


@login_required
@permission_required("inventory.change_phase", raise_exception=True)
@require_POST
def car_phase(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    form = PhaseChangeForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.car_change_phase(
                user=request.user,
                car_id=car.pk,
                to_phase=form.cleaned_data["to_phase"],
                note=form.cleaned_data["note"],
                expected_phase=form.cleaned_data["expected_phase"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 409 if any(e.code == "conflict" for errs in exc.error_dict.values() for e in errs) else 400
        else:
            if not request.htmx:
                messages.success(request, "Phase changed.")
                return redirect("car_detail", pk=car.pk)
            car = selectors.car_get(user=request.user, pk=pk)
            form = None
    else:
        status = 400
    if not request.htmx:
        return TemplateResponse(
            request, "inventory/car_detail.html", _detail_context(request, car, phase_form=form), status=status
        )
    ctx = _detail_context(request, car)
    if form is not None:
        ctx["phase_form"] = form
    # htmx swaps only the status panel; errors come back with 200 so htmx swaps them in.
    return TemplateResponse(request, "inventory/car_detail.html#status", ctx)


@login_required
@permission_required("inventory.add_repairitem", raise_exception=True)
@require_POST
def repair_add(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    form = RepairItemForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.repair_item_add(user=request.user, car_id=car.pk, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 400
        else:
            car = selectors.car_get(user=request.user, pk=pk)
            form = RepairItemForm()
    else:
        status = 400
    if not request.htmx:
        if status == 200:
            return redirect(reverse("car_detail", args=[car.pk]) + "#costs")
        return TemplateResponse(
            request, "inventory/car_detail.html", _detail_context(request, car, repair_form=form), status=status
        )
    return TemplateResponse(request, "inventory/car_detail.html#costs", _detail_context(request, car, repair_form=form))


@login_required
@permission_required("inventory.delete_repairitem", raise_exception=True)
@require_POST
def repair_delete(request, pk: int, item_id: int):
    car = selectors.car_get(user=request.user, pk=pk)
    try:
        services.repair_item_delete(user=request.user, car_id=car.pk, item_id=item_id)
    except RepairItem.DoesNotExist:
        raise Http404("No such repair item") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        car = selectors.car_get(user=request.user, pk=pk)
        return TemplateResponse(request, "inventory/car_detail.html#costs", _detail_context(request, car))
    return redirect(reverse("car_detail", args=[car.pk]) + "#costs")


@login_required
@require_http_methods(["GET", "POST"])
def photo_add(request, pk: int):
    """GET: the car's gallery (what htmx polls while the variants are made). POST: add each
    chosen photo; each one refused is listed with its reason, the good ones are kept."""
    car = selectors.car_get(user=request.user, pk=pk)
    if request.method == "GET":
        if not request.htmx:
            return redirect(reverse("car_detail", args=[car.pk]) + "#photos")
        return TemplateResponse(request, GALLERY, photos_context(request, car))
    if not request.user.has_perm("inventory.add_carphoto"):
        raise PermissionDenied
    form = PhotoUploadForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        for upload in form.cleaned_data["image"]:
            try:
                photo_services.car_photo_add(
                    user=request.user, car_id=car.pk, image=upload, caption=form.cleaned_data["caption"]
                )
            except ValidationError as exc:
                # The uploader's file name is shown back to them (escaped), never stored.
                errors.append((upload.name[:80], " ".join(exc.messages)))
        if not errors:
            form = PhotoUploadForm()
    status = 400 if errors or form.errors else 200
    if not request.htmx and status == 200:
        return redirect(reverse("car_detail", args=[car.pk]) + "#photos")
    context = _detail_context(request, car, photo_form=form, upload_errors=errors)
    if request.htmx:  # htmx swaps in 2xx answers only: the errors show in place with a 200
        return TemplateResponse(request, "inventory/car_detail.html#photos", context)
    return TemplateResponse(request, "inventory/car_detail.html", context, status=status)


@login_required
@permission_required("inventory.add_sale", raise_exception=True)
@require_http_methods(["GET", "POST"])
def sale_record(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    if car.phase == Phase.SOLD:
        messages.info(request, "This car is already sold.")
        return redirect("car_detail", pk=car.pk)
    form = SaleForm(
        request.POST or None,
        initial={"expected_phase": car.phase, "price": car.asking_price, "customer": request.GET.get("customer")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sale_record(user=request.user, car_id=car.pk, customer_id=data.pop("customer"), **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Sale recorded.")
            return redirect("car_detail", pk=car.pk)
    try:
        customer_id = int(form["customer"].value() or 0)
    except (TypeError, ValueError):
        customer_id = 0
    customer = extensions.customer_for_sale(user=request.user, customer_id=customer_id) if customer_id else None
    status = 400 if form.errors else 200
    return TemplateResponse(
        request, "inventory/sale_form.html", {"form": form, "car": car, "customer": customer}, status=status
    )


def _sale_action_failed(request, car_pk: int, exc: ValidationError, **extra):
    car = selectors.car_get(user=request.user, pk=car_pk)
    message = (
        " ".join(msg for msgs in exc.message_dict.values() for msg in msgs)
        if hasattr(exc, "error_dict")
        else " ".join(exc.messages)
    )
    ctx = _detail_context(request, car, sale_error=message, **extra)
    return TemplateResponse(request, "inventory/car_detail.html", ctx, status=400)


@login_required
@permission_required("inventory.deliver_sale", raise_exception=True)
@require_POST
def sale_deliver(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    try:
        services.sale_deliver(user=request.user, car_id=car.pk)
    except ValidationError as exc:
        return _sale_action_failed(request, car.pk, exc)
    messages.success(request, "Delivered to the customer.")
    return redirect("car_detail", pk=car.pk)


@login_required
@permission_required("inventory.add_sale", raise_exception=True)
@require_POST
def sale_switch_to_cash(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    form = SwitchToCashForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"note": "Say why the sale is now paid in cash."})
        services.sale_switch_to_cash(user=request.user, car_id=car.pk, note=form.cleaned_data["note"])
    except ValidationError as exc:
        return _sale_action_failed(request, car.pk, exc, switch_form=form)
    messages.success(request, "The sale is now a cash sale; the car can be delivered.")
    return redirect("car_detail", pk=car.pk)


# --- Repair board ----------------------------------------------------------------------


@login_required
@require_GET
def repair_board(request):
    locations = list(locations_visible_to(request.user).filter(is_active=True))
    location_id = location_param(request, locations)
    rows = selectors.repair_board(user=request.user, location_id=location_id)
    counts = {state: sum(1 for row in rows if row.state == state) for state in selectors.RepairState.LABELS}
    shown = [loc for loc in locations if not location_id or loc.pk == location_id]
    return TemplateResponse(
        request,
        "inventory/repair_board.html",
        {"rows": rows, "locations": locations, "location_id": location_id, "counts": counts, "shown_locations": shown},
    )


@login_required
@permission_required("locations.change_repair_thresholds", raise_exception=True)
@require_http_methods(["GET", "POST"])
def repair_settings(request, location_id: int):
    location = get_object_or_404(locations_visible_to(request.user), pk=location_id)
    form = RepairSettingsForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        try:
            services.location_set_repair_thresholds(
                user=request.user,
                location_id=location.pk,
                at_risk_days=form.cleaned_data["repair_at_risk_days"],
                overdue_days=form.cleaned_data["repair_overdue_days"],
                daily_holding_cost=form.cleaned_data["daily_holding_cost"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Repair-time settings of {location.name} saved.")
            return redirect(f"{reverse('repair_board')}?location={location.pk}")
    return TemplateResponse(
        request,
        "inventory/repair_settings.html",
        {"form": form, "location": location},
        status=400 if request.method == "POST" else 200,
    )


# --- Transfers ---------------------------------------------------------------------------


def transfer_actions_for(user, transfer: Transfer, visible_location_ids: set[int]) -> list[str]:
    """The buttons this user gets on this transfer (the services check again)."""
    sender = user.is_group_wide or transfer.from_location_id in visible_location_ids
    receiver = user.is_group_wide or transfer.to_location_id in visible_location_ids
    actions = []
    if transfer.status == Transfer.Status.REQUESTED and sender and user.has_perm("inventory.approve_transfer"):
        actions += ["approve", "reject"]
    if transfer.status == Transfer.Status.APPROVED and sender and user.has_perm("inventory.change_phase"):
        actions.append("dispatch")
    if transfer.status == Transfer.Status.DISPATCHED and receiver and user.has_perm("inventory.change_phase"):
        actions.append("receive")
    if transfer.status in (Transfer.Status.REQUESTED, Transfer.Status.APPROVED):
        actions.append("cancel")
    return actions


@login_required
@require_GET
def transfer_list(request):
    locations = list(locations_visible_to(request.user))
    location_id = location_param(request, locations)
    status = request.GET.get("status", "open")
    if status not in ("open", "", *Transfer.Status.values):
        status = "open"
    transfers = selectors.transfer_list(user=request.user, status=status, location_id=location_id)
    page = Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "inventory/transfer_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Transfer.Status.choices,
            "locations": locations,
            "location_id": location_id,
        },
    )


@login_required
@require_GET
def transfer_detail(request, pk: int):
    transfer = get_object_or_404(selectors.transfer_list(user=request.user), pk=pk)
    visible = set(locations_visible_to(request.user).values_list("pk", flat=True))
    return TemplateResponse(
        request,
        "inventory/transfer_detail.html",
        {
            "transfer": transfer,
            "actions": transfer_actions_for(request.user, transfer, visible),
            "can_see_car": request.user.is_group_wide or transfer.car.location_id in visible,
            "form": TransferActionForm(),
        },
    )


@login_required
@require_POST
def transfer_action(request, pk: int, action: str):
    transfer = get_object_or_404(selectors.transfers_visible_to(request.user), pk=pk)
    service = services.TRANSFER_STEPS.get(action)
    if service is None:
        raise Http404("No such action")
    form = TransferActionForm(request.POST)
    form.is_valid()
    kwargs = {"note": form.cleaned_data.get("note", "")} if action in services.STEPS_WITH_NOTE else {}
    try:
        service(user=request.user, transfer_id=transfer.pk, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("transfer_detail", pk=transfer.pk)
    messages.success(
        request,
        f"Transfer #{transfer.pk}: {action} done.".replace("dispatch done", "dispatched").replace(
            "receive done", "received"
        ),
    )
    return redirect("transfer_detail", pk=transfer.pk)


@login_required
@permission_required("inventory.add_transfer", raise_exception=True)
@require_POST
def transfer_request(request, pk: int):
    car = selectors.car_get(user=request.user, pk=pk)
    form = TransferRequestForm(request.POST, destinations=selectors.transfer_destinations(car=car))
    if form.is_valid():
        try:
            transfer = services.transfer_request(
                user=request.user,
                car_id=car.pk,
                to_location_id=form.cleaned_data["to_location"].pk,
                reason=form.cleaned_data["reason"],
                planned_on=form.cleaned_data["planned_on"],
                transport_cost=form.cleaned_data["transport_cost"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Transfer to {transfer.to_location.name} requested; a manager of {transfer.from_location.name} will decide.",
            )
            return redirect("car_detail", pk=car.pk)
    ctx = _detail_context(request, car, transfer_form=form)
    return TemplateResponse(request, "inventory/car_detail.html", ctx, status=400)


@login_required
@require_GET
def transfer_note_pdf(request, pk: int):
    """The movement note the driver carries: what, from where, to where, who signs."""
    from ifixit.inventory.documents import movement_note

    transfer = get_object_or_404(selectors.transfer_list(user=request.user), pk=pk)
    if transfer.status not in (Transfer.Status.APPROVED, Transfer.Status.DISPATCHED, Transfer.Status.RECEIVED):
        raise Http404("A movement note exists once the transfer is approved.")
    response = HttpResponse(movement_note(transfer), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="movement-note-{transfer.pk}.pdf"'
    return response
