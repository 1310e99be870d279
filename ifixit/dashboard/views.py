"""The admin-only integration dashboard page: feeds and their health, with pause,
resume and "resync now"."""

import decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from ifixit.dashboard.permissions import is_group_admin
from ifixit.auctions import selectors as auction_selectors
from ifixit.auctions import services as auction_services
from ifixit.auctions.models import AuctionSource


def _require_admin(user) -> None:
    if not is_group_admin(user):
        raise PermissionDenied("Only admins may use the integration dashboard.")


@login_required
@require_GET
def integration_dashboard(request):
    _require_admin(request.user)
    from ifixit.auctions.models import Lot

    live = Lot.objects.filter(stage=Lot.Stage.LIVE).select_related("source").order_by("ends_at", "id")[:10]
    return TemplateResponse(request, "dashboard/integrations.html", {"sources": auction_selectors.sources(), "live": live})


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


# --- The opportunity queue --------------------------------------------------------------------


@login_required
@require_GET
def opportunity_queue(request):
    """New lots from the feeds to triage, the ones being watched or bid on, and the ended
    ones we bid on that wait for "won" (a car) or "lost"."""
    _require_admin(request.user)
    from ifixit.auctions.models import Lot, Opportunity
    from ifixit.locations.selectors import locations_visible_to

    lots = Lot.objects.select_related("source", "opportunity").order_by("ends_at", "id")
    fresh = lots.exclude(stage=Lot.Stage.CLOSED).filter(opportunity__isnull=True)[:50]
    active = lots.filter(opportunity__decision__in=[Opportunity.Decision.WATCH, Opportunity.Decision.BID])[:100]
    return TemplateResponse(
        request,
        "dashboard/opportunities.html",
        {"fresh": fresh, "active": active, "locations": locations_visible_to(request.user).filter(is_active=True)},
    )


@login_required
@require_POST
def opportunity_action(request, lot_id: int):
    _require_admin(request.user)
    from django.core.exceptions import ValidationError

    from ifixit.auctions.services import opportunity_decide, opportunity_win
    from ifixit.locations.models import Location

    decision = request.POST.get("decision", "")
    try:
        if decision == "won":
            location = get_object_or_404(Location, pk=request.POST.get("location") or 0, is_active=True)
            opportunity = opportunity_win(
                user=request.user,
                lot_id=lot_id,
                location=location,
                vin=request.POST.get("vin", ""),
                registration=request.POST.get("registration", ""),
                price=int(request.POST.get("price") or 0),
                auction_fees=request.POST.get("auction_fees") or 0,
            )
            messages.success(request, f"Won: {opportunity.car} is in stock at {location.name}.")
            return redirect("car_detail", pk=opportunity.car_id)
        max_bid = request.POST.get("max_bid")
        opportunity_decide(user=request.user, lot_id=lot_id, decision=decision, max_bid=int(max_bid) if max_bid else None)
        messages.success(request, f"Lot marked {decision}.")
    except (ValidationError, ValueError, decimal.InvalidOperation) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("opportunity_queue")
