"""A customer's communication log: listing it, sending an email or SMS, and logging a call,
visit or note, through the same services the pages call."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS, Pagination
from ifixit.crm import services
from ifixit.crm.api.access import CUSTOMER_CARE, ERRORS, visible_customer
from ifixit.crm.api.shapes import ABOUT_A_CAR, CommunicationOutputSerializer
from ifixit.crm.models import Communication


class CustomerCommunicationListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = CUSTOMER_CARE

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(
            choices=Communication.Channel.choices,
            help_text="email and sms are sent now; call, visit and note are logged.",
        )
        purpose = serializers.ChoiceField(
            choices=Communication.Purpose.choices,
            required=False,
            help_text="Email and SMS only: about their purchase, or marketing (only with their consent for the channel).",
        )
        subject = serializers.CharField(
            required=False, allow_blank=True, max_length=200, help_text="Required for an email."
        )
        body = serializers.CharField()
        direction = serializers.ChoiceField(
            choices=[Communication.Direction.OUTBOUND, Communication.Direction.INBOUND],
            required=False,
            help_text="Calls and visits only: who made contact; we did by default.",
        )
        occurred_at = serializers.DateTimeField(
            required=False, help_text="Calls, visits and notes only; now by default."
        )
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
        communications = customer.communications.select_related("user", "car", "location").order_by(
            "-occurred_at", "-id"
        )
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
