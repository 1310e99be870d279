"""The job API (admins): runs and dead letters, "retry now" and "discard", per-task figures,
the beat schedules and the open operations alerts; the same as the job pages show."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import Pagination
from ifixit.dashboard import ops_alerts
from ifixit.dashboard.jobs.links import about_link
from ifixit.dashboard.models import OpsAlert
from ifixit.dashboard.permissions import IsGroupAdmin
from ifixit.jobs import selectors, services
from ifixit.jobs.models import JobRun
from ifixit.jobs.redaction import redact_value


class JobRunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task_id = serializers.CharField()
    task = serializers.CharField()
    about = serializers.CharField(help_text='What the job concerned, as "app.model:pk" (or "schedule:<name>").')
    about_url = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=JobRun.State.choices)
    attempt = serializers.IntegerField()
    weight = serializers.IntegerField(help_text="Runs this row stands for (frequent tasks record one success in N).")
    queued_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    runtime_ms = serializers.IntegerField()
    worker = serializers.CharField()
    error = serializers.CharField(help_text="The exception, secrets and personal data removed.")
    resolution = serializers.CharField(help_text='"", "retried" or "discarded" (dead letters only).')
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True, default=None)
    resolution_note = serializers.CharField()
    retried_as = serializers.UUIDField(allow_null=True)

    def get_about_url(self, run) -> str:
        return about_link(run.about)[1]


class JobRunDetailOutputSerializer(JobRunOutputSerializer):
    traceback = serializers.CharField()
    args = serializers.SerializerMethodField(help_text="A dead letter's arguments, redacted (ids as they are, text by its length).")
    kwargs = serializers.SerializerMethodField()

    def get_args(self, run) -> list | None:
        return redact_value(run.args)

    def get_kwargs(self, run) -> dict | None:
        return redact_value(run.kwargs)



class JobRunListApi(APIView):
    permission_classes = [IsGroupAdmin]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=JobRun.State.choices, required=False)
        task = serializers.CharField(required=False, max_length=200)
        unresolved = serializers.BooleanField(required=False, default=False, help_text="Only dead letters nobody has retried or discarded.")

    @extend_schema(
        operation_id="job_runs_list", tags=["ops"], parameters=[FilterSerializer], responses=JobRunOutputSerializer(many=True),
        summary="Recorded job runs, newest first (?state=dead&unresolved=true: the dead letters)",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.runs(**filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(JobRunOutputSerializer(page, many=True).data)


class JobRunDetailApi(APIView):
    permission_classes = [IsGroupAdmin]

    @extend_schema(operation_id="job_run_retrieve", tags=["ops"], responses=JobRunDetailOutputSerializer, summary="One job run")
    def get(self, request, run_id: int):
        run = get_object_or_404(JobRun.objects.select_related("resolved_by"), pk=run_id)
        return Response(JobRunDetailOutputSerializer(run).data)


class JobRunRetryApi(APIView):
    permission_classes = [IsGroupAdmin]

    @extend_schema(
        operation_id="job_run_retry", tags=["ops"], request=None, responses=JobRunDetailOutputSerializer,
        summary="Run a dead letter again, once (409 if it is not an unresolved dead letter)",
    )
    def post(self, request, run_id: int):
        get_object_or_404(JobRun, pk=run_id)
        run = services.dead_letter_retry(user=request.user, run_id=run_id)
        return Response(JobRunDetailOutputSerializer(run).data)


class JobRunDiscardApi(APIView):
    permission_classes = [IsGroupAdmin]

    class Input(serializers.Serializer):
        class Meta:
            ref_name = "JobRunDiscardInput"

        note = serializers.CharField(max_length=500, help_text="Why it is discarded.")

    @extend_schema(
        operation_id="job_run_discard", tags=["ops"], request=Input, responses=JobRunDetailOutputSerializer,
        summary="Discard a dead letter, saying why (409 if it is not an unresolved dead letter)",
    )
    def post(self, request, run_id: int):
        get_object_or_404(JobRun, pk=run_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.dead_letter_discard(user=request.user, run_id=run_id, note=data.validated_data["note"])
        return Response(JobRunDetailOutputSerializer(run).data)


class TaskStatsOutputSerializer(serializers.Serializer):
    task = serializers.CharField()
    runs = serializers.IntegerField()
    failures = serializers.IntegerField(help_text="Runs that failed for good.")
    retries = serializers.IntegerField(help_text="Attempts that failed and were retried.")
    failure_rate = serializers.FloatField()
    p50_ms = serializers.IntegerField(allow_null=True)
    p95_ms = serializers.IntegerField(allow_null=True)
    last_finished = serializers.DateTimeField(allow_null=True)


class TaskStatsApi(APIView):
    permission_classes = [IsGroupAdmin]

    class FilterSerializer(serializers.Serializer):
        window = serializers.ChoiceField(choices=list(selectors.WINDOWS), required=False, default="hour")

    @extend_schema(
        operation_id="job_task_stats", tags=["ops"], parameters=[FilterSerializer], responses=TaskStatsOutputSerializer(many=True),
        summary="Per task over the last hour or day: runs, failures, retries, p50 and p95 runtime",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return Response(TaskStatsOutputSerializer(selectors.task_stats(window=filters.validated_data["window"]), many=True).data)


class ScheduleOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "JobSchedule"

    name = serializers.CharField()
    task = serializers.CharField()
    enabled = serializers.BooleanField()
    every_seconds = serializers.SerializerMethodField()
    last_run = serializers.DateTimeField(allow_null=True)
    next_run = serializers.DateTimeField(allow_null=True)
    missed = serializers.BooleanField(help_text="Its next run is more than two minutes overdue.")
    total_runs = serializers.IntegerField()

    def get_every_seconds(self, schedule) -> int | None:
        return int(schedule.every.total_seconds()) if schedule.every else None


class ScheduleListApi(APIView):
    permission_classes = [IsGroupAdmin]

    @extend_schema(
        operation_id="job_schedules", tags=["ops"], responses=ScheduleOutputSerializer(many=True),
        summary="Every beat schedule with its last and next run; a late one is marked missed",
    )
    def get(self, request):
        return Response(ScheduleOutputSerializer(selectors.schedules(), many=True).data)


class OpsAlertOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=OpsAlert.Kind.choices)
    subject = serializers.CharField(help_text='What fails: "source:<id>", "outbox", "queue:celery", a task or a schedule name.')
    title = serializers.CharField()
    details = serializers.CharField()
    link = serializers.CharField(help_text="The page that shows the problem.")
    opened_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()


class OpsAlertListApi(APIView):
    permission_classes = [IsGroupAdmin]

    @extend_schema(
        operation_id="job_alerts", tags=["ops"], responses=OpsAlertOutputSerializer(many=True),
        summary="Open operations alerts (feed down, work waiting, task failing, schedule missed), oldest first",
    )
    def get(self, request):
        return Response(OpsAlertOutputSerializer(ops_alerts.open_alerts(), many=True).data)
