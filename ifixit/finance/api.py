"""Finance REST API v1: lenders, finance applications and their workflow, quotes and the
finance figures; thin adapters over finance.selectors (reads) and finance.services
(writes), the same ones the pages call.

Scoping is the selectors': an application of a location the user may not see answers
404 on every endpoint, before the body is read. Roles without finance (workshop,
buyers) are refused with 403 by the permission classes below; adding or changing a
lender is the service's call (managers and admins). The services' Django
ValidationErrors become field-keyed 400s in `ifixit.api.exception_handler`.

Workflow states are plain strings in the schema: "status" already names other choice sets
there (transfers, customers); lender kinds are the LenderKindEnum (settings.SPECTACULAR_SETTINGS).
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.crm.api import LOCATION_NOT_FOUND, CarBriefOutputSerializer, visible_location_id
from ifixit.finance import calculator, selectors, services
from ifixit.finance.models import MAX_APR, MAX_TERM_MONTHS, MIN_TERM_MONTHS, FinanceApplication, Lender, Status
from ifixit.finance.selectors import ApplicationFilters
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS, Pagination, errors, permission
from ifixit.inventory.api import MONEY, LocationOutputSerializer

APR = {"max_digits": 4, "decimal_places": 1}
STATES = ", ".join(Status.values)
# Figures are built a row per month of the range: as on the figures page, at most five years.
MAX_FIGURES_DAYS = 366 * 5

# --- Who may use it -----------------------------------------------------------------------


FINANCE_ROLES = "Finance is for managers, sales staff and admins."
CanHandleFinance = permission("finance.view_financeapplication", FINANCE_ROLES)
CanViewLenders = permission("finance.view_lender", FINANCE_ROLES)


FINANCE = [IsAuthenticated, CanHandleFinance]


# --- Error bodies, for the schema ----------------------------------------------------------

ERRORS = errors(
    forbidden="The user's role does not deal with finance or allow this.",
    not_found="No such application among the locations the user may see.",
)
LENDER_NOT_FOUND = OpenApiResponse(response=DETAIL_ERROR, description="No such lender.")


def currency() -> str:
    return settings.CURRENCY


# --- Output shapes shared by several endpoints -----------------------------------------------


class LenderBriefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "LenderBrief"


class ApplicationCustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "FinanceApplicationCustomer"


class LenderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="bank or finance_house.")
    kind_display = serializers.CharField(source="get_kind_display")
    contact_name = serializers.CharField()
    phone = serializers.CharField(help_text="E.164, e.g. +442079460000.")
    email = serializers.CharField()
    website = serializers.CharField()
    typical_decision_hours = serializers.IntegerField(
        help_text="How long the lender usually takes to answer; an application waiting longer is flagged."
    )
    notes = serializers.CharField()
    is_active = serializers.BooleanField(help_text="The group still works with them; only active lenders take new applications.")
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Lender"

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, lender: Lender) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_lender_detail", args=[lender.pk]))


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
        return self.context["request"].build_absolute_uri(reverse("api_finance_application_detail", args=[application.pk]))


class QuoteTotalField(serializers.DecimalField):
    """A total of an application's figures (a `calculator.Quote` property), worked out
    from the stored figures as the customer was quoted them."""

    def __init__(self, total: str, **kwargs):
        self.total = total
        super().__init__(**MONEY, source="*", read_only=True, **kwargs)

    def to_representation(self, application: FinanceApplication) -> str:
        quote = calculator.Quote(
            cash_price=application.cash_price,
            deposit=application.deposit,
            part_exchange=application.part_exchange,
            amount_financed=application.amount_financed,
            apr=application.apr,
            term_months=application.term_months,
            monthly_payment=application.monthly_payment,
        )
        return super().to_representation(getattr(quote, self.total))


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
        allow_null=True, help_text="When its wait becomes longer than the lender usually takes; null unless with the lender."
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
    return Response(ApplicationDetailOutputSerializer(application, context={"request": request}).data, status=status_code)


def visible_application(request, application_id: int) -> None:
    """404 before anything else, so a bad body never tells a user of another location
    that the application exists."""
    if not selectors.applications_visible_to(request.user).filter(pk=application_id).exists():
        raise NotFound("No such application.")


# --- Lenders -----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "maxLength": 254, "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class OptionalEmailField(serializers.CharField):
    """An email address, or "" for none: the model checks it and says what is wrong."""


@extend_schema_field({"type": "string", "maxLength": 200, "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class OptionalUrlField(serializers.CharField):
    """A web address, or "" for none: the model checks it and says what is wrong."""


class LenderInputSerializer(serializers.Serializer):
    """A lender's details, shaped only: the service normalises and checks them."""

    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Lender.Kind.choices, required=False, help_text="finance_house by default.")
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Any common form; British without +country. Stored as E.164."
    )
    email = OptionalEmailField(required=False, allow_blank=True, max_length=254)
    website = OptionalUrlField(required=False, allow_blank=True, max_length=200)
    typical_decision_hours = serializers.IntegerField(required=False, min_value=1, max_value=720, help_text="24 by default.")
    notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


def reject_unknown_fields(serializer: serializers.Serializer, attrs: dict) -> dict:
    """Say so rather than silently ignore a field that cannot be set here."""
    unknown = set(serializer.initial_data) - set(serializer.fields)
    if unknown:
        raise serializers.ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    return attrs


class LenderListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = [IsAuthenticated, CanViewLenders]

    class FilterSerializer(serializers.Serializer):
        include_inactive = serializers.BooleanField(
            required=False, default=False, help_text="Also the lenders the group no longer works with."
        )

    class InputSerializer(LenderInputSerializer):
        class Meta:
            ref_name = "LenderCreate"

    @extend_schema(
        operation_id="lenders_list",
        tags=["finance"],
        summary="The lenders the group works with, by name",
        parameters=[FilterSerializer],
        responses={200: LenderOutputSerializer(many=True), 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403]},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        lenders = selectors.lenders(include_inactive=filters.validated_data["include_inactive"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(lenders, request, view=self)
        return paginator.get_paginated_response(LenderOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="lenders_create",
        tags=["finance"],
        summary="Add a lender (managers and admins)",
        request=InputSerializer,
        responses={201: LenderOutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403]},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lender = services.lender_create(user=request.user, **serializer.validated_data)
        return Response(LenderOutputSerializer(lender, context={"request": request}).data, status=status.HTTP_201_CREATED)


class LenderDetailApi(APIView):
    permission_classes = [IsAuthenticated, CanViewLenders]

    class InputSerializer(LenderInputSerializer):
        class Meta:
            ref_name = "LenderUpdate"

        def validate(self, attrs):
            return reject_unknown_fields(self, attrs)

    @staticmethod
    def _lender(lender_id: int) -> Lender:
        lender = Lender.objects.filter(pk=lender_id).first()
        if lender is None:
            raise NotFound("No such lender.")
        return lender

    @extend_schema(
        operation_id="lenders_retrieve",
        tags=["finance"],
        summary="A lender",
        responses={200: LenderOutputSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: LENDER_NOT_FOUND},
    )
    def get(self, request, lender_id: int):
        return Response(LenderOutputSerializer(self._lender(lender_id), context={"request": request}).data)

    @extend_schema(
        operation_id="lenders_partial_update",
        tags=["finance"],
        summary="Change some of a lender's details, its decision time, or stop working with it (managers and admins)",
        request=InputSerializer,
        responses={
            200: LenderOutputSerializer,
            400: FIELD_ERRORS,
            401: ERRORS[401],
            403: ERRORS[403],
            404: LENDER_NOT_FOUND,
        },
    )
    def patch(self, request, lender_id: int):
        self._lender(lender_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lender = services.lender_update(user=request.user, lender_id=lender_id, **serializer.validated_data)
        return Response(LenderOutputSerializer(lender, context={"request": request}).data)


# --- Applications --------------------------------------------------------------------------------


AMOUNT_FINANCED_HELP = "Leave out (or null) to finance the balance: cash price − deposit − part-exchange."


TERM_RANGE = f"The term must be between {MIN_TERM_MONTHS} and {MAX_TERM_MONTHS} months."


class FiguresInputSerializer(serializers.Serializer):
    """The figures of a finance agreement, shaped only: they are checked together
    (`services.check_figures`), and what is wrong is said field by field."""

    cash_price = serializers.DecimalField(**MONEY)
    deposit = serializers.DecimalField(**MONEY, required=False, default=0)
    part_exchange = serializers.DecimalField(
        **MONEY, required=False, default=0, help_text="The value of the customer's car taken in against this one."
    )
    amount_financed = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, default=None, help_text=AMOUNT_FINANCED_HELP
    )
    term_months = serializers.IntegerField(
        min_value=MIN_TERM_MONTHS, max_value=MAX_TERM_MONTHS, error_messages=dict.fromkeys(("min_value", "max_value"), TERM_RANGE)
    )
    apr = serializers.DecimalField(**APR, help_text=f"Annual percentage rate, 0 to {MAX_APR}, to one decimal place.")


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
        car = serializers.IntegerField(help_text="Id of a listed, reserved or (on finance) sold car of the user's locations.")
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
        return paginator.get_paginated_response(ApplicationOutputSerializer(page, many=True, context={"request": request}).data)

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
            required=False, allow_blank=True, max_length=60, default="", help_text="Set or replace the lender's reference."
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


# --- Quote -------------------------------------------------------------------------------------------


class QuoteApi(APIView):
    permission_classes = FINANCE

    class InputSerializer(FiguresInputSerializer):
        class Meta:
            ref_name = "FinanceQuoteFigures"

    class OutputSerializer(serializers.Serializer):
        cash_price = serializers.DecimalField(**MONEY)
        deposit = serializers.DecimalField(**MONEY)
        part_exchange = serializers.DecimalField(**MONEY)
        amount_financed = serializers.DecimalField(**MONEY)
        term_months = serializers.IntegerField()
        apr = serializers.DecimalField(**APR)
        monthly_payment = serializers.DecimalField(**MONEY)
        total_repayable = serializers.DecimalField(**MONEY, help_text="Every instalment: what the lender is paid.")
        total_payable = serializers.DecimalField(**MONEY, help_text="Deposit, part-exchange and every instalment.")
        charge_for_credit = serializers.DecimalField(**MONEY, help_text="Total repayable less the amount financed.")
        currency = serializers.SerializerMethodField(help_text="ISO 4217 code of every amount.")

        class Meta:
            ref_name = "FinanceQuote"

        def get_currency(self, quote) -> str:
            return currency()

    @extend_schema(
        operation_id="finance_quote",
        tags=["finance"],
        summary="The monthly payment and totals of a finance agreement, checked (nothing is saved)",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403]},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quote = services.check_figures(**serializer.validated_data)
        return Response(self.OutputSerializer(quote).data)


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
    approval_rate = serializers.FloatField(allow_null=True, help_text="Approved / decided, 0 to 1; null with no decision.")
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
        location = serializers.IntegerField(required=False, min_value=1, help_text="A location id; all the user's by default.")

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
        responses={200: OutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403], 404: LOCATION_NOT_FOUND},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        location_id = visible_location_id(request, data.get("location"))
        figures = selectors.finance_figures(user=request.user, start=data["start"], end=data["end"], location_id=location_id)
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
