"""The live auction board and the lot page (updated over /ws/auctions/...)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ifixit.auctions import selectors, services, valuation, webhooks
from ifixit.auctions.forms import LotFilterForm
from ifixit.auctions.models import AuctionSource, Lot

PAGE_SIZE = 50


@login_required
@permission_required("auctions.view_lot", raise_exception=True)
@require_GET
def lot_board(request):
    form = LotFilterForm(request.GET or None)
    filters = form.to_filters()
    page = Paginator(selectors.lot_board(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ws = f"/ws/auctions/sources/{filters.source}/" if filters.source else "/ws/auctions/"
    return TemplateResponse(
        request,
        "auctions/board.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "ws": ws,
            "makes": selectors.lot_makes(),
            "advice": valuation.lot_advice_many(page.object_list),
        },
    )


@login_required
@permission_required("auctions.view_lot", raise_exception=True)
@require_GET
def lot_detail(request, pk: int):
    lot = get_object_or_404(Lot.objects.select_related("source"), pk=pk)
    ticks = selectors.lot_ticks(lot=lot)
    return TemplateResponse(
        request,
        "auctions/lot.html",
        {
            "lot": lot,
            "ticks": ticks,
            "chart": price_chart(ticks),
            "advice": valuation.lot_advice(lot),
            "accuracy": valuation.model_accuracy(),
        },
    )


def price_chart(ticks, width: int = 600, height: int = 160) -> dict:
    """An SVG polyline of the price over its ticks (drawn on the server; the page adds
    points as they arrive)."""
    if not ticks:
        return {"points": "", "width": width, "height": height, "low": 0, "high": 0}
    low, high = min(t.amount for t in ticks), max(t.amount for t in ticks)
    span = max(high - low, 1)
    step = width / max(len(ticks) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 8 - (t.amount - low) / span * (height - 16):.1f}" for i, t in enumerate(ticks)
    )
    return {"points": points, "width": width, "height": height, "low": low, "high": high}


@csrf_exempt  # signed by the platform (HMAC), not a browser form
@require_POST
def webhook(request, source_id: int):
    """A platform pushes one event: checked, kept, answered at once; stored by a task."""
    source = get_object_or_404(AuctionSource, pk=source_id, kind=AuctionSource.Kind.WEBHOOK, enabled=True)
    try:
        services.webhook_accept(
            source=source,
            body=request.body,
            timestamp=request.headers.get("X-Ifixit-Timestamp", ""),
            signature_header=request.headers.get("X-Ifixit-Signature", ""),
        )
    except webhooks.Refused as refused:
        return JsonResponse({"detail": refused.reason}, status=refused.status)
    return JsonResponse({"accepted": True}, status=202)
