"""Offer pages to read again (table ``unread_offers``, migration m011).

A new offer whose page failed (an error answer, a maintenance page, a page that is not
the offer, an offer dropped or refused on its way to the database) is not stored, so an
everyday run, which pages a listing only until it meets offers already stored, may never
see it again. Its page is noted here instead and read again at the start of every run of
its source, whatever the listing shows, until its offer is stored: then it is new, and
alerted. A page the site says is gone (404, 410) is forgotten; one still failing after
``GIVE_UP_AFTER`` is given up on (``veille status`` counts both states).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database

from storage.clock import iso, now
from storage.db import write_transaction

PENDING, GIVEN_UP = "pending", "given_up"
GIVE_UP_AFTER = dt.timedelta(days=14)


def note_unread(
    db: Database, source: str, url: str, *, callback: str, cb_kwargs: dict, error: str, run_id: int | None
) -> None:
    """Note (or note again) an offer page that failed, to be read again by the next run."""
    stamp = iso(now())
    with write_transaction(db):
        db.execute(
            """insert into unread_offers (source, url, callback, cb_kwargs, first_failed_at, last_failed_at, attempts,
  last_error, run_id) values (?, ?, ?, ?, ?, ?, 1, ?, ?)
on conflict (source, url) do update set last_failed_at = excluded.last_failed_at, attempts = attempts + 1,
  last_error = excluded.last_error, run_id = excluded.run_id, callback = excluded.callback,
  cb_kwargs = excluded.cb_kwargs""",
            [
                source,
                url,
                callback,
                json.dumps(cb_kwargs, ensure_ascii=False, sort_keys=True, default=str),
                stamp,
                stamp,
                error[:500],
                run_id,
            ],
        )


def forget(db: Database, source: str, urls: list[str]) -> None:
    """These pages were read (their offers are stored) or are gone: nothing to read again."""
    if not urls:
        return
    with write_transaction(db):
        db.conn.executemany("delete from unread_offers where source = ? and url = ?", [(source, url) for url in urls])


def to_read_again(db: Database, source: str) -> list[dict]:
    """The source's pages to read again, oldest first, their ``cb_kwargs`` decoded. Those failing
    for longer than ``GIVE_UP_AFTER`` are given up on first."""
    with write_transaction(db):
        db.execute(
            "update unread_offers set status = ? where source = ? and status = ? and first_failed_at < ?",
            [GIVEN_UP, source, PENDING, iso(now() - GIVE_UP_AFTER)],
        )
        rows = db.execute_returning_dicts(
            "select * from unread_offers where source = ? and status = ? order by first_failed_at, url",
            [source, PENDING],
        )
    return [{**row, "cb_kwargs": json.loads(row["cb_kwargs"])} for row in rows]


def unread_counts(db: Database) -> dict[str, dict[str, int]]:
    """By source: how many offer pages wait to be read again, and how many were given up on."""
    counts: dict[str, dict[str, int]] = {}
    for source, status, count in db.execute(
        "select source, status, count(*) from unread_offers group by source, status order by source"
    ):
        counts.setdefault(source, {PENDING: 0, GIVEN_UP: 0})[status] = count
    return counts
