"""Filling the warehouse and keeping its rollups current.

`facts_sync` takes in the group's own sales and the feeds' closed lots since its
checkpoints; `rollups_refresh` recomputes the day, week and month rollups of every
month that new facts touched, month by month, recording in the same transaction the
months still to do, so a job stopped half way resumes where it stopped and never counts
a fact twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from ifixit.analytics import stats, vocabulary
from ifixit.analytics.models import ANY, FULL, LEVELS, OWN_SOURCE, Checkpoint, Rollup, SaleFact, age_band, mileage_band
from ifixit.auctions.models import Lot
from ifixit.inventory.models import Sale

SEGMENT = ["make", "model", "body_type", "age_band", "mileage_band", "source", "region"]
SOLD_OUTCOMES = (Lot.Outcome.SOLD, Lot.Outcome.BOUGHT_NOW)
MONTHS_PER_PASS = 12


def _checkpoint(name: str) -> Checkpoint:
    checkpoint, _ = Checkpoint.objects.select_for_update().get_or_create(name=name)
    return checkpoint


@dataclass
class SyncResult:
    sales: int = 0
    lots: int = 0


def _age(year: int | None, on: date | None) -> int | None:
    if not year or not on:
        return None
    return max(0, on.year - year)


def fact_from_sale(sale: Sale) -> SaleFact:
    car = sale.car
    purchased = car.purchased_on
    return SaleFact(
        kind=SaleFact.Kind.OWN, source=OWN_SOURCE, source_ref=f"sale:{sale.pk}", make=vocabulary.make(car.make),
        model=vocabulary.model(car.model), trim=car.trim, year=car.year, mileage=car.mileage, price=sale.price,
        sale_date=sale.sold_on, fuel=car.fuel, transmission=car.transmission, body_type=car.body_type, colour=car.colour,
        region=sale.location.name, days_to_sell=(sale.sold_on - purchased).days if purchased and purchased <= sale.sold_on else None,
        age_band=age_band(_age(car.year, sale.sold_on)), mileage_band=mileage_band(car.mileage),
    )


def fact_from_lot(lot: Lot) -> SaleFact | None:
    price = lot.buy_now if lot.outcome == Lot.Outcome.BOUGHT_NOW and lot.buy_now else lot.current_bid
    if not price or lot.currency.upper() != "GBP":
        return None  # no price, or a currency the warehouse does not convert
    try:
        mileage = vocabulary.miles(lot.mileage, lot.mileage_unit) if lot.mileage is not None else None
    except ValueError:
        mileage = None
    sold_on = timezone.localdate(lot.closed_at) if lot.closed_at else None
    return SaleFact(
        kind=SaleFact.Kind.AUCTION, source=lot.source.name, source_ref=f"lot:{lot.external_id}", make=vocabulary.make(lot.make),
        model=vocabulary.model(lot.model), trim=lot.trim, year=lot.year, mileage=mileage, price=Decimal(price), sale_date=sold_on,
        condition=vocabulary.word(lot.condition, vocabulary.CONDITIONS), fuel=vocabulary.word(lot.fuel, vocabulary.FUELS),
        transmission=vocabulary.word(lot.transmission, vocabulary.TRANSMISSIONS),
        body_type=vocabulary.word(lot.body_type, vocabulary.BODIES), colour=lot.colour, region=lot.region,
        age_band=age_band(_age(lot.year, sold_on)), mileage_band=mileage_band(mileage),
    )


def facts_sync(*, limit: int = 50_000) -> SyncResult:
    """Take in own sales (by id) and closed, sold lots (by closing time) since the last run."""
    result = SyncResult()
    with transaction.atomic():
        checkpoint = _checkpoint("facts:sales")
        sales = list(Sale.objects.filter(pk__gt=checkpoint.last_id).select_related("car", "location").order_by("pk")[:limit])
        if sales:
            SaleFact.objects.bulk_create([fact_from_sale(s) for s in sales], ignore_conflicts=True, batch_size=2000)
            checkpoint.last_id, checkpoint.updated_at = sales[-1].pk, timezone.now()
            checkpoint.save()
            result.sales = len(sales)
    with transaction.atomic():
        checkpoint = _checkpoint("facts:lots")
        lots = Lot.objects.filter(stage=Lot.Stage.CLOSED, outcome__in=SOLD_OUTCOMES, closed_at__isnull=False)
        if checkpoint.last_at:
            # A lot closing in the same instant as the checkpoint's comes in by its id.
            lots = lots.filter(Q(closed_at__gt=checkpoint.last_at) | Q(closed_at=checkpoint.last_at, pk__gt=checkpoint.last_id))
        lots = list(lots.select_related("source").order_by("closed_at", "pk")[:limit])
        if lots:
            facts = [f for f in (fact_from_lot(lot) for lot in lots) if f is not None]
            SaleFact.objects.bulk_create(facts, ignore_conflicts=True, batch_size=2000)
            checkpoint.last_at, checkpoint.last_id, checkpoint.updated_at = lots[-1].closed_at, lots[-1].pk, timezone.now()
            checkpoint.save()
            result.lots = len(facts)
    return result


# --- Rollups -------------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months_of(days: Iterable[date]) -> list[date]:
    return sorted({_month_start(d) for d in days if d})


def _frame(months: list[date]) -> pd.DataFrame:
    """Every dated fact of the given months, as a frame (one query)."""
    ranges = Q()
    for month in months:
        following = (month + timedelta(days=32)).replace(day=1)
        ranges |= Q(sale_date__gte=month, sale_date__lt=following)
    rows = SaleFact.objects.filter(ranges).values_list("sale_date", "price", "days_to_sell", *SEGMENT)
    frame = pd.DataFrame.from_records(list(rows), columns=["sale_date", "price", "days_to_sell", *SEGMENT])
    if frame.empty:
        return frame
    frame["sale_date"] = pd.to_datetime(frame["sale_date"])
    frame["price"] = frame["price"].astype(float)
    return frame


def _periods(frame: pd.DataFrame) -> dict[str, pd.Series]:
    days = frame["sale_date"].dt.normalize()
    return {
        Rollup.Grain.DAY: days,
        Rollup.Grain.WEEK: days - pd.to_timedelta(days.dt.day_of_week, unit="D"),
        Rollup.Grain.MONTH: days.dt.to_period("M").dt.to_timestamp(),
    }


def pack(histogram) -> bytes:
    return np.asarray(histogram, dtype="<u4").tobytes()


def unpack(blob) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<u4")


def _levels(grain: str):
    """Weeks and months at every level and for full segments; days only at the ready-made
    levels (a full segment's day is nearly one car: it would copy the facts, not sum them)."""
    levels = list(LEVELS.items())
    if grain != Rollup.Grain.DAY:
        levels.append((FULL, tuple(SEGMENT)))
    return levels


def rollups_for(frame: pd.DataFrame) -> list[tuple]:
    """The rollup rows (tuples in ROLLUP_COLUMNS order) of a frame of facts, for every grain
    and level; vectorised: the groups' counts, sums and histograms are bincounts over ids."""
    made = []
    if frame.empty:
        return made
    frame = frame.copy()
    buckets = np.searchsorted(np.asarray(stats.BUCKET_EDGES, dtype=float), frame["price"].to_numpy(dtype=float), side="right")
    prices = frame["price"].to_numpy(dtype=float)
    days_known = frame["days_to_sell"].notna().to_numpy()
    days = frame["days_to_sell"].fillna(0).to_numpy(dtype=float)
    for column in SEGMENT:
        frame[column] = frame[column].fillna("")
    for grain, period in _periods(frame).items():
        framed = frame.assign(period_start=period)
        for level, dims in _levels(grain):
            keys = ["period_start", *dims]
            ids = framed.groupby(keys, sort=False).ngroup().to_numpy()
            groups = int(ids.max()) + 1
            counts = np.bincount(ids, minlength=groups)
            sums = np.bincount(ids, weights=prices, minlength=groups)
            day_counts = np.bincount(ids, weights=days_known, minlength=groups)
            day_sums = np.bincount(ids, weights=days * days_known, minlength=groups)
            histograms = np.bincount(ids * stats.BUCKET_COUNT + buckets, minlength=groups * stats.BUCKET_COUNT)
            histograms = histograms.reshape(groups, stats.BUCKET_COUNT).astype("<u4")
            first = framed.assign(_id=ids).drop_duplicates("_id").sort_values("_id")
            for gid, row in zip(first["_id"].to_numpy(), first[keys].itertuples(index=False, name=None)):
                values = dict(zip(keys, row))
                made.append(
                    (grain, level, values.pop("period_start").date(), *(values.get(field, ANY) for field in SEGMENT),
                     int(counts[gid]), Decimal(f"{sums[gid]:.2f}"), histograms[gid].tobytes(), int(day_counts[gid]), int(round(day_sums[gid])))
                )
    return made


ROLLUP_COLUMNS = ["grain", "level", "period_start", *SEGMENT, "count", "price_sum", "histogram", "days_count", "days_sum"]


def _insert(rows: list[tuple]) -> None:
    """Plain executemany: the ORM's bulk_create spends most of its time preparing each
    value, which here are already plain (rollups are rebuilt wholesale, never edited)."""
    table = Rollup._meta.db_table
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in ROLLUP_COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(ROLLUP_COLUMNS))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start:start + 5000])


def _month_after(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _month_before(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def _replace_months(months: list[date]) -> int:
    """Recompute every rollup touching these months: their days and months, and every week
    overlapping them (from all of that week's facts, which may lie in a neighbouring month)."""
    if not months:
        return 0
    in_months = Q()
    weeks = set()
    for month in months:
        in_months |= Q(period_start__gte=month, period_start__lt=_month_after(month))
        day = month
        while day < _month_after(month):
            weeks.add(day - timedelta(days=day.weekday()))
            day += timedelta(days=1)
    neighbours = {_month_before(m) for m in months} | {_month_after(m) for m in months}
    made = [
        row
        for row in rollups_for(_frame(sorted(set(months) | neighbours)))
        if (row[0] == Rollup.Grain.WEEK and row[2] in weeks)
        or (row[0] != Rollup.Grain.WEEK and _month_start(row[2]) in months)
    ]
    Rollup.objects.filter(Q(grain__in=[Rollup.Grain.DAY, Rollup.Grain.MONTH]) & in_months).delete()
    Rollup.objects.filter(grain=Rollup.Grain.WEEK, period_start__in=weeks).delete()
    _insert(made)
    return len(made)


def sale_withdrawn(*, sale_id: int) -> None:
    """A sale was undone (inventory.sale_unwind): its fact goes, and its month is queued
    for the next refresh so the rollups stop counting it. Call inside the caller's transaction."""
    fact = SaleFact.objects.filter(source=OWN_SOURCE, source_ref=f"sale:{sale_id}").first()
    if fact is None:
        return
    fact.delete()
    if fact.sale_date:
        dirty, _ = Checkpoint.objects.select_for_update().get_or_create(name="rollups:dirty")
        months = set(dirty.state.get("months", [])) | {_month_start(fact.sale_date).isoformat()}
        dirty.state = {"months": sorted(months)}
        dirty.updated_at = timezone.now()
        dirty.save()


def _redo_dirty_months() -> int:
    """Months whose facts were withdrawn: recomputed before anything new."""
    with transaction.atomic():
        dirty = Checkpoint.objects.select_for_update().filter(name="rollups:dirty").first()
        if dirty is None or not dirty.state.get("months"):
            return 0
        months = [date.fromisoformat(m) for m in dirty.state["months"]]
        _replace_months(months)
        dirty.state, dirty.updated_at = {}, timezone.now()
        dirty.save()
        checkpoint = _checkpoint("rollups")
        checkpoint.updated_at = timezone.now()  # a new warehouse version: caches renew
        checkpoint.save()
    return len(months)


def rollups_refresh(*, max_passes: int | None = None, months_per_pass: int = MONTHS_PER_PASS) -> int:
    """Fold the facts added since the checkpoint into the rollups.

    The months those facts touch are listed once (one query) and recomputed one by one,
    each in its own transaction with the checkpoint's list of months still to do, so a
    job stopped half way resumes with the next month and a month is never half written.
    Returns the number of months recomputed."""
    done = _redo_dirty_months()
    passes = 0
    while max_passes is None or passes < max_passes:
        passes += 1
        with transaction.atomic():
            checkpoint = _checkpoint("rollups")
            pending = checkpoint.state.get("months")
            if not pending:
                target = SaleFact.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                if target <= checkpoint.last_id:
                    return done
                months = (
                    SaleFact.objects.filter(pk__gt=checkpoint.last_id, pk__lte=target, sale_date__isnull=False)
                    .annotate(month=TruncMonth("sale_date"))
                    .order_by("month")
                    .values_list("month", flat=True)
                    .distinct()
                )
                pending = [m.isoformat() for m in months]
                checkpoint.state = {"target": target, "months": pending}
                if not pending:  # only undated facts: nothing to roll up
                    checkpoint.last_id, checkpoint.state = target, {}
                    checkpoint.updated_at = timezone.now()
                    checkpoint.save()
                    continue
            # Up to a year of months in one pass: the fixed cost of grouping is paid once.
            batch, rest = pending[:months_per_pass], pending[months_per_pass:]
            _replace_months([date.fromisoformat(m) for m in batch])
            if rest:
                checkpoint.state = {"target": checkpoint.state["target"], "months": rest}
            else:
                checkpoint.last_id, checkpoint.state = checkpoint.state["target"], {}
            checkpoint.updated_at = timezone.now()
            checkpoint.save()
        done += len(batch)
    return done


def warehouse_version() -> str:
    """Changes whenever the rollups do: part of every cached answer's key."""
    checkpoint = Checkpoint.objects.filter(name="rollups").first()
    return f"{checkpoint.last_id}:{checkpoint.updated_at.timestamp():.0f}" if checkpoint else "0"
