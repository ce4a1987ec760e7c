"""JO texts as notices (crawler.jorf.texts), on real DILA files."""

from crawler.jorf.texts import notice_from_piste, parse_texte
from crawler.jorf.toc import Issue
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


def test_a_piste_answer_read_in_its_own_order_without_the_fields_real_answers_lack():
    """Real ``consult/jorf`` answers list sections out of order (each says where it goes, ``intOrdre``) and
    lack ``dateTexte``, ``ministere`` and ``idConteneur``: the text reads in order, those fields stay empty
    or come from the issue."""
    real = parse_texte(read("wrapped/JORFTEXT990000000017-wrapped.xml"))
    lines = real.text.splitlines()
    parts = [lines[:2], lines[2:5], lines[5:]]

    def article(order: int, text: list[str]) -> dict:
        return {"id": f"JORFARTI{order}", "intOrdre": order, "content": "<p>" + "<br/>".join(text) + "</p>"}

    answer = {
        "cid": "JORFTEXT990000000017",
        "title": real.title,
        "nature": "AVIS",
        "nor": None,
        "dateParution": 1605308400000,  # 14 November 2020, midnight in Paris
        "numParution": "0276",
        "jorfText": "JORF n°0276 du 14 novembre 2020",
        "articles": [article(10, parts[0])],
        "sections": [  # listed last first, as real answers may
            {"title": "", "intOrdre": 30, "articles": [article(1, parts[2])], "sections": []},
            {"title": "", "intOrdre": 20, "articles": [article(1, parts[1])], "sections": []},
        ],
    }
    issue = Issue("JORFCONT000042517000", "JORF n°0276 du 14 novembre 2020", "2020-11-14", [])
    notice = notice_from_piste(answer, issue)
    assert notice.text == real.text
    assert (notice.text_date, notice.ministry, notice.container_id, notice.published_on) == (
        None,
        None,
        "JORFCONT000042517000",
        "2020-11-14",
    )
