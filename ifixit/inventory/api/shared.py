"""What every inventory endpoint shares, and what the APIs of the apps built on a car import:
money as the API writes it, the error bodies for the schema, a location in brief."""

from drf_spectacular.utils import OpenApiResponse

from ifixit import serializers
from ifixit.api import FIELD_ERROR_BODY, errors

MONEY = {"max_digits": 12, "decimal_places": 2}


# --- Error bodies, for the schema ------------------------------------------------------

ERRORS = errors(
    forbidden="The user's role does not allow this.", not_found="No such car among the locations the user may see."
)
CONFLICT = OpenApiResponse(
    response=FIELD_ERROR_BODY,
    description="The car's state refuses this: its phase does not allow it, it is on the road, or someone else moved it "
    "meanwhile (expected_phase is stale); keyed by field like a 400.",
)


class LocationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "LocationBrief"
