"""The JORF archive ledger: which DILA archives (or PISTE issues) were read, and what came out.

An archive is marked processed only after every notice found in it is stored,
so a crash or a broken download never loses a notice: the archive is simply
read again next run. A broken archive is retried up to ``MAX_ATTEMPTS`` times,
then given up on (still visible in ``veille status``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from storage.clock import now_iso
from storage.db import write_transaction

PROCESSED, ERROR, GIVEN_UP = "processed", "error", "given_up"
DILA_ARCHIVE, PISTE_ISSUE = "dila_archive", "piste_issue"
MAX_ATTEMPTS = 5


def settled_names(db: Database, kind: str) -> set[str]:
    """Archives not to download again: processed, or given up after too many failures."""
    rows = db.execute("select name from jorf_archives where kind = ? and status in (?, ?)", [kind, PROCESSED, GIVEN_UP])
    return {name for (name,) in rows}


def earliest_date(db: Database, kind: str) -> str | None:
    """The date of the oldest archive ever tried: later runs start there, not at the first-run window."""
    return db.execute("select min(date) from jorf_archives where kind = ?", [kind]).fetchone()[0]


def _existing(db: Database, name: str) -> dict | None:
    rows = list(db["jorf_archives"].rows_where("name = ?", [name]))
    return rows[0] if rows else None


def record_processed(
    db: Database,
    name: str,
    *,
    kind: str,
    date: str | None,
    url: str | None,
    size: int | None,
    texts_seen: int,
    notices_found: int,
    run_id: int | None,
) -> None:
    _record_attempt(
        db,
        name,
        lambda attempts: PROCESSED,
        kind=kind,
        date=date,
        url=url,
        size=size,
        texts_seen=texts_seen,
        notices_found=notices_found,
        last_error=None,
        run_id=run_id,
    )


def record_failure(
    db: Database,
    name: str,
    *,
    kind: str,
    date: str | None,
    url: str | None,
    size: int | None,
    error: str,
    run_id: int | None,
    texts_seen: int | None = None,
    notices_found: int | None = None,
    give_up: bool = True,
) -> str:
    """Note a failed attempt; the status is ``error`` (retried next run) or, after ``MAX_ATTEMPTS``,
    ``given_up``; with ``give_up=False`` (a notice of it could not be stored: giving up would lose it for
    good) it stays ``error`` however many attempts it takes. Returns the status."""
    return _record_attempt(
        db,
        name,
        lambda attempts: GIVEN_UP if give_up and attempts >= MAX_ATTEMPTS else ERROR,
        kind=kind,
        date=date,
        url=url,
        size=size,
        texts_seen=texts_seen,
        notices_found=notices_found,
        last_error=error[:500],
        run_id=run_id,
    )


def _record_attempt(db: Database, name: str, status_after: Callable[[int], str], **fields) -> str:
    """One more attempt at an archive: its status (from how many attempts it has had), when it
    was first tried, and when it was processed."""
    now = now_iso()
    with write_transaction(db):
        old = _existing(db, name)
        attempts = (old["attempts"] if old else 0) + 1
        status = status_after(attempts)
        db["jorf_archives"].upsert(
            {
                "name": name,
                **fields,
                "status": status,
                "attempts": attempts,
                "first_tried_at": old["first_tried_at"] if old else now,
                "processed_at": now if status == PROCESSED else None,
            },
            pk="name",
        )
    return status


def get_archive(db: Database, name: str) -> dict | None:
    return _existing(db, name)


def recent_archives(db: Database, limit: int = 10) -> list[dict]:
    """The latest archives by delivery, newest first."""
    return list(db["jorf_archives"].rows_where(order_by="date desc, name desc", limit=limit))


def archive_counts(db: Database) -> dict[str, int]:
    return dict(db.execute("select status, count(*) from jorf_archives group by status").fetchall())
