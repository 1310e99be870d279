"""The inventory API's locations: those the user may see."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.inventory.api.shared import ERRORS
from ifixit.locations.selectors import locations_visible_to


class LocationListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        address = serializers.CharField()
        time_zone = serializers.CharField()
        is_active = serializers.BooleanField()

        class Meta:
            ref_name = "Location"

    @extend_schema(
        operation_id="locations_list",
        tags=["locations"],
        summary="The locations the user may see",
        responses={200: OutputSerializer(many=True), 401: ERRORS[401]},
    )
    def get(self, request):
        locations = locations_visible_to(request.user)
        return Response(self.OutputSerializer(locations, many=True).data)
