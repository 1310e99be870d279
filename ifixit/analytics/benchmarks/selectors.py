"""Make and model benchmarks from the group's own sales: for each make and model (and,
if asked, body type) sold in a period, how many, how long they took to sell, what their
repairs cost and took, what they made, and how that compares with the group as a whole.

Every figure is a median with its interquartile range (p25–p75) and its sample size: the
number of sales that had the value (a car bought without a purchase date has no days to
sell; one imported without its phase history has no repair days). Quartiles are linear
interpolations between the sorted values (pandas' and Excel's PERCENTILE.INC).

Per sale:
- days to sell: purchased_on → sold_on, in days;
- repair cost: the sum of its repair items (parts and labour);
- repair days: the sum of its spells in fixing, each from the latest move into fixing to
  the move to ready that ended it, as the repair-times report measures them; 0 for a car
  that never went into fixing, none for a car without phase history or with a spell whose
  start was not recorded;
- gross profit: sale price − purchase price − auction fees − transport − repairs (the same
  as price − the cost snapshot taken at the sale, since a sold car takes no more repairs);
- ROI: gross profit / total cost (purchase, fees, transport, repairs); none at zero cost.
Pooled ROI is Σ gross profit / Σ total cost over the group's sales: the return on the
money the group put in, where the median ROI is the return of a typical car.

The group's average is the same figures over every sale in the table (the period and the
locations chosen), pooled: medians of all its sales, never a median of the rows' medians.

Grading (a row needs MIN_SAMPLE_FOR_GRADE sales with a gross profit and as many with days
to sell; below that it says "too few sales" and has no grade): the row's median gross
profit and its median days to sell are each compared with the group's. A row is better
than the group on a measure when its median beats the group's by more than a quarter of
the group's interquartile range on that measure (more profit, fewer days), worse when it
trails by more than that, and at the group's level otherwise. Better counts +1, at 0,
worse −1; the sum of the two gives the grade:
    +2 A · +1 B · 0 C · −1 D · −2 E
A: more profit and a quicker sale than the group; C: as the group (or a gain on one
measure paid for on the other); E: less profit and a slower sale.

All figures come from four queries whatever the number of sales: the user's locations,
the sales with their cars, their repair totals, and their moves into and out of fixing.
A table is cached per question (locations, period, grouping) until the sales, repairs or
phase history change; sorting it another way reads it from the cache.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    Sum,
    When,
)
from django.db.models.functions import Cast, Round

from ifixit import caching, vocabulary
from ifixit.accounts.models import User
from ifixit.inventory.models import Car, Phase, PhaseChange, RepairItem, Sale
from ifixit.locations.selectors import locations_visible_to

# Below this many sales a median says more about single cars than about the model.
MIN_SAMPLE_FOR_GRADE = 5
# A difference from the group smaller than this share of the group's interquartile
# range is noise: the row is "at" the group's level on that measure.
GRADE_TOLERANCE = 0.25
GRADES = {2: "A", 1: "B", 0: "C", -1: "D", -2: "E"}
BETTER, AT, WORSE = "better", "at", "worse"
TOO_FEW = "too few sales"

MAKE_MODEL = ("make", "model")
MAKE_MODEL_BODY = ("make", "model", "body_type")
GROUPINGS = (MAKE_MODEL, MAKE_MODEL_BODY)

MEASURES = ("days_to_sell", "repair_cost", "repair_days", "gross_profit", "roi")
MONEY_MEASURES = ("repair_cost", "gross_profit")

# Sort keys; "-key" sorts the other way. Rows without the figure always come last.
SORTS = {
    "count": "Sales",
    "make": "Make and model",
    "days_to_sell": "Median days to sell",
    "repair_cost": "Median repair cost",
    "repair_days": "Median repair days",
    "gross_profit": "Median gross profit",
    "roi": "Median ROI",
    "pooled_roi": "Pooled ROI",
    "grade": "Grade",
}
# The first way round each key is read: most sales, profit and ROI first; fewest days,
# lowest repair cost, A to E and make A–Z first.
DESCENDING_FIRST = {"count", "gross_profit", "roi", "pooled_roi"}
DEFAULT_SORT = "-count"


def sort_choices() -> list[tuple[str, str]]:
    choices = []
    for key, label in SORTS.items():
        first, second = (f"-{key}", key) if key in DESCENDING_FIRST else (key, f"-{key}")
        high_low = ("highest first", "lowest first") if key != "make" else ("Z–A", "A–Z")
        if key == "grade":
            high_low = ("E first", "A first")
        names = {f"-{key}": f"{label}, {high_low[0]}", key: f"{label}, {high_low[1]}"}
        choices += [(first, names[first]), (second, names[second])]
    return choices


SORT_CHOICES = sort_choices()
SORT_VALUES = {value for value, _ in SORT_CHOICES}


@dataclass(frozen=True)
class Figure:
    """A measure over a set of sales: median, quartiles, and how many sales had a value."""

    median: Decimal | None
    p25: Decimal | None
    p75: Decimal | None
    n: int

    @property
    def iqr(self) -> Decimal | None:
        return None if self.p25 is None else self.p75 - self.p25


@dataclass(frozen=True)
class Benchmark:
    count: int  # sales
    days_to_sell: Figure
    repair_cost: Figure
    repair_days: Figure
    gross_profit: Figure
    roi: Figure  # of each car, per unit (0.25 is 25%)
    pooled_roi: Decimal | None  # Σ profit / Σ cost over the `count` sales
    total_profit: Decimal
    total_cost: Decimal


@dataclass(frozen=True)
class BenchmarkRow(Benchmark):
    make: str
    model: str
    body_type: str  # "" when the table is not split by body type
    profit_vs_group: str | None  # better, at, worse; None without enough sales
    days_vs_group: str | None
    grade: str | None  # A–E; None without enough sales

    @property
    def label(self) -> str:
        text = f"{self.make} {self.model}"
        return f"{text} {self.body_label.lower()}" if self.body_type else text

    @property
    def body_label(self) -> str:
        try:
            return Car.Body(self.body_type).label
        except ValueError:
            return self.body_type

    @property
    def graded(self) -> bool:
        return self.grade is not None

    @property
    def grade_display(self) -> str:
        return self.grade or TOO_FEW


@dataclass(frozen=True)
class BenchmarkTable:
    rows: list[BenchmarkRow]
    group: Benchmark  # the group's average: every sale of the table pooled
    start: date
    end: date
    location_ids: tuple[int, ...]  # the locations counted
    group_by: tuple[str, ...]
    sort: str
    min_sample: int = MIN_SAMPLE_FOR_GRADE

    @property
    def by_body_type(self) -> bool:
        return "body_type" in self.group_by


def benchmark_rows(
    *,
    user: User,
    start: date,
    end: date,
    location_ids=None,
    group_by: tuple[str, ...] = MAKE_MODEL,
    sort: str = DEFAULT_SORT,
) -> BenchmarkTable:
    """The benchmarks of the sales made between `start` and `end` (both included) at
    `location_ids`, or at every location the user may see. A location the user may not
    see, an unknown grouping or sort, or an end before the start is a ValidationError."""
    group_by = tuple(group_by)
    errors = {}
    if end < start:
        errors["end"] = "The end must not be before the start."
    if group_by not in GROUPINGS:
        errors["group_by"] = "Group by make and model, or by make, model and body type."
    if sort not in SORT_VALUES:
        errors["sort"] = f"Sort by one of: {', '.join(sorted(SORT_VALUES))}."
    if errors:
        raise ValidationError(errors)

    visible = set(locations_visible_to(user).values_list("pk", flat=True))
    if location_ids:
        chosen = {int(pk) for pk in location_ids}
        if not chosen <= visible:
            # Never say whether the location exists: for this user it does not.
            raise ValidationError({"locations": "Choose among the locations you may see."}, code="invalid_choice")
    else:
        chosen = visible
    ids = tuple(sorted(chosen))

    # The sales, repairs and phase history behind the figures change rarely compared with
    # how often the page is read: cache per question until any of them changes. The order
    # is not part of the question: sorting the table another way reads the same figures.
    table = caching.READS["analytics.benchmarks"].get_or_compute(
        lambda: _benchmark_table(ids=ids, start=start, end=end, group_by=group_by),
        sales=_sales_version(), locations=ids, start=start, end=end, group_by=group_by,
    )
    return replace(table, rows=sort_rows(table.rows, sort), sort=sort)


def _sales_version() -> str:
    """Changes whenever a sale, a repair item or a phase change is added or removed, or a
    sale recorded or delivered, or a car's costs corrected (one cheap query each)."""
    sales = Sale.objects.aggregate(n=Count("id"), last=Max("id"), created=Max("created_at"), delivered=Max("delivered_at"))
    repairs = RepairItem.objects.aggregate(n=Count("id"), last=Max("id"))
    phases = PhaseChange.objects.aggregate(last=Max("id"))
    cars = Car.objects.aggregate(changed=Max("updated_at"))  # a purchase price or fee corrected
    return f"{sales}|{repairs}|{phases}|{cars}"


def _benchmark_table(*, ids, start, end, group_by) -> BenchmarkTable:
    sales = _sales_frame(ids, start, end)
    group = _benchmark(sales)
    rows = []
    if len(sales["make"]):
        keys = pd.DataFrame({name: sales[name] for name in group_by})
        for values, positions in keys.groupby(list(group_by), sort=False).indices.items():
            names = dict(zip(group_by, values))
            figures = _benchmark({column: array[positions] for column, array in sales.items()})
            profit_vs, days_vs, grade = _grade(figures, group)
            rows.append(
                BenchmarkRow(
                    **figures.__dict__,
                    make=names["make"],
                    model=names["model"],
                    body_type=names.get("body_type", ""),
                    profit_vs_group=profit_vs,
                    days_vs_group=days_vs,
                    grade=grade,
                )
            )
    return BenchmarkTable(
        rows=sort_rows(rows, DEFAULT_SORT), group=group, start=start, end=end, location_ids=ids, group_by=group_by, sort=DEFAULT_SORT
    )


# --- Loading ------------------------------------------------------------------------------

# A sale's columns as _sales_frame reads them.
SALE_COLUMNS = ("car_id", "car__make", "car__model", "car__body_type", "days", "price_cents", "car_cost_cents", "has_history")


class DaysBetween(Func):
    """Days from the second date to the first, counted by the database (a number, not
    two dates to parse for every sale); NULL when either is unknown."""

    arg_joiner = " - "
    template = "(%(expressions)s)"  # PostgreSQL: a date minus a date is its days
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(", **extra)


def _cents(amount):
    """An amount as whole cents, counted by the database: a plain integer for the driver
    to hand back, where a Decimal per value (PostgreSQL) took longer than the query.
    Every amount has two places, so rounding its hundredfold finds its cents exactly,
    also from SQLite's float sums."""
    return Cast(Round(amount * 100), BigIntegerField())


def _plain_rows(queryset) -> list[tuple]:
    """The rows as the database driver gives them, without Django's converter per value
    (which cost more than the query itself over a year of a big group's sales)."""
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _columns(rows: list[tuple], names) -> dict[str, list]:
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def _sales_frame(location_ids: tuple[int, ...], start: date, end: date) -> dict[str, np.ndarray]:
    """Each sale's measures, as arrays of one value per sale, money in cents (three
    queries: the sales with their cars and whether they have a phase history; their repair
    totals; their spells in fixing). The repair totals are a query of their own, not a
    subquery per sale: that made PostgreSQL's planner expect a costly query and compile
    it (JIT) every time."""
    sold = Sale.objects.filter(location_id__in=location_ids, sold_on__gte=start, sold_on__lte=end)
    columns = _columns(
        _plain_rows(
            sold.annotate(
                days=DaysBetween("sold_on", "car__purchased_on"),
                price_cents=_cents(F("price")),
                car_cost_cents=_cents(F("car__purchase_price")) + _cents(F("car__auction_fees")) + _cents(F("car__transport_cost")),
                has_history=Exists(PhaseChange.objects.filter(car=OuterRef("car_id"))),
            )
            .order_by()
            .values_list(*SALE_COLUMNS)
        ),
        SALE_COLUMNS,
    )
    cars = sold.values("car_id")
    repair_totals = _plain_rows(
        RepairItem.objects.filter(car_id__in=cars).order_by().values("car_id")
        .annotate(total=_cents(Sum(F("parts_cost") + F("labour_cost")))).values_list("car_id", "total")
    )
    repair_days = _repair_days(cars)

    position = pd.Index(columns["car_id"])
    repairs = np.zeros(len(position), dtype=np.int64)
    if repair_totals:
        found = position.get_indexer([car_id for car_id, _ in repair_totals])
        known = found >= 0  # -1: a car whose sale was recorded between the queries
        repairs[found[known]] = np.array([total for _, total in repair_totals], dtype=np.int64)[known]
    cost = np.array(columns["car_cost_cents"], dtype=np.int64) + repairs
    profit = np.array(columns["price_cents"], dtype=np.int64) - cost
    days = np.array(columns["days"], dtype=float)  # None (no purchase date) becomes nan
    days[days < 0] = np.nan  # a sale dated before its purchase is a typo: unknown
    # Days in fixing: 0 for a car that never went, unknown (nan) without a phase history.
    spells = np.where(np.array(columns["has_history"], dtype=bool), 0.0, np.nan)
    if repair_days:  # cars with moves into or out of fixing (so with a history)
        found = position.get_indexer(list(repair_days))
        known = found >= 0
        spells[found[known]] = np.array(list(repair_days.values()), dtype=float)[known]  # None (a start unknown) becomes nan
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost != 0, profit / np.where(cost != 0, cost, 1), np.nan)
    # One spelling per make and model, as the warehouse has them: "VW golf" is a Volkswagen Golf.
    makes = {make: vocabulary.make(make) for make in set(columns["car__make"])}
    models = {model: vocabulary.model(model) for model in set(columns["car__model"])}
    return {
        "make": np.array([makes[m] for m in columns["car__make"]], dtype=object),
        "model": np.array([models[m] for m in columns["car__model"]], dtype=object),
        "body_type": np.array(columns["car__body_type"], dtype=object),
        "days_to_sell": days,
        "repair_cost": repairs.astype(float),
        "repair_days": spells,
        "gross_profit": profit.astype(float),
        "roi": roi,
        "profit": profit,
        "cost": cost,
    }


def _repair_days(sold) -> dict[int, float | None]:
    """Days in fixing per sold car (`sold`: a query of their car ids): the sum of its
    spells; None when a spell's start is not recorded (a car imported part-way through its
    history). One query, reading only the moves into and out of fixing of the cars sold;
    times as text, parsed in bulk."""
    # In time order, a move into fixing before a move out at the same instant: each move
    # out of fixing then follows the latest move into it at or before its time (a car
    # sent back to fixing after inspection has two spells, each timed on its own).
    changes = _plain_rows(
        PhaseChange.objects.filter(Q(to_phase=Phase.FIXING) | Q(from_phase=Phase.FIXING), car_id__in=sold)
        .annotate(at=Cast("changed_at", CharField()))
        .order_by("car_id", "changed_at", Case(When(to_phase=Phase.FIXING, then=0), default=1), "id")
        .values_list("car_id", "at", "from_phase", "to_phase")
    )
    if not changes:
        return {}
    car_ids, times, from_phases, to_phases = _columns(changes, range(4)).values()
    cars = np.array(car_ids, dtype=np.int64)
    # Whole microseconds, as Python's timedeltas count them: the days come out the same to the last bit.
    micros = pd.Series(pd.to_datetime(pd.Series(times), format="ISO8601", utc=True).dt.as_unit("us").astype("int64"), dtype="Int64")
    from_phases, to_phases = np.array(from_phases, dtype=object), np.array(to_phases, dtype=object)
    entering = to_phases == Phase.FIXING.value
    leaving = (from_phases == Phase.FIXING.value) & (to_phases == Phase.READY.value)
    started = micros.where(entering).groupby(cars).ffill()
    spells = (micros - started)[leaving]  # <NA> where the spell's start is not recorded
    unknown = spells.isna().groupby(cars[leaving]).any()
    days = spells.groupby(cars[leaving]).sum().astype("float64") / 10**6 / 86400
    return {car: None if gap else spent for car, gap, spent in zip(days.index.tolist(), unknown.tolist(), days.tolist())}


# --- Figures ------------------------------------------------------------------------------

PLACES = {"days_to_sell": Decimal("0.1"), "repair_days": Decimal("0.1"), "roi": Decimal("0.0001")}


def _benchmark(sales: dict[str, np.ndarray]) -> Benchmark:
    total_profit, total_cost = int(sales["profit"].sum()), int(sales["cost"].sum())
    return Benchmark(
        count=len(sales["profit"]),
        **{measure: _figure(sales[measure], measure) for measure in MEASURES},
        pooled_roi=_decimal(total_profit / total_cost, "roi") if total_cost else None,
        total_profit=Decimal(total_profit) / 100,
        total_cost=Decimal(total_cost) / 100,
    )


def _figure(values: np.ndarray, measure: str) -> Figure:
    values = values[~np.isnan(values)]
    if not values.size:
        return Figure(None, None, None, 0)
    # Linear interpolation between the sorted values, as pandas' quantile and Excel's PERCENTILE.INC.
    p25, median, p75 = np.percentile(values, [25.0, 50.0, 75.0], method="linear").tolist()
    return Figure(
        median=_decimal(median, measure), p25=_decimal(p25, measure), p75=_decimal(p75, measure), n=int(values.size)
    )


def _decimal(value: float, measure: str) -> Decimal:
    value = float(value)  # numpy's float64 would repr as np.float64(...)
    if measure in MONEY_MEASURES:  # held in cents
        return (Decimal(repr(value)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal(repr(value)).quantize(PLACES[measure], rounding=ROUND_HALF_UP)


def _verdict(row: Figure, group: Figure, *, higher_is_better: bool) -> str:
    tolerance = group.iqr * Decimal(str(GRADE_TOLERANCE))
    lead = row.median - group.median if higher_is_better else group.median - row.median
    if lead > tolerance:
        return BETTER
    if lead < -tolerance:
        return WORSE
    return AT


def _grade(row: Benchmark, group: Benchmark) -> tuple[str | None, str | None, str | None]:
    """(profit verdict, days verdict, grade), or Nones below the minimum sample."""
    if row.gross_profit.n < MIN_SAMPLE_FOR_GRADE or row.days_to_sell.n < MIN_SAMPLE_FOR_GRADE:
        return None, None, None
    profit = _verdict(row.gross_profit, group.gross_profit, higher_is_better=True)
    days = _verdict(row.days_to_sell, group.days_to_sell, higher_is_better=False)
    points = {BETTER: 1, AT: 0, WORSE: -1}
    return profit, days, GRADES[points[profit] + points[days]]


# --- Sorting ------------------------------------------------------------------------------


def _sort_value(row: BenchmarkRow, key: str):
    if key == "count":
        return row.count
    if key == "pooled_roi":
        return row.pooled_roi
    if key == "grade":
        return row.grade
    return getattr(row, key).median


def sort_rows(rows: list[BenchmarkRow], sort: str) -> list[BenchmarkRow]:
    """Rows in the order asked; ties by make, model and body type; rows without the figure last."""
    descending, key = sort.startswith("-"), sort.lstrip("-")
    by_name = sorted(rows, key=lambda row: (row.make.lower(), row.model.lower(), row.body_type))
    if key == "make":
        return sorted(by_name, key=lambda row: (row.make.lower(), row.model.lower()), reverse=descending)
    present = [row for row in by_name if _sort_value(row, key) is not None]
    missing = [row for row in by_name if _sort_value(row, key) is None]
    # A stable sort keeps the name order among equal values, whichever way round.
    present.sort(key=lambda row: _sort_value(row, key), reverse=descending)
    return present + missing
