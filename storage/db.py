"""Opening the database: WAL, a busy timeout, and the schema brought up to date."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from storage.clock import paris_day
from storage.migrations import migrations

BUSY_TIMEOUT_MS = 30_000


def connect(
    path: str | Path,
    *,
    migrate: bool = True,
    after_migrations: Callable[[sqlite_utils.Database, list[str]], None] | None = None,
) -> sqlite_utils.Database:
    """A connection to the veille database at ``path``, created if needed (``storage.open_db``
    is what the rest of veille calls). ``after_migrations`` is called with the names of the
    migrations applied, in their transaction, when any were.

    WAL lets ``veille status`` read while a crawl writes; the busy timeout lets a
    second writer wait for the first instead of failing at once.
    """
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # The Paris day of a stored UTC moment, for queries that date offers by when they were seen.
    conn.create_function("paris_day", 1, _paris_day, deterministic=True)
    db = sqlite_utils.Database(conn)
    if db.journal_mode != "wal":
        _enable_wal(db)
    # WAL is crash-safe with synchronous=NORMAL: a power cut may lose the last
    # commits, never corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    # 32 MB of page cache (the default is 2 MB): grouping indexes are written at random places.
    conn.execute("PRAGMA cache_size = -32768")
    if migrate and migrations.pending(db):
        # Several processes may open a new (or older) database together: the write
        # lock is taken before looking again at what is pending, so that one applies
        # the migrations while the others wait, then find nothing left to do.
        with write_transaction(db):
            applied = [migration.name for migration in migrations.pending(db)]
            migrations.apply(db)
            if applied and after_migrations:
                after_migrations(db, applied)
    return db


def _paris_day(moment: str | None) -> str | None:
    return paris_day(moment).isoformat() if moment else None


def _enable_wal(db: sqlite_utils.Database) -> None:
    # Changing the journal mode needs the file to itself, and SQLite does not call
    # the busy handler for it: another process opening the new file at the same
    # moment makes it fail at once. It is retried for as long as the busy timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock at once.

    A deferred ``BEGIN`` that reads and then writes fails with SQLITE_BUSY, without
    waiting, when another process wrote in between (a crawl and an alert dispatch
    running together); ``BEGIN IMMEDIATE`` waits for the busy timeout instead.
    Nested calls join the outer transaction.
    """
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")
