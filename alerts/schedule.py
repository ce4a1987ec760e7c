"""When a subscription's alerts go out: ``immediate`` or a digest (``daily 08:00``,
``weekly mon 08:00``), always in Europe/Paris time.

A digest period ends at a *slot* (a wall-clock time in Paris). Slots are
computed on local dates and converted to UTC, so "daily 08:00" stays 08:00 in
Paris across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from storage.clock import PARIS

WEEKDAYS = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    "lun": 0,
    "mar": 1,
    "mer": 2,
    "jeu": 3,
    "ven": 4,
    "sam": 5,
    "dim": 6,
}
_DAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MODE = re.compile(
    r"^\s*(?:(?P<immediate>immediate)|(?P<daily>daily)\s+(?P<dt>\d{1,2}:\d{2})|(?P<weekly>weekly)\s+(?P<day>[a-z]{3})\s+(?P<wt>\d{1,2}:\d{2}))\s*$",
    re.IGNORECASE,
)
MODE_HELP = "expected 'immediate', 'daily HH:MM' or 'weekly mon HH:MM' (Europe/Paris time)"


@dataclass(frozen=True)
class Mode:
    """``kind`` is immediate, daily or weekly; ``weekday`` 0 = Monday."""

    kind: str
    at: dt.time | None = None
    weekday: int | None = None

    @property
    def is_digest(self) -> bool:
        return self.kind != "immediate"

    def __str__(self) -> str:
        if self.kind == "daily":
            return f"daily {self.at:%H:%M}"
        if self.kind == "weekly":
            day = next(name for name, number in WEEKDAYS.items() if number == self.weekday)
            return f"weekly {day} {self.at:%H:%M}"
        return "immediate"

    def describe_fr(self) -> str:
        if self.kind == "daily":
            return f"chaque jour à {self.at:%H:%M}"
        if self.kind == "weekly":
            return f"chaque {_DAY_NAMES_FR[self.weekday]} à {self.at:%H:%M}"
        return "dès la parution"

    def _slot_on(self, day: dt.date) -> dt.datetime:
        # A wall-clock time that does not exist (spring forward) resolves to
        # the instant zoneinfo gives it: an hour later in UTC terms, never lost.
        return dt.datetime.combine(day, self.at, tzinfo=PARIS).astimezone(dt.UTC)

    def last_slot(self, now: dt.datetime) -> dt.datetime | None:
        """The latest slot at or before ``now`` (UTC); None for immediate."""
        if not self.is_digest:
            return None
        day = now.astimezone(PARIS).date()
        for back in range(0, 15):
            candidate_day = day - dt.timedelta(days=back)
            if self.kind == "weekly" and candidate_day.weekday() != self.weekday:
                continue
            slot = self._slot_on(candidate_day)
            if slot <= now:
                return slot
        raise AssertionError("no slot in two weeks")  # pragma: no cover

    def next_slot(self, after: dt.datetime) -> dt.datetime | None:
        """The first slot strictly after ``after`` (UTC); None for immediate."""
        if not self.is_digest:
            return None
        day = after.astimezone(PARIS).date()
        for ahead in range(0, 15):
            candidate_day = day + dt.timedelta(days=ahead)
            if self.kind == "weekly" and candidate_day.weekday() != self.weekday:
                continue
            slot = self._slot_on(candidate_day)
            if slot > after:
                return slot
        raise AssertionError("no slot in two weeks")  # pragma: no cover


def parse_mode(text: str) -> Mode:
    """``immediate``, ``daily 08:00`` or ``weekly mon 08:00``; ValueError with a
    message for the user otherwise."""
    match = _MODE.match(text or "")
    if not match:
        raise ValueError(f"{MODE_HELP} (got {text!r})")
    if match.group("immediate"):
        return Mode("immediate")
    clock = match.group("dt") or match.group("wt")
    hours, minutes = (int(part) for part in clock.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{clock!r} is not a time of day; {MODE_HELP}")
    at = dt.time(hours, minutes)
    if match.group("daily"):
        return Mode("daily", at)
    day = match.group("day").lower()
    if day not in WEEKDAYS:
        raise ValueError(f"unknown day {day!r}: use mon, tue, wed, thu, fri, sat or sun")
    return Mode("weekly", at, WEEKDAYS[day])
