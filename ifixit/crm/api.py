"""Customer-care REST API v1: thin adapters over crm.selectors (reads) and crm.services
(writes), the same ones the pages call.

Scoping is the selectors': a customer none of whose locations the user may see answers
404 on every endpoint, before the body is even read. Roles without customer care
(workshop, buyers) are refused with 403 by the permission classes below, as auctions
does. The services' Django ValidationErrors become field-keyed 400s (409 for a stale
follow-up) in `ifixit.api.exception_handler`; a possible duplicate customer is a 409
that lists the matches, shaped here because only the API knows who may see which.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.crm import selectors, services
from ifixit.crm.history import ACTIONS, customer_changes
from ifixit.crm.models import Communication, Customer, FollowUp
from ifixit.crm.selectors import CustomerFilters
from ifixit.api import DETAIL_ERROR, FIELD_ERROR_BODY, FIELD_ERRORS, Pagination, errors, permission
from ifixit.inventory.api import MONEY, LocationOutputSerializer
from ifixit.locations.selectors import locations_visible_to

# --- Who may use it -----------------------------------------------------------------------


CUSTOMER_CARE_ROLES = "Customer care is for managers, sales staff and admins."
CanViewCustomers = permission("crm.view_customer", CUSTOMER_CARE_ROLES)
CanViewFollowUps = permission("crm.view_followup", CUSTOMER_CARE_ROLES)
CanViewSatisfaction = permission("crm.view_survey", CUSTOMER_CARE_ROLES)


CUSTOMER_CARE = [IsAuthenticated, CanViewCustomers]


# --- Error bodies, for the schema ----------------------------------------------------------

ERRORS = errors(
    forbidden="The user's role does not deal with customers or allow this.",
    not_found="No such customer among the locations the user may see.",
)
FOLLOW_UP_NOT_FOUND = OpenApiResponse(response=DETAIL_ERROR, description="No such follow-up at the locations the user may see.")
LOCATION_NOT_FOUND = OpenApiResponse(response=DETAIL_ERROR, description="The location filter is not one the user may see.")
FOLLOW_UP_CONFLICT = OpenApiResponse(
    response=FIELD_ERROR_BODY,
    description="The follow-up is already done or cancelled (someone else got there first); keyed by field like a 400.",
)


class DuplicateMatchOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="Only for a record the user may see.")
    name = serializers.CharField(required=False, help_text="Only for a record the user may see.")
    at_location = serializers.CharField(
        required=False, help_text="Only for a record the user may not see: where it is on file, and nothing else."
    )

    class Meta:
        ref_name = "CustomerDuplicateMatch"


DUPLICATE = OpenApiResponse(
    response=inline_serializer(
        "CustomerDuplicate",
        fields={
            # Keyed by what matched: the email, the phone, or both.
            "email": serializers.ListField(child=serializers.CharField(), required=False),
            "phone": serializers.ListField(child=serializers.CharField(), required=False),
            "matches": DuplicateMatchOutputSerializer(many=True),
        },
    ),
    description=(
        "Someone with this email or phone number is already on file. Pick a match, or send again with "
        "allow_duplicate: true to add a second record anyway."
    ),
)


def duplicate_response(request, exc: services.DuplicateCustomer) -> Response:
    """409 with the matches: the ones the user may see by id and name, any other only by
    where it is on file, so a duplicate check never reads out a stranger's record."""
    visible = set(
        selectors.customers_visible_to(request.user).filter(pk__in=[m.pk for m in exc.matches]).values_list("pk", flat=True)
    )
    matches = []
    for match in exc.matches:
        if match.pk in visible:
            matches.append({"id": match.pk, "name": match.name})
        else:
            names = sorted(location.name for location in match.locations.all())  # prefetched by the selector
            matches.append({"at_location": names[0] if names else "another location"})
    return Response({**exc.message_dict, "matches": matches}, status=status.HTTP_409_CONFLICT)


def visible_location_id(request, location_id: int | None) -> int | None:
    """A location filter must name a location the user may see, as on the pages."""
    if location_id and not locations_visible_to(request.user).filter(pk=location_id).exists():
        raise NotFound("No such location among those you may see.")
    return location_id


ABOUT_A_CAR = "Id of a car the customer bought, if it is about one."


# --- Output shapes shared by several endpoints -----------------------------------------------


class CarBriefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vin = serializers.CharField()
    registration = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    year = serializers.IntegerField()

    class Meta:
        ref_name = "CustomerCar"


class StaffOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")

    class Meta:
        ref_name = "CustomerCareStaff"


class PurchaseOutputSerializer(serializers.Serializer):
    """A sale to the customer. Expects car, location and sold_by selected."""

    id = serializers.IntegerField()
    car = CarBriefOutputSerializer()
    location = LocationOutputSerializer()
    sold_on = serializers.DateField()
    price = serializers.DecimalField(**MONEY)
    sold_by = serializers.CharField(source="sold_by.username", allow_null=True, default=None)

    class Meta:
        ref_name = "CustomerPurchase"


class CommunicationOutputSerializer(serializers.Serializer):
    """One entry of the communication log. Expects user, car and location selected."""

    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Communication.Channel.choices)
    direction = serializers.ChoiceField(choices=Communication.Direction.choices)
    purpose = serializers.ChoiceField(choices=Communication.Purpose.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    user = serializers.CharField(source="user.username", allow_null=True, default=None, help_text="Who sent or logged it.")
    car = CarBriefOutputSerializer(allow_null=True)
    location = LocationOutputSerializer(allow_null=True)
    address = serializers.CharField(help_text="The email address or phone number used; empty for a logged call, visit or note.")
    # Plain strings in the schema: "status" names another choice set already (transfers).
    status = serializers.CharField(help_text="logged, queued, sending, sent, retrying, failed or received.")
    sent_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()

    class Meta:
        ref_name = "CustomerCommunication"


class CustomerBaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Customer.Kind.choices)
    name = serializers.CharField()
    contact_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField(help_text="E.164, e.g. +447911123456.")
    town = serializers.CharField()
    postcode = serializers.CharField()
    tags = serializers.SerializerMethodField()
    locations = LocationOutputSerializer(many=True, source="locations.all", help_text="Where they bought or were served.")
    email_marketing = serializers.BooleanField()
    sms_marketing = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_tags(self, customer: Customer) -> list[str]:
        return [tag.name for tag in customer.tags.all()]  # prefetched by the selector

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, customer: Customer) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_customer_detail", args=[customer.pk]))


class CustomerOutputSerializer(CustomerBaseOutputSerializer):
    """A customer as listed. Expects one from `selectors.customer_list` (purchase_count
    and last_contact_at annotated, tags and locations prefetched): a page is fixed queries."""

    purchase_count = serializers.SerializerMethodField()
    last_contact_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Customer"

    def get_purchase_count(self, customer: Customer) -> int:
        return customer.purchase_count or 0  # the subquery gives NULL for no sale


CONSENT_CHANGED = "When consent was last given or withdrawn."


class CustomerDetailOutputSerializer(CustomerBaseOutputSerializer):
    """A customer with contact details, consent and when it last changed, and purchases
    (read by their selector, in the context)."""

    address_line1 = serializers.CharField()
    address_line2 = serializers.CharField()
    notes = serializers.CharField()
    email_marketing_changed_at = serializers.DateTimeField(allow_null=True, help_text=CONSENT_CHANGED)
    sms_marketing_changed_at = serializers.DateTimeField(allow_null=True, help_text=CONSENT_CHANGED)
    merged_into = serializers.IntegerField(
        source="merged_into_id", allow_null=True, help_text="Set when this record was merged into another: use that one."
    )
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    updated_at = serializers.DateTimeField()
    purchases = serializers.SerializerMethodField()

    class Meta:
        ref_name = "CustomerDetail"

    @extend_schema_field(PurchaseOutputSerializer(many=True))
    def get_purchases(self, customer: Customer):
        return PurchaseOutputSerializer(self.context["purchases"], many=True).data


def customer_detail_response(request, customer_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    customer = selectors.customer_get(user=request.user, pk=customer_id)
    context = {"request": request, "purchases": selectors.customer_purchases(customer=customer)}
    return Response(CustomerDetailOutputSerializer(customer, context=context).data, status=status_code)


def visible_customer(request, customer_id: int) -> Customer:
    """The customer, or 404 before anything else, so a bad body never tells a user of
    another location that the record exists."""
    return selectors.customer_get(user=request.user, pk=customer_id)


# --- Customers ---------------------------------------------------------------------------------


class CustomerInputSerializer(serializers.Serializer):
    """The details of a customer, shaped only: the service normalises and checks them."""

    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)
    name = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Any common form; British without +country. Stored as E.164."
    )
    address_line1 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address_line2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    town = serializers.CharField(required=False, allow_blank=True, max_length=100)
    postcode = serializers.CharField(required=False, allow_blank=True, max_length=10)
    notes = serializers.CharField(required=False, allow_blank=True)
    email_marketing = serializers.BooleanField(required=False, help_text="Consent to marketing by email.")
    sms_marketing = serializers.BooleanField(required=False, help_text="Consent to marketing by SMS.")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, help_text="Tag names; new ones are made."
    )
    allow_duplicate = serializers.BooleanField(
        required=False, default=False, help_text="Add the record even though one with this email or phone is on file."
    )


class CustomerListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = CUSTOMER_CARE

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text="Part of the name, contact, email, postcode or phone number.",
        )
        tag = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="A tag name, any case.")
        location = serializers.IntegerField(required=False, min_value=1, help_text="Customers of this location (an id).")
        repeat = serializers.BooleanField(required=False, default=False, help_text="Only customers who bought twice or more.")
        marketing = serializers.ChoiceField(
            choices=["email", "sms"],
            required=False,
            allow_blank=True,
            help_text="Only those who agreed to marketing by this channel.",
        )

    class InputSerializer(CustomerInputSerializer):
        location = serializers.IntegerField(help_text="Id of one of the user's active locations: where they are served.")

        class Meta:
            ref_name = "CustomerCreate"

    @extend_schema(
        operation_id="customers_list",
        tags=["customers"],
        summary="Customers of the user's locations, filtered and paged, by name",
        parameters=[FilterSerializer],
        responses={
            200: CustomerOutputSerializer(many=True),
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
        customers = selectors.customer_list(
            user=request.user,
            filters=CustomerFilters(
                q=data.get("q", "").strip(),
                tag=data.get("tag", "").strip(),
                location=visible_location_id(request, data.get("location")),
                repeat_only=data["repeat"],
                marketing=data.get("marketing", ""),
            ),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(customers, request, view=self)
        return paginator.get_paginated_response(CustomerOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="customers_create",
        tags=["customers"],
        summary="Add a customer (409 if someone with the email or phone is already on file)",
        request=InputSerializer,
        responses={201: CustomerDetailOutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403], 409: DUPLICATE},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        location = selectors.locations_for_crm(request.user).filter(pk=data.pop("location")).first()
        if location is None:
            raise serializers.ValidationError({"location": ["Choose one of your active locations."]})
        try:
            customer = services.customer_create(user=request.user, location=location, **data)
        except services.DuplicateCustomer as exc:
            return duplicate_response(request, exc)
        return customer_detail_response(request, customer.pk, status_code=status.HTTP_201_CREATED)


class CustomerDetailApi(APIView):
    permission_classes = CUSTOMER_CARE

    class InputSerializer(CustomerInputSerializer):
        class Meta:
            ref_name = "CustomerUpdate"

        def validate(self, attrs):
            # Say so rather than silently ignore what cannot change here (locations come
            # from sales and sharing, merging is its own workflow).
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
            return attrs

    @extend_schema(
        operation_id="customers_retrieve",
        tags=["customers"],
        summary="A customer with tags, locations, consent and purchases",
        responses={200: CustomerDetailOutputSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request, customer_id: int):
        return customer_detail_response(request, customer_id)

    @extend_schema(
        operation_id="customers_partial_update",
        tags=["customers"],
        summary="Change some of a customer's details, tags or consent",
        request=InputSerializer,
        responses={200: CustomerDetailOutputSerializer, 400: FIELD_ERRORS, 409: DUPLICATE, **ERRORS},
    )
    def patch(self, request, customer_id: int):
        visible_customer(request, customer_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.customer_update(user=request.user, customer_id=customer_id, **serializer.validated_data)
        except services.DuplicateCustomer as exc:
            return duplicate_response(request, exc)
        return customer_detail_response(request, customer_id)


# --- Timeline ------------------------------------------------------------------------------------


class TimelineFollowUpOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="open, done or cancelled.")
    due_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username")
    outcome = serializers.CharField(help_text="Empty until done.")
    outcome_note = serializers.CharField()
    car = CarBriefOutputSerializer(allow_null=True)

    class Meta:
        ref_name = "CustomerTimelineFollowUp"


class TimelineSurveyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    answered_at = serializers.DateTimeField()
    recommend_score = serializers.IntegerField(help_text="0-10.")
    satisfaction = serializers.IntegerField(help_text="1-5.")
    comment = serializers.CharField()
    car = CarBriefOutputSerializer(source="sale.car")
    location = LocationOutputSerializer()
    salesperson = serializers.CharField(source="salesperson.username", allow_null=True, default=None)

    class Meta:
        ref_name = "CustomerTimelineSurvey"


TIMELINE_PAYLOADS = {
    "purchase": PurchaseOutputSerializer,
    "communication": CommunicationOutputSerializer,
    "follow_up": TimelineFollowUpOutputSerializer,
    "survey": TimelineSurveyOutputSerializer,
}


class TimelineEntryOutputSerializer(serializers.Serializer):
    # A plain string in the schema: "kind" is the customer's person/business already.
    kind = serializers.CharField(help_text="purchase, communication, follow_up or survey: the shape of the payload.")
    at = serializers.DateTimeField(help_text="A purchase is placed at noon of its day.")
    payload = serializers.SerializerMethodField()

    class Meta:
        ref_name = "CustomerTimelineEntry"

    @extend_schema_field(
        PolymorphicProxySerializer(
            component_name="CustomerTimelinePayload",
            serializers=[serializer() for serializer in TIMELINE_PAYLOADS.values()],
            resource_type_field_name=None,
        )
    )
    def get_payload(self, entry: selectors.TimelineEntry):
        return TIMELINE_PAYLOADS[entry.kind](entry.item).data


class CustomerTimelineApi(APIView):
    permission_classes = CUSTOMER_CARE

    @extend_schema(
        operation_id="customers_timeline",
        tags=["customers"],
        summary="Everything bought, said, owed and answered, newest first; the payload's shape follows kind",
        responses={200: TimelineEntryOutputSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request, customer_id: int):
        customer = visible_customer(request, customer_id)
        return Response(TimelineEntryOutputSerializer(selectors.customer_timeline(customer=customer), many=True).data)


# --- Audit history -------------------------------------------------------------------------------

def customer_history_rows(customer: Customer) -> list[dict]:
    return [
        {
            "id": change.id,
            "action": change.action,
            "at": change.at,
            "user": change.user.username if change.user else None,
            "reason": change.reason,
            "changes": [{"field": f.field, "old": f.old, "new": f.new} for f in change.fields],
        }
        for change in customer_changes(customer)
    ]


class FieldChangeOutputSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="As stored: text, true/false, a time, an id or a list of tags.")
    new = serializers.JSONField(allow_null=True)

    class Meta:
        ref_name = "CustomerFieldChange"


class CustomerHistoryApi(APIView):
    permission_classes = CUSTOMER_CARE

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        action = serializers.ChoiceField(choices=list(ACTIONS.values()))
        at = serializers.DateTimeField()
        user = serializers.CharField(allow_null=True, help_text="Empty for a change the system made (e.g. an SMS STOP).")
        reason = serializers.CharField()
        changes = FieldChangeOutputSerializer(many=True, help_text="Empty on the first row, when the record was made.")

        class Meta:
            ref_name = "CustomerHistoryEntry"

    @extend_schema(
        operation_id="customers_history",
        tags=["customers"],
        summary="Who changed what on the customer's record, old and new values, newest first (the latest 200 changes)",
        responses={200: OutputSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request, customer_id: int):
        customer = visible_customer(request, customer_id)
        return Response(self.OutputSerializer(customer_history_rows(customer), many=True).data)


# --- Communication log ----------------------------------------------------------------------------


class CustomerCommunicationListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = CUSTOMER_CARE

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(
            choices=Communication.Channel.choices, help_text="email and sms are sent now; call, visit and note are logged."
        )
        purpose = serializers.ChoiceField(
            choices=Communication.Purpose.choices,
            required=False,
            help_text="Email and SMS only: about their purchase, or marketing (only with their consent for the channel).",
        )
        subject = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Required for an email.")
        body = serializers.CharField()
        direction = serializers.ChoiceField(
            choices=[Communication.Direction.OUTBOUND, Communication.Direction.INBOUND],
            required=False,
            help_text="Calls and visits only: who made contact; we did by default.",
        )
        occurred_at = serializers.DateTimeField(required=False, help_text="Calls, visits and notes only; now by default.")
        car = serializers.IntegerField(required=False, allow_null=True, help_text=ABOUT_A_CAR)

        class Meta:
            ref_name = "CommunicationCreate"

        def validate(self, attrs):
            sent = attrs["channel"] in Communication.SENT_BY_SYSTEM
            errors = {}
            if sent and "purpose" not in attrs:
                errors["purpose"] = ["Say whether this is about their purchase or marketing."]
            not_for = ("direction", "occurred_at") if sent else ("purpose",)
            for name in not_for:
                if name in attrs:
                    errors[name] = [f"This field does not apply to {'a sent message' if sent else 'a logged contact'}."]
            if errors:
                raise serializers.ValidationError(errors)
            return attrs

    @extend_schema(
        operation_id="customers_communications_list",
        tags=["customers"],
        summary="The customer's communication log, newest first, paged",
        responses={200: CommunicationOutputSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request, customer_id: int):
        customer = visible_customer(request, customer_id)
        # The customer is already scoped; their whole log goes with them.
        communications = customer.communications.select_related("user", "car", "location").order_by("-occurred_at", "-id")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(communications, request, view=self)
        return paginator.get_paginated_response(CommunicationOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="customers_communications_create",
        tags=["customers"],
        summary="Send an email or SMS to the customer, or log a call, visit or note",
        request=InputSerializer,
        responses={201: CommunicationOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, customer_id: int):
        visible_customer(request, customer_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["car_id"] = data.pop("car", None)
        if data["channel"] in Communication.SENT_BY_SYSTEM:
            communication = services.communication_send(user=request.user, customer_id=customer_id, **data)
        else:
            communication = services.communication_log(user=request.user, customer_id=customer_id, **data)
        return Response(CommunicationOutputSerializer(communication).data, status=status.HTTP_201_CREATED)


# --- Follow-ups ------------------------------------------------------------------------------------


class FollowUpCustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "FollowUpCustomer"


class FollowUpOutputSerializer(serializers.Serializer):
    """Expects customer, location, car and assignee selected (as `selectors.follow_up_list` does)."""

    id = serializers.IntegerField()
    customer = FollowUpCustomerOutputSerializer()
    location = LocationOutputSerializer()
    car = CarBriefOutputSerializer(allow_null=True)
    assignee = StaffOutputSerializer()
    due_at = serializers.DateTimeField()
    is_overdue = serializers.SerializerMethodField()
    note = serializers.CharField()
    status = serializers.CharField(help_text="open, done or cancelled.")
    outcome = serializers.CharField(help_text="Empty until done; then spoke, message, no_answer, booked or not_interested.")
    outcome_note = serializers.CharField()
    done_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "FollowUp"

    def get_is_overdue(self, follow_up: FollowUp) -> bool:
        return follow_up.is_overdue()


def follow_up_response(request, follow_up_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    follow_up = selectors.follow_up_list(user=request.user, status="").get(pk=follow_up_id)
    return Response(FollowUpOutputSerializer(follow_up).data, status=status_code)


def visible_follow_up(request, follow_up_id: int) -> None:
    if not selectors.follow_ups_visible_to(request.user).filter(pk=follow_up_id).exists():
        raise NotFound("No such follow-up.")


class FollowUpListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = [IsAuthenticated, CanViewFollowUps]

    class FilterSerializer(serializers.Serializer):
        mine = serializers.BooleanField(required=False, default=False, help_text="Only those assigned to the user.")
        status = serializers.ChoiceField(
            choices=FollowUp.Status.choices,
            required=False,
            allow_blank=True,
            default=FollowUp.Status.OPEN,
            help_text="Open by default (soonest due first); blank for any (latest due first).",
        )
        location = serializers.IntegerField(required=False, min_value=1)

    class InputSerializer(serializers.Serializer):
        customer = serializers.IntegerField(help_text="Id of a customer the user may see.")
        assignee = serializers.IntegerField(help_text="Id of a staff member of the customer's locations.")
        due_at = serializers.DateTimeField()
        note = serializers.CharField(required=False, allow_blank=True, default="")
        car = serializers.IntegerField(required=False, allow_null=True, help_text=ABOUT_A_CAR)

        class Meta:
            ref_name = "FollowUpCreate"

    @extend_schema(
        operation_id="follow_ups_list",
        tags=["follow-ups"],
        summary="Follow-ups at the user's locations, filtered and paged",
        parameters=[FilterSerializer],
        responses={
            200: FollowUpOutputSerializer(many=True),
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
        follow_ups = selectors.follow_up_list(
            user=request.user,
            assignee=request.user if data["mine"] else None,
            status=data["status"],
            location_id=visible_location_id(request, data.get("location")),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(follow_ups, request, view=self)
        return paginator.get_paginated_response(FollowUpOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="follow_ups_create",
        tags=["follow-ups"],
        summary="Remind someone to get back to a customer by a time",
        request=InputSerializer,
        responses={201: FollowUpOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        follow_up = services.follow_up_create(
            user=request.user,
            customer_id=data["customer"],
            assignee_id=data["assignee"],
            due_at=data["due_at"],
            note=data["note"],
            car_id=data.get("car"),
        )
        return follow_up_response(request, follow_up.pk, status_code=status.HTTP_201_CREATED)


FOLLOW_UP_ACTION_RESPONSES = {
    200: FollowUpOutputSerializer,
    400: FIELD_ERRORS,
    401: ERRORS[401],
    403: ERRORS[403],
    404: FOLLOW_UP_NOT_FOUND,
    409: FOLLOW_UP_CONFLICT,
}


class FollowUpCompleteApi(APIView):
    permission_classes = [IsAuthenticated, CanViewFollowUps]

    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=FollowUp.Outcome.choices)
        note = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "FollowUpComplete"

    @extend_schema(
        operation_id="follow_ups_complete",
        tags=["follow-ups"],
        summary="Mark an open follow-up done, saying how it went",
        request=InputSerializer,
        responses=FOLLOW_UP_ACTION_RESPONSES,
    )
    def post(self, request, follow_up_id: int):
        visible_follow_up(request, follow_up_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.follow_up_complete(user=request.user, follow_up_id=follow_up_id, **serializer.validated_data)
        return follow_up_response(request, follow_up_id)


class FollowUpSnoozeApi(APIView):
    permission_classes = [IsAuthenticated, CanViewFollowUps]

    class InputSerializer(serializers.Serializer):
        until = serializers.DateTimeField(help_text="The new due time: in the future, within a year.")

        class Meta:
            ref_name = "FollowUpSnooze"

    @extend_schema(
        operation_id="follow_ups_snooze",
        tags=["follow-ups"],
        summary="Move an open follow-up to a later time (its reminder fires again then)",
        request=InputSerializer,
        responses=FOLLOW_UP_ACTION_RESPONSES,
    )
    def post(self, request, follow_up_id: int):
        visible_follow_up(request, follow_up_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.follow_up_snooze(user=request.user, follow_up_id=follow_up_id, **serializer.validated_data)
        return follow_up_response(request, follow_up_id)


class FollowUpCancelApi(APIView):
    permission_classes = [IsAuthenticated, CanViewFollowUps]

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Why it is no longer needed.")

        class Meta:
            ref_name = "FollowUpCancel"

    @extend_schema(
        operation_id="follow_ups_cancel",
        tags=["follow-ups"],
        summary="Cancel an open follow-up",
        request=InputSerializer,
        responses=FOLLOW_UP_ACTION_RESPONSES,
    )
    def post(self, request, follow_up_id: int):
        visible_follow_up(request, follow_up_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.follow_up_cancel(user=request.user, follow_up_id=follow_up_id, **serializer.validated_data)
        return follow_up_response(request, follow_up_id)


# --- Satisfaction ----------------------------------------------------------------------------------


class ScoreOutputSerializer(serializers.Serializer):
    label = serializers.CharField()
    answers = serializers.IntegerField()
    promoters = serializers.IntegerField(help_text="Answers of 9 or 10 to 'would you recommend us'.")
    passives = serializers.IntegerField(help_text="Answers of 7 or 8.")
    detractors = serializers.IntegerField(help_text="Answers of 0 to 6.")
    nps = serializers.IntegerField(
        allow_null=True, help_text="Promoters minus detractors, in % of answers; null without answers."
    )
    average_satisfaction = serializers.DecimalField(
        max_digits=3, decimal_places=2, allow_null=True, help_text="1-5; null without answers."
    )

    class Meta:
        ref_name = "SatisfactionScore"


class LocationScoreOutputSerializer(ScoreOutputSerializer):
    location_id = serializers.IntegerField(source="key")

    class Meta:
        ref_name = "SatisfactionByLocation"


class SalespersonScoreOutputSerializer(ScoreOutputSerializer):
    salesperson_id = serializers.IntegerField(
        source="key", allow_null=True, help_text="Null for sales with no salesperson recorded."
    )

    class Meta:
        ref_name = "SatisfactionBySalesperson"


class MonthScoreOutputSerializer(ScoreOutputSerializer):
    month = serializers.SerializerMethodField(help_text="The month's first day.")

    class Meta:
        ref_name = "SatisfactionByMonth"

    @extend_schema_field(OpenApiTypes.DATE)
    def get_month(self, score: selectors.Score) -> str:
        return score.key.date().isoformat()  # TruncMonth gives midnight of the first, local time


class SatisfactionApi(APIView):
    permission_classes = [IsAuthenticated, CanViewSatisfaction]

    class FilterSerializer(serializers.Serializer):
        location = serializers.IntegerField(required=False, min_value=1, help_text="A location id.")

        def get_fields(self):
            # "from" is a Python keyword, so these two cannot be class attributes.
            fields = super().get_fields()
            fields["from"] = serializers.DateField(required=False, help_text="First day of answers, YYYY-MM-DD.")
            fields["to"] = serializers.DateField(required=False, help_text="Last day of answers, YYYY-MM-DD.")
            return fields

        def validate(self, attrs):
            if attrs.get("from") and attrs.get("to") and attrs["to"] < attrs["from"]:
                raise serializers.ValidationError({"to": ["The end date is before the start date."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        overall = ScoreOutputSerializer()
        by_location = LocationScoreOutputSerializer(many=True)
        by_salesperson = SalespersonScoreOutputSerializer(many=True)
        by_month = MonthScoreOutputSerializer(many=True)

        class Meta:
            ref_name = "SatisfactionFigures"

    @extend_schema(
        operation_id="satisfaction_retrieve",
        tags=["satisfaction"],
        summary="NPS and average satisfaction of survey answers: overall, by location, salesperson and month",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403], 404: LOCATION_NOT_FOUND},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        figures = selectors.satisfaction_figures(
            user=request.user,
            location_id=visible_location_id(request, data.get("location")),
            date_from=data.get("from"),
            date_to=data.get("to"),
        )
        return Response(self.OutputSerializer(figures).data)
