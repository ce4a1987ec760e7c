"""Upserting 100,000 offers with veille's dedupe logic, against a raw sqlite3 executemany.

Both write the same rows into the same table (same schema, FTS triggers
included) of a fresh database file. Ours goes through storage.offers.upsert_offers
in batches of 1,000: serialise, hash, look up what is stored, insert. The
baseline is one executemany of ready-made tuples. Ratio = our rate / raw rate.
Offers are built from the real CSP listing cards with perturbed titles and ids.

For information, also timed: storage.offers.store_offers, what a crawl runs: the
same upsert and, in the same transaction, the grouping of the new offers into jobs
(storage/jobs.py), whose cost bench/dedupe.py measures at scale.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapy.http import HtmlResponse

from crawler.boards.csp import parse_card
from crawler.items import validate_offer
from storage import open_db
from storage.offers import _INSERT_COLUMNS, _INSERT_SQL, store_offers, upsert_offers
from storage.rows import to_row

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "choisirleservicepublic"
COUNT = 100_000
BATCH = 1_000
TARGET = 0.5


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


def ours(offers: list[dict], directory: Path, store=upsert_offers, table: str = "offers") -> float:
    """Our upsert in batches; with ``store=store_offers``, what a crawl runs: the upsert and, in
    the same transaction, the grouping into jobs (every offer then has its row in ``job_offers``)."""
    db = open_db(directory / f"{store.__name__}.db")
    started = time.perf_counter()
    for start in range(0, len(offers), BATCH):
        store(db, offers[start : start + BATCH], run_id=1, seen_at="2026-11-24T08:00:00+00:00")
    elapsed = time.perf_counter() - started
    assert db[table].count == len(offers)
    return elapsed


def raw(offers: list[dict], directory: Path) -> float:
    db = open_db(directory / "raw.db")
    seen = "2026-11-24T08:00:00+00:00"
    rows = []
    for offer in offers:
        row = to_row(offer)
        row.update(first_seen=seen, last_seen=seen, updated_at=seen, first_run_id=1, last_run_id=1)
        rows.append(tuple(row[name] for name in _INSERT_COLUMNS))
    started = time.perf_counter()
    db.conn.execute("begin")
    db.conn.executemany(_INSERT_SQL, rows)
    db.conn.execute("commit")
    elapsed = time.perf_counter() - started
    assert db["offers"].count == len(offers)
    return elapsed


def main() -> None:
    offers = make_offers(COUNT)
    with tempfile.TemporaryDirectory() as directory:
        raw_s = raw(offers, Path(directory))
        ours_s = ours(offers, Path(directory))
        db = open_db(Path(directory) / "upsert_offers.db")
        started = time.perf_counter()
        for start in range(0, len(offers), BATCH):
            upsert_offers(db, offers[start : start + BATCH], run_id=2)
        again_s = time.perf_counter() - started
        jobs_s = ours(offers, Path(directory), store=store_offers, table="job_offers")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"offers: {COUNT:,} (from {len(real_cards())} real CSP cards, perturbed)")
    print(f"raw executemany:            {raw_s:6.2f} s  ({COUNT / raw_s:,.0f} rows/s)")
    print(f"upsert_offers (all new):    {ours_s:6.2f} s  ({COUNT / ours_s:,.0f} rows/s)")
    print(f"upsert_offers (all known):  {again_s:6.2f} s  ({COUNT / again_s:,.0f} rows/s)")
    print(
        f"store_offers (all new, upsert + grouping into jobs, what a crawl runs): {jobs_s:6.2f} s "
        f"({COUNT / jobs_s:,.0f} rows/s, {raw_s / jobs_s:.2f} of the raw rate; grouping alone: bench/dedupe.py)"
    )
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    print(f"storage ratio: {raw_s / ours_s:.2f} of the raw rate (target >= {TARGET})")


if __name__ == "__main__":
    main()
