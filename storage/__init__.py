"""SQLite storage, the bottom layer: every table and its SQL, and what every layer above
shares (French text, places, the clock). It imports nothing of veille above it.

:func:`open_db` is how every command opens the database.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from storage.db import connect
from storage.jobs import group_existing_offers
from storage.lifecycle import refresh_status
from storage.outbox import offer_alerts_to_jobs

__all__ = ["open_db"]


def open_db(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """The veille database at ``path``, created if needed, its schema brought up to date."""
    return connect(path, migrate=migrate, after_migrations=_data_steps)


def _data_steps(db: sqlite_utils.Database, applied: list[str]) -> None:
    """What the frozen migrations leave to today's code, in their transaction: the offers
    of a database older than jobs (m005_jobs) are grouped, and their alerts move from
    offers to their jobs; the status columns (m006) are filled."""
    if "m005_jobs" in applied:
        group_existing_offers(db)
        offer_alerts_to_jobs(db)
    if "m006_status_and_views" in applied:
        refresh_status(db)
