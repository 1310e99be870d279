"""The job pages (admins): /ops/jobs/ (the open operations alerts, live jobs, per-task figures
and charts, workers, schedules), the dead letters with "retry now" and "discard", every run, and one run."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from ifixit.accounts.roles import is_group_admin
from ifixit.dashboard import ops_alerts
from ifixit.dashboard.jobs import charts
from ifixit.dashboard.jobs.links import about_link
from ifixit.jobs import outbox, selectors, services
from ifixit.jobs.models import JobRun
from ifixit.jobs.redaction import redact_value


def _require_admin(user) -> None:
    if not is_group_admin(user):
        raise PermissionDenied("Only admins may see the jobs.")


def _with_links(runs) -> list:
    for run in runs:
        run.about_label, run.about_url = about_link(run.about)
    return runs


@login_required
@require_GET
def jobs_overview(request):
    _require_admin(request.user)
    window = request.GET.get("window") if request.GET.get("window") in selectors.WINDOWS else "hour"
    live = selectors.live()
    context = {"live": live, "relay_last_round": outbox.relay_last_round(), "dead_count": selectors.dead_letter_count()}
    if request.htmx and request.GET.get("part") == "live":  # polled every few seconds
        return TemplateResponse(request, "dashboard/jobs/overview.html#live", context)
    context.update(
        open_alerts=list(ops_alerts.open_alerts()),
        window=window,
        stats=selectors.task_stats(window=window),
        runs_chart=charts.runs_chart(selectors.hourly_runs()),
        depth_chart=charts.depth_chart(selectors.queue_depth_history()),
        schedules=selectors.schedules(),
    )
    return TemplateResponse(request, "dashboard/jobs/overview.html", context)


RUNS_PER_PAGE = 50


@login_required
@require_GET
def job_runs(request):
    """Every recorded run, newest first; filtered by state or task; dead letters by default
    when asked for `?state=dead`."""
    _require_admin(request.user)
    state = request.GET.get("state") if request.GET.get("state") in JobRun.State.values else ""
    task = request.GET.get("task", "")[:200]
    unresolved = state == JobRun.State.DEAD and request.GET.get("all") != "1"
    page = Paginator(selectors.runs(state=state or None, task=task or None, unresolved=unresolved), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    _with_links(page.object_list)
    return TemplateResponse(
        request,
        "dashboard/jobs/runs.html",
        {"page": page, "state": state, "task": task, "unresolved": unresolved, "states": JobRun.State.choices},
    )


@login_required
@require_GET
def job_run_detail(request, pk: int):
    _require_admin(request.user)
    run = get_object_or_404(JobRun.objects.select_related("resolved_by"), pk=pk)
    attempts = _with_links(list(selectors.attempts_of(run)))
    _with_links([run])
    return TemplateResponse(
        request,
        "dashboard/jobs/run.html",
        {"run": run, "attempts": attempts, "args": redact_value(run.args), "kwargs": redact_value(run.kwargs)},
    )


@login_required
@require_POST
def job_run_action(request, pk: int, action: str):
    _require_admin(request.user)
    get_object_or_404(JobRun, pk=pk)
    try:
        if action == "retry":
            run = services.dead_letter_retry(user=request.user, run_id=pk)
            messages.success(request, f"{run.task} queued again; it runs as {run.retried_as}.")
        elif action == "discard":
            services.dead_letter_discard(user=request.user, run_id=pk, note=request.POST.get("note", ""))
            messages.success(request, "Discarded.")
        else:
            raise PermissionDenied("Unknown action.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("job_run_detail", pk=pk)
