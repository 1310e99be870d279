"""When schedules run: daily, weekly and monthly slots in a schedule's own time zone,
and both daylight-saving changes of the year neither skipping nor doubling a run."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ifixit.reports.scheduling import Cadence, next_run, slot_instant, upcoming

LONDON = "Europe/London"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(at: time, zone: str = LONDON) -> Cadence:
    return Cadence(frequency="daily", time_of_day=at, time_zone=zone)


def test_a_daily_slot_is_today_if_still_ahead_else_tomorrow():
    cadence = daily(time(7, 0))
    assert next_run(cadence, utc(2026, 11, 24, 6, 59)) == utc(2026, 11, 24, 7, 0)  # GMT in November
    assert next_run(cadence, utc(2026, 11, 24, 7, 0)) == utc(2026, 11, 25, 7, 0)
    assert next_run(daily(time(7, 0)), utc(2026, 7, 1, 5, 0)) == utc(2026, 7, 1, 6, 0)  # BST in July


def test_a_weekly_slot_falls_on_its_weekday():
    monday_7 = Cadence(frequency="weekly", time_of_day=time(7, 0), time_zone=LONDON, weekday=0)
    assert [d.date() for d in upcoming(monday_7, utc(2026, 11, 24, 12, 0), 3)] == [
        date(2026, 11, 30),
        date(2026, 12, 7),
        date(2026, 12, 14),
    ]


def test_a_monthly_slot_on_the_31st_runs_on_shorter_months_last_day_and_last_day_means_last():
    the_31st = Cadence(frequency="monthly", time_of_day=time(6, 0), time_zone=LONDON, day_of_month=31)
    assert [d.date() for d in upcoming(the_31st, utc(2027, 1, 1), 4)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    last = Cadence(frequency="monthly", time_of_day=time(18, 0), time_zone=LONDON, on_last_day=True)
    assert [d.date() for d in upcoming(last, utc(2028, 1, 31, 19), 2)] == [date(2028, 2, 29), date(2028, 3, 31)]


def test_the_slot_is_in_the_schedule_s_zone_not_the_server_s():
    new_york = daily(time(7, 0), "America/New_York")
    assert next_run(new_york, utc(2026, 11, 24, 0, 0)) == utc(2026, 11, 24, 12, 0)
    tokyo = daily(time(7, 0), "Asia/Tokyo")  # already tomorrow there
    assert next_run(tokyo, utc(2026, 11, 24, 23, 0)) == utc(2026, 11, 24, 22, 0) + timedelta(days=1)


@pytest.mark.parametrize("at", [time(0, 30), time(1, 0), time(1, 30), time(2, 0), time(2, 30), time(7, 0)])
def test_spring_forward_neither_skips_nor_doubles_a_daily_run(at):
    # London's clocks go forward at 01:00 GMT on Sunday 29 March 2026.
    runs = upcoming(daily(at), utc(2026, 3, 26, 12, 0), 5)
    local_days = [r.astimezone(ZoneInfo(LONDON)).date() for r in runs]
    assert local_days == [date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30), date(2026, 3, 31)]
    assert len(set(runs)) == 5


def test_a_time_the_clocks_skip_runs_an_hour_later_by_the_clock():
    # 01:30 does not exist in London on 29 March 2026: the run goes at 01:30 GMT = 02:30 BST.
    assert slot_instant(daily(time(1, 30)), date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize("at", [time(0, 30), time(1, 0), time(1, 30), time(2, 0), time(7, 0)])
def test_fall_back_neither_skips_nor_doubles_a_daily_run(at):
    # London's clocks go back at 02:00 BST on Sunday 25 October 2026: 01:00-01:59 happens twice.
    runs = upcoming(daily(at), utc(2026, 10, 22, 12, 0), 5)
    local_days = [r.astimezone(ZoneInfo(LONDON)).date() for r in runs]
    assert local_days == [
        date(2026, 10, 23),
        date(2026, 10, 24),
        date(2026, 10, 25),
        date(2026, 10, 26),
        date(2026, 10, 27),
    ]


def test_a_time_that_happens_twice_runs_at_its_first_occurrence_only():
    cadence = daily(time(1, 30))
    first = next_run(cadence, utc(2026, 10, 24, 12, 0))
    assert first == utc(2026, 10, 25, 0, 30)  # 01:30 BST
    # After that run, the next is the following day, not 01:30 GMT an hour later.
    assert next_run(cadence, first) == utc(2026, 10, 26, 1, 30)


def test_a_weekly_run_across_the_change_keeps_its_local_time():
    sunday_9 = Cadence(frequency="weekly", time_of_day=time(9, 0), time_zone=LONDON, weekday=6)
    before, after = upcoming(sunday_9, utc(2026, 10, 20), 2)
    assert (before, after) == (
        utc(2026, 10, 25, 9, 0),
        utc(2026, 11, 1, 9, 0),
    )  # 9:00 GMT both (change at 2am on the 25th)
    assert upcoming(sunday_9, utc(2026, 3, 25), 1) == [utc(2026, 3, 29, 8, 0)]  # 9:00 BST
