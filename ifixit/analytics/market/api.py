"""REST API v1 of the market: a segment's trend and seasonality (from the rollups and the
cache, the same selectors as the Market page) and a car's or a lot's comparison."""

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.analytics.market import comparison
from ifixit.analytics.models import FULL, Rollup
from ifixit.analytics.seasonality import SeasonalProfile
from ifixit.analytics.warehouse import selectors
from ifixit.auctions.models import Lot
from ifixit.api import FIELD_ERRORS
from ifixit.inventory.api import ERRORS, MONEY
from ifixit.inventory.selectors import car_get


class CanSeeMarket(BasePermission):
    message = "Your role may not see market analytics."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("auctions.view_lot"))


class SegmentSerializer(serializers.Serializer):
    make = serializers.CharField(required=False, allow_blank=True, max_length=50)
    model = serializers.CharField(required=False, allow_blank=True, max_length=50)
    body_type = serializers.CharField(required=False, allow_blank=True, max_length=12)
    age_band = serializers.CharField(required=False, allow_blank=True, max_length=6)
    mileage_band = serializers.CharField(required=False, allow_blank=True, max_length=8)
    source = serializers.CharField(required=False, allow_blank=True, max_length=100)
    region = serializers.CharField(required=False, allow_blank=True, max_length=50)

    class Meta:
        ref_name = "MarketSegment"

    def segment(self) -> selectors.Segment:
        return selectors.Segment(**{k: v.strip() for k, v in self.validated_data.items() if k in selectors.Segment.__dataclass_fields__})


class TrendQuery(SegmentSerializer):
    grain = serializers.ChoiceField(choices=[Rollup.Grain.MONTH, Rollup.Grain.WEEK, Rollup.Grain.DAY], default=Rollup.Grain.MONTH)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    class Meta:
        ref_name = "MarketTrendQuery"

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The range ends before it starts."]})
        if attrs.get("grain") == Rollup.Grain.DAY and selectors.level_for(self.segment_of(attrs)) == FULL:
            raise serializers.ValidationError({"grain": [
                "Daily figures are kept for the whole market and single cuts (make, make and model, body, source, region, "
                "age or mileage band); for this combination ask by week or month."
            ]})
        return attrs

    def segment_of(self, attrs) -> selectors.Segment:
        return selectors.Segment(**{k: (attrs.get(k) or "").strip() for k in selectors.Segment.__dataclass_fields__})


class TrendPointSerializer(serializers.Serializer):
    period = serializers.DateField()
    volume = serializers.IntegerField()
    median = serializers.DecimalField(**MONEY, allow_null=True)
    p25 = serializers.DecimalField(**MONEY, allow_null=True)
    p75 = serializers.DecimalField(**MONEY, allow_null=True)
    excluded_outliers = serializers.IntegerField()
    median_year_ago = serializers.DecimalField(**MONEY, allow_null=True)
    yoy_change_pct = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)

    class Meta:
        ref_name = "MarketTrendPoint"


class TrendApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    class Output(serializers.Serializer):
        segment = serializers.CharField()
        grain = serializers.CharField()
        volume = serializers.IntegerField()
        excluded = serializers.IntegerField()
        points = TrendPointSerializer(many=True)

        class Meta:
            ref_name = "MarketTrend"

    @extend_schema(operation_id="analytics_trend", tags=["analytics"], summary="A segment's price over time, from the rollups",
                   parameters=[TrendQuery], responses={200: Output, 400: FIELD_ERRORS, **ERRORS})
    def get(self, request):
        query = TrendQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        trend = selectors.trend(segment=query.segment(), grain=data["grain"], start=data.get("start"), end=data.get("end"))
        return Response(self.Output({"segment": trend.segment.describe(), "grain": trend.grain, "volume": trend.volume,
                                     "excluded": trend.excluded, "points": trend.points}).data)


def _profile(profile) -> dict:
    if isinstance(profile, SeasonalProfile):
        return {"enough_history": True, "months": [
            {"month": m.month, "index_pct": round(m.index_pct, 2), "years": m.years, "observations": m.observations} for m in profile.months
        ], "reason": ""}
    if profile is None:
        return {"enough_history": False, "months": [], "reason": "No days-to-sell figures for this segment."}
    return {"enough_history": False, "months": [], "reason": profile.reason}


class SeasonalityApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    @extend_schema(
        operation_id="analytics_seasonality", tags=["analytics"], parameters=[SegmentSerializer],
        summary="A segment's seasonal index per month (market price, days to sell, the group's own), best months",
        responses={200: {"type": "object"}, 400: FIELD_ERRORS, **ERRORS},
    )
    def get(self, request):
        query = SegmentSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = selectors.seasonality_of(segment=query.segment())
        return Response({
            "segment": result.segment.describe(), "sample_size": result.sample_size,
            "best_month_to_buy": result.best_month_to_buy, "best_month_to_sell": result.best_month_to_sell,
            "market_price": _profile(result.market), "market_days_to_sell": _profile(result.market_days), "own_price": _profile(result.own),
        })


def _comparison(result: comparison.Comparison) -> dict:
    return {
        "subject": {"label": result.subject.label, "price": str(result.subject.price) if result.subject.price is not None else None},
        "criteria": result.criteria, "count": result.count,
        "sources": [{"source": s.source, "count": s.count, "median": str(s.median), "p25": str(s.p25), "p75": str(s.p75),
                     "percentile": round(s.percentile, 1) if s.percentile is not None else None,
                     "price_to_market_pct": round(s.price_to_market, 1) if s.price_to_market else None} for s in result.sources],
        "comparables": [{"sale_date": f.sale_date, "year": f.year, "make": f.make, "model": f.model, "mileage": f.mileage,
                         "price": str(f.price), "source": f.source, "region": f.region} for f in result.comparables],
    }


class CarComparisonApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    @extend_schema(operation_id="analytics_compare_car", tags=["analytics"], summary="A car in stock against comparable sales",
                   responses={200: {"type": "object"}, **ERRORS})
    def get(self, request, car_id: int):
        car = car_get(user=request.user, pk=car_id)
        sale = getattr(car, "sale", None)
        result = comparison.compare(comparison.subject_for_car(car), today=timezone.localdate(), user=request.user,
                                    exclude_refs=(f"sale:{sale.pk}",) if sale else ())
        return Response(_comparison(result))


class LotComparisonApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    @extend_schema(operation_id="analytics_compare_lot", tags=["analytics"], summary="A lot at auction against comparable sales",
                   responses={200: {"type": "object"}, **ERRORS})
    def get(self, request, lot_id: int):
        lot = get_object_or_404(Lot.objects.select_related("source"), pk=lot_id)
        result = comparison.compare(comparison.subject_for_lot(lot), today=timezone.localdate(), user=request.user,
                                    exclude_refs=(f"lot:{lot.external_id}",))
        return Response(_comparison(result))
