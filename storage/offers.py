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
from storage.match_keys import index_offers, indexed_through, matching_ids_sql, reindex_offers
from storage.raw import OFFER_COLUMNS, RAW_JOIN, decoded_offers, encode_raws
from storage.rows import CONTENT_FIELDS, JSON_FIELDS, KEY_FIELDS, chunks, dict_rows, json_column, to_row
from storage.runs import RUNNING

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


def _existing(db: Database, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(id, content hash) of the stored offers among ``keys``."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, source_id in keys:
        by_source[source].append(source_id)
    found = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            cursor = db.execute(
                f"select source_id, id, content_hash from offers where source = ? and source_id in ({marks})",
                [source, *chunk],
            )
            found.update(((source, source_id), (offer_id, hashed)) for source_id, offer_id, hashed in cursor)
    return found


def _changes(db: Database, offer_id: int, row: dict) -> dict[str, list]:
    """What changed in a stored offer: {field: [old, new]}, JSON fields decoded."""
    cursor = db.execute(f"select offers.*, offer_raw.raw as raw from offers {RAW_JOIN} where offers.id = ?", [offer_id])
    (old,) = decoded_offers(db, list(dict_rows(cursor)))
    changes = {}
    for name in CONTENT_FIELDS:
        old_value = old.get(name)
        if name in JSON_FIELDS:
            if json_column(name, old_value) != row[name]:
                changes[name] = [old_value, json.loads(row[name])]
        elif old_value != row[name]:
            changes[name] = [old_value, row[name]]
    return changes


_INSERT_COLUMNS = (
    "id",
    *KEY_FIELDS,
    *OFFER_COLUMNS,
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
    f"update offers set {', '.join(f'{name} = ?' for name in OFFER_COLUMNS)}, content_hash = ?, "
    "last_seen = ?, updated_at = ?, last_run_id = ? where id = ?"
)
_VERSION_SQL = (
    "insert into offer_versions (source, source_id, run_id, seen_at, content_hash, changes) values (?, ?, ?, ?, ?, ?)"
)
_RAW_SQL = "insert or replace into offer_raw (offer_id, raw) values (?, ?)"


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
        known = _existing(db, rows)
        through = indexed_through(db)
        next_id = None
        inserts, touches, updates, versions, raws = [], [], [], [], []
        new_offers, keyed, changed = [], [], result.changed
        for key, row in rows.items():
            offer_id, old_hash = known.get(key, (None, None))
            if offer_id is None:
                if next_id is None:
                    next_id = db.conn.execute("select coalesce(max(id), 0) + 1 from offers").fetchone()[0]
                offer_id, next_id = next_id, next_id + 1
                inserts.append(
                    (
                        offer_id,
                        *(row[name] for name in KEY_FIELDS),
                        *(row[name] for name in OFFER_COLUMNS),
                        row["content_hash"],
                        seen_at,
                        seen_at,
                        seen_at,
                        run_id,
                        run_id,
                    )
                )
                raws.append((offer_id, originals[key].get("raw"), row))
                new_offers.append((offer_id, originals[key]))
                result.new.append(key)
            elif old_hash == row["content_hash"]:
                touches.append((seen_at, run_id, *key))
                result.unchanged.append(key)
            else:
                changes = _changes(db, offer_id, row)
                new = originals[key]
                before = {**new, **{name: values[0] for name, values in changes.items()}}
                changed.append((before, new))
                keyed.append((offer_id, before, new))
                updates.append(
                    (*(row[name] for name in OFFER_COLUMNS), row["content_hash"], seen_at, seen_at, run_id, offer_id)
                )
                # Raw again, changed or not: it may be compressed against the columns that changed.
                raws.append((offer_id, new.get("raw"), row))
                versions.append((*key, run_id, seen_at, row["content_hash"], json.dumps(changes, ensure_ascii=False)))
                result.updated.append(key)
        if inserts:
            db.conn.executemany(_INSERT_SQL, inserts)
        if touches:
            db.conn.executemany(_TOUCH_SQL, touches)
        if updates:
            db.conn.executemany(_UPDATE_SQL, updates)
            db.conn.executemany(_VERSION_SQL, versions)
        encoded = encode_raws(db, [(raw, row) for _, raw, row in raws])
        stored = [(offer_id, value) for (offer_id, _, _), value in zip(raws, encoded) if value is not None]
        db.conn.executemany(_RAW_SQL, stored)
        if len(stored) < len(raws):
            empty = [(offer_id,) for (offer_id, _, _), value in zip(raws, encoded) if value is None]
            db.conn.executemany("delete from offer_raw where offer_id = ?", empty)
        index_offers(db, new_offers, through=through)
        reindex_offers(db, keyed, through=through)
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
    """The source's stored offers that an everyday run may stop its listing at: all but those last seen
    by a run that never finished (killed). Such a run stored its offers in batches while others, listed
    after them, were still waiting to be committed: its offers must not hide those from the next run."""
    return {
        source_id
        for (source_id,) in db.execute(
            "select source_id from offers where source = ? and (last_run_id is null "
            "or last_run_id not in (select id from runs where source = ? and status = ?))",
            [source, source, RUNNING],
        )
    }


def get_offer(db: Database, source: str, source_id: str) -> dict | None:
    cursor = db.execute(
        f"select offers.*, offer_raw.raw as raw from offers {RAW_JOIN} "
        "where offers.source = ? and offers.source_id = ?",
        [source, source_id],
    )
    found = decoded_offers(db, list(dict_rows(cursor)))
    return found[0] if found else None


def search_offers(
    db: Database,
    *,
    fts: str | None = None,
    keys: tuple[str, bool] | None = None,
    source: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> Iterator[dict]:
    """Offers, newest first; ``fts`` an FTS5 expression on ``offers_fts`` (words as written, accents
    off), ``keys`` one on the match keys index and whether the offers are those it does not match
    (alerts.search builds it from a query); ``since`` an ISO date compared with the publication date,
    or the Paris day it was first seen when the source gives none."""
    sql, params = _search_sql(fts, keys, source, since, "offers.*, offer_raw.raw as raw", join=RAW_JOIN)
    if limit:
        sql += f" limit {int(limit)}"
    rows = dict_rows(db.execute(sql, params))
    while batch := [row for _, row in zip(range(_CHUNK), rows)]:
        yield from decoded_offers(db, batch)


def _search_sql(
    fts: str | None,
    keys: tuple[str, bool] | None,
    source: str | None,
    since: str | None,
    columns: str,
    *,
    join: str = "",
) -> tuple[str, list]:
    where, params = [], []
    if source:
        where.append("offers.source = ?")
        params.append(source)
    if since:
        where.append("coalesce(offers.published_on, paris_day(offers.first_seen)) >= ?")
        params.append(since)
    sql = f"select {columns} from offers {join}"
    if fts:
        sql += " join offers_fts on offers_fts.rowid = offers.id"
        where.append("offers_fts match ?")
        params.append(fts)
    if keys:
        expression, negated = keys
        condition, values = matching_ids_sql(expression, negated=negated)
        where.append(condition)
        params.extend(values)
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by coalesce(offers.published_on, paris_day(offers.first_seen)) desc, offers.first_seen desc"
    return sql, params


def offer_texts(
    db: Database, fields: Iterable[str], *, source: str | None = None, since: str | None = None
) -> Iterator[tuple[int, dict]]:
    """(id, {field: text}) of the offers :func:`search_offers` would list, in its order: what a
    search evaluates without the match keys index, without reading whole rows."""
    fields = list(fields)
    columns = ", ".join(["offers.id", *(f"offers.{name}" for name in fields)])
    sql, params = _search_sql(None, None, source, since, columns)
    for rowid, *values in db.execute(sql, params):
        yield rowid, dict(zip(fields, values))


def offers_by_id(db: Database, ids: list[int]) -> list[dict]:
    """Whole offers, in the order of ``ids``."""
    found = {}
    for chunk in chunks(ids):
        cursor = db.execute(
            f"select offers.*, offer_raw.raw as raw from offers {RAW_JOIN} "
            f"where offers.id in ({','.join('?' * len(chunk))})",
            chunk,
        )
        rows = list(dict_rows(cursor))
        chunk_ids = [row["id"] for row in rows]
        found.update(zip(chunk_ids, decoded_offers(db, rows)))
    return [found[offer_id] for offer_id in ids if offer_id in found]


def versions_of(db: Database, source: str, source_id: str) -> list[dict]:
    return [
        {**row, "changes": json.loads(row["changes"])}
        for row in db["offer_versions"].rows_where("source = ? and source_id = ?", [source, source_id], order_by="id")
    ]
