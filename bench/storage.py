"""Storing offers as a crawl stores them, against a raw sqlite3 executemany of the same rows.

Ours: every offer goes through the crawl's storage pipeline (crawler.pipelines.StoragePipeline),
one call per offer as Scrapy makes them (``add``: what ``process_item`` awaits, without Scrapy's
event loop), with the pipeline's default batch settings: the offers are stored in batches, each
in one transaction with its grouping into jobs (storage.offers.store_offers: serialise, hash,
look up what is stored, insert, raw apart and compressed, match keys indexed, new offers placed
in jobs). The baseline is one executemany of the same offers rows, ready-made, into the same
table (same schema, FTS triggers included) of a fresh database file. Ratio = our rate / the raw
rate.

Offers are built from the real CSP listing cards with perturbed titles and ids (N offers, default
20,000; ``--quick``: 2,000). For information, also timed: the same offers stored one per
transaction (what the pipeline did before it batched), and a second pass of the pipeline over
offers already stored (an everyday recrawl: only ``last_seen`` changes).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.boards.csp import parse_card
from crawler.config import Config
from crawler.items import validate_offer
from crawler.pipelines import StoragePipeline
from storage import open_db
from storage.offers import _INSERT_COLUMNS, _INSERT_SQL, store_offers
from storage.rows import to_row
from storage.runs import start_run

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "choisirleservicepublic"
TARGET = 0.5
SEEN = "2026-11-24T08:00:00+00:00"


def real_cards() -> list[dict]:
    cards = []
    for name in ("list-page.html", "list-page-2-handmade.html"):
        page = HtmlResponse(
            url="https://choisirleservicepublic.gouv.fr/nos-offres/", body=(FIXTURES / name).read_bytes()
        )
        cards += [parse_card(card) for card in page.css("li.item .fr-card--offer")]
    return cards


def make_offers(count: int) -> list[dict]:
    random.seed(7)
    cards = real_cards()
    words = [w for card in cards for w in card["title"].split()]
    offers = []
    for index in range(count):
        card = cards[index % len(cards)]
        title = f"{card['title']} {' '.join(random.sample(words, 3))}"
        offers.append(
            validate_offer(
                {
                    "source": "choisirleservicepublic",
                    "source_id": f"{card['source_id']}-{index}",
                    "url": f"{card['url']}?n={index}",
                    "title": title,
                    "employer": card["employer"],
                    "employer_kind": card["employer_kind"],
                    "versant": card["versant"],
                    "location": card["location"],
                    "department": card["department"],
                    "published_on": card["published_on"],
                    "domain": card["domain"],
                    "missions": f"Missions de l'offre {index} : {title}. " * 5,
                    "raw": {"listing_card": {k: v for k, v in card.items() if v}},
                }
            )
        )
    return offers


def through_pipeline(offers: list[dict], db, run_id: int) -> tuple[float, dict]:
    """The crawl's path: one offer at a time into the pipeline, then the spider closes (the last batch)."""
    crawler = get_crawler()
    crawler.stats.open_spider()
    crawler.spider = SimpleNamespace(db=db, run_id=run_id, config=Config())
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider()
    stored = []
    started = time.perf_counter()
    for offer in offers:
        pipeline.add(offer).addCallback(stored.append)
    pipeline.close_spider()
    elapsed = time.perf_counter() - started
    assert len(stored) == len(offers), "every offer is stored once its batch is committed"
    return elapsed, {key: value for key, value in crawler.stats.get_stats().items() if key.startswith("veille/")}


def one_per_transaction(offers: list[dict], db, run_id: int) -> float:
    """What the pipeline did before it batched: store_offers([offer]) for each offer."""
    thresholds = Config().jobs.thresholds()
    started = time.perf_counter()
    for offer in offers:
        store_offers(db, [offer], run_id=run_id, thresholds=thresholds)
    return time.perf_counter() - started


def raw(offers: list[dict], db) -> float:
    run_id = start_run(db, "choisirleservicepublic")
    rows = []
    for offer in offers:
        row = to_row(offer)
        row.update(first_seen=SEEN, last_seen=SEEN, updated_at=SEEN, first_run_id=run_id, last_run_id=run_id)
        rows.append(tuple(row.get(name) for name in _INSERT_COLUMNS))
    started = time.perf_counter()
    db.conn.execute("begin")
    db.conn.executemany(_INSERT_SQL, rows)
    db.conn.execute("commit")
    elapsed = time.perf_counter() - started
    assert db["offers"].count == len(offers)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=20_000, help="offers (default 20,000)")
    parser.add_argument("--quick", action="store_true", help="2,000 offers")
    arguments = parser.parse_args()
    count = 2_000 if arguments.quick else arguments.count
    offers = make_offers(count)
    with tempfile.TemporaryDirectory() as directory:
        raw_s = raw(offers, open_db(Path(directory) / "raw.db"))
        db = open_db(Path(directory) / "pipeline.db")
        ours_s, stats = through_pipeline(offers, db, start_run(db, "choisirleservicepublic"))
        assert db["job_offers"].count == count, "every offer has its job"
        again_s, again_stats = through_pipeline(offers, db, start_run(db, "choisirleservicepublic"))
        alone_db = open_db(Path(directory) / "alone.db")
        alone_s = one_per_transaction(offers, alone_db, start_run(alone_db, "choisirleservicepublic"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"offers: {count:,} (from {len(real_cards())} real CSP cards, perturbed)")
    print(f"raw executemany of the offers rows:        {raw_s:6.2f} s  ({count / raw_s:,.0f} rows/s)")
    print(
        f"pipeline, all new (batched, with jobs):    {ours_s:6.2f} s  ({count / ours_s:,.0f} rows/s)  "
        f"{stats.get('veille/offers/new', 0):,} new"
    )
    print(
        f"pipeline, all known (an everyday recrawl): {again_s:6.2f} s  ({count / again_s:,.0f} rows/s)  "
        f"{again_stats.get('veille/offers/unchanged', 0):,} unchanged"
    )
    print(
        f"one offer per transaction (before batching): {alone_s:6.2f} s  ({count / alone_s:,.0f} rows/s, "
        f"{raw_s / alone_s:.2f} of the raw rate)"
    )
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    print(f"storage ratio: {raw_s / ours_s:.2f} of the raw rate (target >= {TARGET})")


if __name__ == "__main__":
    main()
