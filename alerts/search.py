"""Searching stored offers with the subscriptions' query language (``veille offers --search``).

One parser (alerts/query.py) and one meaning for both: ``numérique -développeur`` finds in a search
what it finds in a subscription. SQLite's full-text index of match keys (storage/match_keys.py) holds
each offer's fields as the subscriptions' matching reads them, so the query, translated into an FTS5
expression over it (:func:`alerts.query.keys_expression`), finds exactly the offers
:class:`alerts.matching.OfferIndex` would (tests/test_search.py checks both agree on real offers).

While an upgrade is still filling that index (storage/upkeep.py), the query is evaluated by the
matching code itself on every offer, in batches, newest first: slower, never different.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

from alerts.matching import OfferIndex, iter_bits
from alerts.query import keys_expression, parse_query, query_fields
from storage.match_keys import indexed_through
from storage.offers import offer_texts, offers_by_id, search_offers

# Offers evaluated at once by the matching code: enough to amortise the index, small enough to stop
# early under --limit.
BATCH = 2000


def search(
    db: Database, query: str, *, source: str | None = None, since: str | None = None, limit: int | None = None
) -> Iterator[dict]:
    """Stored offers the query matches, newest first; ValueError (worded for the user) for a query
    that cannot be read."""
    node = parse_query(query)
    if indexed_through(db) is None:
        yield from search_offers(db, keys=keys_expression(node), source=source, since=since, limit=limit)
        return
    fields = sorted(query_fields(node))
    candidates = offer_texts(db, fields, source=source, since=since)
    found = 0
    while True:
        batch = [item for _, item in zip(range(BATCH), candidates)]
        if not batch:
            return
        index = OfferIndex((texts for _, texts in batch), fields=fields, facets=False)
        matched = [batch[position][0] for position in iter_bits(node.bits(index))]
        if limit:
            matched = matched[: limit - found]
        yield from offers_by_id(db, matched)
        found += len(matched)
        if limit and found >= limit:
            return
