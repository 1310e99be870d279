"""Scheduled reports over the API: made, changed, paused, resumed, sent now and deleted,
with their history of runs. Scoped by the selectors: another user's schedule answers 404 on
every endpoint, before the body is read."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS, Pagination, permission
from ifixit.finance.api import reject_unknown_fields
from ifixit.reports import catalogue, scheduling, selectors, services
from ifixit.reports.api.catalogue import ERRORS, known_report
from ifixit.reports.api.parameters import ReportParamsField, ReportParamsSerializer, params_of
from ifixit.reports.api.runs import QUEUED, RunOutputSerializer, run_response
from ifixit.reports.models import Format, Schedule
from ifixit.serializers import detail_url

CanViewSchedules = permission("reports.view_schedule", "Your role does not schedule reports.")


SCHEDULES = [IsAuthenticated, CanViewSchedules]

SCHEDULE_NOT_FOUND = OpenApiResponse(
    response=DETAIL_ERROR, description="No such schedule among the user's (all, for an admin)."
)
SCHEDULE_ERRORS = {**ERRORS, 404: SCHEDULE_NOT_FOUND}


class RecipientOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.CharField()

    class Meta:
        ref_name = "ReportRecipient"


class ScheduleOutputSerializer(serializers.Serializer):
    """Expects owner selected and recipient_users prefetched."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    report_key = serializers.CharField()
    report_title = serializers.SerializerMethodField()
    params = serializers.JSONField(
        help_text="The report's parameters: a relative period or fixed dates, location ids, phase, make."
    )
    format = serializers.CharField(help_text="csv, xlsx or pdf.")
    frequency = serializers.CharField(help_text="daily, weekly or monthly.")
    weekday = serializers.IntegerField(allow_null=True, help_text="Weekly: 0 Monday to 6 Sunday.")
    day_of_month = serializers.IntegerField(
        allow_null=True, help_text="Monthly: 1-31 (a 31st runs on the last day of shorter months)."
    )
    on_last_day = serializers.BooleanField(help_text="Monthly, on the last day of the month.")
    time_of_day = serializers.TimeField()
    time_zone = serializers.CharField()
    cadence = serializers.CharField(help_text="As a person reads it: Weekly on Monday at 07:00 (Europe/London).")
    is_active = serializers.BooleanField(help_text="False while paused.")
    next_run_at = serializers.DateTimeField(allow_null=True, help_text="Null while paused.")
    upcoming = serializers.SerializerMethodField(help_text="The next three runs; empty while paused.")
    owner = serializers.CharField(source="owner.username")
    recipient_users = RecipientOutputSerializer(many=True, source="recipient_users.all")
    recipient_emails = serializers.ListField(
        child=serializers.CharField(), source="emails", help_text="Outside addresses."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()
    runs_url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "ReportSchedule"

    def get_report_title(self, schedule: Schedule) -> str:
        report = known_report(schedule.report_key)
        return report.title if report else schedule.report_key

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_upcoming(self, schedule: Schedule):
        if not schedule.is_active:
            return []
        field = serializers.DateTimeField()
        upcoming = scheduling.upcoming(scheduling.Cadence.of(schedule), timezone.now(), 3)
        return [field.to_representation(at) for at in upcoming]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, schedule: Schedule) -> str:
        return detail_url(self.context["request"], "api_report_schedule_detail", schedule.pk)

    @extend_schema_field(OpenApiTypes.URI)
    def get_runs_url(self, schedule: Schedule) -> str:
        return detail_url(self.context["request"], "api_report_schedule_runs", schedule.pk)


def visible_schedule(request, schedule_id: int) -> Schedule:
    """The schedule, or 404 before anything else, so a bad body never tells another
    user that it exists."""
    try:
        return selectors.schedule_get(user=request.user, pk=schedule_id)
    except Schedule.DoesNotExist:
        raise NotFound("No such schedule.") from None


def schedule_response(request, schedule_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    schedule = selectors.schedule_get(user=request.user, pk=schedule_id)
    return Response(ScheduleOutputSerializer(schedule, context={"request": request}).data, status=status_code)


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "email", "maxLength": 254}})
class EmailListField(serializers.ListField):
    """Addresses, each checked (and said which is wrong) by the service."""


class ScheduleInputSerializer(serializers.Serializer):
    """A schedule, shaped only: the service checks it whole (the report and its
    parameters, the cadence, the recipients)."""

    name = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="The report's title if left empty."
    )
    report_key = serializers.CharField(
        max_length=40, help_text="A report of the catalogue the user may run."
    )  # choices: __init__
    params = ReportParamsField(
        required=False,
        help_text="The report's parameters; the report's default period and all the user's locations if left out.",
    )
    format = serializers.ChoiceField(choices=Format.choices, required=False, help_text="xlsx by default.")
    frequency = serializers.ChoiceField(
        choices=Schedule.Frequency.choices, required=False, help_text="weekly by default."
    )
    weekday = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=6, help_text="Weekly: 0 Monday to 6 Sunday."
    )
    day_of_month = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=31, help_text="Monthly: 1-31, or null with on_last_day."
    )
    on_last_day = serializers.BooleanField(required=False, help_text="Monthly, on the last day of the month.")
    time_of_day = serializers.TimeField(help_text="HH:MM, in time_zone.")
    time_zone = serializers.CharField(
        required=False, max_length=64, help_text="A zone name such as Europe/London (the default)."
    )
    recipient_user_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Colleagues who may run the report on all its locations.",
    )
    recipient_emails = EmailListField(
        child=serializers.CharField(max_length=254),
        required=False,
        help_text="Outside addresses: accountants, the bank.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The catalogue is filled as the report modules load, after this class is made.
        self.fields["report_key"] = serializers.ChoiceField(
            choices=catalogue.keys(),
            help_text=self.fields["report_key"].help_text,
            error_messages={"invalid_choice": "There is no report “{input}”."},
        )

    def validate(self, attrs):
        reject_unknown_fields(self, attrs)
        if "params" in attrs:
            params = ReportParamsSerializer(data=attrs["params"])
            unknown = set(attrs["params"]) - set(params.fields)
            if unknown:
                raise serializers.ValidationError(
                    {f"params.{name}": ["No report takes this parameter."] for name in sorted(unknown)}
                )
            params.is_valid(raise_exception=True)  # keyed by parameter, as the service's errors are
            attrs["params"] = params.validated_data
        return attrs


def schedule_fields(data: dict, *, report_key: str) -> dict:
    """The validated input as the service takes it."""
    fields = dict(data)
    if "params" in fields:
        fields["params"] = params_of(known_report(fields.get("report_key", report_key)), fields["params"]).to_json()
    if "recipient_emails" in fields:
        fields["recipient_emails"] = "\n".join(fields["recipient_emails"])
    return fields


class ScheduleListApi(APIView):
    permission_classes = SCHEDULES
    pagination_class = Pagination

    class InputSerializer(ScheduleInputSerializer):
        class Meta:
            ref_name = "ReportScheduleCreate"

    @extend_schema(
        operation_id="report_schedules_list",
        tags=["report-schedules"],
        summary="The user's report schedules (everyone's, for an admin), active first, by name",
        responses={200: ScheduleOutputSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    )
    def get(self, request):
        schedules = selectors.schedule_list(user=request.user).prefetch_related("recipient_users")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(schedules, request, view=self)
        return paginator.get_paginated_response(
            ScheduleOutputSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="report_schedules_create",
        tags=["report-schedules"],
        summary="Schedule a report to colleagues and outside addresses",
        request=InputSerializer,
        responses={201: ScheduleOutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403]},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("params", {})
        schedule = services.schedule_save(user=request.user, **schedule_fields(data, report_key=data["report_key"]))
        return schedule_response(request, schedule.pk, status_code=status.HTTP_201_CREATED)


class ScheduleDetailApi(APIView):
    permission_classes = SCHEDULES

    class InputSerializer(ScheduleInputSerializer):
        class Meta:
            ref_name = "ReportScheduleUpdate"

    @extend_schema(
        operation_id="report_schedules_retrieve",
        tags=["report-schedules"],
        summary="A schedule with its cadence, next runs and recipients",
        responses={200: ScheduleOutputSerializer, **SCHEDULE_ERRORS},
    )
    def get(self, request, schedule_id: int):
        visible_schedule(request, schedule_id)
        return schedule_response(request, schedule_id)

    @extend_schema(
        operation_id="report_schedules_partial_update",
        tags=["report-schedules"],
        summary=(
            "Change some of a schedule (params, when given, replace the stored ones); its next run is worked out again"
        ),
        request=InputSerializer,
        responses={200: ScheduleOutputSerializer, 400: FIELD_ERRORS, **SCHEDULE_ERRORS},
    )
    def patch(self, request, schedule_id: int):
        schedule = visible_schedule(request, schedule_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.schedule_save(
            user=request.user,
            schedule_id=schedule.pk,
            **schedule_fields(serializer.validated_data, report_key=schedule.report_key),
        )
        return schedule_response(request, schedule.pk)

    @extend_schema(
        operation_id="report_schedules_destroy",
        tags=["report-schedules"],
        summary="Delete a schedule; its past runs and their files stay",
        responses={204: None, **SCHEDULE_ERRORS},
    )
    def delete(self, request, schedule_id: int):
        schedule = visible_schedule(request, schedule_id)
        services.schedule_delete(user=request.user, schedule_id=schedule.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchedulePauseApi(APIView):
    permission_classes = SCHEDULES

    @extend_schema(
        operation_id="report_schedules_pause",
        tags=["report-schedules"],
        summary="Pause a schedule: nothing is sent until it is resumed",
        request=None,
        responses={200: ScheduleOutputSerializer, **SCHEDULE_ERRORS},
    )
    def post(self, request, schedule_id: int):
        schedule = visible_schedule(request, schedule_id)
        services.schedule_pause(user=request.user, schedule_id=schedule.pk)
        return schedule_response(request, schedule.pk)


class ScheduleResumeApi(APIView):
    permission_classes = SCHEDULES

    @extend_schema(
        operation_id="report_schedules_resume",
        tags=["report-schedules"],
        summary="Resume a paused schedule from now on (slots missed while paused are not sent)",
        request=None,
        responses={200: ScheduleOutputSerializer, **SCHEDULE_ERRORS},
    )
    def post(self, request, schedule_id: int):
        schedule = visible_schedule(request, schedule_id)
        services.schedule_resume(user=request.user, schedule_id=schedule.pk)
        return schedule_response(request, schedule.pk)


class ScheduleSendNowApi(APIView):
    permission_classes = SCHEDULES

    @extend_schema(
        operation_id="report_schedules_send_now",
        tags=["report-schedules"],
        summary="Run a schedule once now, to its recipients, outside its cadence",
        request=None,
        responses={202: QUEUED, **SCHEDULE_ERRORS},
    )
    def post(self, request, schedule_id: int):
        schedule = visible_schedule(request, schedule_id)
        run = services.schedule_send_now(user=request.user, schedule_id=schedule.pk)
        return run_response(request, run, status_code=status.HTTP_202_ACCEPTED)


class ScheduleRunsApi(APIView):
    permission_classes = SCHEDULES

    @extend_schema(
        operation_id="report_schedules_runs",
        tags=["report-schedules"],
        summary="A schedule's history: its latest 50 runs, newest first",
        responses={200: RunOutputSerializer(many=True), **SCHEDULE_ERRORS},
    )
    def get(self, request, schedule_id: int):
        schedule = visible_schedule(request, schedule_id)
        runs = selectors.schedule_runs(schedule=schedule)
        return Response(RunOutputSerializer(runs, many=True, context={"request": request}).data)
