"""The finance figures: the share of sales on finance by month and location, and each lender's
approvals, decision time and funding."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.crm.api import LOCATION_NOT_FOUND, visible_location_id
from ifixit.finance import selectors
from ifixit.finance.api.lenders import LenderBriefOutputSerializer
from ifixit.finance.api.shared import ERRORS, FINANCE, currency
from ifixit.inventory.api import MONEY

# Figures are built a row per month of the range: as on the figures page, at most five years.
MAX_FIGURES_DAYS = 366 * 5


# --- Figures -----------------------------------------------------------------------------------------


class ShareOutputSerializer(serializers.Serializer):
    sales = serializers.IntegerField()
    on_finance = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True, help_text="On finance / sales, 0 to 1; null without sales.")
    with_part_exchange = serializers.IntegerField()
    revenue = serializers.DecimalField(**MONEY)
    finance_revenue = serializers.DecimalField(**MONEY, help_text="Revenue of the sales on finance.")


class MonthShareOutputSerializer(ShareOutputSerializer):
    month = serializers.DateField(source="key", help_text="The month's first day.")
    label = serializers.CharField()

    class Meta:
        ref_name = "FinanceFiguresMonth"


class LocationShareOutputSerializer(ShareOutputSerializer):
    location_id = serializers.IntegerField(source="key")
    name = serializers.CharField(source="label")

    class Meta:
        ref_name = "FinanceFiguresLocation"


class LenderFiguresOutputSerializer(serializers.Serializer):
    lender = LenderBriefOutputSerializer()
    submitted = serializers.IntegerField(help_text="First submitted within the range.")
    approved = serializers.IntegerField(help_text="Decided within the range.")
    declined = serializers.IntegerField(help_text="Decided within the range.")
    approval_rate = serializers.FloatField(
        allow_null=True, help_text="Approved / decided, 0 to 1; null with no decision."
    )
    median_decision_hours = serializers.FloatField(
        allow_null=True, help_text="From first submission to the decision; null with no decision."
    )
    funded = serializers.IntegerField(help_text="Funded within the range.")
    funded_amount = serializers.DecimalField(**MONEY)

    class Meta:
        ref_name = "FinanceFiguresLender"


class FiguresTotalsOutputSerializer(serializers.Serializer):
    sales = serializers.IntegerField()
    on_finance = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True, help_text="0 to 1; null without sales.")
    funded = serializers.IntegerField()
    funded_amount = serializers.DecimalField(**MONEY)

    class Meta:
        ref_name = "FinanceFiguresTotals"


class FiguresApi(APIView):
    permission_classes = FINANCE

    class FilterSerializer(serializers.Serializer):
        start = serializers.DateField(
            required=False,
            help_text="First day, YYYY-MM-DD; by default the first of the month eleven months ago (twelve months to today).",
        )
        end = serializers.DateField(required=False, help_text="Last day, YYYY-MM-DD; today by default.")
        location = serializers.IntegerField(
            required=False, min_value=1, help_text="A location id; all the user's by default."
        )

        def validate(self, attrs):
            today = timezone.localdate()
            attrs["end"] = attrs.get("end") or today
            attrs["start"] = attrs.get("start") or date(today.year, today.month, 1) - relativedelta(months=11)
            if attrs["end"] < attrs["start"]:
                raise serializers.ValidationError({"end": ["The end must not be before the start."]})
            if (attrs["end"] - attrs["start"]).days > MAX_FIGURES_DAYS:
                raise serializers.ValidationError({"start": ["Choose at most five years."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        start = serializers.DateField()
        end = serializers.DateField()
        location = serializers.IntegerField(allow_null=True, help_text="The location filter, if any.")
        currency = serializers.CharField(help_text="ISO 4217 code of every amount.")
        totals = FiguresTotalsOutputSerializer()
        months = MonthShareOutputSerializer(many=True, help_text="Every month of the range, oldest first.")
        locations = LocationShareOutputSerializer(many=True, help_text="Locations with sales in the range, by name.")
        lenders = LenderFiguresOutputSerializer(many=True, help_text="Lenders with activity in the range, by name.")

        class Meta:
            ref_name = "FinanceFigures"

    @extend_schema(
        operation_id="finance_figures",
        tags=["finance"],
        summary="Share of sales on finance by month and location, and each lender's approvals, decision time and funding",
        parameters=[FilterSerializer],
        responses={
            200: OutputSerializer,
            400: FIELD_ERRORS,
            401: ERRORS[401],
            403: ERRORS[403],
            404: LOCATION_NOT_FOUND,
        },
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        location_id = visible_location_id(request, data.get("location"))
        figures = selectors.finance_figures(
            user=request.user, start=data["start"], end=data["end"], location_id=location_id
        )
        body = {
            "start": figures.start,
            "end": figures.end,
            "location": location_id,
            "currency": currency(),
            "totals": figures,
            "months": figures.months,
            "locations": figures.locations,
            "lenders": figures.lenders,
        }
        return Response(self.OutputSerializer(body).data)
