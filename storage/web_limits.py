"""Rate limits of the web pages, and the feedback people give on alerted offers.

Counters live in SQLite (table ``web_rate_limits``) so that a limit holds across the
server's workers and restarts. Keys are opaque: the web layer hands in an HMAC of the IP
or the address, never the value itself.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from storage.clock import iso
from storage.db import write_transaction
from storage.rows import dict_rows

RELEVANT, NOT_RELEVANT = "relevant", "not_relevant"


def _window_start(now: dt.datetime, window: dt.timedelta) -> dt.datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, dt.UTC)


def hit(db: Database, key: str, *, limit: int, window: dt.timedelta, now: dt.datetime) -> bool:
    """Count one hit of ``key`` in the current window; False once ``limit`` hits were already counted
    (a refused hit is not counted, so a limited client never pushes its own limit further)."""
    start = iso(_window_start(now, window))
    with write_transaction(db):
        row = db.execute("select hits from web_rate_limits where key = ? and window_start = ?", [key, start]).fetchone()
        if row is not None and row[0] >= limit:
            return False
        db.execute(
            "insert into web_rate_limits (key, window_start, hits) values (?, ?, 1) "
            "on conflict (key, window_start) do update set hits = hits + 1",
            [key, start],
        )
        # Old windows are of no use: kept no longer than a day past their end.
        db.execute("delete from web_rate_limits where window_start < ?", [iso(now - window - dt.timedelta(days=1))])
    return True


def record_feedback(db: Database, subscription: str, unit: str, verdict: str, now: dt.datetime) -> None:
    """« pertinente » or « pas pertinente » for a unit a subscription was sent; the latest word counts."""
    if verdict not in (RELEVANT, NOT_RELEVANT):
        raise ValueError(f"unknown verdict {verdict!r}")
    with write_transaction(db):
        db.execute(
            "insert into alert_feedback (subscription, unit, verdict, recorded_at) values (?, ?, ?, ?) "
            "on conflict (subscription, unit) do update set verdict = excluded.verdict, recorded_at = "
            "excluded.recorded_at",
            [subscription, unit, verdict, iso(now)],
        )


def feedback_of(db: Database, subscription: str) -> dict[str, str]:
    """Each unit's verdict for a subscription."""
    return {
        row["unit"]: row["verdict"]
        for row in dict_rows(
            db.execute("select unit, verdict from alert_feedback where subscription = ?", [subscription])
        )
    }


def feedback_counts(db: Database) -> dict[str, dict[str, int]]:
    """Per subscription: how many units were said relevant and not relevant."""
    counts: dict[str, dict[str, int]] = {}
    for name, verdict, count in db.execute(
        "select subscription, verdict, count(*) from alert_feedback group by subscription, verdict"
    ):
        counts.setdefault(name, {RELEVANT: 0, NOT_RELEVANT: 0})[verdict] = count
    return counts


def all_feedback(db: Database, subscriptions: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(subscription, unit, verdict) of every feedback, oldest first; only these subscriptions' when given."""
    sql = "select subscription, unit, verdict from alert_feedback"
    if subscriptions is None:
        return db.execute(sql + " order by recorded_at, rowid").fetchall()
    found = []
    for start in range(0, len(subscriptions), 500):
        chunk = list(subscriptions[start : start + 500])
        found += db.execute(
            f"{sql} where subscription in ({','.join('?' * len(chunk))}) order by recorded_at, rowid", chunk
        ).fetchall()
    return found
