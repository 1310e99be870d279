"""Inventory REST API v1: thin adapters over the selectors (reads) and services (writes).

Each view shapes its input with a nested InputSerializer (or FilterSerializer for query
strings), reads through a selector, so location scoping is the same as on the pages,
and writes through the service that the pages call too. The rules themselves (VIN,
prices, mileage, phase moves, photo checks) live in the models and services; their
Django ValidationErrors become field-keyed 400s (409 where the car's state refuses it) in
`ifixit.api.exception_handler`.
"""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import DETAIL_ERROR, FIELD_ERROR_BODY, FIELD_ERRORS, Pagination, errors
from ifixit.inventory import selectors, services
from ifixit.inventory.models import MIN_YEAR, Car, Payment, Phase, PurchaseFunding, RepairItem, Transfer
from ifixit.inventory.selectors import SORTS, CarFilters
from ifixit.locations.selectors import locations_visible_to

MONEY = {"max_digits": 12, "decimal_places": 2}


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
        super().__init__(min_value=MIN_YEAR, max_value=latest, error_messages={"min_value": says, "max_value": says}, **kwargs)


# --- Error bodies, for the schema ------------------------------------------------------

ERRORS = errors(forbidden="The user's role does not allow this.", not_found="No such car among the locations the user may see.")
CONFLICT = OpenApiResponse(
    response=FIELD_ERROR_BODY,
    description="The car's state refuses this: its phase does not allow it, it is on the road, or someone else moved it "
    "meanwhile (expected_phase is stale); keyed by field like a 400.",
)


# --- Output shapes shared by several endpoints ---------------------------------------------


class LocationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "LocationBrief"


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
        return self.context["request"].build_absolute_uri(reverse("api_car_detail", args=[car.pk]))


class SaleOutputSerializer(serializers.Serializer):
    """Expects the sale's delivered_by and payment_changed_by selected (as `selectors.car_get` does)."""

    sold_on = serializers.DateField()
    price = serializers.DecimalField(**MONEY)
    cost_at_sale = serializers.DecimalField(**MONEY)
    gross_profit = serializers.DecimalField(**MONEY)
    buyer_name = serializers.CharField()
    customer = serializers.IntegerField(source="customer_id", allow_null=True, help_text="Id of the customer on file, if any.")
    payment = serializers.ChoiceField(choices=Payment.choices)
    payment_display = serializers.CharField(help_text="How it was paid, as people read it, e.g. 'Finance + part-exchange'.")
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
    payment_changed_at = serializers.DateTimeField(allow_null=True, help_text="When a sale on finance was switched to cash.")
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


# --- Locations ------------------------------------------------------------------------------


class LocationListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        address = serializers.CharField()
        time_zone = serializers.CharField()
        is_active = serializers.BooleanField()

        class Meta:
            ref_name = "Location"

    @extend_schema(
        operation_id="locations_list",
        tags=["locations"],
        summary="The locations the user may see",
        responses={200: OutputSerializer(many=True), 401: ERRORS[401]},
    )
    def get(self, request):
        locations = locations_visible_to(request.user)
        return Response(self.OutputSerializer(locations, many=True).data)


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
                raise serializers.ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
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


class CarPhaseApi(APIView):
    class InputSerializer(serializers.Serializer):
        to_phase = serializers.ChoiceField(choices=Phase.choices)
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)
        expected_phase = serializers.ChoiceField(
            choices=Phase.choices,
            required=False,
            help_text="The phase the client last saw; if the car has moved since, the answer is 409.",
        )

        class Meta:
            ref_name = "PhaseChangeRequest"

    @extend_schema(
        operation_id="cars_phase_change",
        tags=["cars"],
        summary="Move a car to its next phase",
        request=InputSerializer,
        responses={200: CarDetailOutputSerializer, 400: FIELD_ERRORS, 409: CONFLICT, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.car_change_phase(user=request.user, car_id=car_id, **serializer.validated_data)
        return car_detail_response(request, car_id)


class CarHistoryApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        from_phase = serializers.CharField(help_text="Empty on the first row, when the car was registered.")
        to_phase = serializers.ChoiceField(choices=Phase.choices)
        changed_at = serializers.DateTimeField()
        changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)
        note = serializers.CharField()

        class Meta:
            ref_name = "PhaseChange"

    @extend_schema(
        operation_id="cars_history",
        tags=["cars"],
        summary="A car's phase changes, newest first",
        responses={200: OutputSerializer(many=True), 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, car_id: int):
        car = selectors.car_get(user=request.user, pk=car_id)
        return Response(self.OutputSerializer(selectors.car_timeline(car=car), many=True).data)


class CarRepairListApi(APIView):
    class InputSerializer(serializers.Serializer):
        category = serializers.ChoiceField(choices=RepairItem.Category.choices, required=False)
        description = serializers.CharField()
        parts_cost = serializers.DecimalField(**MONEY, required=False)
        labour_cost = serializers.DecimalField(**MONEY, required=False)

        class Meta:
            ref_name = "RepairItemCreate"

    @extend_schema(
        operation_id="cars_repairs_list",
        tags=["cars"],
        summary="A car's repair items",
        responses={200: RepairItemOutputSerializer(many=True), 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, car_id: int):
        car = selectors.car_get(user=request.user, pk=car_id)
        return Response(RepairItemOutputSerializer(selectors.car_repairs(car=car), many=True).data)

    @extend_schema(
        operation_id="cars_repairs_create",
        tags=["cars"],
        summary="Add a repair item to a car that is not sold",
        request=InputSerializer,
        responses={201: RepairItemOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.repair_item_add(user=request.user, car_id=car_id, **serializer.validated_data)
        return Response(RepairItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class CarRepairDetailApi(APIView):
    @extend_schema(
        operation_id="cars_repairs_destroy",
        tags=["cars"],
        summary="Remove a repair item from a car that is not sold",
        request=None,
        responses={204: OpenApiResponse(description="Removed."), 400: FIELD_ERRORS, **ERRORS},
    )
    def delete(self, request, car_id: int, item_id: int):
        ensure_visible(request, car_id)
        services.repair_item_delete(user=request.user, car_id=car_id, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CarPhotoCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        # A plain file: whether it is an image we accept, and its size, is the service's call.
        image = serializers.FileField(help_text="JPEG, PNG or WebP, up to 15 MB.")
        caption = serializers.CharField(required=False, allow_blank=True, max_length=200)

        class Meta:
            ref_name = "CarPhotoUpload"

    @extend_schema(
        operation_id="cars_photos_create",
        tags=["cars"],
        summary="Upload a photo of a car",
        request={"multipart/form-data": InputSerializer},
        responses={201: PhotoOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = services.car_photo_add(user=request.user, car_id=car_id, **serializer.validated_data)
        return Response(PhotoOutputSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED)


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
            **MONEY, required=False, default=Decimal("0"), help_text="The value of the customer's car taken in; at most the price."
        )
        part_exchange_registration = serializers.CharField(
            required=False, allow_blank=True, max_length=20, default="", help_text="With an allowance: this or a description."
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


# --- Repair board ----------------------------------------------------------------------


class RepairBoardRowOutputSerializer(serializers.Serializer):
    car_id = serializers.IntegerField(source="car.pk")
    vin = serializers.CharField(source="car.vin")
    registration = serializers.CharField(source="car.registration")
    make = serializers.CharField(source="car.make")
    model = serializers.CharField(source="car.model")
    year = serializers.IntegerField(source="car.year")
    location = LocationOutputSerializer(source="car.location")
    fixing_since = serializers.DateTimeField()
    days = serializers.IntegerField()
    state = serializers.ChoiceField(choices=list(selectors.RepairState.LABELS))
    repair_spend = serializers.DecimalField(**MONEY)
    cost_of_delay = serializers.DecimalField(**MONEY)


class RepairBoardApi(APIView):
    class FilterSerializer(serializers.Serializer):
        location = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: RepairBoardRowOutputSerializer(many=True), **ERRORS},
        summary="Cars in fixing with days, spend, holding cost and on-time / at-risk / overdue, worst first",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        location_id = filters.validated_data.get("location")
        if location_id and not locations_visible_to(request.user).filter(pk=location_id).exists():
            raise NotFound("No such location among those you may see.")
        rows = selectors.repair_board(user=request.user, location_id=location_id)
        return Response(RepairBoardRowOutputSerializer(rows, many=True).data)


# --- Transfers -----------------------------------------------------------------------------


class TransferOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Transfer"

    id = serializers.IntegerField()
    car_id = serializers.IntegerField()
    vin = serializers.CharField(source="car.vin")
    from_location = LocationOutputSerializer()
    to_location = LocationOutputSerializer()
    status = serializers.ChoiceField(choices=Transfer.Status.choices)
    reason = serializers.CharField()
    planned_on = serializers.DateField()
    transport_cost = serializers.DecimalField(**MONEY)
    note = serializers.CharField()
    requested_at = serializers.DateTimeField()
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)


TRANSFER_NOT_FOUND = OpenApiResponse(response=DETAIL_ERROR, description="No such transfer into or out of the user's locations.")


class TransferListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["open", *Transfer.Status.values], required=False, default="")
        location = serializers.IntegerField(required=False, min_value=1)

    class InputSerializer(serializers.Serializer):
        car_id = serializers.IntegerField()
        to_location_id = serializers.IntegerField()
        reason = serializers.CharField(max_length=300)
        planned_on = serializers.DateField()
        transport_cost = serializers.DecimalField(**MONEY, min_value=0, default=0)

        class Meta:
            ref_name = "TransferCreate"

    @extend_schema(
        tags=["transfers"], parameters=[FilterSerializer], summary="Transfers into and out of the user's locations",
        responses={200: TransferOutputSerializer(many=True), 401: ERRORS[401]},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        transfers = selectors.transfer_list(
            user=request.user, status=filters.validated_data["status"], location_id=filters.validated_data.get("location")
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(transfers, request, view=self)
        return paginator.get_paginated_response(TransferOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["transfers"], request=InputSerializer, summary="Request a transfer of a car to another location",
        responses={201: TransferOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            transfer = services.transfer_request(user=request.user, **data.validated_data)
        except Car.DoesNotExist as exc:
            raise NotFound(str(exc))
        return Response(TransferOutputSerializer(selectors.transfer_list(user=request.user).get(pk=transfer.pk)).data, status=201)


class TransferDetailApi(APIView):
    @extend_schema(tags=["transfers"], responses={200: TransferOutputSerializer, 404: TRANSFER_NOT_FOUND, 401: ERRORS[401]})
    def get(self, request, transfer_id: int):
        transfer = selectors.transfer_list(user=request.user).filter(pk=transfer_id).first()
        if transfer is None:
            raise NotFound("No such transfer.")
        return Response(TransferOutputSerializer(transfer).data)


class TransferActionApi(APIView):
    """POST /transfers/{id}/{approve|reject|dispatch|receive|cancel}/."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "TransferActionRequest"

    @extend_schema(
        tags=["transfers"], request=InputSerializer, operation_id="transfers_action",
        summary="Move a transfer on: approve, reject (note required), dispatch, receive or cancel",
        responses={200: TransferOutputSerializer, 400: FIELD_ERRORS, 403: ERRORS[403], 404: TRANSFER_NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, transfer_id: int, action: str):
        service = services.TRANSFER_STEPS.get(action)
        if service is None:
            raise NotFound("No such action.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs = {"note": data.validated_data["note"]} if action in services.STEPS_WITH_NOTE else {}
        try:
            service(user=request.user, transfer_id=transfer_id, **kwargs)
        except Transfer.DoesNotExist:
            raise NotFound("No such transfer.")
        return Response(TransferOutputSerializer(selectors.transfer_list(user=request.user).get(pk=transfer_id)).data)
