"""Each text stored once (storage/raw.py, format 3): a JO notice's text, its HTML and its sections, the
offer's columns made of them, are compressed together, and every raw reads back exactly as its parser gave
it, byte for byte, on every real page and notice of the fixtures."""

import json
import zlib

from scrapy.http import HtmlResponse

from crawler.items import validate_offer
from crawler.jorf.notice import notice_offer
from crawler.jorf.texts import parse_texte
from crawler.jorf.toc import is_wanted
from spiders.dinum import parse_offer as parse_dinum_offer
from storage import upkeep
from storage.offers import get_offer, store_offers
from storage.raw_format import FORMAT_V3
from tests.conftest import FIXTURES
from tests.corpus import dinum_offers, ditp_offers, jorf_offers, real_jorf_offers
from tests.test_upgrade import real_pages

SEEN = "2026-03-10T08:00:00+00:00"
# A JO notice's raw beside its text: what the notice says of itself (JORFSIMPLE's fields), the post.
NOTICE_FIELDS = (
    *("ID", "NOR", "NATURE", "NUM_PARUTION", "NUM_SEQUENCE", "DATE_PUBLI", "DATE_TEXTE", "ORIGINE_PUBLI"),
    *("JORFCONT", "TITREFULL", "MINISTERE", "poste", "avis antérieur", "courriels masqués"),
)


def real_notices() -> list[dict]:
    """Offers from every notice of the fixtures, as the JO spider makes them: the real texts (wrapped in an
    envelope of ours, and the real JORFSIMPLE files, which are not vacancy notices: an arrêté of 20 KB cut
    into 180 sections, a nomination) and the handmade ones."""
    offers = {**real_jorf_offers(), **{offer["source_id"]: offer for offer in jorf_offers().values()}}
    for path in sorted((FIXTURES / "jorf").glob("JORFTEXT*.xml")):
        if not path.name.endswith("-handmade.xml"):
            offer = validate_offer(notice_offer(parse_texte(path.read_bytes())))
            offers[offer["source_id"]] = offer
    return list({offer["source_id"]: offer for offer in offers.values()}.values())


def dsfr_dinum_offers() -> list[dict]:
    """The DINUM's offers as its DSFR layout shows them."""
    offers = []
    for path in sorted((FIXTURES / "dinum" / "dsfr").glob("*-handmade.html")):
        slug = path.name.removesuffix("-handmade.html")
        url = f"https://design.numerique.gouv.fr/recrutement/{slug}/"
        offer = validate_offer(parse_dinum_offer(HtmlResponse(url=url, body=path.read_bytes())))
        offers.append({**offer, "source_id": f"dsfr-{offer['source_id']}"})
    return offers


def every_real_offer() -> list[dict]:
    return [
        *real_pages(),  # CSP, Passerelles, HelloWork
        *dinum_offers().values(),
        *dsfr_dinum_offers(),
        *ditp_offers().values(),
        *real_notices(),
    ]


def _stored_blob(db, offer: dict) -> bytes:
    return db.execute(
        "select raw from offer_raw join offers on offers.id = offer_raw.offer_id where source = ? and source_id = ?",
        [offer["source"], offer["source_id"]],
    ).fetchone()[0]


def test_every_real_raw_reads_back_byte_for_byte(fresh_db):
    offers = every_real_offer()
    assert len(offers) > 150 and {offer["source"] for offer in offers} >= {
        *("choisirleservicepublic", "passerelles", "hellowork", "dinum", "modernisation", "jorf"),
    }
    # In batches, as a crawl stores them: a batch's texts shared with an earlier batch's are found there.
    for start in range(0, len(offers), 50):
        store_offers(fresh_db, offers[start : start + 50], seen_at=SEEN)
    formats = set()
    for offer in offers:
        stored = get_offer(fresh_db, offer["source"], offer["source_id"])
        assert json.dumps(stored["raw"], ensure_ascii=False) == json.dumps(offer["raw"], ensure_ascii=False)
        assert {name: stored[name] for name in offer} == offer, offer["source_id"]
        formats.add(_stored_blob(fresh_db, offer)[:1])
    assert formats == {b"\x02", FORMAT_V3}


def test_a_notice_s_text_html_and_sections_cost_what_its_text_alone_costs(fresh_db):
    notices = [offer for offer in real_notices() if is_wanted(offer["raw"]["TITREFULL"])]
    assert len(notices) > 100
    store_offers(fresh_db, notices, seen_at=SEEN)
    # No text of a notice went to raw_texts (no other offer carries it): each is in its offer's raw.
    assert fresh_db.execute("select count(*) from raw_texts").fetchone()[0] == 0
    for offer in notices:
        raw = offer["raw"]
        sections = [key for key in raw if key not in (*NOTICE_FIELDS, "texte", "html", "annonce")]
        assert raw["html"] != raw["texte"] and (sections or raw["texte"] == offer["missions"]), offer["source_id"]
        # Its raw with the text once (no HTML, no introduction, no sections), compressed on its own.
        once = {key: value for key, value in raw.items() if key in (*NOTICE_FIELDS, "texte")}
        text_once = len(zlib.compress(json.dumps(once, ensure_ascii=False).encode("utf-8"), 9))
        assert len(_stored_blob(fresh_db, offer)) <= text_once * 1.05, offer["source_id"]


def test_raw_compressed_against_columns_reads_back_when_only_a_column_changes(fresh_db):
    """A format-3 raw is compressed against the offer's columns: a new version whose columns changed but
    whose raw did not stores its raw again, against the new columns."""
    offer = next(offer for offer in real_notices() if offer["source_id"] == "JORFTEXT000054246502")
    store_offers(fresh_db, [offer], seen_at=SEEN)
    assert _stored_blob(fresh_db, offer).startswith(FORMAT_V3)
    changed = {**offer, "missions": offer["missions"].upper(), "title": offer["title"] + " (H/F)"}
    result = store_offers(fresh_db, [changed], seen_at="2026-03-11T08:00:00+00:00")
    assert result.updated == [("jorf", "JORFTEXT000054246502")]
    stored = get_offer(fresh_db, "jorf", "JORFTEXT000054246502")
    assert (stored["raw"], stored["missions"], stored["title"]) == (offer["raw"], changed["missions"], changed["title"])


def test_a_column_changed_by_hand_leaves_the_offer_readable_without_its_raw(fresh_db, caplog):
    """A format-3 raw cannot be read once a column it was compressed against is changed outside veille (an
    operator's edit with sqlite3): the offer is read without it, never with another text, and never a traceback."""
    offer = next(offer for offer in real_notices() if offer["source_id"] == "JORFTEXT000054246502")
    other = next(offer for offer in real_notices() if offer["source_id"] != "JORFTEXT000054246502")
    store_offers(fresh_db, [offer, other], seen_at=SEEN)
    assert _stored_blob(fresh_db, offer).startswith(FORMAT_V3)
    fresh_db.execute("update offers set missions = missions || ' (corrigé)' where source_id = ?", [offer["source_id"]])
    stored = get_offer(fresh_db, "jorf", "JORFTEXT000054246502")
    assert stored["raw"] == {} and stored["missions"] == offer["missions"] + " (corrigé)"
    assert "raw unreadable (a column changed outside veille)" in caplog.text
    assert get_offer(fresh_db, "jorf", other["source_id"])["raw"] == other["raw"]


def test_the_upgrade_leaves_an_unreadable_raw_as_stored_and_its_texts_in_place(fresh_db, caplog):
    """The upkeep that writes every raw again (after m013) and removes the shared texts no raw refers to meets a
    raw made unreadable by a column changed by hand: it keeps the blob as it is (the column put back makes it
    readable again) and removes no shared text, since which ones it refers to cannot be told."""
    notice = next(offer for offer in real_notices() if offer["source_id"] == "JORFTEXT000054246502")
    pages = [offer for offer in real_pages() if offer["source"] == "choisirleservicepublic"]
    store_offers(fresh_db, [notice, *pages], seen_at=SEEN)
    texts = fresh_db.execute("select count(*) from raw_texts").fetchone()[0]
    assert texts > 0
    blob = _stored_blob(fresh_db, notice)
    fresh_db.execute("update offers set missions = missions || ' (corrigé)' where source_id = ?", [notice["source_id"]])
    fresh_db.execute("insert into raw_texts (digest, text) values (1, 'un texte que plus rien ne cite')")
    fresh_db.execute("insert or replace into storage_state (name, value) values ('raw_compressed_through', 0)")
    fresh_db.execute("insert or replace into storage_state (name, value) values ('raw_texts_unreferenced', 1)")
    upkeep.catch_up(fresh_db)
    assert _stored_blob(fresh_db, notice) == blob
    assert fresh_db.execute("select count(*) from raw_texts").fetchone()[0] == texts + 1
    assert "raw unreadable (a column changed outside veille)" in caplog.text
    for offer in pages:
        assert get_offer(fresh_db, offer["source"], offer["source_id"])["raw"] == offer["raw"]
    fresh_db.execute("update offers set missions = ? where source_id = ?", [notice["missions"], notice["source_id"]])
    assert get_offer(fresh_db, "jorf", notice["source_id"])["raw"] == notice["raw"]
