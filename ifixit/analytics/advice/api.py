"""REST API v1 of the advice: the bid advice on a lot, the stock advice on a car, and the
self-audit with the advice backtest. Every prediction carries the value model's measured
accuracy."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.analytics.advice import model_audit
from ifixit.analytics.advice import selectors as advice
from ifixit.analytics.market.api import CanSeeMarket
from ifixit.analytics.valuation import services as valuation
from ifixit.analytics.valuation.api import NO_MODEL, AccuracySerializer, model_in_use_accuracy
from ifixit.auctions.models import Lot
from ifixit.inventory.api import ERRORS, MONEY
from ifixit.inventory.selectors import car_get


class CostsSerializer(serializers.Serializer):
    repair = serializers.DecimalField(**MONEY)
    repair_sample = serializers.IntegerField()
    transport = serializers.DecimalField(**MONEY)
    holding_per_day = serializers.DecimalField(**MONEY)
    days_to_sell = serializers.IntegerField()
    holding = serializers.DecimalField(**MONEY)
    fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    fee_fixed = serializers.DecimalField(**MONEY)
    margin_percent = serializers.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ref_name = "BidCosts"


class LotAdviceApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    class Output(serializers.Serializer):
        lot = serializers.IntegerField()
        verdict = serializers.ChoiceField(choices=["buy", "caution", "pass"])
        max_bid = serializers.IntegerField()
        current_bid = serializers.IntegerField()
        resale = serializers.DecimalField(**MONEY)
        resale_low = serializers.DecimalField(**MONEY)
        resale_high = serializers.DecimalField(**MONEY)
        margin = serializers.DecimalField(**MONEY)
        expected_margin = serializers.DecimalField(**MONEY, allow_null=True)
        expected_roi = serializers.FloatField(allow_null=True)
        costs = CostsSerializer()
        fees_at_max = serializers.DecimalField(**MONEY)
        reasons = serializers.ListField(child=serializers.CharField())
        repair_basis = serializers.CharField()
        days_basis = serializers.CharField()
        accuracy = AccuracySerializer()

        class Meta:
            ref_name = "LotAdvice"

    @extend_schema(operation_id="analytics_lot_advice", tags=["analytics"],
                   summary="The recommended maximum bid for a lot and a verdict (buy, caution, pass) with the reasons",
                   responses={200: Output, **ERRORS})
    def get(self, request, lot_id: int):
        lot = get_object_or_404(Lot.objects.select_related("source"), pk=lot_id)
        found = advice.lot_advice(lot)
        if found is None:
            raise NotFound(NO_MODEL if valuation.model_in_use() is None else "This lot cannot be priced (its currency or car is unknown).")
        bid = found.bid
        costs = bid.costs
        return Response(self.Output({
            "lot": lot.pk, "verdict": bid.verdict, "max_bid": bid.max_bid, "current_bid": bid.current_bid, "resale": bid.resale,
            "resale_low": bid.resale_low, "resale_high": bid.resale_high, "margin": bid.margin,
            "expected_margin": bid.expected_margin, "expected_roi": bid.expected_roi,
            "costs": {**costs.__dict__, "holding": costs.holding}, "fees_at_max": bid.fees_at_max, "reasons": bid.reasons,
            "repair_basis": found.repair_basis, "days_basis": found.days_basis, "accuracy": model_in_use_accuracy(),
        }).data)


class CarAdviceApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    class Output(serializers.Serializer):
        car = serializers.IntegerField()
        action = serializers.ChoiceField(choices=["hold", "reprice", "move"])
        reason = serializers.CharField()
        expected_gain = serializers.DecimalField(**MONEY)
        suggested_price = serializers.DecimalField(**MONEY, allow_null=True)
        move_to = serializers.CharField()
        resale = serializers.DecimalField(**MONEY)
        low = serializers.DecimalField(**MONEY)
        high = serializers.DecimalField(**MONEY)
        days_to_sell = serializers.IntegerField()
        days_in_stock = serializers.IntegerField()
        accuracy = AccuracySerializer()

        class Meta:
            ref_name = "CarAdvice"

    @extend_schema(operation_id="analytics_car_advice", tags=["analytics"],
                   summary="Hold, reprice or move a car in stock, with the expected gain", responses={200: Output, **ERRORS})
    def get(self, request, car_id: int):
        car = car_get(user=request.user, pk=car_id)
        found = advice.car_advice(user=request.user, car=car)
        if found is None:
            raise NotFound(NO_MODEL if valuation.model_in_use() is None else "This car is sold.")
        stock = found.stock
        return Response(self.Output({
            "car": car.pk, "action": stock.action, "reason": stock.reason, "expected_gain": stock.expected_gain,
            "suggested_price": stock.suggested_price, "move_to": stock.move_to, "resale": found.resale, "low": found.low,
            "high": found.high, "days_to_sell": found.days_to_sell, "days_in_stock": found.days_listed, "accuracy": model_in_use_accuracy(),
        }).data)


class ErrorRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    mae = serializers.FloatField()
    mape = serializers.FloatField()
    bias = serializers.FloatField()
    coverage = serializers.FloatField()

    class Meta:
        ref_name = "SelfAuditRow"


class StrategySerializer(serializers.Serializer):
    name = serializers.CharField()
    bought = serializers.IntegerField()
    profit = serializers.DecimalField(**MONEY)
    profit_per_car = serializers.DecimalField(**MONEY, allow_null=True)
    losses = serializers.IntegerField()

    class Meta:
        ref_name = "BacktestStrategy"


class BacktestSerializer(serializers.Serializer):
    lots = serializers.IntegerField()
    advice = StrategySerializer()
    up_to_value = StrategySerializer()
    as_bought = StrategySerializer()

    class Meta:
        ref_name = "AdviceBacktest"


class SelfAuditApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    class Output(serializers.Serializer):
        overall = ErrorRowSerializer(allow_null=True)
        by_model = ErrorRowSerializer(many=True)
        by_month = ErrorRowSerializer(many=True)
        versions = serializers.ListField(child=serializers.IntegerField())
        backtest = BacktestSerializer()

        class Meta:
            ref_name = "SelfAudit"

    @extend_schema(operation_id="analytics_self_audit", tags=["analytics"],
                   summary="The model's error on the group's own sold cars (predicted at purchase vs sold), and the advice backtest",
                   responses={200: Output, 401: ERRORS[401], 403: ERRORS[403]})
    def get(self, request):
        audit = model_audit.self_audit(user=request.user)
        return Response(self.Output({
            "overall": audit.overall, "by_model": audit.by_model, "by_month": audit.by_month, "versions": audit.versions,
            "backtest": model_audit.advice_backtest(user=request.user),
        }).data)
