"""How much does extracting a CSP offer cost, compared with merely parsing its HTML?

Ratio = time of the spider's parse_offer on the real offer page (bytes in,
offer out: the whole page is parsed, ``<head>`` included, as a crawl does) / time
of a bare ``lxml.html.fromstring`` of the same bytes, both measured here,
interleaved, best of several rounds (the machine is noisy). Target: <= 1.5 (the
whole page's parse costs about the baseline itself; extraction must stay under
half of it).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import lxml.html
from scrapy.http import HtmlResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.boards.csp import parse_offer

PAGE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "choisirleservicepublic" / "offer-state.html"
URL = "https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"
TARGET = 1.5


def extract(body: bytes):
    return parse_offer(HtmlResponse(url=URL, body=body))


def bare_parse(body: bytes):
    return lxml.html.fromstring(body)


def best_time(function, body: bytes, loops: int) -> float:
    started = time.perf_counter()
    for _ in range(loops):
        function(body)
    return (time.perf_counter() - started) / loops


def main() -> None:
    body = PAGE.read_bytes()
    assert extract(body).source_id == "DEF_15-00064919"
    loops, rounds = 40, 15
    ours, baseline = [], []
    for _ in range(rounds):
        ours.append(best_time(extract, body, loops))
        baseline.append(best_time(bare_parse, body, loops))
    ours_s, baseline_s = min(ours), min(baseline)
    print(f"page: {PAGE.name}, {len(body):,} bytes")
    print(f"parse_offer (extract every field): {ours_s * 1000:.3f} ms")
    print(f"lxml.html.fromstring (baseline):   {baseline_s * 1000:.3f} ms")
    print(f"parse_csp ratio: {ours_s / baseline_s:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
