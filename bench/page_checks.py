"""What the checks a crawl makes on every offer page cost, compared with reading the page.

Ratio = time of the checks around parsing a CSP offer page (is its charset the one its bytes
are in, is it whole and free of binary garbage, is it the offer it was linked as, the item's
cleaning and validation, the downgrade guard's look at the stored version in SQLite) / time of
the spider's parse_offer on the same real page, both measured here, interleaved, best of
several rounds (the machine is noisy). The checks call the crawl's own functions.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from scrapy.http import HtmlResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.boards.csp import offer_page_problem, parse_offer
from crawler.items import downgrade, validate_offer
from crawler.middlewares import true_encoding
from crawler.parsing import control_bytes, is_truncated_html
from storage import open_db
from storage.offers import get_offer, store_offers

PAGE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "choisirleservicepublic" / "offer-state.html"
URL = "https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"
REFERENCE = "DEF_15-00064919"
TARGET = 0.5


def response(body: bytes) -> HtmlResponse:
    return HtmlResponse(url=URL, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def read(body: bytes, db) -> None:
    parse_offer(response(body))


def check(body: bytes, db, item) -> None:
    page = response(body)
    assert true_encoding(page.body, page.encoding) is None  # CharsetMiddleware
    assert not is_truncated_html(page.body) and control_bytes(page.body) <= 32  # VeilleSpider.page_is_whole
    assert offer_page_problem(page, REFERENCE) is None  # the spider, before parsing
    offer = validate_offer(item)  # ValidationPipeline
    assert downgrade(get_offer(db, offer["source"], offer["source_id"]), offer) is None  # DowngradeGuardPipeline


def best_time(function, loops: int, *args) -> float:
    started = time.perf_counter()
    for _ in range(loops):
        function(*args)
    return (time.perf_counter() - started) / loops


def main() -> None:
    body = PAGE.read_bytes()
    item = parse_offer(response(body))
    with tempfile.TemporaryDirectory() as directory:
        db = open_db(Path(directory) / "veille.db")
        store_offers(db, [validate_offer(item)])
        loops, rounds = 40, 15
        ours, baseline = [], []
        for _ in range(rounds):
            ours.append(best_time(check, loops, body, db, item))
            baseline.append(best_time(read, loops, body, db))
        db.conn.close()
    ours_s, baseline_s = min(ours), min(baseline)
    print(f"page: {PAGE.name}, {len(body):,} bytes")
    print(f"checks (charset, whole, markers, validation, downgrade guard): {ours_s * 1000:.3f} ms")
    print(f"parse_offer (baseline):                                       {baseline_s * 1000:.3f} ms")
    print(f"page_checks ratio: {ours_s / baseline_s:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
