"""Follow-ups: listing those at the user's locations, making one, and completing, snoozing
or cancelling an open one (409 when someone else closed it first)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import DETAIL_ERROR, FIELD_ERROR_BODY, FIELD_ERRORS, Pagination
from ifixit.crm import selectors, services
from ifixit.crm.api.access import ERRORS, FOLLOW_UPS, LOCATION_NOT_FOUND, visible_location_id
from ifixit.crm.api.shapes import ABOUT_A_CAR, CarBriefOutputSerializer
from ifixit.crm.models import FollowUp
from ifixit.inventory.api import LocationOutputSerializer

FOLLOW_UP_NOT_FOUND = OpenApiResponse(
    response=DETAIL_ERROR, description="No such follow-up at the locations the user may see."
)
FOLLOW_UP_CONFLICT = OpenApiResponse(
    response=FIELD_ERROR_BODY,
    description="The follow-up is already done or cancelled (someone else got there first); keyed by field like a 400.",
)


class StaffOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")

    class Meta:
        ref_name = "CustomerCareStaff"


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
    outcome = serializers.CharField(
        help_text="Empty until done; then spoke, message, no_answer, booked or not_interested."
    )
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
    permission_classes = FOLLOW_UPS

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
    permission_classes = FOLLOW_UPS

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
    permission_classes = FOLLOW_UPS

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
    permission_classes = FOLLOW_UPS

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="Why it is no longer needed."
        )

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
