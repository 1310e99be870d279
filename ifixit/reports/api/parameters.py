"""A report's parameters over the API: shaped by serializers (in a query string or a JSON
body), then made into the catalogue's Params; the catalogue checks them against the
report and the user."""

from drf_spectacular.utils import extend_schema_field

from ifixit import serializers
from ifixit.inventory.models import Phase
from ifixit.reports import catalogue, periods


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
