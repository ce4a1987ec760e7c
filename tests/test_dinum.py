"""DINUM parsing: pages rendered from the 14 real markdown offers (tests/fixtures/dinum, see PROVENANCE.md).

Target offers 002 (``markdown/charge-mission-design``, rendered as
``*/charge-mission-design-noext-handmade.html``) and 003
(``markdown/charge-e-mission-observatoire.md``) are read in both known layouts.
"""

import re
import sys

import pytest
from scrapy.http import HtmlResponse

from crawler.items import validate_offer
from crawler.parsing import clean
from spiders.dinum import parse_listing, parse_offer, slug_from_url
from storage.french import parse_date
from tests.conftest import FIXTURES, file_response

DINUM = FIXTURES / "dinum"
SITE = "https://design.numerique.gouv.fr"
LAYOUTS = ("gridsome", "dsfr")


def page(path, url):
    return file_response(DINUM / path, url)


def offer_of(layout, page_name, slug):
    return validate_offer(parse_offer(page(f"{layout}/{page_name}-handmade.html", f"{SITE}/recrutement/{slug}/")))


def front_matter_and_body(name):
    text = (DINUM / "markdown" / name).read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = dict(line.split(": ", 1) for line in front.strip().splitlines())
    return meta, body


def text_lines(markdown_body):
    """The readable lines of a markdown body: markup, link targets and attributes dropped."""
    lines = []
    for line in markdown_body.splitlines():
        line = re.sub(r"\]\([^)]*\)(\{[^}]*\})?", "", line).replace("[", "")
        line = re.sub(r"<[^>]+>", "", line)
        line = re.sub(r"^\s*(#+|[-*]|\d+\.)\s+", "", line).replace("**", "").replace("*", "")
        line = clean(line)
        if line:
            lines.append(line)
    return lines


def flat(text):
    return " ".join(text.split())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_target_offer_002_charge_de_mission_design(layout):
    """Target 002: the real markdown ``charge-mission-design`` (no extension) rendered in each layout."""
    offer = offer_of(layout, "charge-mission-design-noext", "charge-mission-design")
    assert offer["source_id"] == "charge-mission-design"
    assert offer["title"] == "Chargée ou chargé de mission design des services numériques"
    assert offer["employer"] == "Direction interministérielle du numérique (DINUM)"
    assert offer["location"] == "20 avenue de Ségur, Paris (75) et en télétravail"
    assert (offer["department"], offer["remote"]) == ("75", "Oui")
    assert offer["contract"] == "CDD"
    assert offer["raw"]["Durée"] == "3 ans"
    assert (offer["published_on"], offer["vacancy_date"]) == ("2021-04-12", "2021-05-03")
    assert offer["contacts"] == [{"email": "candidatures-dinum@pm.gouv.fr"}]
    assert offer["apply_url"] == "mailto:candidatures-dinum@pm.gouv.fr"
    # Full text: the mission and activities in missions, the three skill lists in profile.
    assert offer["missions"].startswith("Mission\nAssurer le pilotage de l’observatoire")
    assert (
        "Représenter la cheffe du pôle Design des services numériques de la DINUM an cas de besoin" in offer["missions"]
    )
    assert offer["missions"].endswith("pourra être amené-e à prendre en charge d’autres tâches et projets.")
    assert offer["profile"].startswith("Savoirs\nExcellente connaissance des enjeux de la transformation numérique")
    assert offer["profile"].endswith("Forte capacité de conviction et de pédagogie")
    assert offer["raw"]["Pour nous rejoindre"].startswith(
        "Adressez votre CV + lettre de motivation courte mais efficace"
    )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_target_offer_003_observatoire(layout):
    """Target 003: the real markdown ``charge-e-mission-observatoire.md``; its start date has no year."""
    offer = offer_of(layout, "charge-e-mission-observatoire", "charge-e-mission-observatoire")
    assert offer["title"] == "Chargé-e de mission « observatoire de la qualité des démarches en ligne »"
    assert offer["employer"] == "Direction interministérielle du numérique (DINUM)"
    assert offer["department"] == "75"
    assert offer["contract"] == "CDD ou fonctionnaire"
    assert offer["raw"]["Durée"] == "3 ans (renouvelable)"
    assert offer["raw"]["Début"] == "3 janvier"
    # Published on 30 November 2021, starting "3 janvier": January 2022.
    assert (offer["published_on"], offer["vacancy_date"]) == ("2021-11-30", "2022-01-03")
    assert (
        "Suivre les évolutions des démarches prévues par le comité interministériel de la transformation publique "
        "(CITP)" in offer["missions"]
    )
    assert offer["profile"].startswith(
        "Savoirs\nUne expérience professionnelle d’au moins 3 ans en gestion de projet est requise"
    )
    # The page writes the address with a Unicode hyphen (U+2010); mail servers want a real one.
    assert offer["contacts"] == [{"email": "candidatures-DINUM@pm.gouv.fr"}]


MARKDOWN_FILES = sorted(path.name for path in (DINUM / "markdown").iterdir())


@pytest.mark.parametrize("name", MARKDOWN_FILES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_real_offer_keeps_its_facts_and_every_line_of_its_text(layout, name):
    meta, body = front_matter_and_body(name)
    page_name = name.removesuffix(".md") + ("" if name.endswith(".md") else "-noext")
    offer = offer_of(layout, page_name, meta["slug"])
    assert offer["title"] == meta["title"]
    assert offer["contract"] == meta["type"]
    assert offer["published_on"] == parse_date(meta["published_date"])
    assert offer["raw"]["Début"] == meta["start_date"] and offer["raw"]["Durée"] == meta["length"]
    assert offer["missions"], "every real offer describes its mission"
    whole = flat(offer["raw"]["Texte de l'offre"])
    for line in text_lines(body):
        assert flat(line) in whole, line


def test_listing_of_each_layout_has_the_13_offers():
    gridsome = parse_listing(page("recrutement-gridsome-handmade.html", f"{SITE}/recrutement/"))
    dsfr = parse_listing(page("recrutement-dsfr-handmade.html", f"{SITE}/recrutement/"))
    assert len(gridsome) == len(dsfr) == 13
    assert [slug_from_url(o["url"]) for o in gridsome] == [slug_from_url(o["url"]) for o in dsfr]
    first = gridsome[0]
    assert first == {
        "url": f"{SITE}/recrutement/appui-suivi-observatoire/",
        "title": "Chef ou cheffe de projet, appui au suivi de l’observatoire",
        "contract": "Indépendant",
    }
    assert dsfr[0]["badges"] == ["Nouveau", "Indépendant"]
    assert "developpeur-developpeuse-react-JAVA" in {slug_from_url(o["url"]) for o in gridsome}


def test_the_real_empty_listing_has_no_offer():
    assert parse_listing(page("recrutement-empty.html", f"{SITE}/recrutement/")) == []


def test_dsfr_layout_link_to_place_de_l_emploi_public_is_where_to_apply():
    body = (DINUM / "dsfr" / "designer-handmade.html").read_text(encoding="utf-8")
    link = (
        '<a class="fr-link" href="https://place-emploi-public.gouv.fr/offre-emploi/designer-reference-2022-123456/">'
        "Lien vers l'annonce sur Place de l'emploi public</a>"
    )
    body = body.replace("</section></div></main>", link + "</section></div></main>")
    offer = validate_offer(parse_offer(HtmlResponse(url=f"{SITE}/recrutement/designer/", body=body.encode())))
    assert offer["apply_url"] == "https://place-emploi-public.gouv.fr/offre-emploi/designer-reference-2022-123456/"
    assert offer["raw"]["Annonce sur Place de l'emploi public"] == offer["apply_url"]


def test_a_page_of_another_shape_is_not_an_offer():
    assert parse_offer(page("recrutement-empty.html", f"{SITE}/recrutement/")) is None


def test_committed_handmade_pages_are_what_the_builder_writes():
    sys.path.insert(0, str(DINUM))
    try:
        import build_handmade
    finally:
        sys.path.remove(str(DINUM))
        sys.modules.pop("build_handmade", None)
    for path, text in build_handmade.build().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run tests/fixtures/dinum/build_handmade.py"
        )
