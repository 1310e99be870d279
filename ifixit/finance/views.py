"""Finance pages: the board, applications and their workflow, lenders, figures."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ifixit.finance import calculator, charts, selectors, services
from ifixit.finance.forms import ApplicationForm, BoardFilterForm, FiguresForm, LenderForm, MoveForm, QuoteForm
from ifixit.finance.models import ENDINGS, FinanceApplication, Lender, Status
from ifixit.inventory.models import Phase
from ifixit.inventory.selectors import cars_visible_to
from ifixit.pages import apply_service_errors

PAGE_SIZE = 50
WAITING_SHOWN = 20


@login_required
@permission_required("finance.view_financeapplication", raise_exception=True)
@require_GET
def finance_board(request):
    lenders = list(selectors.lenders(include_inactive=True))
    locations = list(selectors.visible_locations(request.user))
    form = BoardFilterForm(request.GET or None, lenders=lenders, locations=locations)
    filters = form.to_filters()
    paginator = Paginator(selectors.application_list(user=request.user, filters=filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "finance/board.html"
    if request.htmx and request.htmx.target == "application-results":
        template += "#results"
    waiting = []
    if not filters.waiting and not request.htmx:
        waiting = list(
            selectors.application_list(user=request.user, filters=selectors.ApplicationFilters(waiting=True))[:WAITING_SHOWN]
        )
    return TemplateResponse(
        request, template, {"form": form, "page": page, "query": query.urlencode(), "waiting": waiting, "now": timezone.now()}
    )


def _car_and_customer(request, data):
    from ifixit.crm.selectors import customers_visible_to

    def number(name):
        try:
            return int(data.get(name) or 0)
        except (TypeError, ValueError):
            return 0

    car = cars_visible_to(request.user).select_related("sale", "location").filter(pk=number("car")).first()
    if car is None:
        raise Http404("Start a finance application from the car's page.")
    customer_id = number("customer") or (car.sale.customer_id if getattr(car, "sale", None) else 0)
    customer = customers_visible_to(request.user).filter(pk=customer_id).first() if customer_id else None
    return car, customer


def _quote_or_errors(data) -> tuple[object, dict]:
    try:
        return services.check_figures(**{name: data.get(name) for name in ApplicationForm.FIGURES}), {}
    except ValidationError as exc:
        return None, exc.message_dict


@login_required
@permission_required("finance.add_financeapplication", raise_exception=True)
@require_http_methods(["GET", "POST"])
def application_create(request):
    car, customer = _car_and_customer(request, request.POST or request.GET)
    sale = getattr(car, "sale", None)
    initial = {
        "car": car.pk,
        "customer": customer.pk if customer else None,
        "cash_price": sale.price if sale else car.asking_price,
        "part_exchange": sale.part_exchange_allowance if sale and sale.has_part_exchange else None,
        "term_months": 48,
    }
    form = ApplicationForm(request.POST or None, initial=initial, lenders=selectors.lenders())
    quote = None
    if request.method == "POST" and form.is_valid():
        if "calculate" in request.POST:
            quote, errors = _quote_or_errors(form.cleaned_data)
            for field, field_errors in errors.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            data = form.cleaned_data
            try:
                application = services.application_create(
                    user=request.user, customer_id=data["customer"], car_id=data["car"], note=data.get("note") or "", **form.figures()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Application saved as a draft. Check the figures with the customer, then submit it.")
                return redirect("finance_application_detail", pk=application.pk)
    status = 400 if form.errors else 200
    return TemplateResponse(
        request,
        "finance/application_form.html",
        {"form": form, "car": car, "customer": customer, "quote": quote, "sale": sale},
        status=status,
    )


@login_required
@permission_required("finance.view_financeapplication", raise_exception=True)
@require_POST
def application_quote(request):
    """The monthly payment for the figures typed so far (htmx, as the user types)."""
    form = QuoteForm(request.POST)
    form.is_valid()
    quote, errors = _quote_or_errors(form.cleaned_data)
    return TemplateResponse(request, "finance/application_form.html#quote", {"quote": quote, "quote_errors": errors})


def _application(request, pk: int) -> FinanceApplication:
    try:
        return selectors.application_get(user=request.user, pk=pk)
    except FinanceApplication.DoesNotExist:
        raise Http404("No such application")


def _detail_context(request, application, **extra) -> dict:
    sale = getattr(application.car, "sale", None)
    may_change = request.user.has_perm("finance.change_financeapplication")
    moves = []
    if may_change:
        for status in application.allowed_next:
            # One form per move on the page: each gets its own element ids.
            form = extra.pop(f"form_{status.value}", None) or MoveForm(initial={"to_status": status.value}, auto_id=f"{status.value}_%s")
            moves.append({"status": status, "form": form})
    ctx = {
        "application": application,
        "events": list(application.events.all()),
        "quote": calculator.quote(
            cash_price=application.cash_price, deposit=application.deposit, part_exchange=application.part_exchange,
            amount_financed=application.amount_financed, term_months=application.term_months, apr=application.apr,
        ),
        "sale": sale,
        "moves": moves,
        "endings": ENDINGS,
        "asks_car_outcome": application.car.phase in (Phase.RESERVED, Phase.SOLD, Phase.LISTED),
        "can_edit": may_change and application.status == Status.DRAFT,
        "now": timezone.now(),
    }
    ctx.update(extra)
    return ctx


@login_required
@permission_required("finance.view_financeapplication", raise_exception=True)
@require_GET
def application_detail(request, pk: int):
    application = _application(request, pk)
    return TemplateResponse(request, "finance/application_detail.html", _detail_context(request, application))


@login_required
@permission_required("finance.change_financeapplication", raise_exception=True)
@require_POST
def application_move(request, pk: int):
    application = _application(request, pk)
    form = MoveForm(request.POST, auto_id=f"{request.POST.get('to_status', '')}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.application_move(
                user=request.user,
                application_id=application.pk,
                to_status=data["to_status"],
                note=data["note"],
                car_outcome=data.get("car_outcome") or services.KEEP,
                lender_reference=data["lender_reference"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"The application is now {Status(data['to_status']).label.lower()}.")
            return redirect("finance_application_detail", pk=application.pk)
    application = _application(request, pk)
    to_status = request.POST.get("to_status", "")
    move_error = " ".join(form.errors.get("to_status", []))
    if to_status not in {s.value for s in application.allowed_next}:
        form.errors.pop("to_status", None)
    return TemplateResponse(
        request,
        "finance/application_detail.html",
        _detail_context(request, application, **{f"form_{to_status}": form}, failed_move=to_status, move_error=move_error),
        status=400,
    )


@login_required
@permission_required("finance.change_financeapplication", raise_exception=True)
@require_http_methods(["GET", "POST"])
def application_edit(request, pk: int):
    application = _application(request, pk)
    if application.status != Status.DRAFT:
        messages.info(request, "Only a draft can be changed; this application is with the lender.")
        return redirect("finance_application_detail", pk=application.pk)
    initial = {name: getattr(application, name) for name in ApplicationForm.FIGURES}
    initial.update(lender=application.lender_id, lender_reference=application.lender_reference)
    # A draft keeps the lender it was made with, even one the group has since stopped using.
    lenders = selectors.lenders(include_inactive=True).filter(Q(is_active=True) | Q(pk=application.lender_id))
    form = ApplicationForm(request.POST or None, initial=initial, lenders=lenders, editing=True)
    quote = None
    if request.method == "POST" and form.is_valid():
        if "calculate" in request.POST:
            quote, errors = _quote_or_errors(form.cleaned_data)
            for field, field_errors in errors.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            try:
                services.application_update(user=request.user, application_id=application.pk, **form.figures())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Figures saved.")
                return redirect("finance_application_detail", pk=application.pk)
    status = 400 if form.errors else 200
    return TemplateResponse(
        request,
        "finance/application_form.html",
        {"form": form, "car": application.car, "customer": application.customer, "application": application, "quote": quote},
        status=status,
    )


@login_required
@permission_required("finance.view_financeapplication", raise_exception=True)
@require_GET
def finance_figures(request):
    locations = list(selectors.visible_locations(request.user))
    if request.GET.get("location") and request.GET["location"] not in {str(loc.pk) for loc in locations}:
        raise Http404("No such location")  # another location's figures do not exist for this user
    data = request.GET.copy()
    for name, value in FiguresForm.default_period().items():
        if not data.get(name):
            data[name] = value.isoformat()
    form = FiguresForm(data, locations=locations)
    figures = chart = None
    if form.is_valid():
        data = form.cleaned_data
        figures = selectors.finance_figures(user=request.user, start=data["start"], end=data["end"], location_id=data.get("location"))
        chart = charts.finance_share_chart(figures.months)
    status = 400 if form.errors else 200
    return TemplateResponse(request, "finance/figures.html", {"form": form, "figures": figures, "chart": chart}, status=status)


@login_required
@permission_required("finance.view_lender", raise_exception=True)
@require_GET
def lender_list(request):
    return TemplateResponse(request, "finance/lender_list.html", {"lenders": selectors.lender_list(user=request.user)})


@login_required
@permission_required("finance.add_lender", raise_exception=True)
@require_http_methods(["GET", "POST"])
def lender_create(request):
    form = LenderForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            lender = services.lender_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{lender.name} added.")
            return redirect("lender_list")
    return TemplateResponse(request, "finance/lender_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@permission_required("finance.change_lender", raise_exception=True)
@require_http_methods(["GET", "POST"])
def lender_edit(request, pk: int):
    lender = get_object_or_404(Lender, pk=pk)
    form = LenderForm(request.POST or None, instance=lender)
    if request.method == "POST" and form.is_valid():
        try:
            services.lender_update(user=request.user, lender_id=lender.pk, **{name: form.cleaned_data[name] for name in form.changed_data})
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Lender saved.")
            return redirect("lender_list")
    return TemplateResponse(request, "finance/lender_form.html", {"form": form, "lender": lender}, status=400 if form.errors else 200)
