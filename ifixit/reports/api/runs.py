"""A report's file and runs over the API: the download (the file at once, or a run made in
the background, 202), a file asked for in the background, and a run's status and progress."""

from datetime import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS
from ifixit.finance.api import reject_unknown_fields
from ifixit.reports import catalogue, downloads, renderers, services
from ifixit.reports.api.catalogue import ERRORS, known_report, report_for
from ifixit.reports.api.parameters import ReportParamsSerializer, ReportQuerySerializer, params_of
from ifixit.reports.models import Format, Run
from ifixit.serializers import detail_url


class FileNegotiation(BaseContentNegotiation):
    """The file endpoint's `format` names the report's file format, not one of DRF's
    renderers (which `?format=` would otherwise choose), and the file goes whatever the
    client accepts; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


RUN_NOT_FOUND = OpenApiResponse(
    response=DETAIL_ERROR, description="No such run among those the user asked for or may see."
)


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
        return detail_url(self.context["request"], "report_run_file", run.pk)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, run: Run) -> str:
        return detail_url(self.context["request"], "api_report_run_detail", run.pk)


def run_response(request, run: Run, *, status_code: int = status.HTTP_200_OK) -> Response:
    body = RunOutputSerializer(run, context={"request": request}).data
    headers = {"Location": body["url"]} if status_code == status.HTTP_202_ACCEPTED else None
    return Response(body, status=status_code, headers=headers)


QUEUED = OpenApiResponse(
    response=RunOutputSerializer,
    description="Queued: the file is made in the background; follow the run's url (also in Location) for its progress.",
)


FILE_TYPES = {
    (200, spec.content_type): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The file, named in Content-Disposition: CSV, XLSX or PDF as asked."
    )
    for spec in renderers.FORMATS.values()
}


class ReportFileApi(APIView):
    renderer_classes = (JSONRenderer,)
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
        download = downloads.report_download(
            user=request.user, report=report, scope=scope, result=result, params=params, format=fmt, today=today
        )
        if download.run is not None:
            return run_response(request, download.run, status_code=status.HTTP_202_ACCEPTED)
        return download.response()


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
