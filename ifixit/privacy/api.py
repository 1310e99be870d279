"""The data-rights API of a customer (UK GDPR): everything held about them, and erasure.
Thin over privacy.data_rights, like the pages."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERROR_BODY, FIELD_ERRORS, permission
from ifixit.crm import selectors
from ifixit.crm.api import CUSTOMER_CARE, ERRORS, CustomerDetailOutputSerializer, visible_customer
from ifixit.crm.models import ERASE_PERMISSION
from ifixit.privacy import data_rights

CanEraseCustomers = permission(
    ERASE_PERMISSION, "Erasing a customer's personal data is for location managers and admins."
)


class CustomerExportOutputSerializer(serializers.Serializer):
    """For the schema: the export is built by privacy.data_rights, section by section (its
    COVERAGE says which rows each holds). Money and rates are strings, times ISO 8601."""

    format = serializers.CharField(help_text=f"“{data_rights.EXPORT_FORMAT}”: the version of this layout.")
    exported_at = serializers.DateTimeField()
    exported_by = serializers.CharField(help_text="The username of whoever asked for the export.")
    customer = serializers.DictField(help_text="The record: name, contact details, address, notes, when made, merged or erased.")
    consent = serializers.DictField(help_text="Marketing consent by email and SMS, and when each was last given or withdrawn.")
    tags = serializers.ListField(child=serializers.CharField())
    locations = serializers.ListField(child=serializers.DictField(), help_text="Where they bought or were served: id and name.")
    merged_records = serializers.ListField(child=serializers.DictField(), help_text="Duplicate records merged into this one.")
    history = serializers.ListField(child=serializers.DictField(), help_text="Every version of the record and its merged ones.")
    communications = serializers.ListField(child=serializers.DictField(), help_text="Every email, SMS, call, visit and note.")
    follow_ups = serializers.ListField(child=serializers.DictField())
    surveys = serializers.ListField(child=serializers.DictField(), help_text="Satisfaction surveys with their answers.")
    finance_applications = serializers.ListField(
        child=serializers.DictField(), help_text="With their figures, status, decision and workflow steps (events)."
    )
    purchases = serializers.ListField(child=serializers.DictField(), help_text="Cars bought: price, date, payment, part-exchange.")

    class Meta:
        ref_name = "CustomerExport"


ERASE_REFUSED = OpenApiResponse(
    response=FIELD_ERROR_BODY,
    description=(
        "Not erased, nothing changed: the record must be kept as it is (non_field_errors says why and what "
        "to do): an open finance application, erased already, or merged into another record."
    ),
)


class CustomerExportApi(APIView):
    permission_classes = CUSTOMER_CARE

    @extend_schema(
        operation_id="customers_export",
        tags=["customers"],
        summary="Everything held about the customer, for their request to see it (UK GDPR); recorded in the audit log",
        responses={200: CustomerExportOutputSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request, customer_id: int):
        return Response(data_rights.customer_export(user=request.user, customer_id=customer_id))


class CustomerEraseApi(APIView):
    permission_classes = [*CUSTOMER_CARE, CanEraseCustomers]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=data_rights.REASON_MAX_LENGTH,
            help_text="Whose request, by its date and channel, not the name: it stays in the audit log.",
        )

        class Meta:
            ref_name = "CustomerErase"

    class OutputSerializer(CustomerDetailOutputSerializer):
        erased_at = serializers.DateTimeField(allow_null=True)
        erased_by = serializers.CharField(source="erased_by.username", allow_null=True, default=None)

        class Meta:
            ref_name = "ErasedCustomer"

    @extend_schema(
        operation_id="customers_erase",
        tags=["customers"],
        summary="Erase the customer's personal data (UK GDPR); sales, finance and every figure stay",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: FIELD_ERRORS, 409: ERASE_REFUSED, **ERRORS},
    )
    def post(self, request, customer_id: int):
        visible_customer(request, customer_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data_rights.customer_erase(user=request.user, customer_id=customer_id, reason=serializer.validated_data["reason"])
        customer = selectors.customer_get(user=request.user, pk=customer_id)
        context = {"request": request, "purchases": selectors.customer_purchases(customer=customer)}
        return Response(self.OutputSerializer(customer, context=context).data)
