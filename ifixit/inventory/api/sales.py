"""The inventory API's sales: recording a car's sale (cash or finance, with any part-exchange),
handing it over, and switching an undelivered sale on finance to cash."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.inventory import services
from ifixit.inventory.api.cars import CarDetailOutputSerializer, car_detail_response, ensure_visible
from ifixit.inventory.api.shared import CONFLICT, ERRORS, MONEY
from ifixit.inventory.models import Payment, Phase


class CarSaleApi(APIView):
    class InputSerializer(serializers.Serializer):
        sold_on = serializers.DateField()
        price = serializers.DecimalField(**MONEY)
        customer = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Id of a customer of the user's locations: customer care then follows the sale up and surveys it.",
        )
        buyer_name = serializers.CharField(
            required=False, allow_blank=True, max_length=200, help_text="The customer's name by default."
        )
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)
        expected_phase = serializers.ChoiceField(
            choices=Phase.choices,
            required=False,
            help_text="The phase the client last saw; if the car has moved since, the answer is 409.",
        )
        payment = serializers.ChoiceField(
            choices=Payment.choices,
            required=False,
            default=Payment.CASH,
            help_text=(
                "cash (also card or bank transfer: delivered at once) or finance (needs the customer; delivered once "
                "its finance application is funded)."
            ),
        )
        part_exchange_allowance = serializers.DecimalField(
            **MONEY,
            required=False,
            default=Decimal(0),
            help_text="The value of the customer's car taken in; at most the price.",
        )
        part_exchange_registration = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=20,
            default="",
            help_text="With an allowance: this or a description.",
        )
        part_exchange_description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

        class Meta:
            ref_name = "SaleCreate"

    @extend_schema(
        operation_id="cars_sale_create",
        tags=["cars"],
        summary="Record the sale of a listed or reserved car, for cash or on finance, with any part-exchange",
        request=InputSerializer,
        responses={201: CarDetailOutputSerializer, 400: FIELD_ERRORS, 409: CONFLICT, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        services.sale_record(user=request.user, car_id=car_id, customer_id=data.pop("customer", None), **data)
        return car_detail_response(request, car_id, status_code=status.HTTP_201_CREATED)


class CarSaleDeliverApi(APIView):
    @extend_schema(
        operation_id="cars_sale_deliver",
        tags=["cars"],
        summary="Hand a sold car over to its buyer (a sale on finance once its application is funded)",
        request=None,
        responses={200: CarDetailOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        services.sale_deliver(user=request.user, car_id=car_id)
        return car_detail_response(request, car_id)


class CarSaleSwitchToCashApi(APIView):
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            max_length=500, help_text="Why it is now paid another way, e.g. the customer paid by bank transfer."
        )

        class Meta:
            ref_name = "SaleSwitchToCash"

    @extend_schema(
        operation_id="cars_sale_switch_to_cash",
        tags=["cars"],
        summary="Make an undelivered sale on finance a cash sale; its open finance applications are withdrawn",
        request=InputSerializer,
        responses={200: CarDetailOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.sale_switch_to_cash(user=request.user, car_id=car_id, **serializer.validated_data)
        return car_detail_response(request, car_id)
