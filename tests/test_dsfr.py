"""DSFR markup: cards, plain lists, pagination and offer pages, on the handmade DITP pages
(tests/fixtures/modernisation, built from target offers 000 and 001; see its PROVENANCE.md)."""

from crawler.boards import dsfr
from crawler.items import validate_offer
from crawler.officialsite import parse_offer_page
from tests.conftest import FIXTURES, file_response

SITE = "https://www.modernisation.gouv.fr"
DITP = FIXTURES / "modernisation"


def page(name, path):
    return file_response(DITP / name, SITE + path)


def test_cards_with_their_badges_tags_and_links():
    listing = page("nous-rejoindre-handmade.html", "/nous-rejoindre")
    cards = dsfr.offer_cards(dsfr.main_content(listing))
    assert [card["title"] for card in cards] == [
        "Chef du pôle Voix de l'usager (H/F)",
        "Chef de projets innovation et transformation publique (H/F)",
        "Chef de projets innovation et transformation publique H/F",
        "Chef du Pôle Voix de l'Usager H/F",
    ]
    assert cards[0]["url"] == SITE + "/nous-rejoindre/offres/chef-du-pole-voix-de-lusager-hf"
    assert (cards[0]["badges"], cards[0]["tags"], cards[0]["detail"]) == (
        ["CDI"],
        ["Paris"],
        "Service expérience usagers",
    )
    assert dsfr.next_page(listing) == SITE + "/nous-rejoindre?page=1"


def test_plain_list_links_leave_out_navigation_and_pagination():
    listing = page("nous-rejoindre-page-2-handmade.html", "/nous-rejoindre?page=1")
    links = dsfr.list_links(dsfr.main_content(listing))
    assert [link["title"] for link in links] == [
        "Chargé de recrutement et de la mobilité (DRSD)",
        "Questions fréquentes sur le recrutement",
    ]
    assert dsfr.next_page(listing) is None


def test_offer_page_from_dsfr_markup_only():
    """Target offer 001's text as a DITP page without JSON-LD: a dl of facts and h2 sections."""
    offer = validate_offer(
        parse_offer_page(
            page(
                "offres/chef-de-projets-innovation-et-transformation-publique-hf-handmade.html",
                "/nous-rejoindre/offres/chef-de-projets-innovation-et-transformation-publique-hf",
            ),
            source="modernisation",
        )
    )
    assert offer["title"] == "Chef de projets innovation et transformation publique H/F"
    assert offer["employer"] == "Direction interministérielle de la transformation publique (DITP)"
    assert (offer["location"], offer["department"]) == ("Nantes (44)", "44")
    assert offer["contract"] == "Emploi ouvert aux titulaires et/ou aux contractuels"
    assert (offer["published_on"], offer["deadline"], offer["vacancy_date"]) == (
        "2025-04-18",
        "2025-05-22",
        "2025-06-01",
    )
    assert offer["category"] == "A" and offer["remote"] == "Oui"
    assert offer["missions"].startswith("Au sein du SGAR des Pays de la Loire")
    assert offer["profile"].endswith("Vous avez une bonne connaissance de la méthode Design de service.")
    assert [c["email"] for c in offer["contacts"]] == [
        "julie.garde@pays-de-la-loire.gouv.fr",
        "innovation-territoriale.ditp@modernisation.gouv.fr",
    ]
    assert offer["raw"]["Qui sommes-nous ?"].startswith("La DITP pilote le programme de transformation publique")


def test_offer_page_json_ld_first_and_the_page_s_contract():
    """Target offer 000's text as a DITP page with a JobPosting."""
    offer = validate_offer(
        parse_offer_page(
            page(
                "offres/chef-du-pole-voix-de-lusager-hf-handmade.html",
                "/nous-rejoindre/offres/chef-du-pole-voix-de-lusager-hf",
            ),
            source="modernisation",
        )
    )
    assert offer["title"] == "Chef du Pôle Voix de l'Usager H/F"
    assert offer["employer"] == "Direction interministérielle de la transformation publique (DITP)"
    assert (offer["location"], offer["department"]) == ("20 avenue de Ségur, 75007 Paris", "75")
    assert offer["contract"] == "CDI"
    assert offer["published_on"] == "2025-07-26"
    assert offer["missions"].endswith("en particulier avec le programme Services Publics +.")
    assert offer["profile"].endswith("projets et programmes de transformation d'envergure est nécessaire.")
    assert offer["raw"]["json_ld"]["identifier"]["value"] == "DITP-SEU-2025-07"


def test_a_page_that_is_no_offer_gives_none():
    assert parse_offer_page(page("home-handmade.html", "/"), source="modernisation") is None
