"""The inventory API's photos: uploading a photo of a car (served by the permission-checked page
view, never from storage)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.inventory import services
from ifixit.inventory.api.cars import PhotoOutputSerializer, ensure_visible
from ifixit.inventory.api.shared import ERRORS


class CarPhotoCreateApi(APIView):
    parser_classes = (MultiPartParser, FormParser)

    class InputSerializer(serializers.Serializer):
        # A plain file: whether it is an image we accept, and its size, is the service's call.
        image = serializers.FileField(help_text="JPEG, PNG or WebP, up to 15 MB.")
        caption = serializers.CharField(required=False, allow_blank=True, max_length=200)

        class Meta:
            ref_name = "CarPhotoUpload"

    @extend_schema(
        operation_id="cars_photos_create",
        tags=["cars"],
        summary="Upload a photo of a car",
        request={"multipart/form-data": InputSerializer},
        responses={201: PhotoOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = services.car_photo_add(user=request.user, car_id=car_id, **serializer.validated_data)
        return Response(PhotoOutputSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED)
