"""Crontab lines mean what they mean in crontab (crawler/triggers.py): weekdays numbered from
Sunday = 0 (7 is Sunday too), steps counted from the start of the range, names, and a day of the
month or a weekday when both are restricted."""

import datetime as dt

import pytest

from crawler.triggers import cron_trigger

MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SUN, MON, TUE, WED, THU, FRI, SAT = 6, 0, 1, 2, 3, 4, 5  # Python's weekday() numbers


def fire_days(crontab: str, count: int = 14) -> list[dt.date]:
    trigger = cron_trigger(crontab, timezone=dt.UTC)
    when, days = MONDAY - dt.timedelta(minutes=1), []
    for _ in range(count):
        when = trigger.get_next_fire_time(None, when + dt.timedelta(minutes=1))
        days.append(when.date())
    return days


@pytest.mark.parametrize(
    "crontab, weekdays",
    [
        ("0 9 * * 1", {MON}),
        ("0 9 * * 0", {SUN}),
        ("0 9 * * 7", {SUN}),
        ("0 9 * * 1-5", {MON, TUE, WED, THU, FRI}),
        ("0 9 * * 0-2", {SUN, MON, TUE}),
        ("0 9 * * mon,fri", {MON, FRI}),
        # Steps count from the start of the range: */2 is 0,2,4,6 (and 7 is not reached from 0).
        ("0 9 * * */2", {SUN, TUE, THU, SAT}),
        ("0 9 * * 0-6/2", {SUN, TUE, THU, SAT}),
        ("0 9 * * 1-7/2", {MON, WED, FRI, SUN}),
        ("0 9 * * 1/3", {MON, THU, SUN}),  # "from 1 on, every 3": 1, 4, 7
        ("0 9 * * 0-7", {SUN, MON, TUE, WED, THU, FRI, SAT}),
        ("0 9 * * 5-7", {FRI, SAT, SUN}),
        ("0 9 * * 6,7", {SAT, SUN}),
        ("0 9 * * SUN", {SUN}),
        ("0 9 * * Mon-Wed", {MON, TUE, WED}),
        ("0 9 * * mon-fri/2", {MON, WED, FRI}),
        ("0 9 * * sat,sun", {SAT, SUN}),
        ("0 9 * * *", {SUN, MON, TUE, WED, THU, FRI, SAT}),
    ],
)
def test_weekdays_are_crontabs(crontab, weekdays):
    assert {day.weekday() for day in fire_days(crontab)} == weekdays


@pytest.mark.parametrize(
    "crontab",
    ["0 9 * * 8", "0 9 * * 3-1", "0 9 * * fun", "0 9 * * 1-", "0 9 * * */0", "0 9 * * 1,,2", "0 9 * *"],
)
def test_impossible_weekdays_are_refused(crontab):
    with pytest.raises(ValueError):
        cron_trigger(crontab)


def test_a_day_of_the_month_or_a_weekday_when_both_are_restricted():
    # crontab(5): "0 9 1 * 1" runs on the 1st of each month and on every Monday.
    days = fire_days("0 9 1 * 1", count=6)
    assert days == [
        dt.date(2026, 11, 23),  # Monday
        dt.date(2026, 11, 30),  # Monday
        dt.date(2026, 12, 1),  # the 1st, a Tuesday
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 21),
    ]
    # Only one of them restricted: that one alone.
    assert fire_days("0 9 1 * *", count=2) == [dt.date(2026, 12, 1), dt.date(2027, 1, 1)]


def test_other_fields_are_apschedulers_own():
    trigger = cron_trigger("*/20 7-9 * jan-mar *", timezone=dt.UTC)
    first = trigger.get_next_fire_time(None, MONDAY)
    assert first == dt.datetime(2027, 1, 1, 7, 0, tzinfo=dt.UTC)
