"""A customer's story: the timeline of everything bought, said, owed and answered, and the
audit history of who changed what on their record."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.crm import selectors
from ifixit.crm.api.access import CUSTOMER_CARE, ERRORS, visible_customer
from ifixit.crm.api.shapes import CarBriefOutputSerializer, CommunicationOutputSerializer, PurchaseOutputSerializer
from ifixit.crm.history import ACTIONS, customer_changes
from ifixit.crm.models import Customer
from ifixit.inventory.api import LocationOutputSerializer

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
    old = serializers.JSONField(
        allow_null=True, help_text="As stored: text, true/false, a time, an id or a list of tags."
    )
    new = serializers.JSONField(allow_null=True)

    class Meta:
        ref_name = "CustomerFieldChange"


class CustomerHistoryApi(APIView):
    permission_classes = CUSTOMER_CARE

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        action = serializers.ChoiceField(choices=list(ACTIONS.values()))
        at = serializers.DateTimeField()
        user = serializers.CharField(
            allow_null=True, help_text="Empty for a change the system made (e.g. an SMS STOP)."
        )
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
