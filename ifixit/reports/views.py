"""Report pages: the catalogue, a report on screen and as a file, schedules and their
history, background runs with their progress, and the signed download link of emails."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ifixit.locations.selectors import locations_visible_to
from ifixit.pages import apply_service_errors
from ifixit.reports import catalogue, charts, downloads, renderers, scheduling, selectors, services
from ifixit.reports.forms import COMMON_ZONES, ParamsForm, ScheduleForm, colleagues_of
from ifixit.reports.models import Run, Schedule


def _report(request, key: str) -> catalogue.Report:
    try:
        report = catalogue.get(key)
    except ValidationError:
        raise Http404("No such report")
    if not request.user.has_perm(report.permission):
        raise PermissionDenied(f"You may not run “{report.title}”.")
    return report


@login_required
@require_GET
def report_catalogue(request):
    reports = catalogue.available_to(request.user)
    categories: dict[str, list] = {}
    for report in sorted(reports, key=lambda r: (r.category, r.title)):
        categories.setdefault(report.category, []).append(report)
    return TemplateResponse(request, "reports/catalogue.html", {"categories": categories})


@login_required
@require_GET
def report_run(request, key: str):
    """The report on screen (?show=1), or as a file (?format=csv|xlsx|pdf)."""
    report = _report(request, key)
    locations = list(locations_visible_to(request.user).order_by("name"))
    asked = "show" in request.GET or "format" in request.GET
    form = ParamsForm(request.GET if asked else None, report=report, locations=locations)
    result = scope = chart = None
    parameters = []
    status = 200
    if asked and form.is_valid():
        params = form.to_params()
        today = timezone.localdate()
        try:
            report, scope, result = catalogue.run(report.key, params, user=request.user, today=today)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 400
        else:
            fmt = request.GET.get("format")
            if fmt:
                if fmt not in renderers.FORMATS:
                    raise Http404("No such format")
                download = downloads.report_download(
                    user=request.user, report=report, scope=scope, result=result, params=params, format=fmt, today=today
                )
                if download.run is not None:  # made in the background, with progress
                    messages.info(
                        request,
                        f"{len(result.rows):,} rows: the file is being made in the background. "
                        "You will be told when it is ready.",
                    )
                    return redirect("report_run_detail", pk=download.run.pk)
                return download.response()
            names = {loc.pk: loc.name for loc in scope.locations}
            parameters = params.describe(report, today=today, location_names=names)
            chart = charts.bar_chart(result)
    elif asked:
        status = 400
    query = request.GET.copy()
    query.pop("format", None)
    query["show"] = "1"
    return TemplateResponse(
        request,
        "reports/report.html",
        {
            "report": report,
            "form": form,
            "result": result,
            "chart": chart,
            "parameters": parameters,
            "query": query.urlencode(),
            "formats": renderers.FORMATS,
            "can_schedule": request.user.has_perm("reports.add_schedule"),
        },
        status=status,
    )


@login_required
@require_POST
def report_generate(request, key: str):
    """Make the file in the background; the run's page shows progress."""
    report = _report(request, key)
    locations = list(locations_visible_to(request.user).order_by("name"))
    form = ParamsForm(request.POST, report=report, locations=locations)
    fmt = request.POST.get("format", "")
    if form.is_valid():
        try:
            run = services.report_generate(
                user=request.user, report_key=report.key, params=form.to_params(), format=fmt
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("report_run_detail", pk=run.pk)
    return TemplateResponse(
        request, "reports/report.html", {"report": report, "form": form, "formats": renderers.FORMATS}, status=400
    )


def _run(request, pk: int) -> Run:
    try:
        return services.run_get_for(request.user, pk)
    except Run.DoesNotExist:
        raise Http404("No such report run")


@login_required
@require_GET
def run_detail(request, pk: int):
    run = _run(request, pk)
    template = "reports/run_detail.html#progress" if request.htmx else "reports/run_detail.html"
    response = TemplateResponse(request, template, {"run": run, "report": catalogue.get(run.report_key)})
    if request.htmx and run.is_done:
        response["HX-Refresh"] = "true"  # the whole page, with its download button
    return response


@login_required
@require_GET
def run_file(request, pk: int):
    run = _run(request, pk)
    if not run.file:
        raise Http404("This run has no file")
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=run.file_name)


@require_GET
def run_file_link(request, token: str):
    """The link in an email whose file was too large to attach: signed, expiring, no sign-in."""
    run = services.run_for_link(token)
    if run is None:
        return TemplateResponse(
            request, "reports/link_expired.html", {"days": settings.REPORTS_LINK_VALID_DAYS}, status=410
        )
    response = FileResponse(run.file.open("rb"), as_attachment=True, filename=run.file_name)
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Schedules ----------------------------------------------------------------------------


@login_required
@permission_required("reports.view_schedule", raise_exception=True)
@require_GET
def schedule_list(request):
    schedules = list(selectors.schedule_list(user=request.user))
    titles = {r.key: r.title for r in catalogue.available_to(request.user)}
    return TemplateResponse(request, "reports/schedule_list.html", {"schedules": schedules, "titles": titles})


def _schedule_forms(request, report, *, schedule: Schedule | None = None):
    locations = list(locations_visible_to(request.user).order_by("name"))
    owner = schedule.owner if schedule else request.user
    if request.method == "POST":
        params_form = ParamsForm(request.POST, report=report, locations=locations, prefix="p")
        form = ScheduleForm(request.POST, colleagues=colleagues_of(owner))
    else:
        params_initial = (
            ParamsForm.initial_from(catalogue.Params.from_json(schedule.params))
            if schedule
            else {"period": "last_week" if catalogue.PERIOD in report.accepts else ""}
        )
        params_form = ParamsForm(initial=params_initial, report=report, locations=locations, prefix="p")
        initial = ScheduleForm.initial_from(schedule) if schedule else {"recipient_users": [request.user.pk]}
        form = ScheduleForm(initial=initial, colleagues=colleagues_of(owner))
    return form, params_form


def _save_schedule(request, report, form, params_form, schedule_id=None):
    if not (form.is_valid() and params_form.is_valid()):
        return None
    try:
        return services.schedule_save(
            user=request.user,
            schedule_id=schedule_id,
            report_key=report.key,
            params=params_form.to_params().to_json(),
            **form.service_fields(),
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            target = params_form if field in params_form.fields else form
            target.add_error(field if field in target.fields else None, errors)
    return None


@login_required
@permission_required("reports.add_schedule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def schedule_create(request):
    report = _report(request, request.GET.get("report") or request.POST.get("report") or "")
    form, params_form = _schedule_forms(request, report)
    if request.method == "POST":
        schedule = _save_schedule(request, report, form, params_form)
        if schedule is not None:
            messages.success(
                request, f"Scheduled. First run {timezone.localtime(schedule.next_run_at):%a %d %b %H:%M}."
            )
            return redirect("report_schedule_detail", pk=schedule.pk)
    status = 400 if (form.errors or params_form.errors) else 200
    return TemplateResponse(
        request,
        "reports/schedule_form.html",
        {"report": report, "form": form, "params_form": params_form, "zones": COMMON_ZONES},
        status=status,
    )


@login_required
@permission_required("reports.change_schedule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def schedule_edit(request, pk: int):
    schedule = _schedule(request, pk)
    report = _report(request, schedule.report_key)
    form, params_form = _schedule_forms(request, report, schedule=schedule)
    posted = request.method == "POST"
    if posted and _save_schedule(request, report, form, params_form, schedule_id=schedule.pk) is not None:
        messages.success(request, "Schedule saved.")
        return redirect("report_schedule_detail", pk=schedule.pk)
    status = 400 if (form.errors or params_form.errors) else 200
    return TemplateResponse(
        request,
        "reports/schedule_form.html",
        {"report": report, "form": form, "params_form": params_form, "schedule": schedule, "zones": COMMON_ZONES},
        status=status,
    )


def _schedule(request, pk: int) -> Schedule:
    try:
        return selectors.schedule_get(user=request.user, pk=pk)
    except Schedule.DoesNotExist:
        raise Http404("No such schedule")


@login_required
@permission_required("reports.view_schedule", raise_exception=True)
@require_GET
def schedule_detail(request, pk: int):
    schedule = _schedule(request, pk)
    report = catalogue.get(schedule.report_key)
    params = catalogue.Params.from_json(schedule.params)
    today = timezone.localdate()
    names = dict(locations_visible_to(request.user).values_list("pk", "name"))
    upcoming = scheduling.upcoming(scheduling.Cadence.of(schedule), timezone.now(), 3) if schedule.is_active else []
    runs = selectors.schedule_runs(schedule=schedule)
    template = "reports/schedule_detail.html#history" if request.htmx else "reports/schedule_detail.html"
    return TemplateResponse(
        request,
        template,
        {
            "schedule": schedule,
            "report": report,
            "parameters": params.describe(report, today=today, location_names=names),
            "upcoming": upcoming,
            "runs": runs,
            "polling": any(not r.is_done for r in runs),
        },
    )


ACTIONS = {
    "pause": (services.schedule_pause, "Paused: nothing is sent until you resume it."),
    "resume": (services.schedule_resume, "Resumed."),
    "send-now": (services.schedule_send_now, "Sending now: the run appears in the history below."),
    "delete": (services.schedule_delete, "Schedule deleted; its past runs stay in the history of reports."),
}


@login_required
@permission_required("reports.change_schedule", raise_exception=True)
@require_POST
def schedule_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("No such action")
    schedule = _schedule(request, pk)
    service, message = ACTIONS[action]
    try:
        service(user=request.user, schedule_id=schedule.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        raise
    else:
        messages.success(request, message)
    if action == "delete":
        return redirect("report_schedule_list")
    return redirect("report_schedule_detail", pk=schedule.pk)
