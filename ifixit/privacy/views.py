"""The data-rights pages of a customer (UK GDPR): their data as JSON or a PDF, and erasure.
Thin over privacy.data_rights, which does the work and writes the audit rows."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from ifixit.crm import selectors
from ifixit.crm.models import ERASE_PERMISSION, Customer
from ifixit.pages import apply_service_errors
from ifixit.privacy import data_rights


def _customer_or_404(request, pk: int) -> Customer:
    try:
        return selectors.customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404("No such customer") from None


def _personal_download(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: never kept by a browser or proxy cache
    return response


def _export_or_404(request, pk: int) -> dict:
    try:
        return data_rights.customer_export(user=request.user, customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404("No such customer") from None


@login_required
@permission_required("crm.view_customer", raise_exception=True)
@require_GET
def customer_export_json(request, pk: int):
    data = _export_or_404(request, pk)
    return _personal_download(JsonResponse(data, json_dumps_params={"indent": 2}), f"customer-{pk}-data.json")


@login_required
@permission_required("crm.view_customer", raise_exception=True)
@require_GET
def customer_export_pdf(request, pk: int):
    data = _export_or_404(request, pk)
    response = HttpResponse(data_rights.customer_export_pdf(data), content_type="application/pdf")
    return _personal_download(response, f"customer-{pk}-data.pdf")


class EraseForm(forms.Form):
    reason = forms.CharField(
        label="Why",
        max_length=data_rights.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Whose request, by its date and channel (“erasure request by email of 3 May”), not the name: "
        "it stays in the audit log.",
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone", error_messages={"required": "Tick the box to confirm."}
    )


@login_required
@permission_required(ERASE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_erase(request, pk: int):
    customer = _customer_or_404(request, pk)
    form = EraseForm(request.POST or None)
    refusals = data_rights.erase_refusals(customer)
    if request.method == "POST" and form.is_valid():
        try:
            data_rights.customer_erase(user=request.user, customer_id=customer.pk, reason=form.cleaned_data["reason"])
        except data_rights.ErasureRefused as exc:
            refusals = exc.messages
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Customer.DoesNotExist:
            raise Http404("No such customer") from None
        else:
            messages.success(request, f"The personal data of customer #{customer.pk} was erased.")
            return redirect("customer_detail", pk=customer.pk)
    refused = request.method == "POST" and bool(refusals)
    return TemplateResponse(
        request,
        "privacy/customer_erase.html",
        {"customer": customer, "form": form, "refusals": refusals, "coverage": data_rights.COVERAGE, "copies": data_rights.COPIES},
        status=400 if form.errors or refused else 200,
    )
