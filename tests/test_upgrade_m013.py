"""Migration m013 on a database an earlier veille wrote (tests/fixtures/upgrade: the demo's database at
commit a4c8882): every raw written again in today's format, the texts no raw refers to any more removed,
board and source names as small ids in job_blocks, two unused indexes dropped; the same offers read back,
the same jobs, grouping still finding its candidates; an interrupted upgrade finishes on the next open."""

import gzip
import json
import shutil

import pytest

from storage import open_db, upkeep
from storage.offers import get_offer, store_offers
from storage.raw_format import FORMAT_V2, FORMAT_V3
from tests.conftest import FIXTURES, run_veille, write_config

OLD = FIXTURES / "upgrade" / "demo-a4c8882.db.gz"
OLD_OFFERS = FIXTURES / "upgrade" / "demo-a4c8882-offers.jsonl.gz"
NOW = "2026-12-04T08:00:00+00:00"


@pytest.fixture
def old_database(tmp_path):
    path = tmp_path / "veille.db"
    with gzip.open(OLD) as packed, path.open("wb") as unpacked:
        shutil.copyfileobj(packed, unpacked)
    return path


def old_offers() -> list[dict]:
    """The offers as the earlier version read them back (`veille offers --json`)."""
    with gzip.open(OLD_OFFERS, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def snapshot(path) -> dict:
    """What the earlier version's tables say, read with plain SQL before the upgrade."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return {
            "jobs": conn.execute("select source, source_id, job_id, reason from job_offers order by id").fetchall(),
            "views": {
                name: sorted(conn.execute(f"select * from {name}").fetchall()) for name in ("open_jobs", "alerts_sent")
            },
            "migrations": [name for (name,) in conn.execute("select name from _sqlite_migrations")],
            "texts": conn.execute("select count(*) from raw_texts").fetchone()[0],
            "boards": sorted(conn.execute("select name, deadlines from job_boards").fetchall()),
        }
    finally:
        conn.close()


def test_the_earlier_database_reads_back_the_same_offers_after_the_upgrade(old_database, tmp_path, monkeypatch):
    before = snapshot(old_database)
    assert before["migrations"][-1] == "m012_offer_ids_raw_apart" and before["texts"] > 300
    monkeypatch.setattr(upkeep, "BATCH", 20)
    lines = []
    db = open_db(old_database, progress=lines.append)
    # Progress, batch after batch, then the texts that only JO notices had (now in their own raws).
    removed = before["texts"] - db.execute("select count(*) from raw_texts").fetchone()[0]
    assert removed > 250
    assert [line for line in lines if "raw" in line or "texts" in line][-2:] == [
        "upgrading the database: compressing raw, 153/153 offers",
        f"upgrading the database: removed {removed:,} shared texts no offer refers to any more",
    ]
    assert db.execute("select name from storage_state").fetchall() == [("match_keys",)]
    assert {row[0][:1] for row in db.execute("select raw from offer_raw")} == {FORMAT_V2, FORMAT_V3}
    # Every offer as the earlier version read it, raw byte for byte, through the command users run.
    config = write_config(tmp_path / "veille.toml", {"database": str(old_database)})
    result = run_veille("--config", str(config), "offers", "--json", env={"VEILLE_NOW": NOW})
    assert result.returncode == 0 and result.stderr == "", result.stderr
    now = {(offer["source"], offer["source_id"]): offer for offer in map(json.loads, result.stdout.splitlines())}
    expected = old_offers()
    assert len(now) == len(expected) == 153
    for offer in expected:
        read = now[offer["source"], offer["source_id"]]
        assert {name: read[name] for name in offer} == offer, offer["source_id"]
        assert json.dumps(read["raw"], ensure_ascii=False) == json.dumps(offer["raw"], ensure_ascii=False)
    # The same jobs, views and boards; names as small ids; the indexes no query used are gone.
    after = snapshot(old_database)
    assert (after["jobs"], after["views"], after["boards"]) == (before["jobs"], before["views"], before["boards"])
    names = dict(db.execute("select name, id from job_names"))
    assert {row[0] for row in db.execute("select board from job_boards")} <= set(names.values())
    for board, source, member_board, member_source in db.execute(
        "select b.board, b.source, m.board, m.source from job_blocks b join job_offers m on m.id = b.member"
    ):
        assert (board, source) == (names[member_board], names[member_source])
    indexes = {name for (name,) in db.execute("select name from sqlite_master where type = 'index'")}
    assert not indexes & {"idx_offers_first_seen", "offers_status"}
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("pragma foreign_key_check").fetchall() == []


def test_grouping_finds_offers_stored_before_the_upgrade(old_database):
    """A new offer of another board, the same post as one the earlier version stored, joins its job: found
    by the title blocks the upgrade gave small board ids."""
    db = open_db(old_database)
    stored = get_offer(db, "choisirleservicepublic", "2026-2244655")
    (job,) = db.execute(
        "select job_id from job_offers where source = 'choisirleservicepublic' and source_id = '2026-2244655'"
    ).fetchone()
    copy = {
        **{name: stored[name] for name in ("title", "employer", "location", "department", "region", "published_on")},
        **{name: stored[name] for name in ("deadline", "missions", "profile", "category", "versant")},
        "source": "modernisation",
        "source_id": "copie-hellowork",
        "url": "https://www.hellowork.com/fr-fr/emplois/0000001.html",
        "raw": {"board": "hellowork"},
    }
    store_offers(db, [copy], seen_at=NOW)
    (joined, reason) = db.execute(
        "select job_id, reason from job_offers where source = 'modernisation' and source_id = 'copie-hellowork'"
    ).fetchone()
    assert joined == job, reason
    assert "choisirleservicepublic:2026-2244655" in reason
    assert db.execute("select count(*) from job_names where name = 'hellowork'").fetchone()[0] == 1


def test_an_interrupted_upgrade_finishes_on_the_next_open(old_database, monkeypatch, upkeep_interrupted):
    expected = {(offer["source"], offer["source_id"]): offer["raw"] for offer in old_offers()}
    upkeep_interrupted(4)  # Ctrl-C in the fourth batch
    with pytest.raises(KeyboardInterrupt):
        open_db(old_database)
    db = open_db(old_database, migrate=False)
    through = db.execute("select value from storage_state where name = 'raw_compressed_through'").fetchone()[0]
    assert through == sorted(row[0] for row in db.execute("select id from offers"))[59]
    # Both formats read back meanwhile, and every text is still there.
    for (source, source_id), raw in expected.items():
        assert get_offer(db, source, source_id)["raw"] == raw
    upkeep_interrupted.restore()

    # Interrupted again while removing the texts no raw refers to: nothing is removed, and it is done next time.
    def no_texts(db):
        raise KeyboardInterrupt

    monkeypatch.setattr(upkeep, "referenced_texts", no_texts)
    texts = db.execute("select count(*) from raw_texts").fetchone()[0]
    with pytest.raises(KeyboardInterrupt):
        open_db(old_database)
    db = open_db(old_database, migrate=False)
    assert db.execute("select count(*) from raw_texts").fetchone()[0] == texts
    assert db.execute("select count(*) from storage_state where name like 'raw_%'").fetchone()[0] == 1
    monkeypatch.undo()
    db = open_db(old_database)
    assert db.execute("select name from storage_state").fetchall() == [("match_keys",)]
    assert db.execute("select count(*) from raw_texts").fetchone()[0] < texts
    for (source, source_id), raw in expected.items():
        assert json.dumps(get_offer(db, source, source_id)["raw"], ensure_ascii=False) == json.dumps(
            raw, ensure_ascii=False
        )
