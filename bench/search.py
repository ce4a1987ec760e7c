"""`veille offers --search` on 100,000 offers: the subscriptions' query language (alerts/search.py)
against the bare full-text search it replaced (FTS5 MATCH on the quoted words, rows decoded).

Both list every match, newest first, from the same database. The bare search cannot say NOT or
OR, so it is given the query's positive words; ours also evaluates the query on each candidate
the index hands it. Ratio = our time / the bare search's time, summed over the queries the index
narrows. For information, a query the index cannot narrow (a NOT alone) is timed too.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.search import search
from storage import open_db
from storage.offers import search_offers, upsert_offers

_spec = importlib.util.spec_from_file_location("bench_storage", Path(__file__).with_name("storage.py"))
bench_storage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_storage)

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
TARGET = 3.0
# (our query, the bare search's words)
QUERIES = [
    ("recrutement -mobilité", "recrutement"),
    ('"chargé de recrutement"', "chargé recrutement"),
    ("title:gestionnaire OR title:assistant", "gestionnaire OR assistant"),
    ("ressources humaines NOT paie", "ressources humaines"),
]


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main() -> None:
    offers = bench_storage.make_offers(COUNT)
    with tempfile.TemporaryDirectory() as directory:
        db = open_db(Path(directory) / "search.db")
        for start in range(0, len(offers), 1000):
            upsert_offers(db, offers[start : start + 1000], seen_at="2026-11-24T08:00:00+00:00")
        ours_total = bare_total = 0.0
        print(f"offers: {COUNT:,}")
        for query, words in QUERIES:
            bare_s, bare = timed(lambda words=words: list(search_offers(db, fts=words)))
            ours_s, found = timed(lambda query=query: list(search(db, query)))
            bare_total += bare_s
            ours_total += ours_s
            print(f"{query!r:45} {len(found):6,} found in {ours_s:5.2f} s; bare FTS {len(bare):6,} in {bare_s:5.2f} s")
        worst_s, found = timed(lambda: list(search(db, "-recrutement")))
        print(f"{'-recrutement (no index help)':45} {len(found):6,} found in {worst_s:5.2f} s")
        limited_s, found = timed(lambda: list(search(db, "-recrutement", limit=50)))
        print(f"{'-recrutement --limit 50':45} {len(found):6,} found in {limited_s:5.2f} s")
    print(f"search ratio: {ours_total / bare_total:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
