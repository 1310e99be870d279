"""The inventory API's photos: a car's gallery (list, upload, caption, the primary photo, order,
delete), each photo with its variants' URLs, widths and formats. The original is reached only
through the permission-checked page URL, which hands out a signed expiring one."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.inventory import selectors
from ifixit.inventory.api.cars import PhotoOutputSerializer, ensure_visible
from ifixit.inventory.api.shared import ERRORS
from ifixit.inventory.models import CarPhoto, CarPhotoVariant
from ifixit.inventory.photos.storage import variant_url
from ifixit.inventory.services import photos as photo_services


class PhotoVariantOutputSerializer(serializers.Serializer):
    size = serializers.ChoiceField(choices=CarPhotoVariant.Size.choices)
    format = serializers.ChoiceField(choices=CarPhotoVariant.Format.choices)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    bytes = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="Cached for a year: the name changes when the bytes do.")

    class Meta:
        ref_name = "CarPhotoVariant"

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, variant) -> str:
        return self.context["request"].build_absolute_uri(variant_url(variant.name))


class GalleryPhotoOutputSerializer(PhotoOutputSerializer):
    position = serializers.IntegerField()
    is_primary = serializers.BooleanField()
    variants_state = serializers.ChoiceField(
        choices=CarPhoto.Variants.choices, help_text="`pending` while a worker makes the variants."
    )
    variants_error = serializers.CharField()
    variants = PhotoVariantOutputSerializer(many=True, source="variants.all")

    class Meta:
        ref_name = "GalleryPhoto"


def _gallery_response(request, car, *, status_code=status.HTTP_200_OK) -> Response:
    photos = selectors.car_photos(car=car)
    return Response(
        GalleryPhotoOutputSerializer(photos, many=True, context={"request": request}).data, status=status_code
    )


def _photo_response(request, car, photo_id: int, *, status_code=status.HTTP_200_OK) -> Response:
    photo = selectors.car_photo_get(car=car, photo_id=photo_id)
    return Response(GalleryPhotoOutputSerializer(photo, context={"request": request}).data, status=status_code)


class CarPhotoCreateApi(APIView):
    parser_classes = (MultiPartParser, FormParser)

    class InputSerializer(serializers.Serializer):
        # A plain file: whether it is an image we accept, and its size, is the service's call.
        image = serializers.FileField(help_text="JPEG, PNG, WebP or HEIC, up to 15 MB.")
        caption = serializers.CharField(required=False, allow_blank=True, max_length=200)

        class Meta:
            ref_name = "CarPhotoUpload"

    @extend_schema(
        operation_id="cars_photos_list",
        tags=["cars"],
        summary="A car's photos in gallery order, with their variants",
        responses={200: GalleryPhotoOutputSerializer(many=True), 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, car_id: int):
        return _gallery_response(request, selectors.car_get(user=request.user, pk=car_id))

    @extend_schema(
        operation_id="cars_photos_create",
        tags=["cars"],
        summary="Upload a photo of a car (its variants follow: variants_state is pending until they are made)",
        request={"multipart/form-data": InputSerializer},
        responses={201: GalleryPhotoOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = photo_services.car_photo_add(user=request.user, car_id=car_id, **serializer.validated_data)
        return Response(
            GalleryPhotoOutputSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class CarPhotoDetailApi(APIView):
    parser_classes = (JSONParser,)

    class InputSerializer(serializers.Serializer):
        caption = serializers.CharField(required=False, allow_blank=True, max_length=200)
        is_primary = serializers.BooleanField(
            required=False, help_text="true makes this the car's primary photo (another one takes over only that way)."
        )

        class Meta:
            ref_name = "GalleryPhotoUpdate"

    @extend_schema(
        operation_id="cars_photos_retrieve",
        tags=["cars"],
        summary="One photo of a car, with its variants",
        responses={200: GalleryPhotoOutputSerializer, 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, car_id: int, photo_id: int):
        return _photo_response(request, selectors.car_get(user=request.user, pk=car_id), photo_id)

    @extend_schema(
        operation_id="cars_photos_partial_update",
        tags=["cars"],
        summary="Change a photo's caption, or make it the car's primary photo",
        request=InputSerializer,
        responses={200: GalleryPhotoOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def patch(self, request, car_id: int, photo_id: int):
        car = selectors.car_get(user=request.user, pk=car_id)
        selectors.car_photo_get(car=car, photo_id=photo_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("is_primary") is False:
            raise ApiValidationError({"is_primary": ["Make another photo the primary one instead."]})
        args = {"user": request.user, "car_id": car.pk, "photo_id": photo_id}
        if "caption" in data:
            photo_services.car_photo_update(**args, caption=data["caption"])
        if data.get("is_primary"):
            photo_services.car_photo_make_primary(**args)
        return _photo_response(request, car, photo_id)

    @extend_schema(
        operation_id="cars_photos_destroy",
        tags=["cars"],
        summary="Delete a photo and its files (the next photo becomes primary if it was)",
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **ERRORS},
    )
    def delete(self, request, car_id: int, photo_id: int):
        car = selectors.car_get(user=request.user, pk=car_id)
        selectors.car_photo_get(car=car, photo_id=photo_id)
        photo_services.car_photo_delete(user=request.user, car_id=car.pk, photo_id=photo_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CarPhotoOrderApi(APIView):
    parser_classes = (JSONParser,)

    class InputSerializer(serializers.Serializer):
        photo_ids = serializers.ListField(
            child=serializers.IntegerField(), help_text="Every photo of the car, once each, in the new order."
        )

        class Meta:
            ref_name = "GalleryOrder"

    @extend_schema(
        operation_id="cars_photos_order",
        tags=["cars"],
        summary="Put a car's photos in a new order",
        request=InputSerializer,
        responses={200: GalleryPhotoOutputSerializer(many=True), 400: FIELD_ERRORS, **ERRORS},
    )
    def put(self, request, car_id: int):
        car = selectors.car_get(user=request.user, pk=car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo_services.car_photo_reorder(user=request.user, car_id=car.pk, **serializer.validated_data)
        return _gallery_response(request, car)
