"""The web pages on a large database: « Offres » and a feed with 100,000 stored offers.

100,000 offers made from the real CSP cards (bench/storage.py's perturbed copies), one in twenty from
the five real offers users want found instead (tests/fixtures/target-offers, perturbed alike: what
« pertinentes seulement » lists), published over two years, stored as a crawl stores them (validated,
grouped into jobs) and scored. The real application
(web.app.create_app) runs on uvicorn on 127.0.0.1 with the options ``veille web`` uses, and a
client asks, one request at a time:
- the offers page (newest first), a search, a département filter, a later page;
- « pertinentes seulement » and the most relevant first (every offer scored as `veille run` scores them);
- the public Atom feed.
The baseline, in the same run: the same uvicorn serving a static file of the same size as the
offers page (Starlette's StaticFiles), i.e. what answering with those bytes costs at least.
Target: every page's median under 100 ms.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from alerts.relevance import refresh_scores
from alerts.settings import Web
from bench.storage import make_offers
from crawler.items import validate_offer
from storage import open_db
from storage.offers import store_offers
from tests.alerts_support import free_port
from tests.corpus import target_offers
from web.app import create_app, server_options

COUNT = 100_000
BATCH = 2_000
REQUESTS = 40
TARGET_MS = 100.0
PAGES = {
    "offers page": "/",
    "search « chargé »": "/?q=charg%C3%A9",
    "département 75": "/?departement=75",
    "page 5": "/?page=5",
    "pertinentes seulement": "/?pertinentes=oui",
    "most relevant first": "/?tri=pertinence",
    "pertinentes, page 5": "/?pertinentes=oui&tri=pertinence&page=5",
    "Atom feed": "/flux.atom",
}


# One offer in this many is a copy of a target offer.
RELEVANT_EVERY = 20


def relevant_copies(offers: list[dict]) -> None:
    """Every ``RELEVANT_EVERY``-th offer replaced by a target offer, its title perturbed as make_offers does."""
    random.seed(11)
    targets = list(target_offers().values())
    words = [word for offer in offers[:200] for word in offer["title"].split()]
    for index in range(0, len(offers), RELEVANT_EVERY):
        target = targets[(index // RELEVANT_EVERY) % len(targets)]
        copy = {key: value for key, value in target.items() if key not in ("raw", "content_hash")}
        copy.update(
            source_id=f"{target['source_id']}-{index}",
            url=f"{target['url']}?n={index}",
            title=f"{target['title']} {' '.join(random.sample(words, 2))}",
        )
        offers[index] = validate_offer(copy)


def build(path: Path) -> None:
    db = open_db(path)
    offers = make_offers(COUNT)
    relevant_copies(offers)
    first = dt.date(2024, 11, 1)
    for index, offer in enumerate(offers):
        offer["published_on"] = (first + dt.timedelta(days=index * 730 // COUNT)).isoformat()
    for start in range(0, COUNT, BATCH):
        store_offers(db, offers[start : start + BATCH], run_id=1)
    refresh_scores(db)
    db.conn.execute("analyze")
    db.conn.close()


def serve(app, port: int) -> uvicorn.Server:
    options = server_options(Web(), host="127.0.0.1", port=port)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", **options))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server


def median_ms(client: httpx.Client, path: str) -> tuple[float, int]:
    client.get(path)  # warm
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(times), len(answer.content)


def main() -> None:
    os.environ.setdefault("VEILLE_SECRET_KEY", "bench-secret-key-not-for-production")
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        started = time.perf_counter()
        build(directory / "veille.db")
        print(f"{COUNT:,} offers stored, grouped and scored in {time.perf_counter() - started:.0f} s")
        port = free_port()
        server = serve(create_app(Web(base_url=f"http://127.0.0.1:{port}"), directory / "veille.db"), port)
        results = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for name, path in PAGES.items():
                results[name] = median_ms(client, path)
        server.should_exit = True

        static = directory / "static"
        static.mkdir()
        (static / "offers.html").write_bytes(b"x" * results["offers page"][1])
        static_port = free_port()
        baseline = serve(Starlette(routes=[Mount("/s", StaticFiles(directory=static))]), static_port)
        with httpx.Client(base_url=f"http://127.0.0.1:{static_port}", timeout=30) as client:
            static_ms, _ = median_ms(client, "/s/offers.html")
        baseline.should_exit = True

    for name, (ms, size) in results.items():
        print(f"{name:22} median {ms:6.1f} ms  ({size / 1024:.0f} KB)")
    print(f"{'static file, same size':22} median {static_ms:6.1f} ms")
    slowest = max(ms for ms, _ in results.values())
    verdict = "met" if slowest < TARGET_MS else "NOT met"
    print(
        f"web ratio: {results['offers page'][0] / static_ms:.1f} (offers page / static file; slowest page "
        f"{slowest:.0f} ms, target < {TARGET_MS:.0f} ms each: {verdict})"
    )


if __name__ == "__main__":
    main()
