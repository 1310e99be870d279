"""Admin-only API for job health: queue a probe, read it back, see the workers."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.dashboard import selectors, services
from ifixit.dashboard.models import JobProbe
from ifixit.dashboard.permissions import IsGroupAdmin


class JobProbeOutput(serializers.ModelSerializer):
    wait_seconds = serializers.FloatField(allow_null=True, read_only=True)

    class Meta:
        model = JobProbe
        fields = ["id", "origin", "queued_at", "queued_from", "hold_seconds", "runs", "started_at", "finished_at", "worker", "wait_seconds"]


class JobProbeListApi(APIView):
    permission_classes = [IsGroupAdmin]

    class Input(serializers.Serializer):
        hold_seconds = serializers.IntegerField(min_value=0, max_value=300, default=0)

    @extend_schema(operation_id="job_probe_create", tags=["ops"], summary="Queue a job probe", request=Input, responses={202: JobProbeOutput})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        probe = services.job_probe_queue(hold_seconds=data.validated_data["hold_seconds"])
        return Response(JobProbeOutput(probe).data, status=status.HTTP_202_ACCEPTED)


class JobProbeDetailApi(APIView):
    permission_classes = [IsGroupAdmin]

    @extend_schema(operation_id="job_probe_retrieve", tags=["ops"], summary="A job probe and where it ran", responses=JobProbeOutput)
    def get(self, request, probe_id):
        return Response(JobProbeOutput(get_object_or_404(JobProbe, pk=probe_id)).data)


class JobHealthApi(APIView):
    permission_classes = [IsGroupAdmin]

    class Output(serializers.Serializer):
        workers = serializers.ListField(child=serializers.CharField())
        last_heartbeat_queued = serializers.DateTimeField(allow_null=True)
        last_heartbeat_finished = serializers.DateTimeField(allow_null=True)
        unfinished_probes = serializers.IntegerField()
        queued_messages = serializers.IntegerField(allow_null=True)

    @extend_schema(operation_id="job_health", tags=["ops"], summary="Workers answering, beat heartbeat, queue length", responses=Output)
    def get(self, request):
        return Response(self.Output(selectors.job_health()).data)


# --- Feeds ---------------------------------------------------------------------------------


class FeedHealthOutput(serializers.Serializer):
    class Meta:
        ref_name = "FeedHealth"

    source_id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField()
    enabled = serializers.BooleanField()
    paused = serializers.BooleanField()
    state = serializers.CharField(source="current_health.state")
    last_message_at = serializers.DateTimeField(source="current_health.last_message_at", allow_null=True)
    last_message_age_seconds = serializers.SerializerMethodField()
    messages_per_second = serializers.FloatField(source="current_health.messages_per_second")
    messages = serializers.IntegerField(source="current_health.messages")
    reconnects = serializers.IntegerField(source="current_health.reconnects")
    gaps = serializers.IntegerField(source="current_health.gaps")
    duplicates = serializers.IntegerField(source="current_health.duplicates")
    errors = serializers.IntegerField(source="current_health.errors")
    last_error = serializers.CharField(source="current_health.last_error")
    last_seq = serializers.IntegerField(source="current_health.last_seq")
    consumer = serializers.CharField(source="current_health.consumer")

    def get_last_message_age_seconds(self, source) -> float | None:
        from django.utils import timezone

        health = getattr(source, "health", None)
        if health is None or health.last_message_at is None:
            return None
        return round((timezone.now() - health.last_message_at).total_seconds(), 1)


class FeedListApi(APIView):
    permission_classes = [IsGroupAdmin]

    @extend_schema(operation_id="feeds_list", tags=["ops"], summary="Every auction source's feed health", responses=FeedHealthOutput(many=True))
    def get(self, request):
        from ifixit.auctions.selectors import sources

        return Response(FeedHealthOutput(sources(), many=True).data)


class FeedActionApi(APIView):
    permission_classes = [IsGroupAdmin]

    @extend_schema(operation_id="feeds_action", tags=["ops"], request=None, summary="Pause, resume or resync a source's feed", responses=FeedHealthOutput)
    def post(self, request, source_id: int, action: str):
        from ifixit.auctions import services as auction_services
        from ifixit.auctions.models import AuctionSource
        from ifixit.auctions.selectors import sources

        if not AuctionSource.objects.filter(pk=source_id).exists() or action not in ("pause", "resume", "resync"):
            return Response({"detail": "No such source or action."}, status=status.HTTP_404_NOT_FOUND)
        if action == "resync":
            auction_services.source_request_resync(source_id=source_id)
        else:
            auction_services.source_set_paused(source_id=source_id, paused=action == "pause")
        return Response(FeedHealthOutput(sources().get(pk=source_id)).data)
