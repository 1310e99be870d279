"""REST API v1 of the market forecast: a segment's median price for the next one to six
months with its interval, the method used and its backtest against the seasonal naive
forecast (the same service and cache as the Forecast page)."""

from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.analytics.forecast import selectors as forecasts
from ifixit.analytics.market.api import CanSeeMarket, SegmentSerializer
from ifixit.analytics.ml import forecast as ml
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS
from ifixit.inventory.api import ERRORS, MONEY

PERCENT = {"max_digits": 7, "decimal_places": 2}


class ForecastQuery(SegmentSerializer):
    horizon = serializers.IntegerField(
        min_value=1, max_value=forecasts.HORIZON, default=forecasts.HORIZON,
        help_text=f"Months ahead, 1 to {forecasts.HORIZON}; the first is the current month.",
    )

    class Meta:
        ref_name = "ForecastQuery"


class HistoryMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The month's first day.")
    median = serializers.DecimalField(**MONEY, allow_null=True, help_text="Median price; null with no sales that month.")
    volume = serializers.IntegerField(help_text="Cars sold.")

    class Meta:
        ref_name = "ForecastHistoryMonth"


class ForecastMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The month's first day.")
    horizon = serializers.IntegerField(help_text="Months after the last complete month.")
    mid = serializers.DecimalField(**MONEY, help_text="The expected median price (the forecast's median).")
    low = serializers.DecimalField(**MONEY, help_text="Lower end of the interval.")
    high = serializers.DecimalField(**MONEY, help_text="Upper end of the interval.")

    class Meta:
        ref_name = "ForecastMonth"


class HorizonScoreSerializer(serializers.Serializer):
    horizon = serializers.IntegerField()
    forecasts = serializers.IntegerField(help_text="Past forecasts scored at this horizon.")
    model_mape_pct = serializers.DecimalField(**PERCENT, allow_null=True, help_text="The model's mean absolute percentage error.")
    naive_mape_pct = serializers.DecimalField(**PERCENT, allow_null=True, help_text="The seasonal naive forecast's.")
    model_mae = serializers.DecimalField(**MONEY, allow_null=True, help_text="The model's mean absolute error.")
    naive_mae = serializers.DecimalField(**MONEY, allow_null=True)
    coverage_pct = serializers.DecimalField(**PERCENT, allow_null=True, help_text="Outcomes inside the model's interval.")
    model_better = serializers.BooleanField(allow_null=True)

    class Meta:
        ref_name = "ForecastHorizonScore"


class BacktestSerializer(serializers.Serializer):
    origins = serializers.IntegerField(help_text="Past months forecast from, each with only the history before it.")
    first_origin = serializers.DateField(allow_null=True)
    last_origin = serializers.DateField(allow_null=True)
    methods = serializers.ListField(child=serializers.CharField(), help_text="The methods those forecasts used.")
    model_mape_pct = serializers.DecimalField(**PERCENT, allow_null=True, help_text="Over every scored forecast.")
    naive_mape_pct = serializers.DecimalField(**PERCENT, allow_null=True)
    coverage_pct = serializers.DecimalField(**PERCENT, allow_null=True)
    beats_naive = serializers.BooleanField(allow_null=True, help_text="Lower average error than the seasonal naive forecast.")
    horizons = HorizonScoreSerializer(many=True)

    class Meta:
        ref_name = "ForecastBacktest"


class ForecastOutputSerializer(serializers.Serializer):
    segment = serializers.CharField()
    enough_history = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why there is no forecast; empty when there is one.")
    method = serializers.ChoiceField(choices=list(ml.METHODS), allow_null=True)
    method_description = serializers.CharField(allow_blank=True)
    seasonal = serializers.BooleanField(help_text="Whether a 12-month season was modelled.")
    note = serializers.CharField(allow_blank=True, help_text="Why no season was modelled, when it was not.")
    interval = serializers.DecimalField(max_digits=3, decimal_places=2, help_text="The interval's probability (0.80).")
    last_complete_month = serializers.DateField(help_text="The history's last month; horizon 1 is the month after.")
    typical_volume = serializers.IntegerField(help_text="Median cars sold a month.")
    partial_start = serializers.DateField(
        allow_null=True, help_text="A first month left out: too few sales to be a whole month (the history began part-way through it).")
    history = HistoryMonthSerializer(many=True)
    forecast = ForecastMonthSerializer(many=True)
    backtest = BacktestSerializer(allow_null=True)

    class Meta:
        ref_name = "Forecast"


def _money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _pct(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(value * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _backtest(backtest: ml.Backtest | None) -> dict | None:
    if backtest is None:
        return None
    return {
        "origins": backtest.origins, "first_origin": backtest.first_origin, "last_origin": backtest.last_origin,
        "methods": list(backtest.methods), "model_mape_pct": _pct(backtest.model_mape), "naive_mape_pct": _pct(backtest.naive_mape),
        "coverage_pct": _pct(backtest.coverage), "beats_naive": backtest.beats_naive,
        "horizons": [{
            "horizon": h.horizon, "forecasts": h.forecasts, "model_mape_pct": _pct(h.model_mape), "naive_mape_pct": _pct(h.naive_mape),
            "model_mae": _money(h.model_mae), "naive_mae": _money(h.naive_mae), "coverage_pct": _pct(h.coverage),
            "model_better": h.model_better,
        } for h in backtest.horizons],
    }


class ForecastApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    @extend_schema(
        operation_id="analytics_forecast", tags=["analytics"], parameters=[ForecastQuery],
        summary="A segment's median price for the next 1 to 6 months, with an 80% interval and a backtest against seasonal naive",
        description=(
            "The history is the segment's complete months (up to five years) from the rollups. Exponential smoothing on log "
            "prices, with a 12-month season from 24 months of history (and enough sales a month), a damped trend only from 12; "
            "under 12 months enough_history is false and reason says why. The backtest forecasts from each of the last 12 "
            "months with only the history before it and scores the model and the seasonal naive forecast (the same month a "
            "year earlier) on the months that followed."
        ),
        responses={
            200: ForecastOutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401],
            403: OpenApiResponse(response=DETAIL_ERROR, description="The user's role may not see market analytics."),
        },
    )
    def get(self, request):
        query = ForecastQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = forecasts.segment_forecast(segment=query.segment(), horizon=query.validated_data["horizon"])
        fitted = result.forecast
        body = {
            "segment": result.segment.describe(), "enough_history": fitted is not None, "reason": result.reason,
            "method": fitted.method if fitted else None, "method_description": fitted.method_label if fitted else "",
            "seasonal": bool(fitted and fitted.seasonal), "note": fitted.note if fitted else "",
            "interval": Decimal(str(forecasts.INTERVAL)), "last_complete_month": result.last_month,
            "typical_volume": result.typical_volume, "partial_start": result.partial_start,
            "history": [{"month": h.month, "median": _money(h.median), "volume": h.volume} for h in result.history],
            "forecast": [{"month": m.month, "horizon": m.horizon, "mid": _money(m.mid), "low": _money(m.low), "high": _money(m.high)}
                         for m in result.months],
            "backtest": _backtest(result.backtest),
        }
        return Response(ForecastOutputSerializer(body).data)
