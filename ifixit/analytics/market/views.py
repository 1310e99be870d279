"""Market pages: a segment's price trend and seasonality, and where a car in stock or a
lot at auction sits against comparable sales. Read from the rollups and the cache."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ifixit.analytics.market import comparison
from ifixit.analytics.models import AGE_BANDS, MILEAGE_BANDS, Rollup
from ifixit.analytics.seasonality import SeasonalProfile
from ifixit.analytics.warehouse import selectors
from ifixit.auctions.models import Lot
from ifixit.inventory.selectors import car_get

WIDTH, HEIGHT, TOP, BOTTOM = 360, 170, 10, 130


class SegmentForm(forms.Form):
    make = forms.ChoiceField(required=False)
    model = forms.CharField(required=False, max_length=50)
    body_type = forms.ChoiceField(required=False, label="Body")
    age_band = forms.ChoiceField(required=False, label="Age (years)", choices=[("", "Any age")] + [(b, b) for *_, b in AGE_BANDS])
    mileage_band = forms.ChoiceField(required=False, label="Mileage", choices=[("", "Any mileage")] + [(b, b) for *_, b in MILEAGE_BANDS])
    source = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False)
    grain = forms.ChoiceField(required=False, choices=[("month", "By month"), ("week", "By week")], initial="month")
    years = forms.TypedChoiceField(required=False, coerce=int, choices=[(1, "1 year"), (2, "2 years"), (3, "3 years"), (5, "5 years")], initial=2, label="Over")

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["make"].choices = [("", "Any make")] + [(v, v) for v in choices.get("make", [])]
        self.fields["body_type"].choices = [("", "Any body")] + [(v, v.title()) for v in choices.get("body_type", [])]
        self.fields["source"].choices = [("", "Every source")] + [(v, v) for v in choices.get("source", [])]
        self.fields["region"].choices = [("", "Every region")] + [(v, v) for v in choices.get("region", [])]

    def segment(self) -> selectors.Segment:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.Segment(**{k: (data.get(k) or "").strip() for k in ("make", "model", "body_type", "age_band", "mileage_band", "source", "region")})


@dataclass(frozen=True)
class TrendChart:
    median_path: str
    band_path: str
    bars: list[tuple[float, float, float, float]]  # x, y, width, height of volume bars
    labels: list[tuple[float, str]]
    low: object
    high: object


def _trend_chart(points) -> TrendChart | None:
    priced = [p for p in points if p.median is not None]
    if len(priced) < 2:
        return None
    low = min(p.p25 for p in priced)
    high = max(p.p75 for p in priced)
    span = float(high - low) or 1.0
    step = WIDTH / max(len(points) - 1, 1)
    top_volume = max(p.volume for p in points) or 1

    def y(value) -> float:
        return round(TOP + (float(high) - float(value)) / span * (BOTTOM - TOP - 30), 1)

    xs = {p.period: round(i * step, 1) for i, p in enumerate(points)}
    median_path = "M" + " L".join(f"{xs[p.period]},{y(p.median)}" for p in priced)
    band_path = "M" + " L".join(f"{xs[p.period]},{y(p.p75)}" for p in priced) + " L" + " L".join(
        f"{xs[p.period]},{y(p.p25)}" for p in reversed(priced)
    ) + " Z"
    bar_width = max(1.0, step * 0.6)
    bars = [(round(xs[p.period] - bar_width / 2, 1), round(BOTTOM - 25 * p.volume / top_volume, 1), round(bar_width, 1), round(25 * p.volume / top_volume, 1)) for p in points]
    every = max(1, len(points) // 6)
    labels = [(xs[p.period], f"{p.period:%b %y}") for i, p in enumerate(points) if i % every == 0]
    return TrendChart(median_path=median_path, band_path=band_path, bars=bars, labels=labels, low=low, high=high)


def _season_rows(result: selectors.Seasonality) -> list[dict]:
    market = result.market if isinstance(result.market, SeasonalProfile) else None
    own = result.own if isinstance(result.own, SeasonalProfile) else None
    days = result.market_days if isinstance(result.market_days, SeasonalProfile) else None
    if market is None and own is None:
        return []
    biggest = max([abs(m.index_pct) for p in (market, own) if p for m in p.months] + [1.0])
    rows = []
    for month in range(1, 13):
        row = {"month": calendar.month_abbr[month], "number": month}
        for name, profile in (("market", market), ("own", own), ("days", days)):
            entry = profile.months[month - 1] if profile else None
            row[name] = entry
            row[f"{name}_width"] = round(abs(entry.index_pct) / biggest * 45, 1) if entry else 0
        rows.append(row)
    return rows


@login_required
@permission_required("auctions.view_lot", raise_exception=True)
@require_GET
def market(request):
    form = SegmentForm(request.GET or None, choices=selectors.segment_choices())
    segment = form.segment()
    grain = (form.cleaned_data.get("grain") if form.is_valid() else "") or Rollup.Grain.MONTH
    years = (form.cleaned_data.get("years") if form.is_valid() else None) or 2
    today = timezone.localdate()
    start = date(today.year - years, today.month, 1)
    if grain == Rollup.Grain.WEEK:
        start -= timedelta(days=start.weekday())  # the first week whole, from its Monday
    trend = selectors.trend(segment=segment, grain=grain, start=start)
    seasons = selectors.seasonality_of(segment=segment)
    latest = next((p for p in reversed(trend.points) if p.median is not None), None)
    return TemplateResponse(
        request,
        "analytics/market.html",
        {
            "form": form, "segment": segment, "trend": trend, "chart": _trend_chart(trend.points), "latest": latest,
            "seasons": seasons, "season_rows": _season_rows(seasons), "models": selectors.models_of(segment.make) if segment.make else [],
            "month_names": dict(enumerate(calendar.month_name)), "size": selectors.warehouse_size(), "width": WIDTH, "height": HEIGHT,
            "min_monthly_sales": selectors.MIN_MONTHLY_SALES,
        },
    )


@login_required
@permission_required("auctions.view_lot", raise_exception=True)
@require_GET
def compare_car(request, pk: int):
    car = car_get(user=request.user, pk=pk)
    result = comparison.compare(comparison.subject_for_car(car), today=timezone.localdate(), user=request.user,
                                exclude_refs=(f"sale:{car.sale.pk}",) if getattr(car, "sale", None) else ())
    return TemplateResponse(request, "analytics/compare.html", {"result": result, "back": car, "kind": "car"})


@login_required
@permission_required("auctions.view_lot", raise_exception=True)
@require_GET
def compare_lot(request, pk: int):
    lot = Lot.objects.select_related("source").filter(pk=pk).first()
    if lot is None:
        raise Http404("No such lot")
    result = comparison.compare(comparison.subject_for_lot(lot), today=timezone.localdate(), user=request.user,
                                exclude_refs=(f"lot:{lot.external_id}",))
    return TemplateResponse(request, "analytics/compare.html", {"result": result, "back": lot, "kind": "lot"})
