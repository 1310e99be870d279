"""Reads of the auction side. Auctions are the group's, not a location's: who may look is
a matter of role (auctions.view_lot), checked in the views."""

from dataclasses import dataclass

from django.db.models import QuerySet

from ifixit.auctions.models import AuctionSource, Lot, PriceTick


@dataclass(frozen=True)
class LotFilters:
    source: int | None = None
    make: str = ""
    price_min: int | None = None
    price_max: int | None = None
    stage: str = ""  # "" = open (pre-bid and live), or a stage


def lot_board(*, filters: LotFilters) -> QuerySet[Lot]:
    """Open lots, ending soonest first (one query with the source)."""
    lots = Lot.objects.select_related("source")
    lots = lots.filter(stage=filters.stage) if filters.stage else lots.exclude(stage=Lot.Stage.CLOSED)
    if filters.source:
        lots = lots.filter(source_id=filters.source)
    if filters.make:
        lots = lots.filter(make__iexact=filters.make)
    if filters.price_min is not None:
        lots = lots.filter(current_bid__gte=filters.price_min)
    if filters.price_max is not None:
        lots = lots.filter(current_bid__lte=filters.price_max)
    return lots.order_by("ends_at", "id")


def lot_makes() -> list[str]:
    return list(Lot.objects.exclude(stage=Lot.Stage.CLOSED).order_by("make").values_list("make", flat=True).distinct())


def lot_ticks(*, lot: Lot, limit: int = 500) -> list[PriceTick]:
    """The latest `limit` prices of a lot, oldest first."""
    return list(reversed(lot.ticks.order_by("-seq")[:limit]))


def sources() -> QuerySet[AuctionSource]:
    return AuctionSource.objects.select_related("health").order_by("name")
