"""Each source's health as last assessed (table ``source_health``, migration m004_health);
the rules that decide it are crawler/health.py's."""

from __future__ import annotations

from sqlite_utils import Database

from storage.db import write_transaction

_NEVER_FAILED = {
    "consecutive_failures": 0,
    "failing_since": None,
    "failing_since_run_id": None,
    "alerted_at": None,
    "problem": None,
}


def source_health(db: Database, source: str) -> dict:
    """The source's recorded health; a source never assessed has never failed."""
    rows = list(db["source_health"].rows_where("source = ?", [source]))
    return rows[0] if rows else dict(_NEVER_FAILED)


def save_source_health(db: Database, row: dict) -> None:
    with write_transaction(db):
        db["source_health"].upsert(row, pk="source")


def mark_told(db: Database, source: str, alerted_at: str | None) -> None:
    """Record whether the admin channel believes the source broken (since ``alerted_at``) or not (None)."""
    with write_transaction(db):
        db.execute("update source_health set alerted_at = ? where source = ?", [alerted_at, source])


def health_states(db: Database) -> dict[str, dict]:
    """Every assessed source's health, by source."""
    return {row["source"]: row for row in db["source_health"].rows}
