"""The finance API's lenders: listing them, and adding or changing one (managers and admins)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS, Pagination
from ifixit.finance import selectors, services
from ifixit.finance.api.shared import ERRORS, CanViewLenders, reject_unknown_fields
from ifixit.finance.models import Lender
from ifixit.serializers import detail_url

LENDER_NOT_FOUND = OpenApiResponse(response=DETAIL_ERROR, description="No such lender.")


class LenderBriefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "LenderBrief"


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
    is_active = serializers.BooleanField(
        help_text="The group still works with them; only active lenders take new applications."
    )
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Lender"

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, lender: Lender) -> str:
        return detail_url(self.context["request"], "api_lender_detail", lender.pk)


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
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Any common form; British without +country. Stored as E.164.",
    )
    email = OptionalEmailField(required=False, allow_blank=True, max_length=254)
    website = OptionalUrlField(required=False, allow_blank=True, max_length=200)
    typical_decision_hours = serializers.IntegerField(
        required=False, min_value=1, max_value=720, help_text="24 by default."
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class LenderListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = (IsAuthenticated, CanViewLenders)

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
        return paginator.get_paginated_response(
            LenderOutputSerializer(page, many=True, context={"request": request}).data
        )

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
        return Response(
            LenderOutputSerializer(lender, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class LenderDetailApi(APIView):
    permission_classes = (IsAuthenticated, CanViewLenders)

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
