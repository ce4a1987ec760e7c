"""Tables of contents and which texts are notices (crawler.jorf.toc), on the real issue of 13 June 2026."""

import re

import pytest

from crawler.jorf.archive import BadArchive, read_archive
from crawler.jorf.toc import is_fallback_notice, notice_kind, parse_container, vacancy_entries
from tests.fixtures.jorf import build_handmade as handmade
from tests.test_jorf import REAL_CONTAINER, SEVEN, read


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


def _global_format(xml: bytes) -> bytes:
    """The real JORFSIMPLE table of contents of 19 August 2026 as DILA's "global" format writes its header:
    ID, title, number and date under META (META_COMMUN, META_SPEC/META_CONTENEUR), the structure unchanged."""
    head, structure = xml.split(b"<STRUCTURE_TXT>", 1)
    fields = {name: re.search(rb"<%s>([^<]*)</%s>" % (name, name), head).group(1) for name in (b"ID", b"TITRE", b"NUM")}
    date = re.search(rb"<DATE_PUBLI>([^<]*)</DATE_PUBLI>", head).group(1)
    meta = (
        b"<META><META_COMMUN><ID>" + fields[b"ID"] + b"</ID><NATURE>JO</NATURE></META_COMMUN><META_SPEC>"
        b"<META_CONTENEUR><TITRE>"
        + fields[b"TITRE"]
        + b"</TITRE><NUM>"
        + fields[b"NUM"]
        + b"</NUM><DATE_PUBLI>"
        + date
        + b"</DATE_PUBLI></META_CONTENEUR></META_SPEC></META>"
    )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<JO>' + meta + b"<STRUCTURE_TXT>" + structure


def test_a_global_format_table_of_contents_keeps_its_id_title_and_date():
    real = read("JORFCONT000054706874.xml")
    simple, global_ = parse_container(real), parse_container(_global_format(real))
    assert (global_.container_id, global_.title, global_.published_on) == (
        "JORFCONT000054706874",
        "JORF n°0192 du 19 août 2026",
        "2026-08-19",
    )
    assert global_.entries == simple.entries


def test_a_table_of_contents_whose_id_or_date_cannot_be_read_fails_loudly():
    real = read("JORFCONT000054706874.xml")
    without_id = re.sub(rb"<ID>JORFCONT\d+</ID>", b"", real, count=1)
    with pytest.raises(ValueError, match="without ID"):
        parse_container(without_id)
    without_date = re.sub(rb"<DATE_PUBLI>[^<]*</DATE_PUBLI>|<TITRE>[^<]*</TITRE>", b"", real)
    with pytest.raises(ValueError, match="without DATE_PUBLI"):
        parse_container(without_date)
    # In an archive, that is a broken archive (counted, retried), not an issue silently kept without its facts.
    # (The id in a comment only tells the archive builder which folder to use; XML readers skip comments.)
    foldered = without_id.replace(b"<JO>", b"<JO><!-- <ID>JORFCONT000054706874</ID> -->", 1)
    with pytest.raises(BadArchive, match="without ID"):
        read_archive(handmade.build_archive("20260819-003035", [foldered]))
