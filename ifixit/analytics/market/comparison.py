"""Market comparison: where a price sits against comparable vehicles sold, source by
source: its percentile, the comparables' median and the price-to-market ratio, with the
nearest comparables listed."""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from django.conf import settings
from django.db.models import Q

from ifixit import vocabulary
from ifixit.analytics.models import OWN_SOURCE, SaleFact
from ifixit.locations.selectors import locations_visible_to

WINDOW_DAYS = 730  # comparables sold in the last two years
YEARS_EITHER_SIDE = 2
MILEAGE_SPREAD = 0.35  # within 35% of the mileage either way
MAX_FACTS = 5000
LISTED = 20


@dataclass(frozen=True)
class Subject:
    make: str
    model: str
    year: int | None
    mileage: int | None
    price: Decimal | None  # asking price, current bid...
    label: str


@dataclass(frozen=True)
class SourcePosition:
    source: str
    count: int
    median: Decimal
    p25: Decimal
    p75: Decimal
    percentile: float | None  # where the subject's price sits, 0-100
    price_to_market: float | None  # subject price / median, as a %


@dataclass(frozen=True)
class Comparison:
    subject: Subject
    sources: list[SourcePosition]
    comparables: list[SaleFact]
    count: int
    window_start: date
    criteria: str

    @property
    def overall(self) -> SourcePosition | None:
        return next((s for s in self.sources if s.source == "All sources"), None)


def _quantile(sorted_values: list[Decimal], q: float) -> Decimal:
    if len(sorted_values) == 1:
        return sorted_values[0]
    position = q * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * Decimal(str(position - low))


def _position(name: str, prices: list[Decimal], price: Decimal | None) -> SourcePosition:
    ordered = sorted(prices)
    mid = Decimal(str(median(ordered)))
    percentile = None
    if price is not None:
        # Mid-rank: a price equal to every comparable sits at the 50th percentile.
        below, up_to = bisect_left(ordered, price), bisect_right(ordered, price)
        percentile = 100 * (below + (up_to - below) / 2) / len(ordered)
    return SourcePosition(
        source=name, count=len(ordered), median=mid.quantize(Decimal("1")), p25=_quantile(ordered, 0.25).quantize(Decimal("1")),
        p75=_quantile(ordered, 0.75).quantize(Decimal("1")), percentile=percentile,
        price_to_market=float(price / mid * 100) if price is not None and mid else None,
    )


def compare(subject: Subject, *, today: date, user=None, exclude_refs: tuple[str, ...] = ()) -> Comparison:
    """Comparables: same make and model, a model year within two, mileage within 35%,
    sold in the last two years; one query, at most MAX_FACTS of the most recent."""
    make, model = vocabulary.make(subject.make), vocabulary.model(subject.model)
    window_start = today - timedelta(days=WINDOW_DAYS)
    facts = SaleFact.objects.filter(make=make, model=model, sale_date__gte=window_start, sale_date__lte=today)
    criteria = [f"{make} {model}", f"sold since {window_start:%d %b %Y}"]
    if subject.year:
        facts = facts.filter(year__gte=subject.year - YEARS_EITHER_SIDE, year__lte=subject.year + YEARS_EITHER_SIDE)
        criteria.append(f"{subject.year - YEARS_EITHER_SIDE}-{subject.year + YEARS_EITHER_SIDE}")
    if subject.mileage:
        low, high = int(subject.mileage * (1 - MILEAGE_SPREAD)), int(subject.mileage * (1 + MILEAGE_SPREAD))
        facts = facts.filter(mileage__gte=low, mileage__lte=high)
        criteria.append(f"{low:,}-{high:,} miles")
    if exclude_refs:
        facts = facts.exclude(source_ref__in=exclude_refs)
    if user is not None and not user.is_group_wide:
        # The group's own sales are comparables only from the user's locations (their
        # region is the location's name); the market's are everyone's.
        mine = list(locations_visible_to(user).values_list("name", flat=True))
        facts = facts.exclude(Q(source=OWN_SOURCE) & ~Q(region__in=mine))
    found = list(facts.order_by("-sale_date", "-pk")[:MAX_FACTS])
    by_source: dict[str, list[Decimal]] = {}
    for fact in found:
        by_source.setdefault(fact.source, []).append(fact.price)
    sources = []
    if found:
        sources.append(_position("All sources", [f.price for f in found], subject.price))
        sources += [_position(name, prices, subject.price) for name, prices in sorted(by_source.items(), key=lambda kv: -len(kv[1]))]

    def distance(fact: SaleFact) -> float:
        years = abs((fact.year or subject.year or 0) - (subject.year or fact.year or 0))
        miles = abs((fact.mileage or 0) - (subject.mileage or 0)) / max(subject.mileage or 1, 1)
        return years + 2 * miles + (today - fact.sale_date).days / 365

    nearest = sorted(found, key=distance)[:LISTED]
    return Comparison(subject=subject, sources=sources, comparables=nearest, count=len(found), window_start=window_start, criteria=", ".join(criteria))


def subject_for_car(car) -> Subject:
    return Subject(make=car.make, model=car.model, year=car.year, mileage=car.mileage,
                   price=car.asking_price, label=f"{car.year} {car.make} {car.model} asking")


def subject_for_lot(lot) -> Subject:
    try:
        mileage = vocabulary.miles(lot.mileage, lot.mileage_unit) if lot.mileage is not None else None
    except ValueError:
        mileage = None
    # A bid in another currency is not set against prices in ours: comparables only.
    same_currency = (lot.currency or "").upper() == settings.CURRENCY
    price = Decimal(lot.current_bid) if lot.current_bid and same_currency else None
    label = f"{lot.year or ''} {lot.make} {lot.model} current bid".strip()
    if not same_currency:
        label += f" (in {lot.currency}, not compared)"
    return Subject(make=lot.make, model=lot.model, year=lot.year, mileage=mileage, price=price, label=label)
