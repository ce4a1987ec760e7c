"""Tables of contents and which texts are notices (crawler.jorf.toc), on the real issue of 13 June 2026."""

import pytest

from crawler.jorf.toc import is_fallback_notice, notice_kind, parse_container, vacancy_entries
from tests.test_jorf import REAL_CONTAINER, SEVEN


def test_the_real_table_of_contents_has_the_seven_vacancies_with_their_ministries():
    issue = parse_container(REAL_CONTAINER)
    assert (issue.container_id, issue.title, issue.published_on) == (
        "JORFCONT000054245240",
        "JORF n°0137 du 13 juin 2026",
        "2026-06-13",
    )
    assert len(issue.entries) == 101
    assert {entry.text_id: entry.section_ministry for entry in vacancy_entries(issue)} == SEVEN


def test_no_other_text_of_the_real_table_of_contents_is_kept():
    issue = parse_container(REAL_CONTAINER)
    kept = {entry.text_id for entry in vacancy_entries(issue, include_concours=True)}
    assert kept == set(SEVEN)
    # Titles elsewhere in the issue that speak of recruitment or exams are not notices.
    others = [entry.title for entry in issue.entries if entry.text_id not in kept and notice_kind(entry.title)]
    assert len(others) == 2 and any("recrutement sans concours" in title for title in others)


def test_exam_notices_of_the_vacancy_section_are_kept_only_when_configured():
    container = REAL_CONTAINER.replace(
        b'<LIEN_TXT idtxt="JORFTEXT000054246502"',
        b'<LIEN_TXT idtxt="JORFTEXT000099999999" titretxt="Avis d\'ouverture d\'un concours externe '
        b"pour le recrutement d'attach\xc3\xa9s d'administration\"/>\n"
        b'<LIEN_TXT idtxt="JORFTEXT000054246502"',
    )
    issue = parse_container(container)
    assert "JORFTEXT000099999999" not in {entry.text_id for entry in vacancy_entries(issue)}
    assert "JORFTEXT000099999999" in {entry.text_id for entry in vacancy_entries(issue, include_concours=True)}


@pytest.mark.parametrize(
    "title, kind",
    [
        ("Avis de vacance d'un emploi de chef de service", "vacancy"),
        ("Avis de vacance d'emplois (directions territoriales de la PJJ)", "vacancy"),
        ("Avis relatif à un emploi susceptible d'être vacant", "vacancy"),
        ("Avis de recrutement d'un chargé de mission", "recruitment"),
        ("Avis de recrutement sans concours d'adjoints administratifs", "recruitment"),
        ("Avis d'ouverture d'un concours interne d'inspecteur des finances publiques", "concours"),
        ("Avis d'ouverture d'un examen professionnel d'accès au grade d'attaché principal", "concours"),
        ("Avis modifiant l'avis relatif aux prix de spécialités pharmaceutiques", None),
    ],
)
def test_what_a_title_announces(title, kind):
    assert notice_kind(title) == kind


def test_fallback_needs_an_avis_announcing_a_vacancy():
    assert is_fallback_notice("AVIS", "Avis de vacance d'un emploi de chef de service")
    assert not is_fallback_notice("ARRETE", "Avis de vacance d'un emploi de chef de service")
    assert not is_fallback_notice("AVIS", "Avis modifiant l'avis relatif aux prix de spécialités pharmaceutiques")
    assert not is_fallback_notice("AVIS", "Avis d'ouverture d'un concours externe")
    assert is_fallback_notice("AVIS", "Avis d'ouverture d'un concours externe", include_concours=True)
