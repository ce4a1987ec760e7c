"""Offers: stored once however often they are crawled, with a version for every change.

An offer is identified by (source, source_id). Re-crawling it unchanged only
touches ``last_seen``; a change rewrites the row and records what changed in
``offer_versions`` (a deadline moved is such a change). Nothing here ever
deletes an offer.

:func:`store_offers` is what a crawl calls: the upsert, then, in the same
transaction, the grouping of the new offers into jobs (storage/jobs.py).
:func:`upsert_offers` is the upsert alone.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlite_utils import Database

from storage.clock import now_iso, paris_day
from storage.db import write_transaction
from storage.grouping import Thresholds
from storage.jobs import place_offers, refresh_offers
from storage.rows import CONTENT_FIELDS, JSON_FIELDS, KEY_FIELDS, chunks, dict_rows, from_row, to_row

# SQLite's default limit on bound parameters is 32766 on recent builds, 999 on old ones.
_CHUNK = 900


@dataclass
class UpsertResult:
    new: list[tuple[str, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    # The offers as given, by key, and each updated one as (before, after).
    offers: dict[tuple[str, str], dict] = field(default_factory=dict, repr=False)
    changed: list[tuple[dict, dict]] = field(default_factory=list, repr=False)

    def outcome(self, key: tuple[str, str]) -> str:
        for name in ("new", "updated", "unchanged"):
            if key in getattr(self, name):
                return name
        raise KeyError(key)


def _existing_hashes(db: Database, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, source_id in keys:
        by_source[source].append(source_id)
    found = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            cursor = db.execute(
                f"select source_id, content_hash from offers where source = ? and source_id in ({marks})",
                [source, *chunk],
            )
            found.update(((source, source_id), content_hash) for source_id, content_hash in cursor)
    return found


def _changes(db: Database, row: dict) -> dict[str, list]:
    """What changed in a stored offer: {field: [old, new]}, JSON fields decoded."""
    old = db.execute(
        f"select {', '.join(CONTENT_FIELDS)} from offers where source = ? and source_id = ?",
        [row["source"], row["source_id"]],
    ).fetchone()
    changes = {}
    for name, old_value in zip(CONTENT_FIELDS, old):
        if old_value != row[name]:
            if name in JSON_FIELDS:
                changes[name] = [json.loads(old_value) if old_value else None, json.loads(row[name])]
            else:
                changes[name] = [old_value, row[name]]
    return changes


_INSERT_COLUMNS = (
    *KEY_FIELDS,
    *CONTENT_FIELDS,
    "content_hash",
    "first_seen",
    "last_seen",
    "updated_at",
    "first_run_id",
    "last_run_id",
)
_INSERT_SQL = f"insert into offers ({', '.join(_INSERT_COLUMNS)}) values ({', '.join('?' * len(_INSERT_COLUMNS))})"
_TOUCH_SQL = "update offers set last_seen = ?, last_run_id = ? where source = ? and source_id = ?"
_UPDATE_SQL = (
    f"update offers set {', '.join(f'{name} = ?' for name in CONTENT_FIELDS)}, content_hash = ?, "
    "last_seen = ?, updated_at = ?, last_run_id = ? where source = ? and source_id = ?"
)
_VERSION_SQL = (
    "insert into offer_versions (source, source_id, run_id, seen_at, content_hash, changes) values (?, ?, ?, ?, ?, ?)"
)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a batch: the batch makes many small
    objects (rows, keys, grouping profiles) and no reference cycles, while each collection
    pass walks the whole heap of the caller (a crawl, a 100,000-offer import) for nothing.
    Reference counting still frees everything as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def store_offers(
    db: Database,
    offers: Iterable[dict],
    *,
    run_id: int | None = None,
    seen_at: str | None = None,
    thresholds: Thresholds | None = None,
) -> UpsertResult:
    """Store validated offers and place the new ones in their jobs, in one transaction
    (``thresholds``: ``[jobs]`` of veille.toml, the defaults when None). An updated offer
    keeps its job; what grouping knows of it follows its content."""
    seen_at = seen_at or now_iso()
    with _cyclic_gc_paused(), write_transaction(db):
        result = upsert_offers(db, offers, run_id=run_id, seen_at=seen_at)
        place_offers(db, [(result.offers[key], seen_at) for key in result.new], thresholds=thresholds)
        # Whether a changed deadline reopens a job is judged on the day the offers were seen, in
        # Paris, as placing judges new offers on their first-seen day (not on the clock's day).
        refresh_offers(db, result.changed, on=paris_day(seen_at))
    return result


def upsert_offers(
    db: Database, offers: Iterable[dict], *, run_id: int | None = None, seen_at: str | None = None
) -> UpsertResult:
    """Store validated offers in one transaction and say which were new, updated or unchanged.
    The upsert alone: a crawl stores offers with :func:`store_offers`, which also groups them."""
    with _cyclic_gc_paused():
        return _upsert(db, offers, run_id=run_id, seen_at=seen_at or now_iso())


def _upsert(db: Database, offers: Iterable[dict], *, run_id: int | None, seen_at: str) -> UpsertResult:
    result = UpsertResult()
    rows, originals = {}, result.offers
    for offer in offers:
        row = to_row(offer)
        key = (row["source"], row["source_id"])
        rows[key] = row  # the last copy of a key in a batch wins
        originals[key] = offer
    with write_transaction(db):
        known = _existing_hashes(db, rows)
        inserts, touches, updates, versions, changed = [], [], [], [], result.changed
        for key, row in rows.items():
            old_hash = known.get(key)
            if old_hash is None:
                inserts.append(
                    (
                        *(row[name] for name in KEY_FIELDS),
                        *(row[name] for name in CONTENT_FIELDS),
                        row["content_hash"],
                        seen_at,
                        seen_at,
                        seen_at,
                        run_id,
                        run_id,
                    )
                )
                result.new.append(key)
            elif old_hash == row["content_hash"]:
                touches.append((seen_at, run_id, *key))
                result.unchanged.append(key)
            else:
                changes = _changes(db, row)
                new = originals[key]
                changed.append(({**new, **{name: values[0] for name, values in changes.items()}}, new))
                updates.append(
                    (*(row[name] for name in CONTENT_FIELDS), row["content_hash"], seen_at, seen_at, run_id, *key)
                )
                versions.append((*key, run_id, seen_at, row["content_hash"], json.dumps(changes, ensure_ascii=False)))
                result.updated.append(key)
        if inserts:
            db.conn.executemany(_INSERT_SQL, inserts)
        if touches:
            db.conn.executemany(_TOUCH_SQL, touches)
        if updates:
            db.conn.executemany(_UPDATE_SQL, updates)
            db.conn.executemany(_VERSION_SQL, versions)
    return result


def touch_offers(
    db: Database, source: str, source_ids: Iterable[str], *, run_id: int | None, seen_at: str | None = None
) -> int:
    """Record that these stored offers were seen (on a listing) without being read again:
    an offer still listed is not missing (storage/lifecycle.py). Returns how many were stored."""
    seen_at = seen_at or now_iso()
    ids = list(source_ids)
    with write_transaction(db):
        before = db.conn.total_changes
        db.conn.executemany(_TOUCH_SQL, [(seen_at, run_id, source, source_id) for source_id in ids])
        return db.conn.total_changes - before


def offers_by_source(db: Database) -> dict[str, int]:
    """How many offers are stored, by source."""
    return dict(db.execute("select source, count(*) from offers group by source").fetchall())


def known_source_ids(db: Database, source: str) -> set[str]:
    return {source_id for (source_id,) in db.execute("select source_id from offers where source = ?", [source])}


def get_offer(db: Database, source: str, source_id: str) -> dict | None:
    rows = list(db["offers"].rows_where("source = ? and source_id = ?", [source, source_id]))
    return from_row(rows[0]) if rows else None


# The columns of the full-text index ``offers_fts`` (migration m001).
FTS_COLUMNS = ("title", "employer", "organisation", "missions", "profile")


def search_offers(
    db: Database,
    *,
    fts: str | None = None,
    source: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> Iterator[dict]:
    """Offers, newest first; ``fts`` an FTS5 expression on ``offers_fts`` (alerts.search builds it
    from a query), ``since`` an ISO date compared with the publication date, or the Paris day it was
    first seen when the source gives none."""
    sql, params = _search_sql(fts, source, since, "offers.*")
    if limit:
        sql += f" limit {int(limit)}"
    for row in dict_rows(db.execute(sql, params)):
        yield from_row(row)


def _search_sql(fts: str | None, source: str | None, since: str | None, columns: str) -> tuple[str, list]:
    where, params = [], []
    if source:
        where.append("offers.source = ?")
        params.append(source)
    if since:
        where.append("coalesce(offers.published_on, paris_day(offers.first_seen)) >= ?")
        params.append(since)
    sql = f"select {columns} from offers"
    if fts:
        sql += " join offers_fts on offers_fts.rowid = offers.rowid"
        where.append("offers_fts match ?")
        params.append(fts)
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by coalesce(offers.published_on, paris_day(offers.first_seen)) desc, offers.first_seen desc"
    return sql, params


def offer_texts(
    db: Database, fields: Iterable[str], *, fts: str | None = None, source: str | None = None, since: str | None = None
) -> Iterator[tuple[int, dict]]:
    """(rowid, {field: text}) of the offers :func:`search_offers` would list, in its order: what a
    search evaluates, without reading whole rows."""
    fields = list(fields)
    columns = ", ".join(["offers.rowid", *(f"offers.{name}" for name in fields)])
    sql, params = _search_sql(fts, source, since, columns)
    for rowid, *values in db.execute(sql, params):
        yield rowid, dict(zip(fields, values))


def offers_by_rowid(db: Database, rowids: list[int]) -> list[dict]:
    """Whole offers, in the order of ``rowids``."""
    found = {}
    for chunk in chunks(rowids):
        cursor = db.execute(
            f"select offers.rowid as _rowid, offers.* from offers where offers.rowid in ({','.join('?' * len(chunk))})",
            chunk,
        )
        for row in dict_rows(cursor):
            found[row.pop("_rowid")] = from_row(row)
    return [found[rowid] for rowid in rowids if rowid in found]


def versions_of(db: Database, source: str, source_id: str) -> list[dict]:
    return [
        {**row, "changes": json.loads(row["changes"])}
        for row in db["offer_versions"].rows_where("source = ? and source_id = ?", [source, source_id], order_by="id")
    ]
