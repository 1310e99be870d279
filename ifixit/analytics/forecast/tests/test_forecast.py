"""Market forecasts: the method on series whose future is known by construction, the
segment's series read from the rollups, and the Forecast page and API."""

import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from ifixit.analytics import demo_data
from ifixit.analytics.forecast import selectors as forecasts
from ifixit.analytics.ml import forecast as ml
from ifixit.analytics.models import SaleFact
from ifixit.analytics.warehouse import selectors
from ifixit.analytics.warehouse import services as warehouse

# % above or below the trend per calendar month (they add up to zero): big enough that a
# forecast ignoring the season would miss by up to 8 %.
SEASON = {1: -8, 2: -4, 3: 6, 4: 8, 5: 4, 6: 0, 7: -2, 8: -3, 9: 6, 10: 2, 11: -3, 12: -6}
SLOPE = 0.01  # +1 % a month: a forecast ignoring the trend would be 6 % low at six months
NOISE = 0.02  # the month's median wobbles 2 % (log sd), about what 40 sales a month give


def truth(months: pd.PeriodIndex, start: int = 0) -> np.ndarray:
    """The planted price without noise: £10,000 growing 1 % a month, times the season."""
    t = np.arange(start, start + len(months))
    return 10_000 * np.exp(SLOPE * t) * np.array([1 + SEASON[m.month] / 100 for m in months])


def planted(months: int = 48, seed: int = 7, noise: float = NOISE) -> tuple[pd.Series, pd.Series]:
    """`months` of history from Jan 2021 and the six noise-free months after it."""
    index = pd.period_range("2021-01", periods=months, freq="M")
    future = pd.period_range(index[-1] + 1, periods=6, freq="M")
    rng = np.random.default_rng(seed)
    history = pd.Series(truth(index) * np.exp(rng.normal(0, noise, months)), index=index)
    return history, pd.Series(truth(future, start=months), index=future)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The cache is keyed on the warehouse version, which repeats between tests whose
    # databases were rolled back to the same state: each test starts from an empty cache.
    cache.clear()


# --- The method ---------------------------------------------------------------------------------


def test_it_recovers_a_planted_trend_and_season():
    history, future = planted()

    result = ml.forecast(history, horizon=6)

    assert result.method == ml.SEASONAL and result.seasonal and result.note == ""
    assert [m.month for m in result.months] == [date(2025, 1, 1) + relativedelta(months=i) for i in range(6)]
    # The model has 19 fitted values on 48 months with 2 % noise: its mid should be off the
    # noise-free future by about 2 % × √(19/48) ≈ 1.3 %; 4 % is three times that, and still
    # well under what leaving out the season (8 %) or the trend (6 % by month six) would cost.
    for month, expected in zip(result.months, future):
        assert month.mid == pytest.approx(expected, rel=0.04), month
        assert month.low <= expected <= month.high, month


def test_it_beats_the_seasonal_naive_forecast_when_prices_trend():
    history, _ = planted()

    scores = ml.backtest(history, horizon=6, origins=12)

    assert scores.origins == 12 and scores.methods == (ml.SEASONAL,)
    assert [h.forecasts for h in scores.horizons] == [12, 11, 10, 9, 8, 7]
    # A year of +1 % a month puts the naive forecast about 12 % low; the model only pays the noise.
    assert all(h.naive_mape > 0.08 for h in scores.horizons)
    assert all(h.model_mape < h.naive_mape / 2 for h in scores.horizons)
    assert scores.beats_naive and scores.horizons_won == 6
    assert 0.5 <= scores.coverage <= 1.0


def test_without_a_trend_the_naive_forecast_is_hard_to_beat_and_the_backtest_says_so():
    """A pure season with no noise repeats itself exactly: the naive forecast is perfect
    and the model cannot beat it, which the backtest must report rather than hide."""
    index = pd.period_range("2021-01", periods=40, freq="M")
    series = pd.Series([10_000 * (1 + SEASON[m.month] / 100) for m in index], index=index)

    scores = ml.backtest(series, horizon=3, origins=6)

    assert scores.naive_mape == pytest.approx(0, abs=1e-12)
    assert scores.beats_naive is False


def test_seasonal_naive_is_the_value_a_year_earlier():
    rng = np.random.default_rng(3)
    index = pd.date_range("2022-03-01", periods=30, freq="MS")  # month-start timestamps work as well as periods
    series = pd.Series(rng.uniform(5_000, 20_000, 30), index=index)

    naive = ml.seasonal_naive(series, horizon=6)

    assert list(naive.index) == list(pd.period_range("2024-09", periods=6, freq="M"))
    assert naive.tolist() == series.iloc[-12:-6].tolist()
    assert ml.seasonal_naive(series, horizon=12).tolist() == series.iloc[-12:].tolist()


def test_a_short_history_is_refused_with_the_reason_and_a_middling_one_gets_no_season():
    history, _ = planted(months=30)

    with pytest.raises(ml.NotEnoughHistory, match="11 months with sales; a forecast needs at least 12") as refused:
        ml.forecast(history.iloc[:11])
    assert refused.value.months_available == 11

    short = ml.forecast(history.iloc[:18])
    assert short.method == ml.TREND_ONLY and not short.seasonal and short.damped
    assert short.note.startswith("Not enough history for seasonality: 18 months")
    assert ml.forecast(history.iloc[:24]).seasonal


def test_intervals_hold_the_mid_and_widen_with_the_horizon():
    # A random walk: the further ahead, the further the price may have wandered.
    rng = np.random.default_rng(11)
    index = pd.period_range("2021-01", periods=36, freq="M")
    series = pd.Series(12_000 * np.exp(np.cumsum(rng.normal(0, 0.03, 36))), index=index)

    for allow_seasonal in (True, False):
        months = ml.forecast(series, horizon=6, allow_seasonal=allow_seasonal).months
        assert all(m.low < m.mid < m.high for m in months)
        widths = [math.log(m.high / m.low) for m in months]
        assert widths == sorted(widths) and widths[-1] > widths[0] * 1.5


def test_holes_are_filled_a_long_one_cuts_the_history_and_a_silent_end_is_refused():
    history, _ = planted(months=40)
    holed = history.copy()
    holed.iloc[[5, 20, 21]] = np.nan
    holed = holed.drop(holed.index[30])  # a month simply absent counts as a hole too

    result = ml.forecast(holed)
    assert result.filled == (date(2021, 6, 1), date(2022, 9, 1), date(2022, 10, 1), date(2023, 7, 1))
    assert result.ignored_before is None and result.months_used == 40
    # Filled months are not outcomes: the backtest scores one forecast fewer at horizon 1.
    assert ml.backtest(holed, 1, origins=12).horizons[0].forecasts == 11
    assert ml.backtest(history, 1, origins=12).horizons[0].forecasts == 12

    cut = history.copy()
    cut.iloc[8:11] = np.nan  # three months without sales: too long to make up
    result = ml.forecast(cut)
    assert result.ignored_before == date(2021, 12, 1) and result.months_used == 29

    quiet = history.copy()
    quiet.iloc[-2:] = np.nan  # no sales in the last two months: forecast over them
    result = ml.forecast(quiet, horizon=2)
    assert result.last_month == date(2024, 4, 1) and result.months[0].month == date(2024, 5, 1)
    quiet.iloc[-3:] = np.nan
    with pytest.raises(ml.NotEnoughHistory, match="No sales in the last 3 months"):
        ml.forecast(quiet)


def test_bad_arguments_are_refused():
    history, _ = planted(months=24)
    for horizon in (0, 13, 2.5):
        with pytest.raises(ValueError, match="horizon"):
            ml.forecast(history, horizon=horizon)
    with pytest.raises(ValueError, match="interval"):
        ml.forecast(history, interval=1.2)
    with pytest.raises(ValueError, match="positive"):
        ml.forecast(history - 20_000)


# --- The segment's series, from the rollups ---------------------------------------------------


def sales(make: str, months: list[date], prices: list[float], per_month: int = 25, tag: str = "") -> list[SaleFact]:
    """`per_month` sales of one make in each month, all at that month's price."""
    return [
        SaleFact(
            kind="auction",
            source="BCA",
            source_ref=f"{make}:{month}:{i}{tag}",
            make=make,
            model="One",
            year=2019,
            mileage=40_000,
            price=Decimal(f"{price:.0f}"),
            sale_date=month + timedelta(days=i % 27),
            body_type="suv",
        )
        for month, price in zip(months, prices)
        for i in range(per_month)
    ]


def months_before(today: date, count: int) -> list[date]:
    first = today.replace(day=1) - relativedelta(months=count)
    return [first + relativedelta(months=i) for i in range(count)]


@pytest.fixture
def planted_segment(db):
    """36 complete months of a planted make, after a thin first month (the history began
    part-way through it) and before this month, still selling: both at wild prices that
    must not count."""
    today = timezone.localdate()
    months = months_before(today, 36)
    index = pd.PeriodIndex([pd.Period(m, freq="M") for m in months])
    SaleFact.objects.bulk_create(
        sales("Plantd", months, list(truth(index)))
        + sales("Plantd", [today.replace(day=1)], [90_000], 3)
        + sales("Plantd", [months[0] - relativedelta(months=1)], [90_000], 3)
    )
    warehouse.rollups_refresh()
    return months


def test_a_segment_s_history_is_its_trend_without_the_month_still_selling(planted_segment):
    result = forecasts.segment_forecast(segment=selectors.Segment(make="Plantd"))

    trend = selectors.trend(segment=selectors.Segment(make="Plantd"), start=planted_segment[0])
    assert [h.month for h in result.history] == planted_segment == [p.period for p in trend.points][:-1]
    assert [h.median for h in result.history] == [float(p.median) for p in trend.points][:-1]
    assert result.typical_volume == 25 and result.last_month == planted_segment[-1]
    assert result.partial_start == planted_segment[0] - relativedelta(months=1)
    assert result.forecast.seasonal and result.months[0].month == timezone.localdate().replace(day=1)
    # The rollups' medians are read from histograms (within 4.2 % of the price, stats.BUCKET_RATIO);
    # the £90,000 sales of this month or of the thin first would have pulled the forecast far above £20,000.
    assert all(m.high < 20_000 for m in result.months)


def test_the_forecast_is_cached_until_the_rollups_change(planted_segment):
    segment = selectors.Segment(make="Plantd")
    before = forecasts.segment_forecast(segment=segment)
    SaleFact.objects.bulk_create(sales("Plantd", [planted_segment[-1]], [15_000], per_month=5, tag="late"))
    assert forecasts.segment_forecast(segment=segment).history[-1].volume == 25  # facts not rolled up yet

    warehouse.rollups_refresh()

    after = forecasts.segment_forecast(segment=segment)
    assert after.history[-1].volume == 30 and before.history[-1].volume == 25
    assert len(forecasts.segment_forecast(segment=segment, horizon=2).months) == 2


def test_a_thin_segment_gets_a_trend_only_and_says_why(db):
    today = timezone.localdate()
    months = months_before(today, 30)
    SaleFact.objects.bulk_create(sales("Thinn", months, [8_000 + 50 * i for i in range(30)], per_month=4))
    warehouse.rollups_refresh()

    result = forecasts.segment_forecast(segment=selectors.Segment(make="Thinn"))

    assert result.forecast.method == ml.TREND_ONLY
    assert result.forecast.note.startswith("Too few sales a month for a seasonal pattern (typically 4; needs 20)")


def test_the_demo_data_gives_a_forecast_for_the_common_segments(db):
    demo_data.analytics_demo_data_create(seed=3, facts=3000)

    whole = forecasts.segment_forecast(segment=selectors.Segment())
    ford = forecasts.segment_forecast(segment=selectors.Segment(make="Ford"))

    assert whole.forecast.seasonal and len(whole.months) == 6 and whole.backtest.origins >= 6
    assert ford.forecast is not None and len(ford.months) == 6
    # Demo prices: £2,000-£40,000 cars, so every segment's median sits within those.
    assert all(2_000 < m.low < m.mid < m.high < 40_000 for m in whole.months + ford.months)


# --- The page -----------------------------------------------------------------------------------


def test_the_page_shows_the_forecast_the_interval_and_the_backtest(client, manager, planted_segment):
    client.force_login(manager)
    response = client.get(reverse("analytics_forecast"), {"make": "Plantd", "horizon": 4})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<tr>", body.index('data-testid="forecast-table"')) >= 4
    assert 'data-testid="interval-band"' in body and 'data-testid="forecast-line"' in body
    assert "The model beat the seasonal naive forecast" in body  # +1 % a month: the naive forecast is a year behind
    table = body[body.index('data-testid="backtest-table"') :]
    assert table.count("</tr>") == 5  # a header and four horizons


def test_the_page_says_when_the_naive_forecast_wins_and_when_both_are_far_off(client, manager, db):
    months = months_before(timezone.localdate(), 36)
    # The same prices every year: the naive forecast is exact, the model cannot beat it.
    steady = [10_000 * (1 + SEASON[m.month] / 100) for m in months]
    # Medians jumping at random by ±50 %: nothing forecasts that well.
    wild = list(9_000 * np.exp(np.random.default_rng(5).normal(0, 0.5, 36)))
    SaleFact.objects.bulk_create(sales("Steady", months, steady) + sales("Wild", months, wild))
    warehouse.rollups_refresh()
    client.force_login(manager)

    body = client.get(reverse("analytics_forecast"), {"make": "Steady"}).content.decode()
    assert "The model did not beat the seasonal naive forecast: on average" in body
    assert "against 0.0% over" in body and "Both miss by a lot" not in body
    assert '<option value="6" selected>' in body  # the horizon defaults to six months
    body = client.get(reverse("analytics_forecast"), {"make": "Wild"}).content.decode()
    assert "Both miss by a lot here" in body


def test_a_segment_without_enough_history_says_so(client, manager, db):
    SaleFact.objects.bulk_create(sales("Newco", months_before(timezone.localdate(), 5), [9_000] * 5))
    warehouse.rollups_refresh()
    client.force_login(manager)

    body = client.get(reverse("analytics_forecast"), {"make": "Newco"}).content.decode()

    assert 'data-testid="no-forecast"' in body and "5 months with sales; a forecast needs at least 12." in body
    assert 'data-testid="backtest"' not in body


def test_a_bad_horizon_is_a_400_with_the_error_at_the_field(client, manager, db):
    client.force_login(manager)

    response = client.get(reverse("analytics_forecast"), {"horizon": "9"})

    assert response.status_code == 400
    assert 'id="id_horizon-error"' in response.content.decode()


def test_strangers_workshop_staff_and_posts_are_kept_out(client, workshop_user, manager):
    url = reverse("analytics_forecast")
    assert client.get(url).status_code == 302
    client.force_login(workshop_user)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.post(url).status_code == 405


def test_the_page_runs_a_fixed_number_of_queries(client, manager, planted_segment, django_assert_num_queries):
    client.force_login(manager)
    url = reverse("analytics_forecast")
    # The first request caches the user's permissions: ifixit/accounts/permissions.py. It is made
    # on a page that reads no analytics, so that the forecast's own caches are still cold below.
    assert client.get(reverse("home")).status_code == 200
    # Cold: session, user, the unread notifications (base page); the choices (version + six
    # lists); the models of the make; the forecast (version) and its trend (version + the rollups).
    with django_assert_num_queries(14):
        client.get(url, {"make": "Plantd"})
    # Warm: the base page's three, the models, and one warehouse version per cached answer.
    with django_assert_num_queries(6):
        client.get(url, {"make": "Plantd"})


def test_the_market_page_links_to_the_segment_s_forecast(client, manager, db):
    client.force_login(manager)
    body = client.get(reverse("analytics_market"), {"make": "Ford", "model": "Focus"}).content.decode()
    assert reverse("analytics_forecast") + "?make=Ford&amp;model=Focus" in body


# --- The API ------------------------------------------------------------------------------------


def test_the_api_gives_the_forecast_method_and_backtest(api, planted_segment):
    body = api.get(reverse("api_analytics_forecast"), {"make": "Plantd", "horizon": 3}).json()

    assert body["enough_history"] and body["method"] == ml.SEASONAL and body["seasonal"]
    assert body["last_complete_month"] == planted_segment[-1].isoformat()
    assert [m["horizon"] for m in body["forecast"]] == [1, 2, 3]
    assert all(Decimal(m["low"]) < Decimal(m["mid"]) < Decimal(m["high"]) for m in body["forecast"])
    assert len(body["history"]) == 36 and body["history"][-1]["volume"] == 25
    backtest = body["backtest"]
    assert [h["horizon"] for h in backtest["horizons"]] == [1, 2, 3] and backtest["beats_naive"] is True
    assert Decimal(backtest["model_mape_pct"]) < Decimal(backtest["naive_mape_pct"])


def test_the_api_explains_a_refusal(api, db):
    body = api.get(reverse("api_analytics_forecast"), {"make": "Nobody"}).json()
    assert body["enough_history"] is False and body["forecast"] == [] and body["backtest"] is None
    assert body["reason"] == "No dated sales of this segment in the last five years."


@pytest.mark.parametrize("horizon", ["0", "7", "six"])
def test_the_api_refuses_a_bad_horizon(api, db, horizon):
    response = api.get(reverse("api_analytics_forecast"), {"horizon": horizon})
    assert response.status_code == 400 and "horizon" in response.json()


def test_the_api_needs_a_user_who_may_see_the_market(workshop_user, db, anon, api_for):
    url = reverse("api_analytics_forecast")
    assert anon.get(url).status_code == 401
    workshop = api_for(workshop_user)
    assert workshop.get(url).status_code == 403


def test_the_api_runs_a_fixed_number_of_queries(api, planted_segment, django_assert_num_queries):
    # The permissions (user's and groups', then kept on the authenticated user object), and
    # cold: the forecast's version, the trend's version and the rollups; warm: the forecast's version.
    with django_assert_num_queries(2 + 3):
        api.get(reverse("api_analytics_forecast"), {"make": "Plantd"})
    with django_assert_num_queries(1):
        api.get(reverse("api_analytics_forecast"), {"make": "Plantd"})
