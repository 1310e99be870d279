"""Filling the warehouse and keeping its rollups current.

`facts_sync` takes in the group's own sales that have no fact yet, and the feeds' sold
lots updated since its checkpoint (re-reading a window before it); `rollups_refresh`
recomputes the day, week and month rollups of every month holding a fact not yet rolled
up, a year of months per transaction, marking those facts rolled up in the same
transaction, so a job stopped half way resumes where it stopped and never counts a
fact twice.

No step trusts ids or times to arrive in commit order: on PostgreSQL a transaction takes
its ids (and its timestamps) before it commits, so a row committed later can carry a
smaller id than one already taken in. Hence the anti-join for sales, the overlap window
for lots, and the flag on each fact for rollups.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat, TruncMonth
from django.utils import timezone

from ifixit import vocabulary
from ifixit.analytics.models import ANY, FULL, LEVELS, OWN_SOURCE, Checkpoint, Rollup, SaleFact, age_band, mileage_band
from ifixit.analytics.warehouse import stats
from ifixit.auctions.models import Lot
from ifixit.inventory.models import Sale

SEGMENT = ["make", "model", "body_type", "age_band", "mileage_band", "source", "region"]
SOLD_OUTCOMES = (Lot.Outcome.SOLD, Lot.Outcome.BOUGHT_NOW)
MONTHS_PER_PASS = 12
# How far before its checkpoint the lot sync reads again. A feed stamps a lot's
# updated_at before its transaction commits, on its own machine's clock: a lot committed
# after the checkpoint moved can carry an earlier time, by the length of a feed's
# transaction (well under a second) plus the clock skew between machines. Re-reading is
# harmless: a fact is unique per (source, source_ref).
LOT_OVERLAP = timedelta(minutes=10)
# References per "IN (...)" look-up: well under every database's parameter limit.
LOOKUP_BATCH = 500


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
    """Take in own sales without a fact, and sold lots updated since the last run. Returns
    how many facts were added."""
    return SyncResult(sales=_sync_sales(limit), lots=_sync_lots(limit))


def _sync_sales(limit: int) -> int:
    """Every sale without its fact, whatever its id: an anti-join on the facts' unique
    (source, source_ref) index, a probe per sale, cheap at the group's scale."""
    has_fact = SaleFact.objects.filter(
        source=OWN_SOURCE, source_ref=Concat(Value("sale:"), Cast(OuterRef("pk"), output_field=CharField()))
    )
    with transaction.atomic():
        # Locked so that a sale being undone (inventory.sale_unwind, which locks it too)
        # either finds its fact to withdraw or is gone before this reads it.
        sales = list(
            Sale.objects.filter(~Exists(has_fact))
            .select_related("car", "location")
            .select_for_update(of=("self",))
            .order_by("pk")[:limit]
        )
        SaleFact.objects.bulk_create([fact_from_sale(s) for s in sales], ignore_conflicts=True, batch_size=2000)
    return len(sales)


def _sync_lots(limit: int) -> int:
    """Sold lots by the time they were last updated (a lot resynced from a source's
    snapshot closes with the source's, possibly old, closing time), from LOT_OVERLAP
    before the checkpoint, a page of `limit` at a time until none is left."""
    added = 0
    with transaction.atomic():
        checkpoint = _checkpoint("facts:lots")
        sold = Lot.objects.filter(stage=Lot.Stage.CLOSED, outcome__in=SOLD_OUTCOMES, closed_at__isnull=False)
        if checkpoint.last_at:
            sold = sold.filter(updated_at__gte=checkpoint.last_at - LOT_OVERLAP)
        newest, after = checkpoint.last_at, None
        while True:
            page = sold
            if after:
                page = page.filter(Q(updated_at__gt=after[0]) | Q(updated_at=after[0], pk__gt=after[1]))
            lots = list(page.select_related("source").order_by("updated_at", "pk")[:limit])
            if not lots:
                break
            added += _store_new([f for f in (fact_from_lot(lot) for lot in lots) if f is not None])
            after = (lots[-1].updated_at, lots[-1].pk)
            newest = max(newest, after[0]) if newest else after[0]
            if len(lots) < limit:
                break
        if newest != checkpoint.last_at:
            checkpoint.last_at, checkpoint.updated_at = newest, timezone.now()
            checkpoint.save()
    return added


def _store_new(facts: list[SaleFact]) -> int:
    """Store the facts the warehouse does not have yet; return how many that was (the
    overlap window reads some lots twice: they are not counted again)."""
    known = set()
    for start in range(0, len(facts), LOOKUP_BATCH):
        part = facts[start:start + LOOKUP_BATCH]
        known.update(
            SaleFact.objects.filter(source__in={f.source for f in part}, source_ref__in=[f.source_ref for f in part])
            .values_list("source", "source_ref")
        )
    new = [f for f in facts if (f.source, f.source_ref) not in known]
    SaleFact.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    return len(new)


# --- Rollups -------------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _frame(months: list[date]) -> pd.DataFrame:
    """Every dated fact of the given months, as a frame (one query)."""
    rows = SaleFact.objects.filter(_month_range(months)).values_list("sale_date", "price", "days_to_sell", *SEGMENT)
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
    """Plain inserts: the ORM's bulk_create spends most of its time preparing each value,
    which here are already plain (rollups are rebuilt wholesale, never edited).
    PostgreSQL takes them by COPY: with an INSERT per row (executemany) it answers each
    one, which made the rollups' inserts six times slower there than on SQLite."""
    table = connection.ops.quote_name(Rollup._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ROLLUP_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(ROLLUP_COLUMNS))})"
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
    """A sale was undone (inventory's sale_unwinding, warehouse.sales): its fact goes, and its month is queued
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
        checkpoint = _checkpoint("rollups")  # one refresh at a time
        dirty = Checkpoint.objects.select_for_update().filter(name="rollups:dirty").first()
        if dirty is None or not dirty.state.get("months"):
            return 0
        months = [date.fromisoformat(m) for m in dirty.state["months"]]
        _replace_months(months)
        dirty.state, dirty.updated_at = {}, timezone.now()
        dirty.save()
        _new_version(checkpoint)
    return len(months)


def _new_version(checkpoint: Checkpoint) -> None:
    """The rollups changed: a new warehouse version, so cached answers renew."""
    checkpoint.last_id += 1
    checkpoint.updated_at = timezone.now()
    checkpoint.save()


def _month_range(months: list[date]) -> Q:
    ranges = Q()
    for month in months:
        ranges |= Q(sale_date__gte=month, sale_date__lt=_month_after(month))
    return ranges


def rollups_refresh(*, max_passes: int | None = None, months_per_pass: int = MONTHS_PER_PASS) -> int:
    """Fold the facts not yet rolled up into the rollups; return the number of months
    recomputed.

    Each pass takes the earliest months (up to months_per_pass: the fixed cost of grouping
    is paid once for them) holding such facts, marks those facts rolled up and recomputes
    the months from all their facts, in one transaction: a job stopped half way resumes
    with the next months, and a month is never half written. The facts are marked before
    the months are read, so every fact marked is counted; one committed meanwhile is
    counted too but stays unmarked, and its month is simply recomputed next time."""
    done = _redo_dirty_months()
    passes = 0
    while max_passes is None or passes < max_passes:
        passes += 1
        with transaction.atomic():
            checkpoint = _checkpoint("rollups")  # one refresh at a time
            pending = SaleFact.objects.filter(rolled_up=False)
            months = list(
                pending.filter(sale_date__isnull=False)
                .annotate(month=TruncMonth("sale_date"))
                .order_by("month")
                .values_list("month", flat=True)
                .distinct()[:months_per_pass]
            )
            if not months:
                # Undated facts have nothing to roll up. Only they are marked: a dated fact
                # committed since the look-up waits for the next refresh.
                pending.filter(sale_date__isnull=True).update(rolled_up=True)
                return done
            pending.filter(_month_range(months)).update(rolled_up=True)
            _replace_months(months)
            _new_version(checkpoint)
        done += len(months)
    return done


def warehouse_version() -> str:
    """Changes whenever the rollups do: part of every cached answer's key."""
    checkpoint = Checkpoint.objects.filter(name="rollups").first()
    # The time as well as the count: a database restored or reset counts from 1 again,
    # while the cache still holds the answers of the old one.
    return f"{checkpoint.last_id}:{checkpoint.updated_at.timestamp():.6f}" if checkpoint else "0"
