"""A report on screen over the API: its columns, rows, totals and chart as JSON, every value
typed by its column's kind (see the package's docstring)."""

import math
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.inventory.api import LocationOutputSerializer
from ifixit.money import to_cents
from ifixit.reports import catalogue
from ifixit.reports.api.catalogue import ERRORS, report_for
from ifixit.reports.api.parameters import ReportQuerySerializer, params_of
from ifixit.reports.catalogue import DAYS, DECIMAL, INT, MONEY, PERCENT

KINDS = "text, int, money, percent, days, date or decimal"
PERCENT_PLACES = Decimal("0.0001")


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
