"""Reports REST API v1: the catalogue, a report run on screen (JSON) or as a file, files
made in the background, and scheduled reports with their history; thin adapters over
reports.catalogue (what a report is and takes), reports.selectors (reads) and
reports.services (writes), the same ones the pages call.

Every report checks its own permission (403) and its parameters (`catalogue.check_params`:
a parameter the report does not take, a range that ends before it starts, a location the
user may not see), which become field-keyed 400s in `ifixit.api.exception_handler`.
Schedules and runs are scoped by the selectors: another user's answers 404 on every
endpoint, before the body is read.

Values in rows, totals and chart points are JSON-safe and typed by their column's kind:
money as a decimal string with two places ("1234.50"), percentages as a decimal string
fraction with four places ("0.1250" is 12.5%), counts and days as integers (a fraction,
should one come, as a decimal string, as in the CSV), other decimals as strings, dates and
times as ISO 8601, nothing as null.
"""

import math
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.finance.api import reject_unknown_fields
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS, Pagination, errors, permission
from ifixit.inventory.api import LocationOutputSerializer
from ifixit.inventory.models import Phase
from ifixit.money import to_cents
from ifixit.reports import catalogue, periods, renderers, scheduling, selectors, services
from ifixit.reports.catalogue import DAYS, DECIMAL, INT, MONEY, PERCENT
from ifixit.reports.models import Format, Run, Schedule

KINDS = "text, int, money, percent, days, date or decimal"
PARAMETER_ORDER = (catalogue.PERIOD, catalogue.LOCATIONS, catalogue.PHASE, catalogue.MAKE)
PERCENT_PLACES = Decimal("0.0001")

# --- Who may use it -----------------------------------------------------------------------


CanViewSchedules = permission("reports.view_schedule", "Your role does not schedule reports.")


SCHEDULES = [IsAuthenticated, CanViewSchedules]


class FileNegotiation(BaseContentNegotiation):
    """The file endpoint's `format` names the report's file format, not one of DRF's
    renderers (which `?format=` would otherwise choose), and the file goes whatever the
    client accepts; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# --- Error bodies, for the schema ----------------------------------------------------------

ERRORS = errors(forbidden="The user's role may not run this report or do this.", not_found="No such report.")
RUN_NOT_FOUND = OpenApiResponse(
    response=DETAIL_ERROR, description="No such run among those the user asked for or may see."
)
SCHEDULE_NOT_FOUND = OpenApiResponse(
    response=DETAIL_ERROR, description="No such schedule among the user's (all, for an admin)."
)
SCHEDULE_ERRORS = {**ERRORS, 404: SCHEDULE_NOT_FOUND}


# --- Helpers --------------------------------------------------------------------------------


def report_for(request, key: str) -> catalogue.Report:
    """The report, 404 if there is none, 403 if the user may not run it: before the
    parameters are read."""
    try:
        report = catalogue.get(key)
    except DjangoValidationError:
        raise NotFound("No such report.") from None
    if not request.user.has_perm(report.permission):
        raise PermissionDenied(f"You may not run “{report.title}”.")
    return report


def known_report(key: str) -> catalogue.Report | None:
    try:
        return catalogue.get(key)
    except DjangoValidationError:
        return None


def params_of(report: catalogue.Report | None, data: dict) -> catalogue.Params:
    """Parameters as the catalogue takes them. Without a period the report's default
    applies (fixed dates when start or end is given); the catalogue checks the rest."""
    period = data.get("period")
    if not period:
        takes_period = report is None or catalogue.PERIOD in report.accepts
        dated = data.get("start") or data.get("end")
        period = report.default_period if report is not None and takes_period and not dated else periods.CUSTOM
    return catalogue.Params(
        period=period,
        start=data.get("start"),
        end=data.get("end"),
        locations=tuple(data.get("locations") or ()),
        phase=data.get("phase") or "",
        make=(data.get("make") or "").strip(),
    )


def json_value(kind: str | None, value):
    """A report value as JSON holds it without losing or inventing precision."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if kind == MONEY:
            return f"{to_cents(number):f}"
        if kind == PERCENT:
            return f"{number.quantize(PERCENT_PLACES):f}"
        if kind in (INT, DAYS):
            return int(value) if number == number.to_integral_value() else f"{number:f}"  # a fraction is never cut off
        if kind == DECIMAL or isinstance(value, Decimal):
            return f"{number:f}"
        return value
    return str(value)


def result_body(
    report: catalogue.Report, scope: catalogue.Scope, result: catalogue.Result, params: catalogue.Params, today: date
) -> dict:
    kinds = {column.key: column.kind for column in result.columns}
    names = {location.pk: location.name for location in scope.locations}
    totals = result.totals
    chart = None
    if result.chart is not None:
        value_kind = kinds.get(result.chart.value_key)
        chart = {
            "title": result.chart.title,
            "kind": result.chart.kind,
            "label_key": result.chart.label_key,
            "value_key": result.chart.value_key,
            "points": [
                {"label": label, "value": json_value(value_kind, value)} for label, value in result.chart_points
            ],
        }
    return {
        "key": report.key,
        "title": report.title,
        "params": params.to_json(),
        "start": scope.start,
        "end": scope.end,
        "locations": scope.locations,
        "parameters": [
            {"label": label, "value": value}
            for label, value in params.describe(report, today=today, location_names=names)
        ],
        "columns": result.columns,
        "rows": [{key: json_value(kind, row.get(key)) for key, kind in kinds.items()} for row in result.rows],
        "row_count": len(result.rows),
        "totals": None if totals is None else {key: json_value(kinds.get(key), value) for key, value in totals.items()},
        "chart": chart,
        "notes": result.notes,
    }


def file_name(report: catalogue.Report, scope: catalogue.Scope, today: date, fmt: str) -> str:
    start, end = (scope.start, scope.end) if scope.start else (today, today)
    return f"{report.key}-{start:%Y%m%d}-{end:%Y%m%d}.{renderers.FORMATS[fmt].extension}"


# --- Output shapes shared by several endpoints -----------------------------------------------


class RunOutputSerializer(serializers.Serializer):
    """A run of a report: made on demand, sent now, or by its schedule."""

    id = serializers.IntegerField()
    report_key = serializers.CharField()
    report_title = serializers.SerializerMethodField()
    # Plain strings in the schema: "status" and "format" name other choice sets there.
    trigger = serializers.CharField(help_text="schedule, send_now or on_demand.")
    status = serializers.CharField(help_text="queued, running, retrying, ready (on demand), sent or failed.")
    status_display = serializers.CharField(source="get_status_display")
    is_done = serializers.BooleanField(help_text="Ready, sent or failed: it will not change any more.")
    format = serializers.CharField(help_text="csv, xlsx or pdf.")
    params = serializers.JSONField(help_text="The report's parameters, as stored.")
    schedule = serializers.IntegerField(
        source="schedule_id", allow_null=True, help_text="Null when made on demand, or the schedule is deleted."
    )
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    when = serializers.SerializerMethodField(
        help_text="The slot it was for (a scheduled run), else when it was asked for."
    )
    progress = serializers.IntegerField(help_text="Percent done.")
    attempts = serializers.IntegerField()
    row_count = serializers.IntegerField(allow_null=True)
    file_name = serializers.CharField()
    file_size = serializers.IntegerField(allow_null=True, help_text="Bytes.")
    download_url = serializers.SerializerMethodField(
        help_text="The file, for a signed-in browser session (the page's download); null until it is made."
    )
    recipients = serializers.ListField(child=serializers.CharField(), help_text="The addresses it was emailed to.")
    emailed_at = serializers.DateTimeField(allow_null=True)
    sent_as_link = serializers.BooleanField(help_text="Too large to attach: the email held a signed download link.")
    error = serializers.CharField(help_text="Why its last attempt failed; empty otherwise.")
    scheduled_for = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "ReportRun"

    def get_report_title(self, run: Run) -> str:
        report = known_report(run.report_key)
        return report.title if report else run.report_key

    def get_when(self, run: Run) -> datetime:
        return run.scheduled_for or run.created_at

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, run: Run) -> str | None:
        if not run.file:
            return None
        return self.context["request"].build_absolute_uri(reverse("report_run_file", args=[run.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, run: Run) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_report_run_detail", args=[run.pk]))


def run_response(request, run: Run, *, status_code: int = status.HTTP_200_OK) -> Response:
    body = RunOutputSerializer(run, context={"request": request}).data
    headers = {"Location": body["url"]} if status_code == status.HTTP_202_ACCEPTED else None
    return Response(body, status=status_code, headers=headers)


QUEUED = OpenApiResponse(
    response=RunOutputSerializer,
    description="Queued: the file is made in the background; follow the run's url (also in Location) for its progress.",
)


# --- Parameters ------------------------------------------------------------------------------


class ParamsInputSerializer(serializers.Serializer):
    """A report's parameters, shaped only: the catalogue refuses those the report does
    not take and checks the rest against the user."""

    period = serializers.ChoiceField(
        choices=periods.CHOICES,
        required=False,
        help_text="A period relative to today, or custom with start and end; the report's default_period if left out "
        "(custom if start or end is given). Only for reports that accept period.",
    )
    start = serializers.DateField(required=False, help_text="First day, YYYY-MM-DD (custom period).")
    end = serializers.DateField(required=False, help_text="Last day, YYYY-MM-DD (custom period).")
    phase = serializers.ChoiceField(
        choices=Phase.choices, required=False, allow_blank=True, help_text="Only for reports that accept phase."
    )
    make = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text="Only for reports that accept make."
    )

    def validate(self, attrs):
        if attrs.get("period", periods.CUSTOM) != periods.CUSTOM and (attrs.get("start") or attrs.get("end")):
            raise serializers.ValidationError(
                {"period": ["A relative period takes no start or end; choose custom for fixed dates."]}
            )
        return attrs


class LocationIdsField(serializers.CharField):
    """Location ids in a query string, separated by commas: 1,2."""

    def to_internal_value(self, data) -> tuple[int, ...]:
        text = super().to_internal_value(data)
        try:
            return tuple(int(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise serializers.ValidationError("Give location ids separated by commas, e.g. 1,2.") from None


class ReportQuerySerializer(ParamsInputSerializer):
    locations = LocationIdsField(
        required=False, allow_blank=True, help_text="Location ids separated by commas (1,2); all the user's by default."
    )


class ReportParamsSerializer(ParamsInputSerializer):
    locations = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Location ids; all the user's by default.",
    )

    class Meta:
        ref_name = "ReportParams"


@extend_schema_field(ReportParamsSerializer)
class ReportParamsField(serializers.DictField):
    """A report's parameters as an object, read by ReportParamsSerializer in the
    serializer's validate so that their errors are keyed by parameter, as the service's are."""


# --- Catalogue and running a report ----------------------------------------------------------


class ReportOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    accepts = serializers.SerializerMethodField(help_text="The parameters it takes: period, locations, phase, make.")
    default_period = serializers.CharField(
        help_text="The period it runs for when none is given (if it accepts period)."
    )
    url = serializers.SerializerMethodField(help_text="Run it on screen (JSON).")
    file_url = serializers.SerializerMethodField(help_text="Download it (with ?format=csv, xlsx or pdf).")

    class Meta:
        ref_name = "Report"

    def get_accepts(self, report: catalogue.Report) -> list[str]:
        return [name for name in PARAMETER_ORDER if name in report.accepts]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report: catalogue.Report) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_report_result", args=[report.key]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_file_url(self, report: catalogue.Report) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_report_file", args=[report.key]))


class ChoiceOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()

    class Meta:
        ref_name = "ReportPeriodChoice"


class FormatOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    content_type = serializers.CharField()
    extension = serializers.CharField()

    class Meta:
        ref_name = "ReportFormat"


class CatalogueApi(APIView):
    class OutputSerializer(serializers.Serializer):
        reports = ReportOutputSerializer(many=True, help_text="The reports the user may run, by category and title.")
        periods = ChoiceOutputSerializer(many=True, help_text="Relative periods, resolved on the day a report runs.")
        formats = FormatOutputSerializer(many=True)

        class Meta:
            ref_name = "ReportCatalogue"

    @extend_schema(
        operation_id="reports_catalogue",
        tags=["reports"],
        summary="The reports the user may run, the relative periods and the file formats",
        responses={200: OutputSerializer, 401: ERRORS[401]},
    )
    def get(self, request):
        reports = sorted(catalogue.available_to(request.user), key=lambda report: (report.category, report.title))
        body = {
            "reports": reports,
            "periods": [{"key": key, "label": label} for key, label in periods.RELATIVE.items()],
            "formats": [
                {"key": key, "label": spec.label, "content_type": spec.content_type, "extension": spec.extension}
                for key, spec in renderers.FORMATS.items()
            ],
        }
        return Response(self.OutputSerializer(body, context={"request": request}).data)


class ColumnOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(help_text=f"How its values are typed: {KINDS}.")
    total = serializers.BooleanField(help_text="Summed in the totals.")

    class Meta:
        ref_name = "ReportColumn"


class ParameterOutputSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()

    class Meta:
        ref_name = "ReportParameter"


class ChartPointOutputSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.JSONField(help_text="Typed as the column of value_key.")

    class Meta:
        ref_name = "ReportChartPoint"


class ChartOutputSerializer(serializers.Serializer):
    title = serializers.CharField()
    kind = serializers.CharField(help_text="bar or line.")
    label_key = serializers.CharField()
    value_key = serializers.CharField()
    points = ChartPointOutputSerializer(many=True)

    class Meta:
        ref_name = "ReportChart"


class ReportResultApi(APIView):
    FilterSerializer = ReportQuerySerializer

    class OutputSerializer(serializers.Serializer):
        key = serializers.CharField()
        title = serializers.CharField()
        params = serializers.JSONField(help_text="The parameters it ran with, as a schedule stores them.")
        start = serializers.DateField(
            allow_null=True, help_text="First day covered; null for a report without a period."
        )
        end = serializers.DateField(allow_null=True)
        locations = LocationOutputSerializer(many=True, help_text="The locations covered.")
        parameters = ParameterOutputSerializer(many=True, help_text="The parameters as a person reads them.")
        columns = ColumnOutputSerializer(many=True)
        rows = serializers.ListField(
            child=serializers.DictField(child=serializers.JSONField(allow_null=True)),
            help_text="One object per row, keyed by column key; values typed by the column's kind "
            "(see the API's description).",
        )
        row_count = serializers.IntegerField()
        totals = serializers.DictField(
            child=serializers.JSONField(allow_null=True),
            allow_null=True,
            help_text="The totals row, keyed by column key; null for a report without one.",
        )
        chart = ChartOutputSerializer(allow_null=True)
        notes = serializers.ListField(child=serializers.CharField())

        class Meta:
            ref_name = "ReportResult"

    @extend_schema(
        operation_id="reports_run",
        tags=["reports"],
        summary="Run a report on screen: its columns, rows, totals and chart",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def get(self, request, key: str):
        report = report_for(request, key)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = params_of(report, filters.validated_data)
        today = timezone.localdate()
        report, scope, result = catalogue.run(report.key, params, user=request.user, today=today)
        return Response(self.OutputSerializer(result_body(report, scope, result, params, today)).data)


FILE_TYPES = {
    (200, spec.content_type): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The file, named in Content-Disposition: CSV, XLSX or PDF as asked."
    )
    for spec in renderers.FORMATS.values()
}


class ReportFileApi(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FileNegotiation

    class FilterSerializer(ReportQuerySerializer):
        format = serializers.ChoiceField(choices=Format.choices, help_text="csv, xlsx or pdf.")

    @extend_schema(
        operation_id="reports_file",
        tags=["reports"],
        summary="Download a report as CSV, XLSX or PDF; a large one is made in the background (202)",
        parameters=[FilterSerializer],
        responses={**FILE_TYPES, 202: QUEUED, 400: FIELD_ERRORS, **ERRORS},
    )
    def get(self, request, key: str):
        report = report_for(request, key)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        fmt = data.pop("format")
        params = params_of(report, data)
        today = timezone.localdate()
        report, scope, result = catalogue.run(report.key, params, user=request.user, today=today)
        if len(result.rows) > settings.REPORTS_INLINE_MAX_ROWS:
            run = services.report_generate(user=request.user, report_key=report.key, params=params, format=fmt)
            return run_response(request, run, status_code=status.HTTP_202_ACCEPTED)
        names = {location.pk: location.name for location in scope.locations}
        content = renderers.render(
            fmt, report=report, result=result, parameters=params.describe(report, today=today, location_names=names),
            generated_at=timezone.now(),
        )
        response = HttpResponse(content, content_type=renderers.FORMATS[fmt].content_type)
        response["Content-Disposition"] = f'attachment; filename="{file_name(report, scope, today, fmt)}"'
        return response


class ReportGenerateApi(APIView):
    class InputSerializer(ReportParamsSerializer):
        format = serializers.ChoiceField(choices=Format.choices, help_text="csv, xlsx or pdf.")

        class Meta:
            ref_name = "ReportGenerate"

        def validate(self, attrs):
            return super().validate(reject_unknown_fields(self, attrs))

    @extend_schema(
        operation_id="reports_generate",
        tags=["reports"],
        summary="Make a report file in the background; the user is told when it is ready",
        request=InputSerializer,
        responses={202: QUEUED, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, key: str):
        report = report_for(request, key)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        fmt = data.pop("format")
        run = services.report_generate(
            user=request.user, report_key=report.key, params=params_of(report, data), format=fmt
        )
        return run_response(request, run, status_code=status.HTTP_202_ACCEPTED)


class RunDetailApi(APIView):
    @extend_schema(
        operation_id="report_runs_retrieve",
        tags=["reports"],
        summary="A run: its status and progress, and once made its file",
        responses={200: RunOutputSerializer, 401: ERRORS[401], 404: RUN_NOT_FOUND},
    )
    def get(self, request, run_id: int):
        try:
            run = services.run_get_for(request.user, run_id)
        except Run.DoesNotExist:
            raise NotFound("No such report run.") from None
        return run_response(request, run)


# --- Schedules ----------------------------------------------------------------------------------


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
        return self.context["request"].build_absolute_uri(reverse("api_report_schedule_detail", args=[schedule.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_runs_url(self, schedule: Schedule) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_report_schedule_runs", args=[schedule.pk]))


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
    report_key = serializers.CharField(max_length=40, help_text="A report of the catalogue the user may run.")  # choices: __init__
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
            choices=catalogue.keys(), help_text=self.fields["report_key"].help_text,
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
