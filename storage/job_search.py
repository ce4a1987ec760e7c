"""Open jobs, newest or most relevant first, with the filters of the web pages: what « Offres » and the
public feeds show.

A page must answer fast over a large database: offers are read in the order of the
``published_on`` index (or of ``relevance``'s) and the reading stops as soon as the page is
full, so the cost grows with the page asked for, not with the number of stored offers. A job
comes at the place of its newest (most relevant) open offer that passes the filters: a job is
as relevant as its best offer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlite_utils import Database

from storage.lifecycle import closed_reason_sql
from storage.places import REGION_DEPARTMENTS


@dataclass
class JobFilters:
    """Every list empty means "any"."""

    words: str = ""  # full-text, accent-insensitive: every word must appear
    departements: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    # Only offers whose stored relevance score is at least this (None: any, unscored ones too).
    min_relevance: float | None = None
    # "newest" (publication day) or "relevance" (the best offer's score), highest first.
    order: str = "newest"


def fts_words(text: str) -> str | None:
    """A full-text query for FTS5 where every word must appear, each as a literal (no operator
    of the user's text reaches FTS5), the last one as a prefix."""
    words = ["".join(char for char in word if char.isalnum()) for word in text.split()]
    words = [word for word in words if word][:12]
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


# Filters matching fewer offers than this: those offers are read and sorted. Matching more: the offers
# are read newest first and those that pass are kept, which soon fills a page.
SPARSE_MATCHES = 3000


def _fewer_than(db: Database, where: list[str], params: list, count: int, *, table: str = "offers") -> bool:
    """Whether fewer than ``count`` rows pass (reading ``count`` rows at most)."""
    sql = f"select count(*) from (select 1 from {table} where {' and '.join(where)} limit ?)"
    return db.execute(sql, [*params, count]).fetchone()[0] < count


def _where(db: Database, filters: JobFilters, today: dt.date) -> tuple[list[str], list, bool]:
    """The conditions (whether the offer is open last: it costs most), their parameters, and whether
    few enough offers pass the filters to read them all and sort them."""
    where: list[str] = []
    params: list = []
    places, place_params = [], []
    departements = list(filters.departements)
    for region in filters.regions:
        departements += REGION_DEPARTMENTS.get(region, "").split()
        places.append("offers.region = ?")
        place_params.append(region)
    if departements:
        places.append(f"offers.department in ({', '.join('?' * len(departements))})")
        place_params += departements
    if places:
        where.append("(" + " or ".join(places) + ")")
        params += place_params
    for column, values in (("category", filters.categories), ("source", filters.sources)):
        if values:
            where.append(f"offers.{column} in ({', '.join('?' * len(values))})")
            params += values
    if filters.min_relevance is not None:
        where.append("offers.relevance >= ?")
        params.append(filters.min_relevance)
    facets = len(where)
    sparse = bool(where) and _fewer_than(db, where, params, SPARSE_MATCHES)
    query = fts_words(filters.words)
    if query:
        words_sparse = _fewer_than(db, ["offers_fts match ?"], [query], SPARSE_MATCHES, table="offers_fts")
        sparse = words_sparse or (facets > 0 and sparse)
        where.insert(0, "offers.rowid in (select rowid from offers_fts where offers_fts match ?)")
        params.insert(0, query)
    where.append(f"{closed_reason_sql('offers', '?')} is null")
    params.append(today.isoformat())
    return where, params, sparse


# Each order: the column read highest first, its index, and what breaks its ties.
ORDERS = {
    "newest": ("published_on", "idx_offers_published_on", "offers.first_seen desc"),
    "relevance": ("relevance", "offers_relevance", "offers.published_on desc, offers.first_seen desc"),
}


def open_jobs(
    db: Database, filters: JobFilters, *, today: dt.date, offset: int = 0, limit: int = 20
) -> tuple[list[int], bool]:
    """Job ids for one page, in ``filters.order``, and whether there is a next page."""
    where, params, sparse = _where(db, filters, today)
    column, index, ties = ORDERS[filters.order]
    # Few offers pass: read them by the filters' indexes and sort them ("+" keeps SQLite from reading them
    # in the order's index). Many: read the order's index highest first and stop once the page is full.
    reading, order = ("offers", f"+offers.{column}") if sparse else (f"offers indexed by {index}", f"offers.{column}")
    # Offers without a publication date (a score) come last, by when they were first seen.
    cursor = db.execute(
        f"select m.job_id from {reading} join job_offers m on m.source = offers.source and m.source_id = "
        f"offers.source_id where {' and '.join(where)} order by {order} desc, {ties}",
        params,
    )
    seen: list[int] = []
    known: set[int] = set()
    wanted = offset + limit + 1
    for (job_id,) in cursor:
        if job_id not in known:
            known.add(job_id)
            seen.append(job_id)
            if len(seen) >= wanted:
                break
    cursor.close()
    return seen[offset : offset + limit], len(seen) > offset + limit


def sources_with_offers(db: Database) -> list[str]:
    return [source for (source,) in db.execute("select distinct source from offers order by source")]
