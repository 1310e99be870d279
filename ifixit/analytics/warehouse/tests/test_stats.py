"""Mergeable price histograms and the trend read from them, on small lists whose
percentiles, outliers and year-on-year changes are worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from ifixit.analytics.warehouse import stats
from ifixit.analytics.warehouse.stats import BUCKET_COUNT, BUCKET_EDGES, BUCKET_RATIO

D = Decimal

# 1,001 prices from £5,000 to £15,000 in £10 steps. The k-th smallest is 5,000 + 10(k − 1),
# so the ⌈qN/100⌉-th smallest (N = 1,001) is: p10 → 101st = 6,000; p25 → 251st = 7,500;
# p50 → 501st = 10,000; p75 → 751st = 12,500; p90 → 901st = 14,000.
EVEN_PRICES = [5000 + 10 * i for i in range(1001)]
EVEN_PERCENTILES = {10: 6000, 25: 7500, 50: 10000, 75: 12500, 90: 14000}

# Three neighbouring buckets around £10,000: [9,153.47, 9,915.93), [9,915.93, 10,741.90), [10,741.90, 11,636.67).
IN_46, IN_47, IN_48 = 9500, 10000, 11000


def test_it_pins_the_bucket_edges():
    # Stored histograms count over these edges: if this fails, every stored histogram is wrong.
    assert len(BUCKET_EDGES) == 96
    assert BUCKET_COUNT == 97
    assert BUCKET_EDGES[0] == D("250") and BUCKET_EDGES[-1] == D("500000")
    assert BUCKET_EDGES[1] == D("270.82")
    assert BUCKET_EDGES[46] == D("9915.93")
    assert BUCKET_EDGES[48] == D("11636.67")
    assert sum(BUCKET_EDGES) == D("6499590.00")
    assert all(low < high for low, high in zip(BUCKET_EDGES, BUCKET_EDGES[1:]))
    assert D("1.0833") < BUCKET_RATIO < D("1.0834")


def test_it_puts_a_price_on_an_edge_in_the_bucket_that_edge_opens():
    assert stats.bucket_of(D("249.99")) == 0
    assert stats.bucket_of(250) == 1
    assert stats.bucket_of("270.81") == 1
    assert stats.bucket_of(D("270.82")) == 2
    assert stats.bucket_of(IN_46) == 46
    assert stats.bucket_of(D("9915.93")) == 47
    assert stats.bucket_of(499999.99) == 95
    assert stats.bucket_of(500000) == 96
    assert stats.bucket_of(2_000_000) == 96


@pytest.mark.parametrize("price", [0, -5, float("nan"), float("inf")])
def test_it_refuses_a_price_that_is_not_positive(price):
    with pytest.raises(ValueError):
        stats.bucket_of(price)
    with pytest.raises(ValueError):
        stats.histogram([1000, price])


def test_it_counts_each_price_in_its_bucket():
    prices = [D("100"), 250, IN_46, IN_46, D("9915.93"), 600000.0]

    hist = stats.histogram(prices)

    assert len(hist) == BUCKET_COUNT
    assert sum(hist) == 6
    assert {i: n for i, n in enumerate(hist) if n} == {0: 1, 1: 1, 46: 2, 47: 1, 96: 1}


@pytest.mark.parametrize("q", sorted(EVEN_PERCENTILES))
def test_it_reads_a_percentile_within_the_documented_bound(q):
    true_value = EVEN_PERCENTILES[q]

    estimate = stats.percentile(stats.histogram(EVEN_PRICES), q)

    assert stats.bucket_of(estimate) == stats.bucket_of(true_value)
    assert 1 / BUCKET_RATIO < estimate / true_value < BUCKET_RATIO
    # The bound is for any data; with a price every £10 the reading is much closer.
    assert abs(estimate / true_value - 1) < D("0.002")


def test_it_reads_a_percentile_on_an_edge_exactly():
    # Two prices either side of the edge 9,915.93: the median, at cumulative count 2 of 4,
    # is the top of the lower bucket.
    hist = stats.histogram([IN_46, IN_46, IN_47, IN_47])

    assert stats.median(hist) == D("9915.93")
    assert stats.percentile(hist, 0) == BUCKET_EDGES[45]
    assert stats.percentile(hist, 100) == BUCKET_EDGES[47]


def test_it_interpolates_in_log_space():
    # One price in [9,153.47, 9,915.93): its median is halfway in log space,
    # √(9,153.47 × 9,915.93) = 9,527.08 (the linear midpoint would be 9,534.70).
    assert stats.median(stats.histogram([IN_46])) == D("9527.08")


def test_it_reports_a_percentile_in_an_end_bucket_as_the_edge():
    assert stats.median(stats.histogram([10, 20, 30])) == D("250")
    assert stats.median(stats.histogram([600_000, 900_000])) == D("500000")


def test_it_has_no_percentile_of_an_empty_histogram():
    empty = stats.empty_histogram()

    assert stats.median(empty) is None
    assert stats.iqr(empty) is None
    assert stats.trim_outliers(empty) == (empty, 0)


def test_it_refuses_a_histogram_of_the_wrong_size_or_a_percentile_out_of_range():
    with pytest.raises(ValueError):
        stats.median([1, 2, 3])
    with pytest.raises(ValueError):
        stats.merge([stats.empty_histogram(), [0] * 10])
    with pytest.raises(ValueError):
        stats.percentile(stats.histogram([1000]), 101)


def test_it_reads_the_interquartile_range():
    hist = stats.histogram(EVEN_PRICES)

    assert stats.iqr(hist) == stats.percentile(hist, 75) - stats.percentile(hist, 25)
    assert abs(stats.iqr(hist) - 5000) < 25  # 12,500 − 7,500, read within the quartiles' error


def test_it_merges_histograms_into_the_histogram_of_all_their_prices():
    north = [6000, 7250, 9999.99, 15000, 123]
    south = [D("9915.93"), 8000, 620000]
    online = list(range(3000, 30000, 700))
    parts = [stats.histogram(north), stats.histogram(south), stats.histogram(online)]
    first_part = list(parts[0])

    merged = stats.merge(parts)

    assert merged == stats.histogram(north + south + online)
    assert stats.median(merged) == stats.median(stats.histogram(north + south + online))
    assert parts[0] == first_part
    assert stats.merge([]) == stats.empty_histogram()


def test_it_trims_a_planted_outlier_and_counts_it():
    usual = list(range(9000, 11001, 10))  # Q1 ≈ 9,500, Q3 ≈ 10,500: fences ≈ 8,000 and 12,000
    hist = stats.histogram([*usual, 95000, 12])  # a £95k typo and a £12 one
    before = list(hist)

    kept, excluded = stats.trim_outliers(hist)

    assert excluded == 2
    assert kept == stats.histogram(usual)
    assert hist == before


def test_it_keeps_a_bucket_the_fence_cuts_through():
    usual = list(range(9000, 11001, 10))
    hist = stats.histogram(usual)
    q1, q3 = stats.percentile(hist, 25), stats.percentile(hist, 75)
    high_fence = q3 + D("1.5") * (q3 - q1)
    fenced_bucket = stats.bucket_of(high_fence)
    beyond_fence_same_bucket = BUCKET_EDGES[fenced_bucket] - D("0.01")
    next_bucket = BUCKET_EDGES[fenced_bucket] + D("0.01")

    kept, excluded = stats.trim_outliers(stats.histogram([*usual, beyond_fence_same_bucket, next_bucket]))

    assert beyond_fence_same_bucket > high_fence
    assert excluded == 1
    assert kept[fenced_bucket] == 1 and kept[fenced_bucket + 1] == 0


def test_it_builds_the_trend_with_year_on_year_change():
    h = stats.histogram
    rows = [
        # March 2024 comes as two segments' rows; together two prices either side of 9,915.93.
        (date(2024, 3, 1), 2, h([IN_46, IN_47])),
        (date(2024, 3, 1), 2, h([IN_46, IN_47])),
        (date(2024, 2, 1), 4, h([IN_47, IN_47, IN_48, IN_48])),
        (date(2025, 3, 1), 5, h([IN_47, IN_47, IN_48, IN_48, 95000])),
        (date(2025, 2, 1), 4, h([IN_46, IN_46, IN_47, IN_47])),
        (date(2025, 4, 1), 1, h([IN_46])),
    ]

    points = stats.trend_points(rows)

    assert [p.period for p in points] == [
        date(2024, 2, 1), date(2024, 3, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)
    ]
    march_2024, march_2025 = points[1], points[3]
    assert (march_2024.volume, march_2024.median, march_2024.yoy_change_pct) == (4, D("9915.93"), None)
    assert march_2025.volume == 5
    assert march_2025.excluded_outliers == 1
    assert march_2025.median == D("10741.90")
    assert march_2025.median_year_ago == D("9915.93")
    # (10,741.90 − 9,915.93) / 9,915.93 = 825.97 / 9,915.93 = 8.33 %
    assert march_2025.yoy_change_pct == D("8.3")
    # February: (9,915.93 − 10,741.90) / 10,741.90 = −825.97 / 10,741.90 = −7.69 %
    assert points[2].median_year_ago == D("10741.90")
    assert points[2].yoy_change_pct == D("-7.7")
    # p25 and p75 are halfway (in log space) through each of the two buckets:
    # √(9,915.93 × 10,741.90) = 10,320.66 and √(10,741.90 × 11,636.67) = 11,180.34.
    assert (march_2025.p25, march_2025.p75) == (D("10320.66"), D("11180.34"))
    assert march_2025.spread == D("859.68")
    assert points[4].median_year_ago is None and points[4].yoy_change_pct is None


def test_it_reads_the_year_before_a_leap_day_as_28_february():
    h = stats.histogram
    points = stats.trend_points([(date(2023, 2, 28), 1, h([IN_47])), (date(2024, 2, 29), 1, h([IN_47]))])

    assert points[1].median_year_ago == points[0].median
    assert points[1].yoy_change_pct == D("0.0")


def test_it_compares_a_week_with_the_same_week_a_year_before():
    h = stats.histogram
    monday, monday_52_weeks_before = date(2025, 3, 3), date(2024, 3, 4)
    rows = [(monday_52_weeks_before, 4, h([IN_46, IN_46, IN_47, IN_47])), (monday, 4, h([IN_47, IN_47, IN_48, IN_48]))]

    points = stats.trend_points(rows, grain="week")

    assert points[1].median_year_ago == D("9915.93")
    assert points[1].yoy_change_pct == D("8.3")  # as March 2025 on March 2024 above
    assert stats.trend_points(rows, grain="month")[1].yoy_change_pct is None
