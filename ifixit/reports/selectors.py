"""Reads of reports: the schedules and runs a user may see."""

from django.db.models import Count, Q, QuerySet

from ifixit.accounts.models import User
from ifixit.reports.models import Run, Schedule


def schedules_visible_to(user: User) -> QuerySet[Schedule]:
    """A user's own schedules; an admin sees everyone's."""
    if not user.is_authenticated or not user.is_active:
        return Schedule.objects.none()
    if user.is_group_wide:
        return Schedule.objects.all()
    return Schedule.objects.filter(owner=user)


def schedule_list(*, user: User) -> QuerySet[Schedule]:
    return (
        schedules_visible_to(user)
        .select_related("owner")
        .annotate(recipient_count=Count("recipient_users", distinct=True), run_count=Count("runs", distinct=True))
        .order_by("-is_active", "name", "id")
    )


def schedule_get(*, user: User, pk: int) -> Schedule:
    return schedules_visible_to(user).select_related("owner").prefetch_related("recipient_users").get(pk=pk)


def schedule_runs(*, schedule: Schedule, limit: int = 50) -> list[Run]:
    return list(schedule.runs.select_related("requested_by").order_by("-created_at", "-id")[:limit])


def runs_visible_to(user: User) -> QuerySet[Run]:
    """Runs the user asked for, and runs of the schedules they may see."""
    if not user.is_authenticated or not user.is_active:
        return Run.objects.none()
    if user.is_group_wide:
        return Run.objects.all()
    return Run.objects.filter(Q(requested_by=user) | Q(schedule__owner=user))
