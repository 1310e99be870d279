"""The admin-only integration dashboard page: feeds and their health, with pause,
resume and "resync now"."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from ifixit.accounts import roles
from ifixit.auctions import selectors as auction_selectors
from ifixit.auctions import services as auction_services
from ifixit.auctions.models import AuctionSource


def _require_admin(user) -> None:
    if not (user.is_superuser or user.role == roles.ADMIN):
        raise PermissionDenied("Only admins may use the integration dashboard.")


@login_required
@require_GET
def integration_dashboard(request):
    _require_admin(request.user)
    return TemplateResponse(request, "dashboard/integrations.html", {"sources": auction_selectors.sources()})


@login_required
@require_POST
def feed_action(request, source_id: int, action: str):
    _require_admin(request.user)
    source = get_object_or_404(AuctionSource, pk=source_id)
    if action == "resync":
        auction_services.source_request_resync(source_id=source.pk)
        messages.success(request, f"{source.name}: resync requested; the feed reconnects within a second or two.")
    elif action in ("pause", "resume"):
        auction_services.source_set_paused(source_id=source.pk, paused=action == "pause")
        messages.success(request, f"{source.name}: {'paused' if action == 'pause' else 'resumed'}.")
    else:
        raise PermissionDenied("Unknown action.")
    return redirect("integration_dashboard")
