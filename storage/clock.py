"""The one clock: every "now" and "today" of veille comes from here.

Times are stored in UTC (ISO 8601, to the second); days that people see or that
decide whether an offer is open (deadlines, "published today") are Paris days.
Tests freeze the clock by patching :func:`now` (``tests/conftest.py``), and a
process can be started on a given moment with ``VEILLE_NOW`` (an ISO datetime
with its offset), which is how the demo and the subprocess tests run on a
frozen day.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import zoneinfo

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = dt.UTC


def _frozen() -> dt.datetime | None:
    value = os.environ.get("VEILLE_NOW")
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now() -> dt.datetime:
    """The current moment, in UTC, to the second."""
    moment = _frozen() or dt.datetime.now(UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """A moment as stored: UTC, ISO 8601, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def now_iso() -> str:
    return iso(now())


def paris_day(moment: dt.datetime | str) -> dt.date:
    """The Paris calendar day of a moment (an aware datetime or a stored ISO string)."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS).date()


def paris_today() -> dt.date:
    return paris_day(now())


def retry_after_seconds(value: bytes | str | None, at: dt.datetime | None = None) -> float | None:
    """An HTTP ``Retry-After`` as seconds to wait from ``at`` (default: now): either a number of
    seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (at or now())).total_seconds())
