"""When a schedule runs next: pure arithmetic on wall-clock times in the schedule's zone.

The slot is a local date and time. On the day the clocks go forward a time that does not
exist (01:30 in London) runs at the same instant an hour later by the clock (02:30);
on the day they go back a time that happens twice runs once, at its first occurrence.
Either way a daily report runs exactly once a day.
"""

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"


@dataclass(frozen=True)
class Cadence:
    frequency: str
    time_of_day: time
    time_zone: str
    weekday: int | None = None  # Monday 0
    day_of_month: int | None = None
    on_last_day: bool = False

    @classmethod
    def of(cls, schedule) -> "Cadence":
        return cls(
            frequency=schedule.frequency,
            time_of_day=schedule.time_of_day,
            time_zone=schedule.time_zone,
            weekday=schedule.weekday,
            day_of_month=schedule.day_of_month,
            on_last_day=schedule.on_last_day,
        )


def _runs_on(cadence: Cadence, day: date) -> bool:
    if cadence.frequency == DAILY:
        return True
    if cadence.frequency == WEEKLY:
        return day.weekday() == cadence.weekday
    last = calendar.monthrange(day.year, day.month)[1]
    if cadence.on_last_day:
        return day.day == last
    return day.day == min(cadence.day_of_month, last)  # the 31st runs on the 30th in April


def slot_instant(cadence: Cadence, day: date) -> datetime:
    """The UTC instant of the slot on a local day (fold=0: the first of a repeated time;
    a skipped time is read with the offset before the change, i.e. an hour later)."""
    zone = zoneinfo.ZoneInfo(cadence.time_zone)
    local = datetime.combine(day, cadence.time_of_day).replace(tzinfo=zone, fold=0)
    return local.astimezone(UTC)


def next_run(cadence: Cadence, after: datetime) -> datetime:
    """The first slot strictly after `after` (an aware datetime), as a UTC datetime."""
    zone = zoneinfo.ZoneInfo(cadence.time_zone)
    day = after.astimezone(zone).date() - timedelta(days=1)  # a slot late at night may be early tomorrow in UTC
    for _ in range(400):  # a monthly slot is at most 31 days away
        if _runs_on(cadence, day):
            instant = slot_instant(cadence, day)
            if instant > after:
                return instant
        day += timedelta(days=1)
    raise ValueError("This schedule never runs.")


def upcoming(cadence: Cadence, after: datetime, count: int = 3) -> list[datetime]:
    runs, current = [], after
    for _ in range(count):
        current = next_run(cadence, current)
        runs.append(current)
    return runs
