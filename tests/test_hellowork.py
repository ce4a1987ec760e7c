"""HelloWork parsing, on the handmade page carrying target offer 000's text
(tests/fixtures/hellowork/emplois-72719488-handmade.html, built by build_handmade.py; the
target's own text is tests/fixtures/hellowork/target-000.txt)."""

import re
import sys

import pytest
from scrapy.http import HtmlResponse

from crawler.boards.hellowork import number_from_url, parse_offer
from crawler.items import validate_offer
from tests.conftest import FIXTURES

HELLOWORK = FIXTURES / "hellowork"
URL = "https://www.hellowork.com/fr-fr/emplois/72719488.html"
BODY = (HELLOWORK / "emplois-72719488-handmade.html").read_bytes()
WITHOUT_JSON_LD = re.sub(rb'<script type="application/ld\+json">.*?</script>', b"", BODY, flags=re.S)


def parse(body):
    return validate_offer(parse_offer(HtmlResponse(url=URL, body=body)))


def target_section(start, stop):
    """Lines of target offer 000 between two of its headings, without the page's buttons."""
    text = (HELLOWORK / "target-000.txt").read_text(encoding="utf-8")
    part = text[text.index(start) + len(start) : text.index(stop)]
    return [
        line.strip()
        for line in part.splitlines()
        if line.strip() and line.strip() not in ("Afficher la suite", "Postuler sur le site du recruteur")
    ]


MISSIONS = target_section("Les missions du poste", "Le profil recherché")
PROFILE = target_section("Le profil recherché", "Ces offres pourraient")


@pytest.mark.parametrize("body", [BODY, WITHOUT_JSON_LD], ids=["json-ld", "page-only"])
def test_target_offer_000(body):
    offer = parse(body)
    assert (offer["source"], offer["source_id"], offer["url"]) == ("hellowork", "72719488", URL)
    assert offer["title"] == "Chef du Pôle Voix de l'Usager H/F"
    assert offer["employer"] == "Ministère de la Transformation et de la Fonction publiques"
    assert offer["department"] == "75" and "Paris" in offer["location"]
    # CDI is only on the page: JSON-LD's employmentType says FULL_TIME.
    assert offer["contract"] == "CDI"
    assert offer["published_on"] == "2025-07-26"
    assert offer["apply_url"] == "https://www.modernisation.gouv.fr/nous-rejoindre"
    assert offer["missions"].splitlines() == MISSIONS
    assert offer["profile"].splitlines() == PROFILE
    assert "Afficher la suite" not in offer["profile"] and "Ces offres" not in offer["profile"]


def test_json_ld_and_page_are_both_kept_in_raw():
    offer = parse(BODY)
    assert offer["raw"]["json_ld"]["@type"] == "JobPosting"
    assert offer["raw"]["employmentType"] == "Temps plein"
    assert offer["raw"]["tags"] == ["Paris - 75", "CDI", "Ministère de la Transformation et de la Fonction publiques"]
    assert offer["raw"]["Publié le"] == "26 juillet 2025"
    assert set(offer["raw"]) >= {"Les missions du poste", "Le profil recherché"}


def test_page_without_offer_markers_is_not_an_offer():
    assert parse_offer(HtmlResponse(url=URL, body=b"<html><body><h1>Oups</h1></body></html>")) is None


def test_offer_number_from_the_url():
    assert number_from_url(URL) == "72719488"
    assert number_from_url("https://www.hellowork.com/fr-fr/emploi/recherche.html") is None


def test_committed_page_is_what_the_builder_writes():
    sys.path.insert(0, str(HELLOWORK))
    try:
        import build_handmade
    finally:
        sys.path.remove(str(HELLOWORK))
        sys.modules.pop("build_handmade", None)
    assert build_handmade.build() == BODY.decode("utf-8")
