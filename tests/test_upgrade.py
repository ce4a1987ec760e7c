"""Storage without copies (storage/raw.py) and the upgrade that converts a database in place (migration
m012, then storage/upkeep.py in batches): readers get every offer back exactly as it was, raw included;
the upgrade is resumable and says how far it is."""

import json
import zlib
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from alerts.matching import OfferIndex, iter_bits
from alerts.query import parse_query
from alerts.search import search
from crawler.boards import csp, hellowork, passerelles
from crawler.items import validate_offer
from storage import open_db, upkeep
from storage.grouping import key_hash
from storage.jobs import place_offers
from storage.migrations import migrations
from storage.offers import get_offer, search_offers, store_offers, upsert_offers
from storage.raw import inflated
from storage.raw_format import COLUMN, DICTIONARY_V1, ESCAPE, FORMAT_V1, FORMAT_V3
from storage.rows import dict_rows, to_row
from tests.conftest import FIXTURES, run_veille, write_config
from tests.corpus import betagouv_offers

SEEN = "2026-03-10T08:00:00+00:00"
CSP_SITE = "https://choisirleservicepublic.gouv.fr"


def real_pages() -> list[dict]:
    """Offers with the raw their parsers give: the real CSP page and the demo's CSP pages built from it,
    the Passerelles and HelloWork pages of the fixtures."""
    offers = []
    for page in sorted((FIXTURES / "choisirleservicepublic" / "offers").glob("*.html")) + [
        FIXTURES / "choisirleservicepublic" / "offer-state.html"
    ]:
        reference = page.stem.removesuffix("-handmade")
        if page.name == "offer-state.html":
            reference = "DEF_15-00064919"
        url = f"{CSP_SITE}/offre-emploi/x-reference-{reference}/"
        offers.append(csp.parse_offer(HtmlResponse(url=url, body=page.read_bytes())))
    offers.append(
        passerelles.parse_offer(
            HtmlResponse(
                url="https://www.passerelles.economie.gouv.fr/offre-de-emploi/imprimer-fiche-emploi-x_17971.aspx",
                body=(FIXTURES / "passerelles" / "imprimer-fiche-emploi-17971-handmade.html").read_bytes(),
            )
        )
    )
    for name, number in (("rocky-posting-77695894.html", "77695894"), ("aplaii-detail-83844515.html", "83844515")):
        url = f"https://www.hellowork.com/fr-fr/emplois/{number}.html"
        offers.append(hellowork.parse_offer(HtmlResponse(url=url, body=(FIXTURES / "hellowork" / name).read_bytes())))
    return [validate_offer(offer) for offer in offers]


def test_every_offer_comes_back_as_it_was_stored(fresh_db):
    offers = real_pages()
    store_offers(fresh_db, offers, seen_at=SEEN)
    for offer in offers:
        stored = get_offer(fresh_db, offer["source"], offer["source_id"])
        assert {name: stored[name] for name in offer} == offer, offer["source_id"]


def test_raw_is_stored_without_the_copies_of_columns_and_compressed(fresh_db):
    offer = next(offer for offer in real_pages() if offer["source_id"] == "DEF_15-00064919")
    store_offers(fresh_db, [offer], seen_at=SEEN)
    (blob,) = fresh_db.execute("select raw from offer_raw").fetchone()
    plain = json.dumps(offer["raw"], ensure_ascii=False).encode("utf-8")
    assert len(blob) < len(plain) / 20  # 8.5 KB of JSON
    texts = b"".join(
        row[0] if isinstance(row[0], bytes) else row[0].encode()
        for row in fresh_db.execute("select text from raw_texts")
    )
    # Neither the missions section nor the employer's name is there again: references to the columns.
    decoded = inflated(blob, to_row(offer))
    assert json.loads(decoded)["Vos missions en quelques mots"] == COLUMN + "missions"
    for copied in (offer["missions"][:60], offer["employer"]):
        assert copied.encode("utf-8") not in blob + texts
    assert offer["employer"].encode("utf-8") not in decoded
    # The JSON-LD copy of the missions (other whitespace, "administratif.-" for "administratif. -") is
    # compressed against the missions column (format 3): it costs a fraction of its text compressed alone.
    description = offer["raw"]["json_ld"]["Description"]
    assert description != offer["missions"] and description.split() != offer["missions"].split()
    assert blob.startswith(FORMAT_V3) and json.loads(decoded)["json_ld"]["Description"] == description
    assert len(blob) < len(zlib.compress(description.encode("utf-8"), 9)) / 2
    assert get_offer(fresh_db, offer["source"], offer["source_id"])["raw"] == offer["raw"]


def test_raw_written_in_the_first_format_is_read_back_as_it_was(fresh_db):
    """Raw is written with a larger zlib dictionary (the shape of each board's raw) since format 2; what
    format 1 wrote (its own dictionary, labels only) is read as before."""
    offers = real_pages()
    store_offers(fresh_db, offers, seen_at=SEEN)
    rows = {row["id"]: row for row in dict_rows(fresh_db.conn.execute("select * from offers"))}
    for offer_id, blob in fresh_db.execute("select offer_id, raw from offer_raw").fetchall():
        assert not blob.startswith(FORMAT_V1)
        compressor = zlib.compressobj(6, zdict=DICTIONARY_V1)
        older = FORMAT_V1 + compressor.compress(inflated(blob, rows[offer_id])) + compressor.flush()
        fresh_db.execute("update offer_raw set raw = ? where offer_id = ?", [older, offer_id])
    fresh_db.conn.commit()
    for offer in offers:
        stored = get_offer(fresh_db, offer["source"], offer["source_id"])
        assert {name: stored[name] for name in offer} == offer, offer["source_id"]


def test_a_long_text_many_offers_carry_is_stored_once(fresh_db):
    offers = [offer for offer in real_pages() if offer["source"] == "choisirleservicepublic"]
    about = offers[0]["raw"]["Qui sommes-nous ?"]
    assert len(offers) > 20 and all(offer["raw"].get("Qui sommes-nous ?") == about for offer in offers)
    store_offers(fresh_db, offers[:10], seen_at=SEEN)
    store_offers(fresh_db, offers[10:], seen_at=SEEN)
    stored = [row[0] for row in fresh_db.execute("select text from raw_texts")]
    assert (
        sum(
            zlib.decompress(text[1:]).decode() == about if isinstance(text, bytes) else text == about for text in stored
        )
        == 1
    )


def test_values_that_look_like_marks_and_odd_shapes_come_back(fresh_db):
    raw = {
        "a": COLUMN + "title",  # a page's text that starts with a mark
        "b": ESCAPE + "x",
        "title copy": "Chef de projet",
        "spaced": "  Chef   de\nprojet ",
        "nested": [{"x": ["Chef de projet", 1, None, True, 2.5]}, []],
        "empty": "",
        "long": "Une phrase assez longue pour être partagée entre les offres. " * 4,
    }
    offers = [
        validate_offer(
            {
                "source": "dinum",
                "source_id": key,
                "url": f"https://x.gouv.fr/{key}",
                "title": "Chef de projet",
                "raw": raw,
            }
        )
        for key in ("a", "b")
    ]
    store_offers(fresh_db, offers, seen_at=SEEN)
    assert [get_offer(fresh_db, "dinum", key)["raw"] for key in ("a", "b")] == [raw, raw]
    assert fresh_db.execute("select count(*) from raw_texts").fetchone()[0] == 1
    # An offer without raw stores nothing in offer_raw, and reads back {}.
    store_offers(fresh_db, [validate_offer({**offers[0], "source_id": "c", "raw": {}})], seen_at=SEEN)
    assert get_offer(fresh_db, "dinum", "c")["raw"] == {}
    assert fresh_db.execute("select count(*) from offer_raw").fetchone()[0] == 2


def test_a_changed_raw_is_stored_again_and_versioned(fresh_db):
    offer = next(offer for offer in real_pages() if offer["source_id"] == "DEF_15-00064919")
    store_offers(fresh_db, [offer], seen_at=SEEN)
    changed = {
        **offer,
        "missions": offer["missions"] + " Poste à pourvoir rapidement.",
        "raw": {**offer["raw"], "Management": "Oui"},
    }
    result = store_offers(fresh_db, [changed], seen_at="2026-03-11T08:00:00+00:00")
    assert result.updated == [(offer["source"], offer["source_id"])]
    stored = get_offer(fresh_db, offer["source"], offer["source_id"])
    assert (stored["missions"], stored["raw"]) == (changed["missions"], changed["raw"])
    [version] = fresh_db.execute("select changes from offer_versions").fetchall()
    changes = json.loads(version[0])
    assert changes["raw"] == [offer["raw"], changed["raw"]]
    assert ids(search(fresh_db, '"pourvoir rapidement"')) == [offer["source_id"]]


def ids(found) -> list[str]:
    return [offer["source_id"] for offer in found]


# -- the upgrade of an older database -------------------------------------------------------------


def older_database(path: Path, offers: list[dict]) -> None:
    """A database as veille left it before m012: raw in the offers table, offers grouped into jobs."""
    db = open_db(path, migrate=False)
    migrations.apply(db, stop_before="m012_offer_ids_raw_apart")
    columns = [column[1] for column in db.conn.execute("pragma table_info(offers)")]
    assert "raw" in columns and "id" not in columns
    with db.conn:
        for offer in offers:
            row = {**to_row(offer), "first_seen": SEEN, "last_seen": SEEN, "updated_at": SEEN}
            names = [name for name in columns if name in row]
            db.conn.execute(
                f"insert into offers ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                [row[name] for name in names],
            )
        # Grouped by today's code, its board and source ids then written as the 64-bit hashes of their names
        # that job_blocks and job_boards held before m013.
        db.conn.execute("create table job_names (id integer primary key, name text not null unique)")
        place_offers(db, [(offer, SEEN) for offer in offers])
        hashed = {name_id: key_hash(name) for name_id, name in db.conn.execute("select id, name from job_names")}
        blocks = db.conn.execute("select key, department, board, day, member, source, deadline from job_blocks")
        blocks = [(*row[:2], hashed[row[2]], *row[3:5], hashed[row[5]], row[6]) for row in blocks.fetchall()]
        db.conn.execute("delete from job_blocks")
        db.conn.executemany("insert into job_blocks values (?, ?, ?, ?, ?, ?, ?)", blocks)
        boards = [
            (hashed[board], name, deadlines) for board, name, deadlines in db.conn.execute("select * from job_boards")
        ]
        db.conn.execute("delete from job_boards")
        db.conn.executemany("insert into job_boards values (?, ?, ?)", boards)
        db.conn.execute("drop table job_names")
    db.conn.close()


@pytest.fixture
def old_offers() -> list[dict]:
    """The real pages' offers (raw) between beta.gouv.fr posts (no raw), 89 in all."""
    pages, posts = real_pages(), list(betagouv_offers().values())[:60]
    mixed = [offer for pair in zip(pages, posts) for offer in pair]
    return mixed + posts[len(pages) :]


def test_an_older_database_is_converted_in_place(tmp_path, old_offers, monkeypatch):
    path = tmp_path / "old.db"
    older_database(path, old_offers)
    before = _snapshot(path)
    lines = []
    monkeypatch.setattr(upkeep, "BATCH", 20)
    db = open_db(path, progress=lines.append)
    assert db.execute("select count(*) from offers").fetchone()[0] == len(old_offers)
    # The same ids (the full-text index and alerts name offers by them), the same offers, raw included.
    for (source, source_id), (rowid, offer) in before["offers"].items():
        assert (
            db.execute("select id from offers where source = ? and source_id = ?", [source, source_id]).fetchone()[0]
            == rowid
        )
        assert get_offer(db, source, source_id) == offer
    assert {row[0] for row in db.execute("select typeof(raw) from offer_raw")} == {"blob"}
    assert db.execute("select name from storage_state").fetchall() == [("match_keys",)]
    # The views and datasette's full-text index answer as before; searches use the match keys.
    assert _views(db) == before["views"]
    assert [
        row[0] for row in db.execute("select rowid from offers_fts where offers_fts match 'recrutement' order by rowid")
    ] == before["fts"]
    everything = list(search_offers(db))
    index = OfferIndex(everything)
    for query in ('"chargé de recrutement"', "développeur -python", "title:designer OR employer:DINUM"):
        expected = [everything[position]["source_id"] for position in iter_bits(parse_query(query).bits(index))]
        assert ids(search(db, query)) == expected and expected, query
    assert db.execute("pragma foreign_key_check").fetchall() == []
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    # Progress, batch after batch, ending with the whole count.
    total = len(old_offers)
    assert lines[-2:] == [
        f"upgrading the database: compressing raw, {total:,}/{total:,} offers",
        f"upgrading the database: indexing match keys, {total:,}/{total:,} offers",
    ]


def test_an_interrupted_upgrade_goes_on_where_it_stopped(tmp_path, old_offers, upkeep_interrupted):
    path = tmp_path / "old.db"
    older_database(path, old_offers)
    before = _snapshot(path)
    calls = upkeep_interrupted(3)  # Ctrl-C in the third batch
    with pytest.raises(KeyboardInterrupt):
        open_db(path)
    upkeep_interrupted.restore()
    db = open_db(path, migrate=False)
    # The first two batches are done and kept; nothing is lost of the others.
    assert db.execute("select value from storage_state where name = 'raw_compressed_through'").fetchone()[0] == 40
    assert {row[0] for row in db.execute("select typeof(raw) from offer_raw where offer_id <= 40")} == {"blob"}
    assert {row[0] for row in db.execute("select typeof(raw) from offer_raw where offer_id > 40")} == {"text"}
    for (source, source_id), (_, offer) in before["offers"].items():
        assert get_offer(db, source, source_id) == offer  # both forms read back
    db = open_db(path)
    assert calls == [0, 20, 40]
    assert {row[0] for row in db.execute("select typeof(raw) from offer_raw")} == {"blob"}
    for (source, source_id), (_, offer) in before["offers"].items():
        assert get_offer(db, source, source_id) == offer


def test_match_keys_are_made_again_when_the_way_keys_are_made_changes(fresh_db, tmp_path):
    offers = list(betagouv_offers().values())[:50]
    upsert_offers(fresh_db, offers, seen_at=SEEN)
    expected = ids(search(fresh_db, "développeur -python"))
    # Keys made by other rules (an older storage.french): the index is emptied and filled again.
    fresh_db.execute("update storage_state set value = 'older rules' where name = 'match_keys'")
    fresh_db.execute("insert into offer_keys (offer_keys) values ('delete-all')")
    db = open_db(tmp_path / "veille.db")
    assert db.execute("select value from storage_state where name = 'match_keys'").fetchone()[0] != "older rules"
    assert db.execute("select count(*) from storage_state").fetchone()[0] == 1
    assert ids(search(db, "développeur -python")) == expected and expected


def _snapshot(path: Path) -> dict:
    """What readers see of an older database, read with the SQL of its time."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    offers = {}
    for row in conn.execute("select rowid as _rowid, * from offers"):
        offer = dict(row)
        rowid = offer.pop("_rowid")
        offer["raw"] = json.loads(offer["raw"])
        offer["contacts"] = json.loads(offer["contacts"])
        offers[(offer["source"], offer["source_id"])] = (rowid, offer)
    fts = [
        row[0]
        for row in conn.execute("select rowid from offers_fts where offers_fts match 'recrutement' order by rowid")
    ]
    views = _views(conn)
    conn.close()
    return {"offers": offers, "fts": fts, "views": views}


def _views(db) -> dict:
    execute = db.execute if hasattr(db, "execute") else db.conn.execute
    return {
        name: sorted(tuple(row) for row in execute(f"select * from {name}").fetchall())
        for name in ("open_jobs", "alerts_sent")
    }


def test_the_first_command_after_the_upgrade_says_how_far_it_is(tmp_path):
    path = tmp_path / "old.db"
    older_database(path, real_pages() + list(betagouv_offers().values()))  # 572 offers: two batches
    config = write_config(tmp_path / "veille.toml", {"database": str(path)})
    result = run_veille("--config", str(config), "offers", "--search", '"chargé de recrutement"', "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "veille: upgrading the database: compressing raw, 572/572 offers",
        "veille: upgrading the database: indexing match keys, 572/572 offers",
    ]
    found = [json.loads(line)["source_id"] for line in result.stdout.splitlines()]
    assert found == ids(search(open_db(path), '"chargé de recrutement"'))[: len(found)] and len(found) >= 20
    again = run_veille("--config", str(config), "offers", "--search", '"chargé de recrutement"', "--json")
    assert (again.stderr, again.stdout) == ("", result.stdout)


def test_raw_blobs_are_what_a_compressor_primed_for_each_raw_makes(fresh_db):
    """Raw compressed without the offer's columns (format 2) is compressed by copies of one compressor given the
    dictionary once: the same bytes as a compressor made for each raw."""
    from storage.raw_format import DICTIONARIES, FORMAT_V2

    store_offers(fresh_db, real_pages(), seen_at=SEEN)
    blobs = [blob for (blob,) in fresh_db.execute("select raw from offer_raw order by offer_id")]
    assert len(blobs) == len(real_pages())
    format_2 = [blob for blob in blobs if blob.startswith(FORMAT_V2)]
    assert format_2
    for blob in format_2:
        compressor = zlib.compressobj(6, zdict=DICTIONARIES[FORMAT_V2])
        assert blob == FORMAT_V2 + compressor.compress(inflated(blob)) + compressor.flush()


def test_content_hash_and_json_columns_are_those_of_their_definition():
    """Each content field's text (\\x1f for none, JSON sorted and unescaped for contacts and raw) followed by
    \\x1e, then the later fields that hold a value as name=value\\x1e, hashed with SHA-1: what every stored hash
    was made of, on offers with raw, contacts, an employer kind and an origin."""
    import hashlib

    from storage.migrations import OFFER_CONTENT_COLUMNS
    from storage.rows import LATER_CONTENT_FIELDS

    offers = real_pages() + list(betagouv_offers().values())[:5]
    assert any(offer.get("contacts") for offer in offers) and any(offer.get("employer_kind") for offer in offers)
    for offer in offers:
        row = to_row(offer)
        for name, empty in (("contacts", []), ("raw", {})):
            value = offer.get(name)
            assert row[name] == json.dumps(value if value is not None else empty, ensure_ascii=False, sort_keys=True)
        text = "".join(("\x1f" if row[name] is None else str(row[name])) + "\x1e" for name in OFFER_CONTENT_COLUMNS)
        text += "".join(f"{name}={row[name]}\x1e" for name in LATER_CONTENT_FIELDS if row[name] is not None)
        assert row["content_hash"] == hashlib.sha1(text.encode("utf-8")).hexdigest()


def test_match_keys_are_each_fields_tokens_whether_made_again_or_remembered(monkeypatch):
    """keys_of remembers the keys of short values (employers, places): what it gives is each field's tokens,
    the first time, the next, and once its memory was emptied for being full."""
    from storage import match_keys
    from storage.french import tokens

    offers = real_pages() + list(betagouv_offers().values())
    expected = [tuple(" ".join(tokens(offer.get(name))) for name in match_keys.SEARCHABLE_FIELDS) for offer in offers]
    assert [match_keys.keys_of(offer) for offer in offers] == expected
    assert [match_keys.keys_of(offer) for offer in offers] == expected
    monkeypatch.setattr(match_keys, "_SHORT_KEYS", {f"filler {index}": "" for index in range(20_000)})
    assert [match_keys.keys_of(offer) for offer in offers] == expected
    assert len(match_keys._SHORT_KEYS) < 20_000
