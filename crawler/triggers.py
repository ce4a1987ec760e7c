"""When things run: standard crontab lines and "every N s|m|h" as APScheduler triggers.

The configuration validates ``[schedule]`` with them and the scheduler runs on them,
so a line accepted by one is understood the same way by the other.

A line means what it means to cron (crontab(5)): weekdays 0-7 with 0 and 7 for Sunday,
names (``mon``, ``Sun``), ranges, lists and steps counted from the start of their range
(``*/2`` is Sunday, Tuesday, Thursday, Saturday). APScheduler 3 numbers weekdays from
Monday = 0, ``CronTrigger.from_crontab`` included (its documented historical mistake), so
the weekday field is read here into the days it names and handed over by name. As in cron,
when both the day of the month and the weekday are restricted (neither starts with ``*``),
either one fires. The other fields are APScheduler's own, which reads them as cron does.
"""

from __future__ import annotations

import re
import zoneinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

EVERY = re.compile(r"^every\s+(\d+)\s*(s|m|h)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}

# Crontab's weekday numbers: 0 = Sunday ... 6 = Saturday, and 7 = Sunday again.
_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_ITEM = re.compile(r"^(?:(?P<all>\*)|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?$")


def _weekday_number(text: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text.lower() in _NAMES:
        return _NAMES.index(text.lower())
    raise ValueError(f"weekday {text!r} is not 0-7 nor a name (sun, mon, ... sat)")


def crontab_weekdays(field: str) -> set[int]:
    """The days (0 = Sunday ... 6 = Saturday) a crontab weekday field names."""
    days = set()
    for item in field.split(","):
        match = _WEEKDAY_ITEM.match(item)
        if not match:
            raise ValueError(f"cannot read the weekday field {field!r}")
        step = int(match["step"]) if match["step"] else 1
        if step < 1:
            raise ValueError(f"a step of 0 in the weekday field {field!r}")
        if match["all"]:
            first, last = 0, 7
        else:
            first = _weekday_number(match["first"])
            # "1/3" is "from 1 to the end, every 3", as in cron; "1" alone is that day.
            last = _weekday_number(match["last"]) if match["last"] else (7 if match["step"] else first)
            if last < first:
                raise ValueError(f"the weekday range {item!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return days


def _weekdays_by_name(field: str) -> str:
    """The weekday field as APScheduler 3 reads it without ambiguity: day names."""
    days = crontab_weekdays(field)
    return "*" if len(days) == 7 else ",".join(_NAMES[day] for day in sorted(days))


def cron_trigger(spec: str, timezone=None) -> BaseTrigger:
    """A trigger from a standard 5-field crontab line, read as cron reads it."""
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    day_of_week = _weekdays_by_name(weekday)
    if day.startswith("*") or weekday.startswith("*"):
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=timezone)
    # Both restricted: cron fires on either (crontab(5)), APScheduler on both; two triggers.
    return OrTrigger(
        [
            CronTrigger(minute=minute, hour=hour, day=day, month=month, timezone=timezone),
            CronTrigger(minute=minute, hour=hour, month=month, day_of_week=day_of_week, timezone=timezone),
        ]
    )


def make_trigger(specs: list[str], timezone: zoneinfo.ZoneInfo) -> BaseTrigger:
    triggers = []
    for spec in specs:
        every = EVERY.match(spec)
        if every:
            triggers.append(IntervalTrigger(timezone=timezone, **{_UNITS[every.group(2)]: int(every.group(1))}))
        else:
            triggers.append(cron_trigger(spec, timezone))
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)
