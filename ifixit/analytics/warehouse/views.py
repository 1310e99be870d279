"""Pages of the imports of historical sales: choose a file, map its columns to
I-fixit's fields, watch the import (a progress fragment polled every second), then its
summary and every bad row; and the list of past imports."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ifixit.analytics.models import ImportBatch
from ifixit.analytics.warehouse import imports, mappings
from ifixit.analytics.warehouse.forms import MappingForm, UploadForm
from ifixit.pages import apply_service_errors

IMPORTS_PER_PAGE = 25
RUNNING = (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING)


@login_required
@permission_required(imports.IMPORT_PERMISSION, raise_exception=True)
@require_GET
def import_list(request):
    batches = ImportBatch.objects.select_related("created_by").defer("errors", "mapping").order_by("-created_at", "-pk")
    page = Paginator(batches, IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "analytics/import_list.html", {"page": page})


@login_required
@permission_required(imports.IMPORT_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_new(request):
    """Step one: the file. It is read at once, so a file that cannot be is refused here."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            staged = imports.import_stage(user=request.user, file=form.cleaned_data["file"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect(f"{reverse('analytics_import_map')}?{urlencode({'staged': staged.token})}")
    return TemplateResponse(request, "analytics/import_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@permission_required(imports.IMPORT_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_map(request):
    """Step two: the file's columns against I-fixit's fields, guessed from their names."""
    token = request.POST.get("staged") or request.GET.get("staged") or ""
    try:
        staged = imports.import_staged(user=request.user, token=token)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("analytics_import_new")
    if request.method == "POST":
        form = MappingForm(request.POST, header=staged.header)
        if form.is_valid():
            try:
                batch = imports.import_create_staged(
                    user=request.user, token=token, mapping=form.to_mapping(),
                    all_or_nothing=form.cleaned_data["all_or_nothing"],
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(form.field_for(name), errors)
            else:
                return redirect("analytics_import_detail", pk=batch.pk)
    else:
        suggested = imports.mapping_suggest(staged.header)
        form = MappingForm(initial=MappingForm.initial_from(suggested, staged=token), header=staged.header)
    return TemplateResponse(
        request, "analytics/import_map.html", {"form": form, "staged": staged}, status=400 if form.errors else 200
    )


@login_required
@permission_required(imports.IMPORT_PERMISSION, raise_exception=True)
@require_GET
def import_detail(request, pk: int):
    batch = get_object_or_404(ImportBatch.objects.select_related("created_by"), pk=pk)
    percent, stage = imports.import_progress(batch)
    running = batch.status in RUNNING
    listed_rows = len({problem["row"] for problem in batch.errors})
    context = {
        "batch": batch, "percent": percent, "stage": stage, "running": running,
        "more_problems": batch.bad_rows > listed_rows, "mapping_rows": _mapping_rows(batch.mapping),
        "source": _source_of(batch.mapping.get("source", "")),
    }
    template = "analytics/import_detail.html#progress" if request.htmx else "analytics/import_detail.html"
    response = TemplateResponse(request, template, context)
    if request.htmx and not running:
        response["HX-Refresh"] = "true"  # the whole page, with the summary and the bad rows
    return response


def _source_of(value) -> str:
    if isinstance(value, dict):
        return f"Sources from column “{value.get('column', '')}”"
    return str(value)


def _described(value) -> str:
    if isinstance(value, dict):
        return f"from column “{value.get('column', '')}”"
    return str(value)


def _mapping_rows(mapping: dict) -> list[tuple[str, str]]:
    rows = []
    for name, value in mapping.items():
        if name == "kind":
            continue
        if name in mappings.COLUMN_FIELDS:
            value = {"column": value}
        elif name == "rate" and isinstance(value, dict):
            value = ", ".join(f"{code} {rate}" for code, rate in value.items())
        rows.append((mappings.LABELS.get(name, name), _described(value)))
    return rows
