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


# -- real HelloWork pages (tests/fixtures/hellowork, see PROVENANCE.md) ------------------------------


def real(name: str, number: str) -> dict:
    url = f"https://www.hellowork.com/fr-fr/emplois/{number}.html"
    return validate_offer(parse_offer(HtmlResponse(url=url, body=(HELLOWORK / name).read_bytes())))


def test_a_real_page_contract_place_and_dates_from_its_markup():
    """The real page's tags are in ``ul.mt-3.flex`` ("Paris - 75", "CDI"), not ``ul.tw-flex``; JSON-LD says
    only FULL_TIME. "Publiée le 08/09/2026"; JSON-LD's validThrough is the posting's end."""
    offer = real("rocky-posting-77695894.html", "77695894")
    fields = {key: value for key, value in offer.items() if key not in ("missions", "profile", "raw")}
    assert fields == {
        "source": "hellowork",
        "source_id": "77695894",
        "url": "https://www.hellowork.com/fr-fr/emplois/77695894.html",
        "title": "Data Analyst Banque Expérimenté H/F",
        "employer": "Alteca",
        "organisation": None,
        "employer_kind": None,
        "versant": None,
        "category": None,
        "contract": "CDI",
        "location": "Paris - 75",
        "department": "75",
        "region": "Île-de-France",
        "remote": None,  # "Mode de travail: hybride" is in the text, no field says it
        "salary": None,  # baseSalary has no amount; estimatedSalary is HelloWork's guess, not the posting's
        "published_on": "2026-09-08",
        "deadline": "2026-10-08",
        "vacancy_date": None,
        "domain": "Data et IA",  # the job's field (occupationalCategory), not the company's sector
        "contacts": [],
        "apply_url": None,  # applications go through HelloWork itself (directApply)
        "origin_url": None,
    }
    assert offer["raw"]["tags"] == ["Paris - 75", "CDI"]
    assert (offer["raw"]["Publié le"], offer["raw"]["Réf"]) == ("08/09/2026", "c79f3ad5d672494cd527504dd1f49f77")


def test_a_real_page_profile_is_the_posting_s_not_the_skills_list():
    """One "Détail du poste" text: the missions are its "Votre mission" part, the profile its "Le profil
    idéal" part (up to "Process de recrutement:"), never JSON-LD's skills ("Scala", "Force de proposition"…)."""
    offer = real("rocky-posting-77695894.html", "77695894")
    assert offer["missions"].startswith("En coordination avec les équipes d'un de nos clients grands comptes")
    assert offer["missions"].endswith("et en méthodologie Agile Scrum.")
    assert offer["profile"].splitlines()[0].startswith("Ton profil:diplômé(e) d'un Bac +5 dans le domaine de la Data")
    assert offer["profile"].splitlines()[1].startswith("Ta personnalité:tu es une personne organisée")
    assert offer["profile"].splitlines()[-1] == "Type de contrat proposé:temps plein Niveau de poste: confirmé"
    skills = offer["raw"]["json_ld"]["skills"]
    assert "Force de proposition" in skills and not any(skill in offer["profile"] for skill in skills)


def test_a_real_json_ld_only_page():
    """The page trimmed to its four JSON-LD blocks (escaped ``ld&#x2B;json`` type): everything from the
    JobPosting; the profile is its qualifications, one line an item; the missions its "Les missions du
    poste" section, not the company's "Bienvenue chez APEF"."""
    offer = real("aplaii-detail-83844515.html", "83844515")
    assert (offer["title"], offer["employer"], offer["contract"]) == (
        "Stage Ressources Humaines H/F",
        "APEF",
        "Stage, Temps plein",
    )
    assert (offer["location"], offer["department"], offer["region"]) == (
        "840 Avenue de la Pompignane, 34000 Montpellier",
        "34",
        "Occitanie",
    )
    assert (offer["published_on"], offer["deadline"], offer["domain"]) == (
        "2026-09-28",
        "2026-10-28",
        "Ressources Humaines",
    )
    assert offer["profile"].splitlines() == [
        "- Formation responsable de secteur SAP",
        "- Enthousiasme, et persévérance",
        "- Sens des responsabilités et de l'initiative",
        "- Autonomie",
        "- Organisation et rigueur",
        "- Goût pour les services à la personne",
    ]
    assert offer["missions"].startswith("Apef est une enseigne de services à la personne, présente depuis 1992.")
    assert offer["missions"].endswith("- A pourvoir pour les mois suivants: Dès que possible")
    assert "Bienvenue chez APEF" not in offer["missions"]
    assert (offer["remote"], offer["category"], offer["contacts"], offer["apply_url"]) == (None, None, [], None)
