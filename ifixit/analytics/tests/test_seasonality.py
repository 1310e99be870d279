"""Seasonality on made-up series whose seasonal pattern is planted, so the right
index for every month is known: it must come back within 1.5 percentage points."""

import math
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from ifixit.analytics import seasonality
from ifixit.analytics.seasonality import NotEnoughHistory, SeasonalProfile

# % above or below trend per calendar month: peaks in March and September, troughs in
# December and January; they add up to zero.
PLANTED = {1: -6, 2: -1, 3: 8, 4: 3, 5: 2, 6: 0, 7: -2, 8: -4, 9: 8, 10: 1, 11: -3, 12: -6}
TOLERANCE = 1.5  # percentage points
MONTHS = pd.date_range("2021-01-01", periods=48, freq="MS")


def planted_series(months=MONTHS, pattern=PLANTED, start=10_000.0, slope=60.0) -> pd.Series:
    """A linear trend times the planted pattern, with a small deterministic wobble (±0.4 %)."""
    return pd.Series(
        [
            (start + slope * t) * (1 + pattern[month.month] / 100) * (1 + 0.004 * math.sin(2.3 * t))
            for t, month in enumerate(months)
        ],
        index=months,
    )


def assert_recovers(profile, pattern=PLANTED, skip=()):
    assert isinstance(profile, SeasonalProfile)
    for month in profile.months:
        if month.month not in skip:
            assert month.index_pct == pytest.approx(pattern[month.month], abs=TOLERANCE), month


def test_it_recovers_the_planted_pattern():
    profile = seasonality.seasonal_profile(planted_series())

    assert_recovers(profile)
    assert [m.month for m in profile.months] == list(range(1, 13))
    assert all(m.years == 4 and m.observations is None for m in profile.months)
    assert (profile.first_month, profile.last_month, profile.months_used) == (date(2021, 1, 1), date(2024, 12, 1), 48)
    assert profile.interpolated == ()


def test_it_names_the_planted_extremes_as_the_months_to_buy_and_sell():
    profile = seasonality.seasonal_profile(planted_series())

    assert seasonality.best_month_to_buy(profile) in {12, 1}
    assert seasonality.best_month_to_sell(profile) in {3, 9}


def test_it_reads_a_falling_market_the_same_way():
    profile = seasonality.seasonal_profile(planted_series(start=30_000.0, slope=-250.0))

    assert_recovers(profile)


def test_it_weighs_days_to_sell_against_price_when_choosing_the_month_to_sell():
    # Cars sell slowly in March (+10 %) and fastest in April (−12 %). Price index minus
    # days index: March 8 − 10 = −2, September 8 − 0 = 8, April 3 + 12 = 15.
    days_pattern = {1: 6, 2: 2, 3: 10, 4: -12, 5: -2, 6: -3, 7: 1, 8: 2, 9: 0, 10: -2, 11: -4, 12: 2}
    price = seasonality.seasonal_profile(planted_series())
    days = seasonality.seasonal_profile(planted_series(pattern=days_pattern, start=40.0, slope=-0.1))

    assert_recovers(days, days_pattern)
    assert seasonality.best_month_to_sell(price, days) == 4
    assert seasonality.best_month_to_sell(price) in {3, 9}


def test_it_says_fourteen_months_are_not_enough():
    result = seasonality.seasonal_profile(planted_series(months=MONTHS[:14]))

    assert result == NotEnoughHistory(
        reason="14 months of history; seasonality needs 2 years (24 months).", months_available=14, months_needed=24
    )


def test_it_asks_for_more_years_when_told_to():
    result = seasonality.seasonal_profile(planted_series(months=MONTHS[:30]), min_years=3)

    assert isinstance(result, NotEnoughHistory)
    assert (result.months_available, result.months_needed) == (30, 36)


def test_it_fills_in_two_missing_months():
    series = planted_series().drop(MONTHS[17:19])  # June and July 2022

    profile = seasonality.seasonal_profile(series)

    assert_recovers(profile)
    assert profile.interpolated == (date(2022, 6, 1), date(2022, 7, 1))
    assert profile.months_used == 48
    assert [m.years for m in profile.months if m.month in (6, 7)] == [3, 3]


def test_it_reads_a_missing_value_as_a_missing_month():
    series = planted_series()
    series.iloc[17] = float("nan")

    profile = seasonality.seasonal_profile(series)

    assert profile.interpolated == (date(2022, 6, 1),)


def test_it_will_not_make_up_three_months_in_a_row():
    series = planted_series().drop(MONTHS[17:20])  # June to August 2022

    result = seasonality.seasonal_profile(series)

    assert isinstance(result, NotEnoughHistory)
    assert result.reason.startswith("3 months in a row without data (Jun 2022 to Aug 2022)")
    assert result.months_available == 45


def test_it_is_not_bent_by_one_freak_month():
    series = planted_series()
    series.iloc[22] *= 1.4  # November 2022 reads 40 % high (a few prestige cars in a thin month)

    assert_recovers(seasonality.seasonal_profile(series))


def test_it_reports_the_sales_behind_each_month():
    counts = pd.Series([10 + t % 3 for t in range(48)], index=MONTHS)  # 10, 11, 12, 10, ...

    profile = seasonality.seasonal_profile(planted_series(), observations=counts)

    assert profile.observations == sum(10 + t % 3 for t in range(48))
    january = profile.months[0]
    # Januaries are t = 0, 12, 24, 36: all multiples of 3, so 10 sales each.
    assert (january.years, january.observations) == (4, 40)


def test_it_takes_months_as_periods_or_any_day_of_the_month():
    series = planted_series()
    as_periods = pd.Series(series.to_numpy(), index=MONTHS.to_period("M"))
    mid_month = pd.Series(series.to_numpy(), index=[d.date().replace(day=15) for d in MONTHS])

    expected = seasonality.seasonal_profile(series)

    assert seasonality.seasonal_profile(as_periods) == expected
    assert seasonality.seasonal_profile(mid_month) == expected


def test_it_refuses_values_a_ratio_cannot_read():
    series = planted_series()
    series.iloc[5] = 0

    with pytest.raises(ValueError):
        seasonality.seasonal_profile(series)


def facts_frame(with_days=True) -> pd.DataFrame:
    """Three sales a month on the planted pattern (their median is the planted value),
    with days to sell planted too, plus records no trend can use."""
    prices = planted_series()
    days_pattern = {1: 6, 2: 2, 3: 10, 4: -12, 5: -2, 6: -3, 7: 1, 8: 2, 9: 0, 10: -2, 11: -4, 12: 2}
    days = planted_series(pattern=days_pattern, start=40.0, slope=0.0)
    rows = []
    for month in MONTHS:
        for day, factor in ((3, 0.9), (14, 1.0), (27, 1.15)):
            rows.append(
                {
                    "sale_date": month.date().replace(day=day),
                    "price": Decimal(f"{prices[month] * factor:.2f}"),
                    "days_to_sell": days[month] * factor,
                }
            )
    rows.append({"sale_date": None, "price": Decimal("250000"), "days_to_sell": 900})  # undated: left out
    rows.append({"sale_date": date(2023, 5, 9), "price": Decimal("9999"), "days_to_sell": None})  # days unknown
    frame = pd.DataFrame(rows)
    return frame if with_days else frame.drop(columns="days_to_sell")


def test_it_profiles_a_frame_of_sales():
    result = seasonality.profile_from_facts(facts_frame())

    assert_recovers(result.price, skip={5})  # the extra May 2023 sale moves that month's median
    assert result.price.observations == 48 * 3 + 1
    assert result.days_to_sell.observations == 48 * 3
    assert result.best_month_to_buy in {12, 1}
    assert result.best_month_to_sell == 4


def test_it_profiles_prices_alone_when_days_to_sell_are_not_given():
    result = seasonality.profile_from_facts(facts_frame(with_days=False))

    assert result.days_to_sell is None
    assert result.best_month_to_sell in {3, 9}


def test_it_has_no_best_months_without_a_price_profile():
    frame = facts_frame()
    recent = frame[pd.to_datetime(frame["sale_date"]) >= "2024-01-01"]

    result = seasonality.profile_from_facts(recent)

    assert isinstance(result.price, NotEnoughHistory)
    assert result.price.months_available == 12
    assert (result.best_month_to_buy, result.best_month_to_sell) == (None, None)


def test_it_has_no_history_in_an_empty_frame():
    empty = pd.DataFrame({"sale_date": [], "price": []})

    result = seasonality.profile_from_facts(empty)

    assert result.price == NotEnoughHistory("No months with data.", 0, 24)

