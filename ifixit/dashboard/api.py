"""Admin-only API for job health: queue a probe, read it back, see the workers."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

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
