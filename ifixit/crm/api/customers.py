"""Customers: the list (filtered and paged), adding one (409 with the matches for a possible
duplicate, told only as far as the user may see them), a customer's detail with purchases,
and changing their details, tags and consent."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS, Pagination
from ifixit.crm import selectors, services
from ifixit.crm.api.access import CUSTOMER_CARE, ERRORS, LOCATION_NOT_FOUND, visible_customer, visible_location_id
from ifixit.crm.api.shapes import PurchaseOutputSerializer
from ifixit.crm.models import Customer
from ifixit.crm.selectors import CustomerFilters
from ifixit.inventory.api import LocationOutputSerializer
from ifixit.serializers import detail_url


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
        selectors.customers_visible_to(request.user)
        .filter(pk__in=[m.pk for m in exc.matches])
        .values_list("pk", flat=True)
    )
    matches = []
    for match in exc.matches:
        if match.pk in visible:
            matches.append({"id": match.pk, "name": match.name})
        else:
            names = sorted(location.name for location in match.locations.all())  # prefetched by the selector
            matches.append({"at_location": names[0] if names else "another location"})
    return Response({**exc.message_dict, "matches": matches}, status=status.HTTP_409_CONFLICT)


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
    locations = LocationOutputSerializer(
        many=True, source="locations.all", help_text="Where they bought or were served."
    )
    email_marketing = serializers.BooleanField()
    sms_marketing = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_tags(self, customer: Customer) -> list[str]:
        return [tag.name for tag in customer.tags.all()]  # prefetched by the selector

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, customer: Customer) -> str:
        return detail_url(self.context["request"], "api_customer_detail", customer.pk)


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
        source="merged_into_id",
        allow_null=True,
        help_text="Set when this record was merged into another: use that one.",
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


class CustomerInputSerializer(serializers.Serializer):
    """The details of a customer, shaped only: the service normalises and checks them."""

    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)
    name = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Any common form; British without +country. Stored as E.164.",
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
        location = serializers.IntegerField(
            required=False, min_value=1, help_text="Customers of this location (an id)."
        )
        repeat = serializers.BooleanField(
            required=False, default=False, help_text="Only customers who bought twice or more."
        )
        marketing = serializers.ChoiceField(
            choices=["email", "sms"],
            required=False,
            allow_blank=True,
            help_text="Only those who agreed to marketing by this channel.",
        )

    class InputSerializer(CustomerInputSerializer):
        location = serializers.IntegerField(
            help_text="Id of one of the user's active locations: where they are served."
        )

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
        return paginator.get_paginated_response(
            CustomerOutputSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="customers_create",
        tags=["customers"],
        summary="Add a customer (409 if someone with the email or phone is already on file)",
        request=InputSerializer,
        responses={
            201: CustomerDetailOutputSerializer,
            400: FIELD_ERRORS,
            401: ERRORS[401],
            403: ERRORS[403],
            409: DUPLICATE,
        },
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
                raise serializers.ValidationError(
                    {name: ["This field cannot be changed here."] for name in sorted(unknown)}
                )
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
