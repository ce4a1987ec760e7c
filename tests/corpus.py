"""Real offers as offer dicts (the shape of crawler.items.OfferItem), for the matching
tests and the benchmarks: the five target offers, the beta.gouv.fr job posts, the CSP
listing cards and offer page (read by crawler/labelled.py, which also reads them for the
relevance model), and the labelled relevance set. Everything is read from tests/fixtures."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from scrapy.http import HtmlResponse

from crawler import labelled
from crawler.items import validate_offer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TARGETS = FIXTURES / "target-offers"
BETAGOUV = FIXTURES / "betagouv-jobs"
CSP = FIXTURES / "choisirleservicepublic"
CSP_SITE = "https://choisirleservicepublic.gouv.fr"


def target_offers() -> dict[str, dict]:
    """The five offers users want, as the spiders of their boards would store them (crawler.labelled)."""
    return labelled.target_offers(FIXTURES)


@lru_cache(maxsize=1)
def betagouv_offers() -> dict[str, dict]:
    """Every beta.gouv.fr job post, by file name."""
    return {
        path.name: labelled.betagouv_offer(path)
        for path in sorted(BETAGOUV.iterdir())
        if path.name != "PROVENANCE.md" and path.is_file()
    }


def csp_card_offers() -> dict[str, dict]:
    """The 20 real CSP listing cards (all "chargé de recrutement" offers), by reference."""
    return {offer["source_id"]: offer for offer in labelled.csp_list_cards(FIXTURES)}


def csp_offer_page() -> dict:
    """The real CSP offer page (CHARGE DE RECRUTEMENT ET DE LA MOBILITE, DRSD), fully parsed."""
    return labelled.csp_offer_page(FIXTURES)


def real_offers() -> list[dict]:
    """The 569 real offers: the five targets, the 20 CSP cards and the CSP offer page, the 543 beta.gouv.fr posts."""
    return [*target_offers().values(), *csp_card_offers().values(), csp_offer_page(), *betagouv_offers().values()]


def labelled_set() -> list[labelled.Example]:
    """The relevance set: every item people labelled (tests/fixtures/relevance), as veille reads it."""
    return labelled.labelled_set(FIXTURES)


# -- offers as each spider stores them, for the job grouping set (tests/fixtures/dedupe) ------------------

MODERNISATION = FIXTURES / "modernisation"
DINUM = FIXTURES / "dinum"
JORF = FIXTURES / "jorf"
DITP_SITE = "https://www.modernisation.gouv.fr"
DITP_BOARD_PAGES = {
    # The DITP's outbound links (tests/fixtures/modernisation/nous-rejoindre*) and the recorded page of each.
    (
        "https://www.passerelles.economie.gouv.fr/offre-de-emploi/"
        "imprimer-fiche-emploi-chef-de-projets-innovation-et-transformation-publique-h-f_17971.aspx"
    ): FIXTURES / "passerelles" / "imprimer-fiche-emploi-17971-handmade.html",
    "https://www.hellowork.com/fr-fr/emplois/72719488.html": FIXTURES / "hellowork" / "emplois-72719488-handmade.html",
    f"{CSP_SITE}/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/": CSP
    / "offer-state.html",
}


@lru_cache(maxsize=1)
def ditp_offers() -> dict[str, dict]:
    """The DITP spider's offers (source "modernisation"), by source id: its two offer pages and the
    three board pages it links to, parsed by the spider's own parsers."""
    from crawler.boards import board_for_url, parse_board_offer
    from crawler.officialsite import offer_id_from_url, parse_offer_page
    from spiders.modernisation import EMPLOYER

    offers = {}
    for path in sorted((MODERNISATION / "offres").glob("*-handmade.html")):
        url = f"{DITP_SITE}/nous-rejoindre/offres/{path.name.removesuffix('-handmade.html')}"
        offer = parse_offer_page(
            HtmlResponse(url=url, body=path.read_bytes()),
            source="modernisation",
            source_id=offer_id_from_url(url),
            employer=EMPLOYER,
        )
        offers[offer.source_id] = validate_offer(offer)
    for url, path in DITP_BOARD_PAGES.items():
        board = board_for_url(url)
        offer = parse_board_offer(board, HtmlResponse(url=url, body=path.read_bytes()), source="modernisation", url=url)
        offers[offer.source_id] = validate_offer(offer)
    return offers


@lru_cache(maxsize=1)
def dinum_offers() -> dict[str, dict]:
    """The DINUM spider's offers, by slug, from the Gridsome-layout pages of the 14 real offers."""
    from spiders.dinum import parse_offer as parse_dinum_offer

    offers = {}
    for path in sorted((DINUM / "gridsome").glob("*-handmade.html")):
        slug = path.name.removesuffix("-handmade.html")
        if slug.endswith("-noext"):
            continue  # an older version of charge-mission-design: the same offer
        url = f"https://design.numerique.gouv.fr/recrutement/{slug}/"
        offers[slug] = validate_offer(parse_dinum_offer(HtmlResponse(url=url, body=path.read_bytes())))
    return offers


@lru_cache(maxsize=1)
def jorf_offers() -> dict[str, dict]:
    """The JORF spider's offers from the vacancy notices of tests/fixtures/jorf, by JORFTEXT id."""
    from crawler.jorf.notice import notice_offer
    from crawler.jorf.texts import parse_texte
    from crawler.jorf.toc import parse_container, vacancy_entries

    ministries = {}
    for path in JORF.glob("JORFCONT*.xml"):
        ministries.update(
            {entry.text_id: entry.ministry for entry in vacancy_entries(parse_container(path.read_bytes()))}
        )
    offers = {}
    for path in sorted(JORF.glob("JORFTEXT*-handmade.xml")):
        notice = parse_texte(path.read_bytes())
        if notice.text_id in ministries:
            offers[notice.text_id] = validate_offer(notice_offer(notice, ministries[notice.text_id]))
    return offers


def real_jorf_offers() -> dict[str, dict]:
    """The JORF spider's offers from the real notice texts of tests/fixtures/jorf/wrapped, by relevance-set item."""
    from crawler.jorf.notice import notice_offer
    from crawler.jorf.texts import parse_texte

    offers = {}
    for path in sorted((JORF / "wrapped").glob("JORFTEXT*-wrapped.xml")):
        offers[path.name[len("JORFTEXT99000000") : -len("-wrapped.xml")]] = validate_offer(
            notice_offer(parse_texte(path.read_bytes()))
        )
    return offers


# -- the labelled set of job grouping ----------------------------------------------------------------------

DEDUPE_LABELS = FIXTURES / "dedupe" / "pairs.toml"


def _named_offers() -> dict[str, dict]:
    named = {f"ditp:{key}": offer for key, offer in ditp_offers().items()}
    named.update({f"dinum:{key}": offer for key, offer in dinum_offers().items()})
    named.update({f"jorf:{key}": offer for key, offer in jorf_offers().items()})
    named.update({f"csp:{key}": offer for key, offer in csp_card_offers().items() if key != "DEF_15-00064919"})
    named["csp-page:DEF_15-00064919"] = csp_offer_page()
    named.update({f"jo:{key}": offer for key, offer in real_jorf_offers().items()})
    for name, offer in betagouv_offers().items():
        day = re.match(r"(\d{4}-\d{2}-\d{2})-", name)
        named[f"betagouv:{name}"] = {**offer, "published_on": day.group(1) if day else None}
    return named


@lru_cache(maxsize=1)
def dedupe_labels() -> tuple[dict[str, dict], list[dict]]:
    """(the offers of the labelled set by name, the labelled pairs): tests/fixtures/dedupe/pairs.toml."""
    import tomllib

    labels = tomllib.loads(DEDUPE_LABELS.read_text(encoding="utf-8"))
    named = _named_offers()
    for name, copy in labels["copies"].items():
        base = named[copy["base"]]
        fields = {key: value for key, value in copy.items() if key not in ("base", "why")}
        kept = {
            key: base[key]
            for key in ("missions", "profile", "contract", "category", "versant", "vacancy_date", "deadline")
            if base.get(key)
        }
        named[f"copy:{name}"] = validate_offer({**kept, "department": base.get("department"), "raw": {}, **fields})
    used = {name for pair in labels["pair"] for name in (pair["a"], pair["b"])}
    missing = used - set(named)
    if missing:
        raise KeyError(f"{DEDUPE_LABELS}: unknown offers {sorted(missing)}")
    return {name: named[name] for name in sorted(used)}, labels["pair"]


def group_labelled_set(db, thresholds=None) -> dict[str, int]:
    """Store the labelled set's offers in publication order, each first seen on its publication
    day, through the crawl's storage path; returns each offer's job."""
    from storage.offers import store_offers

    offers, _ = dedupe_labels()
    order = sorted(offers.items(), key=lambda item: (item[1].get("published_on") or "", item[0]))
    for _name, offer in order:
        store_offers(
            db, [offer], seen_at=f"{offer.get('published_on') or '2026-01-01'}T08:00:00+00:00", thresholds=thresholds
        )
    jobs = dict(db.execute("select source || ':' || source_id, job_id from job_offers").fetchall())
    return {name: jobs[f"{offer['source']}:{offer['source_id']}"] for name, offer in offers.items()}


def score_labelled_set(jobs: dict[str, int], kind: str | None = None) -> dict:
    """Precision and recall of a grouping over the labelled pairs (those of one ``kind``: "independent",
    "handmade", "same-page"), and the pairs it got wrong."""
    _, pairs = dedupe_labels()
    pairs = [pair for pair in pairs if kind is None or pair["kind"] == kind]
    grouped = [(pair, jobs[pair["a"]] == jobs[pair["b"]]) for pair in pairs]
    true_positive = sum(1 for pair, same in grouped if same and pair["same"])
    predicted = sum(1 for _, same in grouped if same)
    actual = sum(1 for pair in pairs if pair["same"])
    return {
        "precision": true_positive / predicted if predicted else 1.0,
        "recall": true_positive / actual if actual else 1.0,
        "pairs": len(pairs),
        "same": actual,
        "wrong": [pair for pair, same in grouped if same != pair["same"]],
    }
