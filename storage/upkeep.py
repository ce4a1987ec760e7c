"""What the frozen migrations leave to today's code and that may take long: done in batches that each
commit, so that an interrupted upgrade goes on where it stopped, with progress lines.

- raw compressed: migration m012 moved each offer's raw out of the offers table as plain JSON;
  storage/raw.py's format (no copies, compressed) replaces it, offer by offer, readers reading both. Migration
  m013 asks for it again: every raw written in an older format is written in today's (a JO notice's text in
  its own raw, compressed with its copies), then the shared texts no raw refers to any more are removed.
- the match keys index filled (storage/match_keys.py): after m012, and again whenever the way
  storage.french makes keys changes (its fingerprint), every offer's keys are indexed anew.

``storage_state`` holds how far each went; its rows are removed once done, so that opening an
up-to-date database costs one small query.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlite_utils import Database

from storage.db import write_transaction
from storage.match_keys import SEARCHABLE_FIELDS, fingerprint, index_offers
from storage.raw import RAW_JOIN, decode_raws, encode_raws, referenced_texts
from storage.rows import dict_rows

BATCH = 500
_PROGRESS_EVERY = 2.0  # seconds

Progress = Callable[[str], None]


def catch_up(db: Database, progress: Progress | None = None, *, batch: int | None = None) -> None:
    """Bring the database's raw and match keys up to date with today's code, ``batch`` offers a
    transaction."""
    batch = batch or BATCH
    state = dict(db.conn.execute("select name, value from storage_state").fetchall())
    if state.get("match_keys") != fingerprint():
        with write_transaction(db):
            _restart_match_keys(db)
        state = dict(db.conn.execute("select name, value from storage_state").fetchall())
    if "raw_compressed_through" in state:
        _in_batches(db, "raw_compressed_through", "compressing raw", _compress_raw, progress, batch)
    if "raw_texts_unreferenced" in state:
        _remove_unreferenced_texts(db, progress)
    if "match_keys_through" in state:
        _in_batches(db, "match_keys_through", "indexing match keys", _index_match_keys, progress, batch)


def _restart_match_keys(db: Database) -> None:
    """The keys in the index were made by other rules (or none yet): index every offer again."""
    current = db.conn.execute("select value from storage_state where name = 'match_keys'").fetchone()
    if current and current[0] == fingerprint():
        return  # another process did it meanwhile
    db.conn.execute("insert into offer_keys (offer_keys) values ('delete-all')")
    db.conn.execute("insert or replace into storage_state (name, value) values ('match_keys_through', 0)")
    db.conn.execute("insert or replace into storage_state (name, value) values ('match_keys', ?)", [fingerprint()])


def _in_batches(db: Database, name: str, doing: str, step, progress: Progress | None, batch: int) -> None:
    total = done = None
    reported = time.monotonic()
    while True:
        with write_transaction(db):
            row = db.conn.execute("select value from storage_state where name = ?", [name]).fetchone()
            if row is None:
                return  # done by another process
            through = int(row[0])
            if total is None:
                total = db.conn.execute("select count(*) from offers where id > ?", [through]).fetchone()[0]
                done = 0
            last, count = step(db, through, batch)
            if last is None:
                db.conn.execute("delete from storage_state where name = ?", [name])
            else:
                db.conn.execute("update storage_state set value = ? where name = ?", [last, name])
        done += count
        if progress and total > batch and (last is None or time.monotonic() - reported > _PROGRESS_EVERY):
            reported = time.monotonic()
            progress(f"upgrading the database: {doing}, {min(done, total):,}/{total:,} offers")
        if last is None:
            return


def _compress_raw(db: Database, through: int, batch: int) -> tuple[int | None, int]:
    """Write the raws of the next ``batch`` offers in today's format (plain JSON, or a blob that another
    encoding gave); (last id, offers seen)."""
    cursor = db.conn.execute(
        f"select offers.*, offer_raw.raw as raw from offers {RAW_JOIN} where offers.id > ? order by offers.id limit ?",
        [through, batch],
    )
    rows = list(dict_rows(cursor))
    stored = {row["id"]: row["raw"] for row in rows}
    with_raw = [row for row in rows if row["raw"] is not None]
    unreadable = decode_raws(db, with_raw)
    # A raw that cannot be read (a column changed by hand) is left as it is stored, never written empty.
    with_raw = [row for row in with_raw if row["id"] not in unreadable]
    encoded = encode_raws(db, [(row["raw"], row) for row in with_raw])
    changed = [(value, row["id"]) for row, value in zip(with_raw, encoded) if value != stored[row["id"]]]
    db.conn.executemany("update offer_raw set raw = ? where offer_id = ?", [pair for pair in changed if pair[0]])
    empty = [(offer_id,) for value, offer_id in changed if value is None]
    db.conn.executemany("delete from offer_raw where offer_id = ?", empty)
    return (rows[-1]["id"] if rows else None), len(rows)


def _remove_unreferenced_texts(db: Database, progress: Progress | None) -> None:
    """Remove the shared texts of raw_texts that no raw refers to (one transaction: a crawl storing offers
    meanwhile waits, and never refers to a text removed under it)."""
    with write_transaction(db):
        if db.conn.execute("select 1 from storage_state where name = 'raw_texts_unreferenced'").fetchone() is None:
            return  # done by another process
        referenced = referenced_texts(db)
        unreferenced = [
            (text_id,) for (text_id,) in db.conn.execute("select id from raw_texts") if text_id not in referenced
        ]
        db.conn.executemany("delete from raw_texts where id = ?", unreferenced)
        db.conn.execute("delete from storage_state where name = 'raw_texts_unreferenced'")
    if progress and unreferenced:
        progress(f"upgrading the database: removed {len(unreferenced):,} shared texts no offer refers to any more")


def _index_match_keys(db: Database, through: int, batch: int) -> tuple[int | None, int]:
    cursor = db.conn.execute(
        f"select id, {', '.join(SEARCHABLE_FIELDS)} from offers where id > ? order by id limit ?", [through, batch]
    )
    offers = [(row[0], dict(zip(SEARCHABLE_FIELDS, row[1:]))) for row in cursor]
    index_offers(db, offers)
    return (offers[-1][0] if offers else None), len(offers)
