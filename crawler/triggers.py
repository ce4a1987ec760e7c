"""When things run: standard crontab lines and "every N s|m|h" as APScheduler triggers.

The configuration validates ``[schedule]`` with them and the scheduler runs on them,
so a line accepted by one is understood the same way by the other.
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


def _weekdays(field: str) -> str:
    """Crontab weekday numbers (0 or 7 = Sunday, 1 = Monday) as APScheduler 3 wants
    them (0 = Monday, its historical mistake): a user's "0 9 * * 1" means Monday."""

    def convert(number: str) -> int:
        return (int(number) - 1) % 7

    parts = []
    for part in field.split(","):
        step = ""
        if "/" in part:
            part, step = part.split("/", 1)
            step = "/" + step
        if re.fullmatch(r"\d+-\d+", part):
            start, end = (convert(n) for n in part.split("-"))
            parts += [f"{start}-{end}{step}"] if start <= end else [f"{start}-6{step}", f"0-{end}{step}"]
        elif part.isdigit():
            parts.append(f"{convert(part)}{step}")
        else:
            parts.append(part + step)
    return ",".join(parts)


def cron_trigger(spec: str, timezone=None) -> CronTrigger:
    """A trigger from a standard 5-field crontab line, weekdays numbered as in crontab."""
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday), timezone=timezone
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
