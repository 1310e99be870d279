"""Customer-care pages: thin adapters over crm.selectors (reads) and crm.services
(writes). With htmx, a view answers with the partial of its own template that changed."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ifixit.crm import selectors, services
from ifixit.crm.forms import (
    CustomerCreateForm,
    CustomerFilterForm,
    CustomerForm,
    FollowUpDoneForm,
    FollowUpForm,
    FollowUpRuleForm,
    FollowUpSnoozeForm,
    LogForm,
    MergeForm,
    MessageForm,
    SurveyAnswerForm,
    SurveyDelayForm,
)
from ifixit.crm.extensions import customer_panels
from ifixit.crm.history import customer_changes
from ifixit.crm.models import ERASE_PERMISSION, Customer, FollowUp, FollowUpRule
from ifixit.locations.selectors import locations_visible_to
from ifixit.pages import apply_service_errors, location_param

PAGE_SIZE = 25


def _split_by_visibility(user, records: list[Customer]) -> tuple[list[Customer], list[Customer]]:
    """Matching records the user may open, and those only at other locations (offered
    to share, never shown)."""
    visible = set(selectors.customers_visible_to(user).filter(pk__in=[r.pk for r in records]).values_list("pk", flat=True))
    return [r for r in records if r.pk in visible], [r for r in records if r.pk not in visible]


def _customer_or_404(request, pk: int) -> Customer:
    try:
        return selectors.customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404("No such customer") from None


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _with_customer(next_url: str, customer: Customer) -> str:
    return f"{next_url}{'&' if '?' in next_url else '?'}customer={customer.pk}"


# --- Customers ---------------------------------------------------------------------------


@login_required
@permission_required("crm.view_customer", raise_exception=True)
@require_GET
def customer_list(request):
    locations = list(selectors.locations_for_crm(request.user))
    form = CustomerFilterForm(request.GET or None, locations=locations)
    filters = selectors.CustomerFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.CustomerFilters(
            q=data["q"], tag=data["tag"], location=data["location"], repeat_only=data["repeat"], marketing=data["marketing"]
        )
    elif request.GET:
        raise Http404("No such location")
    page = Paginator(selectors.customer_list(user=request.user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "crm/customer_list.html"
    if request.htmx and request.htmx.target == "customer-results":
        template += "#results"
    return TemplateResponse(request, template, {"form": form, "page": page, "query": query.urlencode()})


@login_required
@permission_required("crm.view_customer", raise_exception=True)
@require_GET
def customer_pick(request):
    """Find a customer to sell to: each match links back to `next` with the customer
    chosen. The sale page loads it with htmx, or opens it as a page without JavaScript."""
    next_url = _safe_next(request)
    q = (request.GET.get("q") or "").strip()
    matches = selectors.customer_list(user=request.user, filters=selectors.CustomerFilters(q=q))[:10] if len(q) >= 2 else []
    template = "crm/customer_pick.html"
    if request.htmx:
        template += "#matches"
    return TemplateResponse(request, template, {"q": q, "matches": matches, "next": next_url})


@login_required
@permission_required("crm.add_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_create(request):
    locations = list(selectors.locations_for_crm(request.user))
    if not locations:
        raise Http404("You have no location to add customers to")
    form = CustomerCreateForm(request.POST or None, locations=locations, initial={"name": request.GET.get("name", "")})
    matches, elsewhere = [], []
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        location = next(loc for loc in locations if loc.pk == data.pop("location"))
        allow_duplicate = data.pop("allow_duplicate")
        try:
            customer = services.customer_create(user=request.user, location=location, allow_duplicate=allow_duplicate, **data)
        except services.DuplicateCustomer as exc:
            matches, elsewhere = _split_by_visibility(request.user, exc.matches)
            form.data = form.data.copy()
            form.data["allow_duplicate"] = "on"
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{customer.name} added.")
            return redirect(_with_customer(next_url, customer) if next_url else reverse("customer_detail", args=[customer.pk]))
    status = 400 if form.errors else (409 if matches or elsewhere else 200)
    return TemplateResponse(
        request,
        "crm/customer_form.html",
        {"form": form, "matches": matches, "elsewhere": elsewhere, "next": next_url, "creating": True},
        status=status,
    )


@login_required
@permission_required("crm.add_customer", raise_exception=True)
@require_POST
def customer_share(request):
    """Serve a customer already on file at another location here (offered when adding a duplicate)."""
    locations = {loc.pk: loc for loc in selectors.locations_for_crm(request.user)}
    try:
        location = locations[int(request.POST.get("location") or 0)]
        customer = services.customer_share_with_location(
            user=request.user,
            customer_id=int(request.POST.get("customer") or 0),
            location=location,
            email=request.POST.get("email", ""),
            phone=request.POST.get("phone", ""),
        )
    except (KeyError, ValueError, ObjectDoesNotExist, ValidationError):
        raise Http404("No such customer")
    messages.success(request, f"{customer.name} is now a customer of {location.name} too.")
    next_url = _safe_next(request)
    return redirect(_with_customer(next_url, customer) if next_url else reverse("customer_detail", args=[customer.pk]))


def _detail_context(request, customer: Customer, **extra) -> dict:
    cars = list(selectors.customer_cars(customer=customer))
    user = request.user
    ctx = {
        "customer": customer,
        "timeline": selectors.customer_timeline(customer=customer),
        "purchases": selectors.customer_purchases(customer=customer),
        "open_follow_ups": selectors.follow_ups_visible_to(user)
        .filter(customer=customer, status=FollowUp.Status.OPEN)
        .select_related("assignee", "car")
        .order_by("due_at"),
        "can_edit": user.has_perm("crm.change_customer"),
        "can_message": user.has_perm("crm.add_communication"),
        "can_follow_up": user.has_perm("crm.add_followup"),
        "can_merge": user.has_perm("crm.merge_customer"),
        "can_erase": user.has_perm(ERASE_PERMISSION),
        "can_sell": user.has_perm("inventory.add_sale"),
        "panels": customer_panels(user=user, customer=customer),  # other apps' (crm.extensions)
        "message_form": MessageForm(cars=cars, prefix="msg"),
        "log_form": LogForm(cars=cars, prefix="log"),
        "follow_up_form": FollowUpForm(
            staff=selectors.assignable_staff(location=selectors.follow_up_location(user=user, customer=customer)),
            cars=cars,
            prefix="fu",
            initial={"assignee": user.pk},
        ),
        "done_form": FollowUpDoneForm(),
        "snooze_form": FollowUpSnoozeForm(),
    }
    ctx.update(extra)
    return ctx


@login_required
@permission_required("crm.view_customer", raise_exception=True)
@require_GET
def customer_detail(request, pk: int):
    customer = _customer_or_404(request, pk)
    if customer.is_merged:
        survivor = customer.merged_into
        while survivor.merged_into_id:
            survivor = survivor.merged_into
        messages.info(request, f"Record #{customer.pk} was merged into this one.")
        return redirect("customer_detail", pk=survivor.pk)
    return TemplateResponse(request, "crm/customer_detail.html", _detail_context(request, customer))


@login_required
@permission_required("crm.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk: int):
    customer = _customer_or_404(request, pk)
    if customer.is_merged:
        return redirect("customer_detail", pk=customer.pk)
    form = CustomerForm(request.POST or None, instance=customer)
    matches, elsewhere, offered = [], [], False
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        for consent in ("email_marketing", "sms_marketing"):
            # Untouched since the form was loaded (its hidden was_ copy): keep what is
            # stored, which an SMS STOP may have changed meanwhile.
            if f"was_{consent}" in request.POST and data[consent] == (request.POST[f"was_{consent}"] == "on"):
                del data[consent]
        try:
            services.customer_update(
                user=request.user, customer_id=customer.pk, allow_duplicate=bool(request.POST.get("allow_duplicate")), **data
            )
        except services.DuplicateCustomer as exc:
            matches, elsewhere = _split_by_visibility(request.user, exc.matches)
            offered = True
            apply_service_errors(form, exc)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Customer saved.")
            return redirect("customer_detail", pk=customer.pk)
    return TemplateResponse(
        request,
        "crm/customer_form.html",
        {
            "form": form,
            "customer": customer,
            "matches": matches,
            "elsewhere": elsewhere,
            "offered": offered,
            "creating": False,
            "share_location": getattr(selectors.follow_up_location(user=request.user, customer=customer), "pk", ""),
        },
        status=400 if form.errors else 200,
    )


@login_required
@permission_required("crm.view_customer", raise_exception=True)
@require_GET
def customer_history(request, pk: int):
    customer = _customer_or_404(request, pk)
    return TemplateResponse(request, "crm/customer_history.html", {"customer": customer, "changes": customer_changes(customer)})


def _customer_action(request, pk: int, form, run, success: str, open_panel: str):
    """Shared shape of the customer page's small forms (message, log, follow-up): on
    success back to the page; on error the page again with that form open and its errors."""
    customer = _customer_or_404(request, pk)
    if customer.is_merged:
        raise Http404("This record was merged")
    if form.is_valid():
        try:
            run(customer, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ObjectDoesNotExist:
            raise Http404("No such customer")
        else:
            messages.success(request, success)
            return redirect("customer_detail", pk=customer.pk)
    ctx = _detail_context(request, customer, **{open_panel: form}, open_panel=open_panel)
    return TemplateResponse(request, "crm/customer_detail.html", ctx, status=400)


@login_required
@permission_required("crm.add_communication", raise_exception=True)
@require_POST
def customer_message(request, pk: int):
    customer = _customer_or_404(request, pk)
    form = MessageForm(request.POST, cars=selectors.customer_cars(customer=customer), prefix="msg")

    def run(customer, data):
        services.communication_send(
            user=request.user, customer_id=customer.pk, channel=data["channel"], purpose=data["purpose"],
            subject=data["subject"], body=data["body"], car_id=data["car"],
        )

    return _customer_action(request, pk, form, run, "Message queued; its delivery shows on the timeline.", "message_form")


@login_required
@permission_required("crm.add_communication", raise_exception=True)
@require_POST
def customer_log(request, pk: int):
    customer = _customer_or_404(request, pk)
    form = LogForm(request.POST, cars=selectors.customer_cars(customer=customer), prefix="log")

    def run(customer, data):
        services.communication_log(
            user=request.user, customer_id=customer.pk, channel=data["channel"], direction=data["direction"] or "out",
            subject=data["subject"], body=data["body"], occurred_at=data["occurred_at"], car_id=data["car"],
        )

    return _customer_action(request, pk, form, run, "Logged.", "log_form")


@login_required
@permission_required("crm.add_followup", raise_exception=True)
@require_POST
def follow_up_create(request, pk: int):
    customer = _customer_or_404(request, pk)
    form = FollowUpForm(
        request.POST,
        staff=selectors.assignable_staff(location=selectors.follow_up_location(user=request.user, customer=customer)),
        cars=selectors.customer_cars(customer=customer),
        prefix="fu",
    )

    def run(customer, data):
        services.follow_up_create(
            user=request.user, customer_id=customer.pk, due_at=data["due_at"], assignee_id=data["assignee"],
            note=data["note"], car_id=data["car"],
        )

    return _customer_action(request, pk, form, run, "Follow-up added.", "follow_up_form")


@login_required
@permission_required("crm.merge_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_merge(request, pk: int):
    survivor = _customer_or_404(request, pk)
    if survivor.is_merged:
        raise Http404("This record was merged already")
    form = MergeForm(request.POST or request.GET or None)
    other = None
    if form.is_valid():
        other = selectors.customers_visible_to(request.user).prefetch_related("locations", "tags").filter(pk=form.cleaned_data["merged"]).exclude(pk=survivor.pk).first()
        if other is None:
            form.add_error("merged", "No other live customer record has that number.")
        elif request.method == "POST" and form.cleaned_data["confirm"]:
            try:
                services.customer_merge(user=request.user, survivor_id=survivor.pk, merged_id=other.pk)
            except (ValidationError, ObjectDoesNotExist) as exc:
                form.add_error("merged", getattr(exc, "messages", [str(exc)]))
            else:
                messages.success(request, f"{other.name} (#{other.pk}) merged into this record.")
                return redirect("customer_detail", pk=survivor.pk)
    candidates = []
    if survivor.email or survivor.phone:
        candidates = list(
            selectors.customers_visible_to(request.user).filter(pk__in=selectors.customer_duplicates(email=survivor.email, phone=survivor.phone, exclude_pk=survivor.pk).values("pk"))
        )
    return TemplateResponse(
        request,
        "crm/customer_merge.html",
        {"customer": survivor, "form": form, "other": other, "candidates": candidates},
        status=400 if form.errors else 200,
    )


# --- Follow-ups --------------------------------------------------------------------------


@login_required
@permission_required("crm.view_followup", raise_exception=True)
@require_GET
def follow_up_list(request):
    locations = list(selectors.locations_for_crm(request.user))
    scope = request.GET.get("scope", "mine")
    status = request.GET.get("status", FollowUp.Status.OPEN)
    if status not in FollowUp.Status.values:
        status = FollowUp.Status.OPEN
    location_id = location_param(request, locations)
    follow_ups = selectors.follow_up_list(
        user=request.user, assignee=request.user if scope == "mine" else None, status=status, location_id=location_id
    )
    page = Paginator(follow_ups, PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "crm/follow_up_list.html",
        {
            "page": page,
            "scope": scope,
            "status": status,
            "statuses": FollowUp.Status.choices,
            "locations": locations,
            "location_id": location_id,
            "done_form": FollowUpDoneForm(),
            "snooze_form": FollowUpSnoozeForm(),
        },
    )


@login_required
@permission_required("crm.change_followup", raise_exception=True)
@require_POST
def follow_up_action(request, pk: int, action: str):
    forms_ = {"done": FollowUpDoneForm, "snooze": FollowUpSnoozeForm, "cancel": FollowUpDoneForm}
    if action not in forms_:
        raise Http404("No such action")
    form = forms_[action](request.POST)
    if action == "cancel":
        form.fields["outcome"].required = False
    back = _safe_next(request) or reverse("follow_up_list")
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errs) for errs in form.errors.values()))
        return redirect(back)
    data = form.cleaned_data
    try:
        if action == "done":
            services.follow_up_complete(user=request.user, follow_up_id=pk, outcome=data["outcome"], note=data["note"])
            messages.success(request, "Follow-up done.")
        elif action == "snooze":
            services.follow_up_snooze(user=request.user, follow_up_id=pk, until=data["until"])
            messages.success(request, f"Snoozed until {data['until']:%d %b %H:%M}.")
        else:
            services.follow_up_cancel(user=request.user, follow_up_id=pk, note=data["note"])
            messages.success(request, "Follow-up cancelled.")
    except FollowUp.DoesNotExist:
        raise Http404("No such follow-up")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)


# --- Location settings -------------------------------------------------------------------


@login_required
@permission_required("crm.change_followuprule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_care_settings(request, location_id: int):
    location = locations_visible_to(request.user).filter(pk=location_id).first()
    if location is None:
        raise Http404("No such location")
    rules = list(location.follow_up_rules.all())
    edit_rule = next((r for r in rules if str(r.pk) == request.GET.get("rule")), None)
    rule_form = FollowUpRuleForm(prefix="rule", instance=edit_rule)
    delay_form = SurveyDelayForm(initial={"survey_after_days": location.survey_after_days}, prefix="survey")
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "survey":
                delay_form = SurveyDelayForm(request.POST, prefix="survey")
                if delay_form.is_valid():
                    services.location_set_survey_delay(user=request.user, location_id=location.pk, days=delay_form.cleaned_data["survey_after_days"])
                    messages.success(request, "Survey timing saved.")
                    return redirect("customer_care_settings", location_id=location.pk)
            elif what == "delete":
                services.follow_up_rule_delete(user=request.user, location_id=location.pk, rule_id=int(request.POST.get("rule") or 0))
                messages.success(request, "Rule deleted; the follow-ups it made stay.")
                return redirect("customer_care_settings", location_id=location.pk)
            else:
                rule_id = int(request.POST.get("rule") or 0) or None
                edit_rule = next((r for r in rules if r.pk == rule_id), None)
                rule_form = FollowUpRuleForm(request.POST, prefix="rule", instance=edit_rule)
                if rule_form.is_valid():
                    services.follow_up_rule_save(user=request.user, location_id=location.pk, rule_id=rule_id, **rule_form.cleaned_data)
                    messages.success(request, "Rule saved; it applies to new sales, and to recent ones whose follow-up is still ahead.")
                    return redirect("customer_care_settings", location_id=location.pk)
        except ValidationError as exc:
            apply_service_errors(delay_form if what == "survey" else rule_form, exc)
        except (ValueError, FollowUpRule.DoesNotExist):
            raise Http404("No such rule")
    return TemplateResponse(
        request,
        "crm/customer_care_settings.html",
        {"location": location, "rules": rules, "rule_form": rule_form, "delay_form": delay_form, "edit_rule": edit_rule},
        status=400 if (rule_form.errors or delay_form.errors) else 200,
    )


# --- Satisfaction ------------------------------------------------------------------------


def _date_param(request, name: str) -> datetime.date | None:
    raw = request.GET.get(name) or ""
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return None


@login_required
@permission_required("crm.view_survey", raise_exception=True)
@require_GET
def satisfaction(request):
    from ifixit.crm.charts import nps_trend

    locations = list(selectors.locations_for_crm(request.user))
    location_id = location_param(request, locations)
    date_from, date_to = _date_param(request, "from"), _date_param(request, "to")
    error = ""
    if date_from and date_to and date_to < date_from:
        error = "The end date is before the start date; showing all dates."
        date_from = date_to = None
    figures = selectors.satisfaction_figures(user=request.user, location_id=location_id, date_from=date_from, date_to=date_to)
    return TemplateResponse(
        request,
        "crm/satisfaction.html",
        {
            "figures": figures,
            "chart": nps_trend(figures.by_month),
            "locations": locations,
            "location_id": location_id,
            "date_from": date_from,
            "date_to": date_to,
            "error": error,
        },
    )


@login_required
@permission_required("crm.view_survey", raise_exception=True)
@require_GET
def survey_detail(request, pk: int):
    try:
        survey = selectors.survey_get(user=request.user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404("No such survey")
    repairs = list(selectors.survey_repairs(survey=survey))
    return TemplateResponse(
        request,
        "crm/survey_detail.html",
        {"survey": survey, "repairs": repairs, "repair_total": sum((r.total for r in repairs), 0)},
    )


# --- The customer's survey page (public) ---------------------------------------------------


CLOSED_MESSAGES = {
    "unknown": "This link is not one we recognise. Please check it was copied whole from our message.",
    "answered": "Thank you: this survey has already been answered. Each link takes one answer.",
    "expired": "This survey has closed. Thank you all the same; if there is something you would like us to know, please get in touch.",
}


@csrf_protect
@require_http_methods(["GET", "POST"])
def survey_answer(request, token: str):
    """No login: the unguessable token is the key. A closed link gets a polite page
    (status 410 for used or expired, 404 for unknown) and writes nothing."""
    try:
        survey = services.survey_for_token(token)
    except services.SurveyClosed as closed:
        return _survey_closed(request, closed.reason)
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(token=token, **form.cleaned_data)
        except services.SurveyClosed as closed:
            return _survey_closed(request, closed.reason)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return TemplateResponse(request, "crm/survey_answer.html", {"thanks": True, "survey": survey})
    response = TemplateResponse(request, "crm/survey_answer.html", {"form": form, "survey": survey}, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the token must not leak to other sites (no-referrer would make Chrome send Origin: null and fail CSRF)
    return response


def _survey_closed(request, reason: str) -> HttpResponse:
    response = TemplateResponse(
        request, "crm/survey_answer.html", {"closed": CLOSED_MESSAGES[reason], "reason": reason}, status=404 if reason == "unknown" else 410
    )
    response["Referrer-Policy"] = "same-origin"
    return response
