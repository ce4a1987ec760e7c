"""JO archives read into offers (crawler.jorf.archive, crawler.jorf.notice), on the real DILA files and the handmade
notices (see tests/fixtures/jorf/PROVENANCE.md)."""

import re

import pytest

from crawler.items import validate_offer
from crawler.jorf.archive import BadArchive, read_archive
from crawler.jorf.notice import notice_offer
from crawler.jorf.toc import parse_container
from tests.conftest import FIXTURES
from tests.fixtures.jorf import build_handmade as handmade

JORF = FIXTURES / "jorf"
REAL_CONTAINER = (JORF / "JORFCONT000054245240.xml").read_bytes()
SEVEN = {
    "JORFTEXT000054246502": "Premier ministre",
    "JORFTEXT000054246518": "Premier ministre",
    "JORFTEXT000054246539": "Ministère de l'intérieur",
    "JORFTEXT000054246543": "Ministère de l'intérieur",
    "JORFTEXT000054246548": "Ministère de la transition écologique, de la biodiversité et des négociations "
    "internationales sur le climat et la nature",
    "JORFTEXT000054246558": "Ministère de la culture",
    "JORFTEXT000054246574": "Ministère de l'action et des comptes publics",
}


def read(name: str) -> bytes:
    return (JORF / name).read_bytes()


def handmade_text(text_id: str) -> bytes:
    return read(f"{text_id}-handmade.xml")


def real_issue_archive(container: bytes = REAL_CONTAINER, **options) -> bytes:
    """The real issue of 13 June 2026: its table of contents, the 7 handmade notices, two handmade
    texts that are not vacancies and the two real texts (a nomination, a 600 KB arrêté)."""
    texts = [handmade_text(text_id) for text_id in SEVEN]
    texts += [handmade_text("JORFTEXT000054246584"), handmade_text("JORFTEXT000054245350")]
    texts += [read("JORFTEXT000054246001.xml"), read("JORFTEXT000054245373.xml")]
    return handmade.build_archive("20260613-003512", [container], texts, **options)


def occitanie_archive() -> bytes:
    return handmade.build_archive(
        "20210818-004512", [read("JORFCONT000043945510-handmade.xml")], [handmade_text("JORFTEXT000043946125")]
    )


def offers_of(archive: bytes, **options) -> dict[str, dict]:
    contents = read_archive(archive, **options)
    return {notice.text_id: validate_offer(notice_offer(notice, ministry)) for notice, ministry in contents.notices()}


# -- target offer 004 -----------------------------------------------------------------------


def test_target_offer_004_comes_out_whole():
    [offer] = offers_of(occitanie_archive()).values()
    assert offer["source"] == "jorf" and offer["source_id"] == "JORFTEXT000043946125"
    assert offer["url"] == "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000043946125"
    assert offer["title"] == "Chargé de mission transformation et innovation publique"
    assert offer["raw"]["poste"] == "Chargé de mission transformation et innovation publique"
    assert offer["employer"] == "SGAR Occitanie"
    assert offer["organisation"] == "Ministère de l'intérieur"
    assert (offer["region"], offer["location"], offer["department"]) == ("Occitanie", "Toulouse", "31")
    assert (offer["published_on"], offer["vacancy_date"], offer["deadline"]) == (
        "2021-08-18",
        "2021-10-01",
        "2021-09-17",
    )
    assert (offer["versant"], offer["category"]) == ("État", "A")
    assert [{k: v for k, v in contact.items() if k != "text"} for contact in offer["contacts"]] == [
        {
            "name": "Laurent Gandra-Moreno",
            "role": "secrétaire général adjoint pour les affaires régionales",
            "phone": "05 34 45 33 02",
        },
        {
            "name": "Pascal Soleil",
            "role": "directeur de la coordination et des affaires générales",
            "phone": "05 34 45 33 37",
        },
    ]
    assert offer["contacts"][0]["text"].startswith("Laurent Gandra-Moreno, secrétaire général adjoint")


def test_masked_emails_are_not_stored_as_addresses():
    [offer] = offers_of(occitanie_archive()).values()
    assert all("email" not in contact for contact in offer["contacts"])
    assert offer["apply_url"] is None
    assert offer["raw"]["courriels masqués"] == 3
    assert "@" not in str({key: value for key, value in offer.items() if key != "raw"})


def test_target_offer_004_keeps_the_jo_facts_the_text_and_its_html():
    [offer] = offers_of(occitanie_archive()).values()
    raw = offer["raw"]
    assert (raw["NOR"], raw["NATURE"], raw["NUM_PARUTION"], raw["NUM_SEQUENCE"]) == (
        "INTA2124731V",
        "AVIS",
        "0191",
        "99",
    )
    assert raw["ORIGINE_PUBLI"] == "JORF n°0191 du 18 août 2021" and raw["JORFCONT"] == "JORFCONT000043945510"
    assert raw["TITREFULL"].startswith("Avis de vacance d'un emploi de chargé de mission transformation")
    assert (
        raw["texte"]
        .splitlines()[0]
        .startswith("Un emploi de chargé de mission à temps plein auprès du préfet de région Occitanie")
    )
    assert raw["html"].startswith("<p>\n<br/>Un emploi de chargé de mission") and raw["html"].count("<br/>") == len(
        handmade.OCCITANIE_BODY
    )
    assert raw["Conditions à remplir"].startswith("Conformément aux dispositions de l'article 6")
    assert offer["missions"].startswith("Le chargé ou la chargée de mission doit impulser")
    assert "Responsable du Lab'O" in offer["missions"]
    assert offer["profile"].startswith("Le poste nécessite une bonne connaissance")
    assert "ID_ELI" not in raw  # backfilled by the evening archives: it must not make a re-sent text "updated"


# -- the 7 notices of the real table of contents --------------------------------------------


def test_the_seven_vacancies_and_nothing_else_come_out_of_the_real_issue():
    contents = read_archive(real_issue_archive())
    assert contents.texts_seen == 11
    notices = list(contents.notices())
    assert {notice.text_id: ministry for notice, ministry in notices} == SEVEN
    assert [notice.sequence for notice, _ in notices] == ["93", "94", "95", "96", "97", "98", "99"]  # publication order
    assert (contents.broken, contents.missing, contents.held) == ([], [], {})  # each text released once parsed


EXPECTED = {
    "JORFTEXT000054246502": (
        "Expert de haut niveau, responsable du pôle innovation publique",
        "Direction interministérielle de la transformation publique (DITP)",
        "Île-de-France",
        "75",
        "2026-09-01",
        "2026-07-03",
    ),
    "JORFTEXT000054246518": (
        "Chef du service de la performance des services numériques",
        "Direction interministérielle du numérique (DINUM)",
        "Île-de-France",
        "75",
        "2026-10-01",
        "2026-06-28",
    ),
    "JORFTEXT000054246539": (
        "Chargé de mission en charge des politiques contractuelles territorialisées",
        "SGAR Provence-Alpes-Côte d'Azur",
        "Provence-Alpes-Côte d'Azur",
        "13",
        "2026-09-01",
        "2026-07-13",
    ),
    "JORFTEXT000054246543": (
        "Chargé de mission, chargé du pilotage des fonds européens",
        "SGAR La Réunion",
        "La Réunion",
        "974",
        "2026-08-01",
        "2026-07-13",
    ),
    "JORFTEXT000054246548": (
        "Directeur régional adjoint de l'environnement, de l'aménagement et du logement",
        "Direction régionale de l'environnement, de l'aménagement et du logement (DREAL) de Normandie",
        "Normandie",
        "76",
        "2026-09-01",
        "2026-07-10",
    ),
    # Applications go to the ministry in Paris: that address is not the post's place.
    "JORFTEXT000054246558": (
        "Directeur régional des affaires culturelles",
        "Direction régionale des affaires culturelles (DRAC) Grand Est",
        "Grand Est",
        None,
        "2026-09-15",
        "2026-07-13",
    ),
    "JORFTEXT000054246574": (
        "Directeur adjoint",
        "Direction départementale des finances publiques du Cantal",
        "Auvergne-Rhône-Alpes",
        "15",
        "2026-09-01",
        "2026-07-04",
    ),
}


@pytest.mark.parametrize("text_id", EXPECTED)
def test_each_vacancy_of_the_real_issue(text_id):
    offer = offers_of(real_issue_archive())[text_id]
    fields = ("title", "employer", "region", "department", "vacancy_date", "deadline")
    assert tuple(offer[name] for name in fields) == EXPECTED[text_id]
    assert offer["organisation"] == SEVEN[text_id]
    assert offer["published_on"] == "2026-06-13"
    assert offer["contacts"] or text_id in ("JORFTEXT000054246558", "JORFTEXT000054246574")


def test_real_emails_of_a_notice_are_kept():
    offer = offers_of(real_issue_archive())["JORFTEXT000054246539"]
    assert offer["apply_url"] == "mailto:sgar-recrutement@paca.gouv.fr"
    assert [(c["name"], c.get("email"), c["phone"]) for c in offer["contacts"]] == [
        ("Hélène Roux", "helene.roux@paca.gouv.fr", "04 84 35 40 00"),
        ("Karim Benali", None, "04 84 35 41 12"),
    ]


def test_an_issue_without_the_vacancy_heading_falls_back_on_avis_titles():
    container = REAL_CONTAINER.replace(b"Avis de concours et de vacance d'emplois", b"Avis divers (2)")
    assert not parse_container(container).has_vacancy_section
    contents = read_archive(real_issue_archive(container))
    # The AVIS "Avis modifiant l'avis relatif aux prix…" and the ARRETE are still left out.
    assert {notice.text_id for notice, _ in contents.notices()} == set(SEVEN)
    offers = offers_of(real_issue_archive(container))
    assert offers["JORFTEXT000054246558"]["organisation"] == "Ministère de la culture"  # from MINISTERE


def test_texts_whose_table_of_contents_is_not_in_the_archive_fall_back_on_avis_titles():
    """Maintenance archives re-send texts; without their issue's table of contents the titles decide."""
    texts = [handmade_text(text_id) for text_id in SEVEN] + [
        handmade_text("JORFTEXT000054246584"),
        handmade_text("JORFTEXT000054245350"),
    ]
    archive = handmade.build_archive("20260613-213012", [read("JORFCONT000043945510-handmade.xml")], texts)
    contents = read_archive(archive)
    assert {notice.text_id for notice, _ in contents.notices()} == set(SEVEN)
    assert contents.missing == ["JORFTEXT000043946125"]  # listed by the table of contents, not sent


def test_archive_without_gzip_is_read_too():
    """A server that decodes the .tar.gz in transit (Content-Encoding) hands over a bare tar."""
    contents = read_archive(real_issue_archive(compress=False))
    assert len(list(contents.notices())) == 7


# -- broken archives ------------------------------------------------------------------------


def test_truncated_archive_is_bad():
    archive = real_issue_archive()
    with pytest.raises(BadArchive, match="not a readable tar.gz"):
        read_archive(archive[: len(archive) // 2])


def test_archive_that_is_not_a_tarball_is_bad():
    with pytest.raises(BadArchive, match="not a readable tar.gz"):
        read_archive(b"<html><body>Maintenance en cours</body></html>")


def test_archive_without_a_table_of_contents_is_bad():
    archive = handmade.build_archive("20260613-003512", [], [handmade_text(text_id) for text_id in SEVEN])
    with pytest.raises(BadArchive, match="no JORFCONT"):
        read_archive(archive)


def test_archive_with_a_broken_table_of_contents_is_bad():
    with pytest.raises(BadArchive, match="JORFCONT000054245240.xml: bad XML"):
        read_archive(real_issue_archive(REAL_CONTAINER[:-200]))


def test_a_notice_with_bad_xml_is_reported_and_the_others_still_come_out():
    texts = [handmade_text(text_id) for text_id in SEVEN]
    texts[2] = texts[2].replace(b"</TEXTE>", b"")
    contents = read_archive(handmade.build_archive("20260613-003512", [REAL_CONTAINER], texts))
    assert len(list(contents.notices())) == 6
    assert [problem.split(":")[0] for problem in contents.broken] == ["JORFTEXT000054246539"]


# -- the test archives --------------------------------------------------------------------


def test_built_archives_have_the_dila_layout():
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(occitanie_archive())) as tar:
        names = tar.getnames()
    assert "20210818-004512/jorf/simple/JORF/CONT/00/00/43/94/55/JORFCONT000043945510/JORFCONT000043945510.xml" in names
    assert all(re.match(r"^20210818-004512(/|$)", name) for name in names)
