"""One odd field never drops an offer (issue 13, item 5).

Through the real spiders on the loopback replay of the recorded pages, mutated: a ``javascript:``
or relative apply link, JSON-LD with lists and objects where a string was expected, a page whose
charset is mislabelled, NUL and control bytes, a 1 MB title. The offer is stored, cleaned and
bounded; every field is checked against what the page shows.
"""

import json

import pytest
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.items import LONG_TEXT, SHORT_TEXT, validate_offer
from crawler.middlewares import HeadMetaRefreshMiddleware
from spiders.dinum import parse_offer as parse_dinum_offer
from storage import open_db
from storage.offers import get_offer
from tests.conftest import FIXTURES, file_response, write_config

CSP = "choisirleservicepublic"
REAL_OFFER = "/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"
REFERENCE = "DEF_15-00064919"
TITLE = "CHARGE DE RECRUTEMENT ET DE LA MOBILITE"
EMPLOYER = "Direction du renseignement et de la sécurité de la Défense (DRSD)"
MAILTO = "mailto:drsd.cer.fct@intradef.gouv.fr?subject=DEF_15-00064919 - CHARGE DE RECRUTEMENT ET DE LA MOBILITE"


def real_offer_page() -> bytes:
    return (FIXTURES / CSP / "offer-state.html").read_bytes()


@pytest.fixture
def crawl(tmp_path, replay_site, scrapy_crawl):
    """``crawl(source)``: the real spider against the loopback replays (``crawl.sites``)."""
    sites = {name: replay_site(name) for name in (CSP, "modernisation", "passerelles", "hellowork", "dinum")}
    db_path = tmp_path / "veille.db"
    sources = {name: {"base_url": site.url} for name, site in sites.items()}
    sources[CSP]["keywords"] = ["chargé de recrutement"]
    config = write_config(tmp_path / "veille.toml", {"database": str(db_path), "sources": sources})

    def run(source: str):
        result = scrapy_crawl(source, config)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(db_path)
        return db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    run.sites = sites
    return run


@pytest.mark.parametrize(
    "href, apply_url",
    [
        ("javascript:void(0)", None),
        ("#postuler", None),
        ("/candidature/DEF_15-00064919/", "https://choisirleservicepublic.gouv.fr/candidature/DEF_15-00064919/"),
    ],
)
def test_an_apply_link_that_is_no_url_leaves_the_offer_stored(crawl, href, apply_url):
    crawl.sites[CSP].add(REAL_OFFER, real_offer_page().replace(MAILTO.encode(), href.encode()))
    db, run = crawl(CSP)
    assert (run["status"], json.loads(run["errors"]), run["new"]) == ("ok", {}, 26)
    offer = get_offer(db, CSP, REFERENCE)
    assert (offer["title"], offer["apply_url"]) == (TITLE, apply_url)
    assert offer["raw"]["Candidature"] == f"Postuler par mail: {href}"


DITP_OFFER = "/nous-rejoindre/offres/chef-du-pole-voix-de-lusager-hf"
DITP_ADDRESS = (
    b'"address": {"@type": "PostalAddress", "streetAddress": "20 avenue de S\xc3\xa9gur", "addressLocality": '
    b'"Paris", "postalCode": "75007", "addressCountry": "FR"}'
)
# schema.org lets any property hold several values, and Text properties hold objects in the wild.
DITP_ADDRESS_AS_LISTS = (
    b'"address": [{"@type": "PostalAddress", "streetAddress": ["20 avenue de S\xc3\xa9gur"], "addressLocality": '
    b'["Paris", "Paris 7e"], "postalCode": [75007], "addressRegion": {"@type": "Place", "name": '
    b'"\xc3\x8ele-de-France"}, "addressCountry": {"@type": "Country", "name": "FR"}}]'
)


def test_json_ld_with_lists_and_objects_where_strings_were_expected_is_read(crawl):
    page = (FIXTURES / "modernisation" / "offres" / "chef-du-pole-voix-de-lusager-hf-handmade.html").read_bytes()
    assert DITP_ADDRESS in page
    page = page.replace(DITP_ADDRESS, DITP_ADDRESS_AS_LISTS)
    page = page.replace(b'"title": "Chef du P\xc3\xb4le', b'"title": ["Chef du P\xc3\xb4le', 1).replace(
        b'l\'Usager H/F", "identifier"', b'l\'Usager H/F"], "identifier"', 1
    )
    page = page.replace(b'"datePosted": "2025-07-26"', b'"datePosted": ["2025-07-26"]')
    crawl.sites["modernisation"].add(DITP_OFFER, page)
    db, run = crawl("modernisation")
    assert (run["status"], json.loads(run["errors"])) == ("ok", {})
    offer = get_offer(db, "modernisation", "chef-du-pole-voix-de-lusager-hf")
    assert offer["title"] == "Chef du Pôle Voix de l'Usager H/F"
    assert (offer["location"], offer["department"], offer["region"]) == (
        "20 avenue de Ségur, 75007 Paris",
        "75",
        "Île-de-France",
    )
    assert offer["published_on"] == "2025-07-26"
    assert offer["employer"] == "Direction interministérielle de la transformation publique (DITP)"


def test_a_utf8_page_labelled_latin1_is_read_as_utf8(crawl):
    crawl.sites[CSP].add(REAL_OFFER, real_offer_page(), content_type="text/html; charset=iso-8859-1")
    db, run = crawl(CSP)
    offer = get_offer(db, CSP, REFERENCE)
    assert offer["employer"] == EMPLOYER
    assert offer["raw"]["Statut du poste"] == "Vacant à partir du 01/10/2026"


def test_a_latin1_page_labelled_utf8_is_read_as_latin1(crawl):
    path = "/recrutement/designer/"
    page = (FIXTURES / "dinum" / "gridsome" / "designer-handmade.html").read_text(encoding="utf-8")
    crawl.sites["dinum"].add(path, page.encode("cp1252", "xmlcharrefreplace"), content_type="text/html; charset=utf-8")
    db, run = crawl("dinum")
    offer = get_offer(db, "dinum", "designer")
    # What the same page, rightly labelled, gives.
    expected = validate_offer(
        parse_dinum_offer(file_response(FIXTURES / "dinum" / "gridsome" / "designer-handmade.html", offer["url"]))
    )
    assert (offer["title"], offer["missions"], offer["location"]) == (
        expected["title"],
        expected["missions"],
        expected["location"],
    )
    assert "\ufffd" not in json.dumps(offer, ensure_ascii=False)


def test_nul_and_control_bytes_are_cleaned_out(crawl):
    page = real_offer_page()
    page = page.replace(f"{TITLE}</h1>".encode(), b"CHARGE DE\x00 RECRUTEMENT\x01 ET DE LA MOBILITE</h1>")
    page = page.replace(b'value="Hauts-de-Seine (92)"', b'value="Hauts-de-\x00Seine (92)\x1b"')
    crawl.sites[CSP].add(REAL_OFFER, page)
    db, run = crawl(CSP)
    assert (run["status"], json.loads(run["errors"])) == ("ok", {})
    offer = get_offer(db, CSP, REFERENCE)
    assert offer["title"] == TITLE
    assert offer["raw"]["content_dept"] == "Hauts-de-Seine (92)"
    assert offer["department"] == "92"


def test_a_megabyte_title_and_missions_are_bounded(crawl):
    page = real_offer_page()
    huge_title = ("CHARGE DE RECRUTEMENT " * 50_000).encode()  # 1.1 MB
    page = page.replace(f"{TITLE}</h1>".encode(), huge_title + b"</h1>", 1)
    crawl.sites[CSP].add(REAL_OFFER, page)
    db, run = crawl(CSP)
    assert (run["status"], json.loads(run["errors"])) == ("ok", {})
    offer = get_offer(db, CSP, REFERENCE)
    assert len(offer["title"]) <= SHORT_TEXT and offer["title"].endswith("…")
    assert ("CHARGE DE RECRUTEMENT " * 30).startswith(offer["title"][:-1] + " ")  # cut at a word
    assert len(json.dumps(offer["raw"], ensure_ascii=False)) < 100_000
    assert offer["employer"] == EMPLOYER  # the rest as the page shows it


def test_long_texts_are_cut_at_a_word_and_raw_is_bounded():
    offer = validate_offer(
        {
            "source": CSP,
            "source_id": "1",
            "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-1/",
            "title": "Chef de projet",
            "missions": "mot " * 20_000,
            "apply_url": "javascript:alert(1)",
            "raw": {"deep": [[[[[[[[[[["fond"]]]]]]]]]]], "many": list(range(5_000)), "long": "x" * 1_000_000},
        }
    )
    assert len(offer["missions"]) <= LONG_TEXT and offer["missions"].endswith("mot…")
    assert offer["apply_url"] is None
    assert len(offer["raw"]["many"]) < 5_000 and len(offer["raw"]["long"]) < 1_000_000
    assert "fond" not in json.dumps(offer["raw"])


def _refresh_page(target: str, before: str = "", encoding: str = "utf-8") -> bytes:
    """An HTML page whose meta refresh sends to ``target`` after ``before``, padded to 40 KB of text."""
    head = f'<html><head><title>Déplacée</title>{before}<meta http-equiv="refresh" content="0; url={target}"></head>'
    return (head + "<body>" + "<p>Cette offre a été déplacée.</p>" * 1_200 + "</body></html>").encode(encoding)


MOVED = "https://choisirleservicepublic.gouv.fr/ailleurs/"
KEPT = ("response", True)


@pytest.mark.parametrize(
    "body, encoding, expected",
    [
        (_refresh_page("/ailleurs/"), "utf-8", MOVED),
        # The refresh ends before the 4,096th character (what Scrapy reads), or starts after it.
        (_refresh_page("/ailleurs/", before="<!-- é -->" * 380), "utf-8", MOVED),
        (_refresh_page("/ailleurs/", before="<!-- é -->" * 420), "utf-8", KEPT),
        (_refresh_page("/ailleurs/", before="<!-- 職 -->" * 380), "utf-8", MOVED),  # 3 bytes a character
        (_refresh_page("/ailleurs/", before="<!-- 職 -->" * 420), "utf-8", KEPT),
        (_refresh_page("/ailleurs/", before="<!-- é -->" * 300, encoding="utf-16"), "utf-16", MOVED),
        (_refresh_page("/ailleurs/", before="<!-- é -->" * 300, encoding="cp1252"), "cp1252", MOVED),
        (b"<html><body><p>" + b"x" * 50_000 + b"</p></body></html>", "utf-8", KEPT),
        (_refresh_page("/ailleurs/")[:3_000], "utf-8", MOVED),  # a page shorter than what is read of one
        (_refresh_page("/ailleurs/").replace(b'"refresh"', b'"REFRESH"'), "utf-8", MOVED),
        (_refresh_page("/ailleurs/").replace(b'"refresh"', b'"&#114;efresh"'), "utf-8", KEPT),
        (_refresh_page("/ailleurs/", encoding="utf-16").replace(b"\0r\0e\0f", b"\0R\0e\0F"), "utf-16", MOVED),
    ],
    ids=[
        *("head", "before-4096", "after-4096", "cjk-before", "cjk-after", "utf-16", "cp1252", "no-refresh", "short"),
        *("upper-case", "entity", "utf-16-upper-case"),
    ],
)
def test_meta_refresh_read_from_the_page_s_head_is_scrapy_s(body, encoding, expected):
    """veille reads meta refresh from a page's first bytes only (not decoding a whole offer page for
    it); what it follows is what Scrapy's own middleware follows, on the same page."""

    def outcome(middleware_class):
        request = Request("https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-1/")
        response = HtmlResponse(
            request.url, body=body, headers={"Content-Type": f"text/html; charset={encoding}"}, request=request
        )
        result = middleware_class.from_crawler(get_crawler()).process_response(request, response)
        return result.url if isinstance(result, Request) else ("response", result is response)

    assert outcome(HeadMetaRefreshMiddleware) == outcome(MetaRefreshMiddleware) == expected


def test_an_offer_url_answering_a_meta_refresh_is_followed_to_the_offer(crawl):
    moved = "/ailleurs" + REAL_OFFER
    crawl.sites[CSP].add(REAL_OFFER, _refresh_page(moved))
    crawl.sites[CSP].add(moved, real_offer_page())
    db, run = crawl(CSP)
    assert (run["status"], json.loads(run["errors"]), run["new"]) == ("ok", {}, 26)
    offer = get_offer(db, CSP, REFERENCE)
    assert (offer["title"], offer["employer"]) == (TITLE, EMPLOYER)
