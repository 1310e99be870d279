"""Output shapes several customer-care endpoints share: a car the customer bought, a
purchase, an entry of the communication log; and how an input names such a car."""

from ifixit import serializers
from ifixit.crm.models import Communication
from ifixit.inventory.api import MONEY, LocationOutputSerializer

ABOUT_A_CAR = "Id of a car the customer bought, if it is about one."


class CarBriefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vin = serializers.CharField()
    registration = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    year = serializers.IntegerField()

    class Meta:
        ref_name = "CustomerCar"


class PurchaseOutputSerializer(serializers.Serializer):
    """A sale to the customer. Expects car, location and sold_by selected."""

    id = serializers.IntegerField()
    car = CarBriefOutputSerializer()
    location = LocationOutputSerializer()
    sold_on = serializers.DateField()
    price = serializers.DecimalField(**MONEY)
    sold_by = serializers.CharField(source="sold_by.username", allow_null=True, default=None)

    class Meta:
        ref_name = "CustomerPurchase"


class CommunicationOutputSerializer(serializers.Serializer):
    """One entry of the communication log. Expects user, car and location selected."""

    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Communication.Channel.choices)
    direction = serializers.ChoiceField(choices=Communication.Direction.choices)
    purpose = serializers.ChoiceField(choices=Communication.Purpose.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    user = serializers.CharField(
        source="user.username", allow_null=True, default=None, help_text="Who sent or logged it."
    )
    car = CarBriefOutputSerializer(allow_null=True)
    location = LocationOutputSerializer(allow_null=True)
    address = serializers.CharField(
        help_text="The email address or phone number used; empty for a logged call, visit or note."
    )
    # Plain strings in the schema: "status" names another choice set already (transfers).
    status = serializers.CharField(help_text="logged, queued, sending, sent, retrying, failed or received.")
    sent_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()

    class Meta:
        ref_name = "CustomerCommunication"
