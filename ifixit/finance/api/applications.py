"""The finance API's applications: listing and making them, a draft's figures and lender, and
moving one through its workflow. Scoping is the selectors': an application of a location the
user may not see answers 404 on every endpoint, before the body is read."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS, Pagination
from ifixit.crm.api import LOCATION_NOT_FOUND, CarBriefOutputSerializer, visible_location_id
from ifixit.finance import selectors, services
from ifixit.finance.api.lenders import LenderBriefOutputSerializer
from ifixit.finance.api.quotes import APR, FiguresInputSerializer, QuoteTotalField
from ifixit.finance.api.shared import ERRORS, FINANCE, currency, reject_unknown_fields
from ifixit.finance.models import FinanceApplication, Status
from ifixit.finance.selectors import ApplicationFilters
from ifixit.inventory.api import MONEY, LocationOutputSerializer
from ifixit.serializers import detail_url

STATES = ", ".join(Status.values)


class ApplicationCustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "FinanceApplicationCustomer"


class ApplicationOutputSerializer(serializers.Serializer):
    """An application as listed. Expects one from `selectors.application_list` (customer,
    car, lender, location and salesperson selected): a page is a fixed number of queries."""

    id = serializers.IntegerField()
    status = serializers.CharField(help_text=f"One of {STATES}.")
    status_display = serializers.CharField(source="get_status_display")
    status_changed_at = serializers.DateTimeField()
    waits_too_long = serializers.SerializerMethodField(
        help_text="It has been with the lender longer than the lender usually takes to answer."
    )
    customer = ApplicationCustomerOutputSerializer()
    car = CarBriefOutputSerializer()
    lender = LenderBriefOutputSerializer()
    location = LocationOutputSerializer()
    salesperson = serializers.CharField(source="salesperson.username", allow_null=True, default=None)
    lender_reference = serializers.CharField()
    cash_price = serializers.DecimalField(**MONEY)
    deposit = serializers.DecimalField(**MONEY)
    part_exchange = serializers.DecimalField(**MONEY)
    amount_financed = serializers.DecimalField(**MONEY)
    term_months = serializers.IntegerField()
    apr = serializers.DecimalField(**APR, help_text="Annual percentage rate, e.g. 9.9.")
    monthly_payment = serializers.DecimalField(**MONEY)
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "FinanceApplication"

    def get_waits_too_long(self, application: FinanceApplication) -> bool:
        return application.waits_too_long()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, application: FinanceApplication) -> str:
        return detail_url(self.context["request"], "api_finance_application_detail", application.pk)


class ApplicationEventOutputSerializer(serializers.Serializer):
    from_status = serializers.CharField(help_text="Empty on the first row, when the application was made.")
    to_status = serializers.CharField()
    note = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField(source="by.username", allow_null=True, default=None)

    class Meta:
        ref_name = "FinanceApplicationEvent"


class ApplicationDetailOutputSerializer(ApplicationOutputSerializer):
    """An application with its figures in full, how long it has waited and its history.
    Expects one from `selectors.application_get` (events and their authors prefetched)."""

    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of every amount.")
    total_repayable = QuoteTotalField("total_repayable", help_text="Everything paid to the lender over the term.")
    total_payable = QuoteTotalField("total_payable", help_text="Deposit, part-exchange and every instalment.")
    charge_for_credit = QuoteTotalField("charge_for_credit", help_text="Total repayable less the amount financed.")
    waiting_seconds = serializers.SerializerMethodField(
        help_text="How long it has been in its current state; null once declined, withdrawn or funded."
    )
    waiting_due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When its wait becomes longer than the lender usually takes; null unless with the lender.",
    )
    typical_decision_hours = serializers.IntegerField(source="lender.typical_decision_hours")
    allowed_next = serializers.ListField(child=serializers.CharField(), help_text="The states it may move to next.")
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="First submission to the lender.")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="The lender's first approval or decline.")
    decision = serializers.CharField(help_text="approved, declined, or empty before the lender decides.")
    funded_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    events = ApplicationEventOutputSerializer(many=True, source="events.all", help_text="Its history, oldest first.")

    class Meta:
        ref_name = "FinanceApplicationDetail"

    def get_currency(self, application: FinanceApplication) -> str:
        return currency()

    def get_waiting_seconds(self, application: FinanceApplication) -> int | None:
        return int(application.waiting().total_seconds()) if application.is_open else None


def application_detail_response(request, application_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    application = selectors.application_get(user=request.user, pk=application_id)
    return Response(
        ApplicationDetailOutputSerializer(application, context={"request": request}).data, status=status_code
    )


def visible_application(request, application_id: int) -> None:
    """404 before anything else, so a bad body never tells a user of another location
    that the application exists."""
    if not selectors.applications_visible_to(request.user).filter(pk=application_id).exists():
        raise NotFound("No such application.")


# --- Applications --------------------------------------------------------------------------------


class ApplicationListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = FINANCE

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[("open", "Open: not yet declined, withdrawn or funded"), *Status.choices],
            required=False,
            allow_blank=True,
            help_text="A state, or open; any by default.",
        )
        lender = serializers.IntegerField(required=False, min_value=1, help_text="A lender id.")
        location = serializers.IntegerField(required=False, min_value=1, help_text="A location id.")
        waiting = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Only those with the lender longer than it usually takes, longest waiting first.",
        )
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text="Part of the customer's name, the car's registration, VIN, make or model, or the lender's reference.",
        )

    class InputSerializer(FiguresInputSerializer):
        customer = serializers.IntegerField(help_text="Id of a customer of the user's locations.")
        car = serializers.IntegerField(
            help_text="Id of a listed, reserved or (on finance) sold car of the user's locations."
        )
        lender = serializers.IntegerField(help_text="Id of an active lender.")
        lender_reference = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
        note = serializers.CharField(
            required=False, allow_blank=True, max_length=1000, default="", help_text="On the first row of its history."
        )

        class Meta:
            ref_name = "FinanceApplicationCreate"

    @extend_schema(
        operation_id="finance_applications_list",
        tags=["finance"],
        summary="Finance applications of the user's locations, filtered and paged, latest change first",
        parameters=[FilterSerializer],
        responses={
            200: ApplicationOutputSerializer(many=True),
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
        applications = selectors.application_list(
            user=request.user,
            filters=ApplicationFilters(
                status=data.get("status", ""),
                lender=data.get("lender"),
                location=visible_location_id(request, data.get("location")),
                waiting=data["waiting"],
                q=data.get("q", "").strip(),
            ),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(applications, request, view=self)
        return paginator.get_paginated_response(
            ApplicationOutputSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="finance_applications_create",
        tags=["finance"],
        summary="Make a draft finance application for a customer and a car, its monthly payment quoted",
        request=InputSerializer,
        responses={201: ApplicationDetailOutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403]},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        application = services.application_create(
            user=request.user,
            customer_id=data.pop("customer"),
            car_id=data.pop("car"),
            lender_id=data.pop("lender"),
            **data,
        )
        return application_detail_response(request, application.pk, status_code=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    permission_classes = FINANCE

    class InputSerializer(FiguresInputSerializer):
        lender = serializers.IntegerField(help_text="Id of an active lender (or the one it has).")
        lender_reference = serializers.CharField(allow_blank=True, max_length=60)

        class Meta:
            ref_name = "FinanceApplicationUpdate"

        def validate(self, attrs):
            return reject_unknown_fields(self, attrs)

    @extend_schema(
        operation_id="finance_applications_retrieve",
        tags=["finance"],
        summary="A finance application with its figures, how long it has waited, its next states and history",
        responses={200: ApplicationDetailOutputSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request, application_id: int):
        visible_application(request, application_id)
        return application_detail_response(request, application_id)

    @extend_schema(
        operation_id="finance_applications_partial_update",
        tags=["finance"],
        summary=(
            "Change a draft's figures or lender (the amount financed is checked against the rest: "
            "send it as null to have it worked out again)"
        ),
        request=InputSerializer,
        responses={200: ApplicationDetailOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def patch(self, request, application_id: int):
        visible_application(request, application_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "lender" in data:
            data["lender_id"] = data.pop("lender")
        services.application_update(user=request.user, application_id=application_id, **data)
        return application_detail_response(request, application_id)


class ApplicationMoveApi(APIView):
    permission_classes = FINANCE

    class InputSerializer(serializers.Serializer):
        to_status = serializers.ChoiceField(choices=Status.choices, help_text="One of the application's allowed_next.")
        note = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=1000,
            default="",
            help_text="What the lender said; required to refer, decline or withdraw.",
        )
        car_outcome = serializers.ChoiceField(
            choices=list(services.CAR_OUTCOMES.items()),
            required=False,
            default=services.KEEP,
            help_text=(
                "Declining or withdrawing only: what happens to the car. Back to reserved or listed undoes "
                "its sale if it was sold on this finance."
            ),
        )
        lender_reference = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=60,
            default="",
            help_text="Set or replace the lender's reference.",
        )

        class Meta:
            ref_name = "FinanceApplicationMove"

    @extend_schema(
        operation_id="finance_applications_move",
        tags=["finance"],
        summary="Move an application to its next state, as the workflow allows",
        request=InputSerializer,
        responses={200: ApplicationDetailOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, application_id: int):
        visible_application(request, application_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.application_move(user=request.user, application_id=application_id, **serializer.validated_data)
        return application_detail_response(request, application_id)
