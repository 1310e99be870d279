"""The forecast page: a segment's median price for the next one to six months with its
interval, drawn after its history, and how the method did against the seasonal naive
forecast on the segment's own past."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from ifixit.analytics.forecast import selectors as forecasts
from ifixit.analytics.market.views import SegmentForm
from ifixit.analytics.warehouse import selectors

WIDTH, HEIGHT, TOP, BOTTOM = 360, 170, 12, 140
# Two years before the forecast: enough to see the season and the trend it carries on,
# few enough that six forecast months are not squeezed into the chart's last sliver.
CHART_HISTORY_MONTHS = 24
# An average miss above this (a share of the price) is no forecast to price a car on,
# whichever method won: the verdict says so.
WIDE_OF_THE_MARK = 0.15


class ForecastForm(SegmentForm):
    grain = None  # a forecast is monthly
    years = None  # and reads the history it needs
    horizon = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=forecasts.HORIZON, label="Months ahead",
        choices=[(h, f"{h} month{'s' if h > 1 else ''}") for h in range(1, forecasts.HORIZON + 1)],
        initial=forecasts.HORIZON,
    )


@dataclass(frozen=True)
class ForecastChart:
    history_path: str
    mid_path: str
    band_path: str
    split_x: float  # where the history ends
    labels: list[tuple[float, str, str]]  # x, text, text-anchor
    low: float
    high: float


def _forecast_chart(result: forecasts.SegmentForecast) -> ForecastChart | None:
    """History (the line breaks where a month had no sales), then the forecast's mid as a
    dashed line from the last month sold, inside its interval band."""
    history = list(result.history[-CHART_HISTORY_MONTHS:])
    ahead = list(result.months)
    if not ahead or len([h for h in history if h.median is not None]) < 2:
        return None
    values = [h.median for h in history if h.median is not None] + [m.low for m in ahead] + [m.high for m in ahead]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    count = len(history) + len(ahead)
    step = WIDTH / max(count - 1, 1)

    def x(i: int) -> float:
        return round(i * step, 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / span * (BOTTOM - TOP - 20), 1)

    pieces, pen_down = [], False
    for i, month in enumerate(history):
        if month.median is None:
            pen_down = False
            continue
        pieces.append(f"{'L' if pen_down else 'M'}{x(i)},{y(month.median)}")
        pen_down = True
    start = len(history)
    last = history[-1]
    # The dashed line starts at the last month sold, so the eye follows on from the history.
    mid = ([f"M{x(start - 1)},{y(last.median)}"] if last.median is not None else []) + [
        f"{'L' if (i or last.median is not None) else 'M'}{x(start + i)},{y(m.mid)}" for i, m in enumerate(ahead)
    ]
    band = "M" + " L".join(f"{x(start + i)},{y(m.high)}" for i, m in enumerate(ahead)) + " L" + " L".join(
        f"{x(start + i)},{y(m.low)}" for i, m in reversed(list(enumerate(ahead)))
    ) + " Z"
    months = [h.month for h in history] + [m.month for m in ahead]
    every = max(1, count // 5)
    # Anchored inwards at the edges so the first and last labels are not cut off.
    labels = [(x(i), f"{month:%b %y}", "start" if x(i) < 20 else "end" if x(i) > WIDTH - 20 else "middle")
              for i, month in enumerate(months) if i % every == 0]
    return ForecastChart(history_path=" ".join(pieces), mid_path=" ".join(mid), band_path=band,
                         split_x=round(x(start - 1) + step / 2, 1), labels=labels, low=low, high=high)


def _pounds(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal(1), ROUND_HALF_UP)


@login_required
@permission_required("auctions.view_lot", raise_exception=True)
@require_GET
def forecast(request):
    data = None
    if request.GET:
        data = request.GET.copy()
        data.setdefault("horizon", str(forecasts.HORIZON))  # a bound form ignores `initial`
    form = ForecastForm(data, choices=selectors.segment_choices())
    context = {"form": form, "width": WIDTH, "height": HEIGHT, "interval_pct": round(forecasts.INTERVAL * 100)}
    if form.is_bound and not form.is_valid():
        return TemplateResponse(request, "analytics/forecast.html", {**context, "segment": None}, status=400)
    segment = form.segment()
    horizon = (form.cleaned_data.get("horizon") if form.is_bound else None) or forecasts.HORIZON
    result = forecasts.segment_forecast(segment=segment, horizon=horizon)
    backtest = result.backtest
    return TemplateResponse(request, "analytics/forecast.html", {
        **context, "segment": segment, "result": result, "chart": _forecast_chart(result),
        "rows": [{"month": m.month, "mid": _pounds(m.mid), "low": _pounds(m.low), "high": _pounds(m.high)} for m in result.months],
        "backtest": backtest, "verdict": _verdict(backtest) if backtest else "",
        "backtest_rows": [_score_row(h) for h in backtest.horizons] if backtest else [],
        "models": selectors.models_of(segment.make) if segment.make else [],
        "market_query": request.GET.urlencode(),
    })


def _score_row(score) -> dict:
    row = {"horizon": score.horizon, "forecasts": score.forecasts, "better": score.model_better}
    if score.forecasts:
        row.update(model=score.model_mape * 100, naive=score.naive_mape * 100, coverage=score.coverage * 100,
                   model_mae=_pounds(score.model_mae), naive_mae=_pounds(score.naive_mae))
    return row


def _verdict(backtest) -> str:
    """One plain sentence: did the model beat the seasonal naive forecast on this history?"""
    if not backtest.scored:
        return "Too little history to test the forecast on past months yet."
    horizons = len(backtest.horizons)
    model, naive = backtest.model_mape * 100, backtest.naive_mape * 100
    if backtest.beats_naive:
        sentence = (f"The model beat the seasonal naive forecast: on average {model:.1f}% off against {naive:.1f}% "
                    f"over {backtest.scored} past forecasts, better at {backtest.horizons_won} of {horizons} horizons.")
    else:
        sentence = (f"The model did not beat the seasonal naive forecast: on average {model:.1f}% off against {naive:.1f}% "
                    f"over {backtest.scored} past forecasts (better at {backtest.horizons_won} of {horizons} horizons).")
    if backtest.model_mape > WIDE_OF_THE_MARK:
        sentence += (" Both miss by a lot here: a month's median of this segment moves with which cars happened to sell, "
                     "so read the range rather than the figure.")
    return sentence
