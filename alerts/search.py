"""Searching stored offers with the subscriptions' query language (``veille offers --search``).

One parser (alerts/query.py) and one evaluation (alerts/matching.py) for both: ``numérique
-développeur`` means the same in a subscription and in a search. SQLite's full-text index only
narrows the offers worth evaluating (:func:`alerts.query.fts_query` asks it for more, never fewer);
the query then decides on each of them, in batches, newest first, reading only the fields the query
names; whole offers are read for the matches only.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

from alerts.matching import OfferIndex, iter_bits
from alerts.query import fts_query, parse_query, query_fields
from storage.offers import FTS_COLUMNS, offer_texts, offers_by_rowid

# Offers evaluated at once: enough to amortise the index, small enough to stop early under --limit.
BATCH = 2000


def search(
    db: Database, query: str, *, source: str | None = None, since: str | None = None, limit: int | None = None
) -> Iterator[dict]:
    """Stored offers the query matches, newest first; ValueError (worded for the user) for a query
    that cannot be read."""
    node = parse_query(query)
    fields = sorted(query_fields(node))
    candidates = offer_texts(db, fields, fts=fts_query(node, FTS_COLUMNS), source=source, since=since)
    found = 0
    while True:
        batch = [item for _, item in zip(range(BATCH), candidates)]
        if not batch:
            return
        index = OfferIndex((texts for _, texts in batch), fields=fields, facets=False)
        matched = [batch[position][0] for position in iter_bits(node.bits(index))]
        if limit:
            matched = matched[: limit - found]
        yield from offers_by_rowid(db, matched)
        found += len(matched)
        if limit and found >= limit:
            return
