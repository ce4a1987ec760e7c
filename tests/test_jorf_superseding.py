"""Notices that cancel or replace an earlier one (crawler.jorf.superseding), on the handmade notice 004."""

from crawler.items import validate_offer
from crawler.jorf.notice import notice_offer
from crawler.jorf.superseding import earlier_notice_reference
from crawler.jorf.texts import parse_texte
from tests.fixtures.jorf import build_handmade as handmade
from tests.test_jorf import handmade_text


def replacement_of_004(sentence: str, text_id: str = "JORFTEXT000044012345") -> bytes:
    xml = handmade.texte_xml(
        **{
            **handmade.OCCITANIE,
            "text_id": text_id,
            "number": "0203",
            "sequence": 88,
            "date": "2021-09-01",
            "container_id": "JORFCONT000044012000",
            "paragraphs": [sentence, *handmade.OCCITANIE_BODY],
        }
    )
    return xml.encode()


def test_a_notice_that_replaces_an_earlier_one_says_which():
    notice = parse_texte(
        replacement_of_004(
            "Le présent avis annule et remplace l'avis de vacance d'emploi publié au Journal officiel n° 191 du 18 "
            "août 2021 (texte n° 99)."
        )
    )
    reference = earlier_notice_reference(notice)
    assert reference["relation"] == "replaced"
    assert (reference["date"], reference["num_parution"], reference["num_sequence"]) == ("2021-08-18", "0191", "99")
    assert reference["phrase"].startswith("Le présent avis annule et remplace")
    offer = validate_offer(notice_offer(notice))
    assert offer["raw"]["avis antérieur"] == reference


def test_a_notice_that_cancels_an_earlier_one_says_so():
    notice = parse_texte(
        replacement_of_004(
            "L'avis de vacance d'un emploi de chargé de mission publié au Journal officiel du 18 août 2021 est annulé."
        )
    )
    reference = earlier_notice_reference(notice)
    assert (reference["relation"], reference["date"]) == ("cancelled", "2021-08-18")
    assert earlier_notice_reference(parse_texte(handmade_text("JORFTEXT000043946125"))) is None
