"""JO texts as notices (crawler.jorf.texts), on real DILA files."""

from crawler.jorf.texts import parse_texte
from tests.test_jorf import read


def test_a_real_text_parses():
    notice = parse_texte(read("JORFTEXT000054246001.xml"))
    assert (notice.text_id, notice.nature, notice.nor, notice.published_on, notice.sequence) == (
        "JORFTEXT000054246001",
        "ARRETE",
        "INTJ2615756A",
        "2026-06-13",
        "36",
    )
    assert notice.text.startswith("Par arrêté du ministre de l'intérieur en date du 11 juin 2026")
    assert notice.jo_title == "JORF n°0137 du 13 juin 2026" and notice.container_id == "JORFCONT000054245240"


def test_a_large_real_text_with_sections_parses():
    notice = parse_texte(read("JORFTEXT000054245373.xml"))
    assert notice.title == "Arrêté du 12 juin 2026 portant reconnaissance de l'état de catastrophe naturelle"
    assert len(notice.text) > 100_000 and "catastrophe naturelle" in notice.text
