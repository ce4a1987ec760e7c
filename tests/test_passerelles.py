"""Passerelles parsing, on the handmade print page carrying target offer 001's text
(tests/fixtures/passerelles/imprimer-fiche-emploi-17971-handmade.html, see PROVENANCE.md)."""

import re

import pytest
from scrapy.http import HtmlResponse

from crawler.boards.passerelles import number_from_url, parse_offer
from crawler.items import validate_offer
from storage.french import label_key
from tests.conftest import FIXTURES

URL = "https://www.passerelles.economie.gouv.fr/offre-de-emploi/imprimer-fiche-emploi-chef-de-projets-innovation-et-transformation-publique-h-f_17971.aspx"
PAGE = FIXTURES / "passerelles" / "imprimer-fiche-emploi-17971-handmade.html"

# The labels issue 4 lists from the real offer: every one must reach the offer.
SEED_LABELS = [
    "Référence",
    "Date de début de publication",
    "Date limite d'envoi des candidatures",
    "Directions et Services",
    "Domaine et métier",
    "Intitulé du poste",
    "Cotation RIFSEEP",
    "Versant",
    "Catégorie",
    "Statut du poste",
    "Nature de l'emploi",
    "Descriptif de l'employeur",
    "Description du poste",
    "Description du profil recherché",
    "Compétences",
    "Localisation du poste",
    "Lieu d'affectation",
    "Date de vacance de l'emploi",
    "Personne ou service à contacter",
]


@pytest.fixture(scope="module")
def offer():
    return validate_offer(parse_offer(HtmlResponse(url=URL, body=PAGE.read_bytes())))


def test_target_offer_001_fields(offer):
    assert (offer["source"], offer["source_id"], offer["url"]) == ("passerelles", "2024-17971", URL)
    assert offer["title"] == "Chef de projets innovation et transformation publique H/F"
    assert offer["employer"] == "Direction interministérielle de la transformation publique (DITP)"
    assert (
        offer["location"]
        == "SGAR Pays de la Loire - Etat'LIN– Préfecture de région – Nantes – 6 quai Ceineray – 44000 NANTES"
    )
    assert (offer["department"], offer["region"]) == ("44", "Pays de Loire")
    assert offer["contract"] == "Emploi ouvert aux titulaires et/ou aux contractuels"
    assert (offer["versant"], offer["category"], offer["remote"]) == ("État", "A", "Oui")
    assert (offer["published_on"], offer["deadline"], offer["vacancy_date"]) == (
        "2025-04-18",
        "2025-05-22",
        "2025-06-01",
    )
    assert (
        offer["domain"]
        == "Direction et pilotage des politiques publiques - Conseillère experte / Conseiller expert de cabinet"
    )
    assert offer["contacts"] == [
        {"email": "julie.garde@pays-de-la-loire.gouv.fr"},
        {"email": "innovation-territoriale.ditp@modernisation.gouv.fr"},
    ]


def test_target_offer_001_full_text(offer):
    assert offer["missions"].startswith(
        "Au sein du SGAR des Pays de la Loire, le laboratoire d’innovation publique Etat’LIN"
    )
    assert "- ancrer la recherche, la veille et la prospective dans l’action d’Etat’LIN." in offer["missions"]
    assert offer["missions"].endswith(
        "le mois de l'innovation, le réseaux régionaux et nationaux et l'animation du Lab."
    )
    assert offer["profile"] == (
        "Vous souhaitez contribuer à la mise en œuvre de services publics répondant au plus près des besoins des "
        "usagers.\n"
        "Vous avez un sens aigu de l’intérêt général.\n"
        "Vous disposez d’une expérience reconnue en matière de facilitation d’au moins 3/4ans.\n"
        "Vous avez une bonne connaissance de la méthode Design de service."
    )


def test_every_listed_label_is_kept_in_raw(offer):
    keys = [label_key(key) for key in offer["raw"]]
    for label in SEED_LABELS:
        assert any(key.startswith(label_key(label)) for key in keys), label
    assert offer["raw"]["Cotation RIFSEEP"] == "Cotation 3"
    assert offer["raw"]["Statut du poste"] == "Vacant"
    assert offer["raw"]["Descriptif de l'employeur (suite)"].startswith("Centres d’expertises mutualisés")
    assert offer["raw"]["Compétences"].splitlines()[0] == "CONNAISSANCES - Contrôle, audit et évaluation"
    assert len(offer["raw"]["Compétences"].splitlines()) == 12
    assert "Compétences candidat" in offer["raw"]["sections"]


def test_nothing_of_the_target_text_is_dropped(offer):
    """Every line of target offer 001 is in the offer: a field heading, a section heading or a value."""
    target = (FIXTURES / "passerelles" / "target-001.txt").read_text(encoding="utf-8")
    stored = " ".join(" ".join(str(v).split()) for v in [*offer["raw"].keys(), *offer["raw"].values(), offer["title"]])
    for line in target.splitlines():
        line = " ".join(line.replace("\u00a0", " ").split()).lstrip("• ")
        if line and line != "Détail de l'offre":
            assert line in stored, line


def test_offer_number_from_the_url():
    assert number_from_url(URL) == "17971"
    assert number_from_url("https://www.passerelles.economie.gouv.fr/offre-de-emploi/emploi-x_18002.aspx") == "18002"


def test_a_page_without_a_reference_is_not_an_offer():
    body = re.sub(rb"<h4[^>]*>R\xc3\xa9f\xc3\xa9rence</h4>\s*<p>[^<]*</p>", b"", PAGE.read_bytes())
    assert parse_offer(HtmlResponse(url=URL, body=body)) is None
