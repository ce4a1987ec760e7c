"""Searching stored offers with the subscriptions' query language (``veille offers --search``).

One parser (alerts/query.py) and one evaluation (alerts/matching.py) for both: ``numérique
-développeur`` means the same in a subscription and in a search. SQLite's full-text index only
narrows the offers worth evaluating (:func:`alerts.query.fts_query` asks it for more, never fewer);
the query then decides on each of them, in batches, newest first.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

from alerts.matching import OfferIndex, iter_bits
from alerts.query import fts_query, parse_query
from storage.offers import FTS_COLUMNS, search_offers

# Offers evaluated at once: enough to amortise the index, small enough to stop early under --limit.
BATCH = 2000


def search(
    db: Database, query: str, *, source: str | None = None, since: str | None = None, limit: int | None = None
) -> Iterator[dict]:
    """Stored offers the query matches, newest first; ValueError (worded for the user) for a query
    that cannot be read."""
    node = parse_query(query)
    candidates = search_offers(db, fts=fts_query(node, FTS_COLUMNS), source=source, since=since)
    found = 0
    while True:
        batch = [offer for _, offer in zip(range(BATCH), candidates)]
        if not batch:
            return
        index = OfferIndex(batch)
        for position in iter_bits(node.bits(index)):
            yield batch[position]
            found += 1
            if limit and found >= limit:
                return
