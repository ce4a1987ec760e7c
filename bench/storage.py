"""Storing offers as a crawl stores them, against a raw sqlite3 executemany of the same rows.

Ours: every offer goes through the crawl's storage pipeline (crawler.pipelines.StoragePipeline),
one call per offer as Scrapy makes them (``add``: what ``process_item`` awaits, without Scrapy's
event loop), with the pipeline's default batch settings: the offers are stored in batches, each
in one transaction with its grouping into jobs (storage.offers.store_offers: serialise, hash,
look up what is stored, insert, raw apart and compressed, match keys indexed, new offers placed
in jobs). The baseline is what SQLite alone costs to store the same rows: every row the
pipeline stored, in every table it wrote (offers, offer_raw, raw_texts, the match keys of
offer_keys, jobs, job_offers, job_keys, job_blocks, job_boards: read back from the pipeline's
database after its run; offer_keys, an index without content, from the same storage.match_keys.keys_of),
ready-made, one executemany per table in one transaction, into a fresh database file of the same
schema (the offers FTS triggers included). Ratio = the raw time / our time: what veille adds beyond
storing what it stores (serialising, hashing, encoding raw, making match keys, grouping, its lookups).
For information, also a raw executemany of the offers rows alone (what the baseline was before).

Before the headline, the per-offer Python floor, measured in the same run on the same offers: what every new
offer costs in Python whatever SQLite does (its row and content hash, storage.rows.to_row; its match keys,
storage.match_keys.keys_of; its grouping profile, storage.grouping.profile; its raw encoded and compressed,
storage.raw.packed_alone), no SQL, the garbage collector off as the pipeline has it; and the best ratio that
floor allows: raw / (raw + floor), were everything else (lookups, grouping's queries and decisions, commits) free.

Offers are built from the real CSP listing cards with perturbed titles and ids (N offers, default
20,000; ``--quick``: 2,000). For information, also timed: the same offers stored one per
transaction (what the pipeline did before it batched), and a second pass of the pipeline over
offers already stored (an everyday recrawl: only ``last_seen`` changes).
"""

from __future__ import annotations

import argparse
import gc
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
from storage.grouping import profile
from storage.match_keys import SEARCHABLE_FIELDS, keys_of
from storage.offers import _INSERT_COLUMNS, _INSERT_SQL, store_offers
from storage.raw import packed_alone
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


def make_offers(count: int, seed: int = 7) -> list[dict]:
    random.seed(seed)
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


def raw_offers_rows(offers: list[dict], db) -> float:
    """For information: one executemany of the offers rows alone (no raw, keys or jobs)."""
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


# Tables no store writes (schema bookkeeping), and full-text tables: SQLite fills those itself (offers_fts
# through its triggers, the rest are an FTS5 index's own shadow tables); offer_keys is given its rows apart.
_NOT_COPIED = ("_sqlite_migrations", "storage_state", "sqlite_sequence", "runs")


def stored_rows(db) -> dict[str, tuple[str, list[tuple]]]:
    """Every row the store wrote, by table (insert statement, rows), tables in an order that keeps foreign keys."""
    virtual = [name for (name,) in db.conn.execute("select name from sqlite_master where sql like 'CREATE VIRTUAL%'")]
    names = [
        name
        for (name,) in db.conn.execute("select name from sqlite_master where type = 'table' order by rowid")
        if name not in _NOT_COPIED and name not in virtual and not any(name.startswith(f"{v}_") for v in virtual)
    ]
    parents = {name: {row[2] for row in db.conn.execute(f"pragma foreign_key_list('{name}')")} for name in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [name for name in names if name not in ordered and parents[name] <= {*ordered, name, *_NOT_COPIED}]
        assert ready, "a cycle of foreign keys"
        ordered += ready
    tables = {}
    for name in ordered:
        rows = db.conn.execute(f'select * from "{name}"').fetchall()
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            tables[name] = (f'insert into "{name}" values ({marks})', rows)
    columns = [d[0] for d in db.conn.execute("select * from offers limit 0").description]
    keys = [(row[0], *keys_of(dict(zip(columns, row)))) for row in db.conn.execute("select * from offers order by id")]
    marks = ", ".join("?" * (len(SEARCHABLE_FIELDS) + 1))
    tables["offer_keys"] = (f"insert into offer_keys (rowid, {', '.join(SEARCHABLE_FIELDS)}) values ({marks})", keys)
    return tables


def raw_all_rows(tables: dict[str, tuple[str, list[tuple]]], db) -> tuple[float, int]:
    """The headline's baseline: one executemany per table of every row the pipeline stored, in one transaction."""
    start_run(db, "choisirleservicepublic")  # the run the rows name (runs.id 1, as in the pipeline's database)
    started = time.perf_counter()
    db.conn.execute("begin")
    for sql, rows in tables.values():
        db.conn.executemany(sql, rows)
    db.conn.execute("commit")
    elapsed = time.perf_counter() - started
    for name, (_, rows) in tables.items():
        if name != "offer_keys":
            assert db[name].count == len(rows), name
    return elapsed, sum(len(rows) for _, rows in tables.values())


def python_floor(offers: list[dict]) -> dict[str, float]:
    """Seconds of each step every new offer goes through in Python, whatever SQLite does (no SQL)."""
    rows = [to_row(offer) for offer in offers]
    steps = {
        "to_row": lambda: [to_row(offer) for offer in offers],
        "keys_of": lambda: [keys_of(offer) for offer in offers],
        "profile": lambda: [profile(offer, SEEN) for offer in offers],
        "raw encoding": lambda: [packed_alone(offer["raw"], row) for offer, row in zip(offers, rows)],
    }
    seconds = {}
    gc.disable()  # as in the pipeline (storage.offers pauses it for each batch)
    try:
        for name, step in steps.items():
            started = time.perf_counter()
            step()
            seconds[name] = time.perf_counter() - started
    finally:
        gc.enable()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=20_000, help="offers (default 20,000)")
    parser.add_argument("--quick", action="store_true", help="2,000 offers")
    arguments = parser.parse_args()
    count = 2_000 if arguments.quick else arguments.count
    # First, on other offers alike (other title words, new to grouping's caches as the pipeline's will be), let go
    # of before the pipeline runs.
    floor = python_floor(make_offers(count, seed=8))
    offers = make_offers(count)
    with tempfile.TemporaryDirectory() as directory:
        offers_s = raw_offers_rows(offers, open_db(Path(directory) / "raw-offers.db"))
        db = open_db(Path(directory) / "pipeline.db")
        ours_s, stats = through_pipeline(offers, db, start_run(db, "choisirleservicepublic"))
        assert db["job_offers"].count == count, "every offer has its job"
        tables = stored_rows(db)
        raw_s, row_count = raw_all_rows(tables, open_db(Path(directory) / "raw-all.db"))
        again_s, again_stats = through_pipeline(offers, db, start_run(db, "choisirleservicepublic"))
        alone_db = open_db(Path(directory) / "alone.db")
        alone_s = one_per_transaction(offers, alone_db, start_run(alone_db, "choisirleservicepublic"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"offers: {count:,} (from {len(real_cards())} real CSP cards, perturbed)")
    print(f"raw executemany of the offers rows alone:  {offers_s:6.2f} s  ({count / offers_s:,.0f} offers/s)")
    print(
        f"raw executemany of every row stored:       {raw_s:6.2f} s  ({count / raw_s:,.0f} offers/s; {row_count:,} "
        f"rows in {len(tables)} tables: {', '.join(f'{name} {len(rows):,}' for name, (_, rows) in tables.items())})"
    )
    print(
        f"pipeline, all new (batched, with jobs):    {ours_s:6.2f} s  ({count / ours_s:,.0f} offers/s)  "
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
    print(f"offers rows alone for information: {offers_s / ours_s:.2f} of their raw rate")
    floor_s = sum(floor.values())
    print(
        f"per-offer Python floor, no SQL: {floor_s * 1e6 / count:.0f} µs an offer, {floor_s:.2f} s for {count:,} ("
        + ", ".join(f"{name} {seconds * 1e6 / count:.1f} µs" for name, seconds in floor.items())
        + f"); the best storage ratio it allows, raw / (raw + floor): {raw_s / (raw_s + floor_s):.2f}"
    )
    print(f"storage ratio: {raw_s / ours_s:.2f} of the raw rate of every row stored (target >= {TARGET})")


if __name__ == "__main__":
    main()
