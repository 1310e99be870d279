"""The inventory API's cars: the list, registering a car, a car's detail (with its sale, repairs
and photos) and changing its facts; the fields that check a VIN and a year as the models do."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS, Pagination
from ifixit.inventory import selectors, services
from ifixit.inventory.api.shared import ERRORS, MONEY, LocationOutputSerializer
from ifixit.inventory.models import MIN_YEAR, Car, Payment, Phase, PurchaseFunding, RepairItem
from ifixit.inventory.selectors import SORTS, CarFilters
from ifixit.locations.selectors import locations_visible_to
from ifixit.serializers import detail_url

# --- Fields the schema describes as the models check them ----------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\s*(?:[A-HJ-NPR-Za-hj-npr-z0-9]\s*){17}$"})
class VinField(serializers.CharField):
    """17 letters and digits, never I, O or Q; spaces and case forgiven (models.normalise_vin).
    The model checks it and says which rule it broke."""


class YearField(serializers.IntegerField):
    """A model year from 1900 to next year (models.validate_year). DRF makes a field afresh for
    every serializer it builds, so "next year" moves on at New Year without a restart."""

    def __init__(self, **kwargs):
        latest = timezone.now().year + 1
        says = f"Year must be between {MIN_YEAR} and {latest}."
        super().__init__(
            min_value=MIN_YEAR, max_value=latest, error_messages={"min_value": says, "max_value": says}, **kwargs
        )


# --- Output shapes shared by several endpoints ---------------------------------------------


class CarOutputSerializer(serializers.Serializer):
    """A car as listed: its facts, where and in which phase it is, and what it cost so far.

    Expects a car from `selectors.with_cost_totals` (repair_total and total_cost annotated)
    with its location selected, so a page of cars is one query.
    """

    id = serializers.IntegerField()
    vin = serializers.CharField()
    registration = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    trim = serializers.CharField()
    year = serializers.IntegerField()
    mileage = serializers.IntegerField()
    fuel = serializers.ChoiceField(choices=Car.Fuel.choices)
    transmission = serializers.ChoiceField(choices=Car.Transmission.choices)
    body_type = serializers.ChoiceField(choices=Car.Body.choices)
    colour = serializers.CharField()
    location = LocationOutputSerializer()
    phase = serializers.ChoiceField(choices=Phase.choices)
    phase_changed_at = serializers.DateTimeField()
    days_in_phase = serializers.IntegerField()
    purchased_on = serializers.DateField(allow_null=True)
    purchase_price = serializers.DecimalField(**MONEY)
    auction_fees = serializers.DecimalField(**MONEY)
    transport_cost = serializers.DecimalField(**MONEY)
    repair_total = serializers.DecimalField(**MONEY)
    total_cost = serializers.DecimalField(**MONEY)
    asking_price = serializers.DecimalField(**MONEY, allow_null=True)
    purchase_funding = serializers.ChoiceField(choices=PurchaseFunding.choices)
    url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Car"

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, car: Car) -> str:
        return detail_url(self.context["request"], "api_car_detail", car.pk)


class SaleOutputSerializer(serializers.Serializer):
    """Expects the sale's delivered_by and payment_changed_by selected (as `selectors.car_get` does)."""

    sold_on = serializers.DateField()
    price = serializers.DecimalField(**MONEY)
    cost_at_sale = serializers.DecimalField(**MONEY)
    gross_profit = serializers.DecimalField(**MONEY)
    buyer_name = serializers.CharField()
    customer = serializers.IntegerField(
        source="customer_id", allow_null=True, help_text="Id of the customer on file, if any."
    )
    payment = serializers.ChoiceField(choices=Payment.choices)
    payment_display = serializers.CharField(
        help_text="How it was paid, as people read it, e.g. 'Finance + part-exchange'."
    )
    part_exchange_allowance = serializers.DecimalField(**MONEY, help_text="The customer's own car taken in; 0 if none.")
    part_exchange_registration = serializers.CharField()
    part_exchange_description = serializers.CharField()
    balance_due = serializers.DecimalField(
        **MONEY, help_text="The price less the part-exchange: paid in cash or through the lender."
    )
    delivered_at = serializers.DateTimeField(
        allow_null=True, help_text="Handed over to the buyer; a sale on finance only once its application is funded."
    )
    delivered_by = serializers.CharField(source="delivered_by.username", allow_null=True, default=None)
    payment_changed_at = serializers.DateTimeField(
        allow_null=True, help_text="When a sale on finance was switched to cash."
    )
    payment_changed_by = serializers.CharField(source="payment_changed_by.username", allow_null=True, default=None)
    payment_note = serializers.CharField(help_text="Why it was switched to cash.")

    class Meta:
        ref_name = "Sale"


class RepairItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.ChoiceField(choices=RepairItem.Category.choices)
    description = serializers.CharField()
    parts_cost = serializers.DecimalField(**MONEY)
    labour_cost = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)

    class Meta:
        ref_name = "RepairItem"


class PhotoOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    caption = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()

    class Meta:
        ref_name = "CarPhoto"

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, photo) -> str:
        # The permission-checked page view, never the storage URL: a car's photos are as
        # private as the car.
        return self.context["request"].build_absolute_uri(reverse("car_photo", args=[photo.car_id, photo.pk]))


class CarDetailOutputSerializer(CarOutputSerializer):
    """A car with its sale, repairs and photos. Repairs and photos come in the context,
    read by their selectors, so the detail is a fixed three queries."""

    notes = serializers.CharField()
    allowed_next_phases = serializers.ListField(child=serializers.ChoiceField(choices=Phase.choices))
    can_be_sold = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sale = SaleOutputSerializer(allow_null=True)
    repairs = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        ref_name = "CarDetail"

    @extend_schema_field(RepairItemOutputSerializer(many=True))
    def get_repairs(self, car: Car):
        return RepairItemOutputSerializer(self.context["repairs"], many=True, context=self.context).data

    @extend_schema_field(PhotoOutputSerializer(many=True))
    def get_photos(self, car: Car):
        return PhotoOutputSerializer(self.context["photos"], many=True, context=self.context).data


def car_detail_response(request, car_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    car = selectors.car_get(user=request.user, pk=car_id)
    context = {
        "request": request,
        "repairs": selectors.car_repairs(car=car),
        "photos": selectors.car_photos(car=car),
    }
    return Response(CarDetailOutputSerializer(car, context=context).data, status=status_code)


def ensure_visible(request, car_id: int) -> None:
    """404 before anything else for a car the user may not see, so a bad body never
    tells them that it exists."""
    selectors.car_get(user=request.user, pk=car_id)


# --- Cars -----------------------------------------------------------------------------------


class CarListApi(APIView):
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        location = serializers.IntegerField(required=False, min_value=1, help_text="A location id.")
        phase = serializers.ChoiceField(choices=Phase.choices, required=False, allow_blank=True)
        make = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="Exact, any case.")
        model = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="Exact, any case.")
        year_min = serializers.IntegerField(required=False, min_value=0)
        year_max = serializers.IntegerField(required=False, min_value=0)
        min_days_in_phase = serializers.IntegerField(required=False, min_value=0)
        q = serializers.CharField(
            required=False, allow_blank=True, max_length=100, help_text="Part of the VIN, registration, make or model."
        )
        sort = serializers.ChoiceField(
            choices=list(SORTS.items()), required=False, allow_blank=True, help_text="Order; newest first by default."
        )

        def to_filters(self) -> CarFilters:
            data = self.validated_data
            return CarFilters(
                location=data.get("location"),
                phase=data.get("phase", ""),
                make=data.get("make", "").strip(),
                model=data.get("model", "").strip(),
                year_min=data.get("year_min"),
                year_max=data.get("year_max"),
                min_days_in_phase=data.get("min_days_in_phase"),
                q=data.get("q", "").strip(),
                sort=data.get("sort") or CarFilters.sort,
            )

    class InputSerializer(serializers.Serializer):
        location = serializers.IntegerField(help_text="Id of one of the user's active locations.")
        phase = serializers.ChoiceField(
            choices=Phase.choices, required=False, help_text="Starting phase; purchased by default."
        )
        note = serializers.CharField(required=False, allow_blank=True, help_text="Note on the first timeline row.")
        vin = VinField()
        registration = serializers.CharField(required=False, allow_blank=True)
        make = serializers.CharField()
        model = serializers.CharField()
        trim = serializers.CharField(required=False, allow_blank=True)
        year = YearField()
        mileage = serializers.IntegerField(help_text="Miles.")
        colour = serializers.CharField(required=False, allow_blank=True)
        fuel = serializers.ChoiceField(choices=Car.Fuel.choices, required=False)
        transmission = serializers.ChoiceField(choices=Car.Transmission.choices, required=False)
        body_type = serializers.ChoiceField(choices=Car.Body.choices, required=False)
        purchased_on = serializers.DateField(required=False, allow_null=True)
        purchase_price = serializers.DecimalField(**MONEY, required=False)
        auction_fees = serializers.DecimalField(**MONEY, required=False)
        transport_cost = serializers.DecimalField(**MONEY, required=False)
        asking_price = serializers.DecimalField(**MONEY, required=False, allow_null=True)
        purchase_funding = serializers.ChoiceField(choices=PurchaseFunding.choices, required=False)
        notes = serializers.CharField(required=False, allow_blank=True)

        class Meta:
            ref_name = "CarCreate"

    @extend_schema(
        operation_id="cars_list",
        tags=["cars"],
        summary="Cars of the user's locations, filtered, sorted and paged",
        parameters=[FilterSerializer],
        responses={200: CarOutputSerializer(many=True), 400: FIELD_ERRORS, 401: ERRORS[401]},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cars = selectors.car_list(user=request.user, filters=filters.to_filters())
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cars, request, view=self)
        return paginator.get_paginated_response(CarOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="cars_create",
        tags=["cars"],
        summary="Register a car",
        request=InputSerializer,
        responses={201: CarDetailOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        location = locations_visible_to(request.user).filter(pk=data.pop("location")).first()
        if location is None:
            raise serializers.ValidationError({"location": ["Choose one of your active locations."]})
        car = services.car_create(user=request.user, location=location, **data)
        return car_detail_response(request, car.pk, status_code=status.HTTP_201_CREATED)


class CarDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        vin = VinField()
        registration = serializers.CharField(allow_blank=True)
        make = serializers.CharField()
        model = serializers.CharField()
        trim = serializers.CharField(allow_blank=True)
        year = YearField()
        mileage = serializers.IntegerField(help_text="Miles.")
        colour = serializers.CharField(allow_blank=True)
        fuel = serializers.ChoiceField(choices=Car.Fuel.choices)
        transmission = serializers.ChoiceField(choices=Car.Transmission.choices)
        body_type = serializers.ChoiceField(choices=Car.Body.choices)
        purchased_on = serializers.DateField(allow_null=True)
        purchase_price = serializers.DecimalField(**MONEY)
        auction_fees = serializers.DecimalField(**MONEY)
        transport_cost = serializers.DecimalField(**MONEY)
        asking_price = serializers.DecimalField(**MONEY, allow_null=True)
        purchase_funding = serializers.ChoiceField(choices=PurchaseFunding.choices, required=False)
        notes = serializers.CharField(allow_blank=True)

        class Meta:
            ref_name = "CarUpdate"

        def validate(self, attrs):
            # Say so rather than silently ignore a field that has its own endpoint
            # (phase, sale) or cannot change (location: transfers are a workflow).
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be changed here."] for name in sorted(unknown)}
                )
            return attrs

    @extend_schema(
        operation_id="cars_retrieve",
        tags=["cars"],
        summary="A car with its sale, repairs and photos",
        responses={200: CarDetailOutputSerializer, 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, car_id: int):
        return car_detail_response(request, car_id)

    @extend_schema(
        operation_id="cars_partial_update",
        tags=["cars"],
        summary="Change some of a car's facts or prices",
        request=InputSerializer,
        responses={200: CarDetailOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def patch(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.car_update(user=request.user, car_id=car_id, **serializer.validated_data)
        return car_detail_response(request, car_id)
