"""The catalogue over the API: which reports there are, which the user may run (a report
the user may not run answers 403, one that does not exist 404, before its parameters are
read), the relative periods and the file formats; and the error bodies every report
endpoint documents."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import errors
from ifixit.reports import catalogue, periods, renderers

PARAMETER_ORDER = (catalogue.PERIOD, catalogue.LOCATIONS, catalogue.PHASE, catalogue.MAKE)

ERRORS = errors(forbidden="The user's role may not run this report or do this.", not_found="No such report.")


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
