"""Storage: an offer is stored once, changes become versions, nothing is deleted, FTS ignores accents."""

import os
import sqlite3

import pytest

from alerts.search import search
from crawler.items import OfferItem, validate_offer
from storage import open_db
from storage.migrations import migrations
from storage.offers import (
    get_offer,
    known_source_ids,
    search_offers,
    upsert_offers,
    versions_of,
)
from storage.rows import padded_chunks
from storage.runs import FAILED, INTERRUPTED, finish_run, get_run, last_runs, start_run
from tests.conftest import store_before_jobs


def offer(source_id="2026-1", **fields):
    base = dict(
        source="choisirleservicepublic",
        source_id=source_id,
        url=f"https://example.gouv.fr/{source_id}",
        title="Chargé de mission innovation",
    )
    return validate_offer(OfferItem(**{**base, **fields}))


def test_schema_is_created_by_migrations_in_wal_mode(fresh_db):
    assert {"offers", "offer_versions", "runs", "offers_fts", "_sqlite_migrations"} <= set(fresh_db.table_names())
    assert fresh_db.journal_mode == "wal"
    assert [m.name for m in migrations.applied(fresh_db)] == [m.name for m in migrations._migrations]
    assert fresh_db.execute("pragma busy_timeout").fetchone()[0] >= 5000


def test_reopening_does_not_reapply_migrations(tmp_path):
    open_db(tmp_path / "v.db")
    db = open_db(tmp_path / "v.db")
    names = [m.name for m in migrations.applied(db)]
    assert len(names) == len(set(names))
    assert migrations.pending(db) == []


def test_new_then_unchanged_touches_only_last_seen(fresh_db):
    runs = [start_run(fresh_db, "choisirleservicepublic") for _ in range(2)]
    first = upsert_offers(fresh_db, [offer()], run_id=runs[0], seen_at="2026-11-01T08:00:00+00:00")
    assert first.new == [("choisirleservicepublic", "2026-1")]
    again = upsert_offers(fresh_db, [offer()], run_id=runs[1], seen_at="2026-11-02T08:00:00+00:00")
    assert again.unchanged == [("choisirleservicepublic", "2026-1")] and not again.new and not again.updated
    row = get_offer(fresh_db, "choisirleservicepublic", "2026-1")
    assert (row["first_seen"], row["last_seen"], row["updated_at"]) == (
        "2026-11-01T08:00:00+00:00",
        "2026-11-02T08:00:00+00:00",
        "2026-11-01T08:00:00+00:00",
    )
    assert (row["first_run_id"], row["last_run_id"]) == tuple(runs)
    assert fresh_db["offer_versions"].count == 0


def test_a_change_adds_a_version_with_what_changed(fresh_db):
    runs = [start_run(fresh_db, "choisirleservicepublic") for _ in range(2)]
    upsert_offers(
        fresh_db,
        [offer(deadline="2026-12-01", raw={"Statut": "Vacant"})],
        run_id=runs[0],
        seen_at="2026-11-01T08:00:00+00:00",
    )
    result = upsert_offers(
        fresh_db,
        [offer(deadline="2026-12-15", raw={"Statut": "Susceptible d'être vacant"})],
        run_id=runs[1],
        seen_at="2026-11-03T08:00:00+00:00",
    )
    assert result.updated == [("choisirleservicepublic", "2026-1")]
    stored = get_offer(fresh_db, "choisirleservicepublic", "2026-1")
    assert stored["deadline"] == "2026-12-15"
    assert stored["updated_at"] == "2026-11-03T08:00:00+00:00"
    [version] = versions_of(fresh_db, "choisirleservicepublic", "2026-1")
    assert version["changes"] == {
        "deadline": ["2026-12-01", "2026-12-15"],
        "raw": [{"Statut": "Vacant"}, {"Statut": "Susceptible d'être vacant"}],
    }
    assert (version["run_id"], version["seen_at"]) == (runs[1], "2026-11-03T08:00:00+00:00")


def test_a_batch_mixes_outcomes_and_never_deletes(fresh_db):
    upsert_offers(fresh_db, [offer("a"), offer("b")])
    result = upsert_offers(fresh_db, [offer("b", title="Autre titre"), offer("c")])
    assert (result.new, result.updated, result.unchanged) == (
        [("choisirleservicepublic", "c")],
        [("choisirleservicepublic", "b")],
        [],
    )
    assert known_source_ids(fresh_db, "choisirleservicepublic") == {"a", "b", "c"}


def test_full_text_search_ignores_accents_and_case(fresh_db):
    upsert_offers(
        fresh_db,
        [
            offer("a", title="Chef de projet numérique"),
            offer("b", title="Gestionnaire RH", missions="Accompagner la TRANSFORMATION publique"),
        ],
    )
    assert [o["source_id"] for o in search(fresh_db, "numerique")] == ["a"]
    assert [o["source_id"] for o in search(fresh_db, "transformation")] == ["b"]
    # A query that cannot be read is a ValueError worded for the user, not an SQL error.
    with pytest.raises(ValueError, match="the query ends where a word was expected"):
        list(search(fresh_db, '"chef" AND ('))


def test_search_since_uses_publication_date(fresh_db):
    upsert_offers(fresh_db, [offer("old", published_on="2026-01-05"), offer("new", published_on="2026-11-20")])
    assert [o["source_id"] for o in search_offers(fresh_db, since="2026-11-01")] == ["new"]


def test_run_ledger(fresh_db):
    run_id = start_run(fresh_db, "choisirleservicepublic", {"full": True})
    finish_run(
        fresh_db,
        run_id,
        status=FAILED,
        reason="finished",
        pages=3,
        items=2,
        new=1,
        updated=1,
        unchanged=0,
        dropped=0,
        errors={"http_5xx": 1},
        error_samples=[{"class": "http_5xx", "url": "u", "message": "HTTP 500"}],
    )
    run = get_run(fresh_db, run_id)
    assert (run["status"], run["pages"], run["errors"], run["options"]) == (FAILED, 3, {"http_5xx": 1}, {"full": True})
    assert [r["id"] for r in last_runs(fresh_db)] == [run_id]


def test_a_run_whose_process_died_shows_as_interrupted(fresh_db):
    run_id = start_run(fresh_db, "jorf")
    assert get_run(fresh_db, run_id)["status"] == "running"  # this process
    # Another process's run (its identity holds no lock: it is dead), with this process's pid.
    fresh_db["runs"].update(run_id, {"owner": f"boot ? pid {os.getpid()} run 0123456789ab"})
    assert get_run(fresh_db, run_id)["status"] == INTERRUPTED
    # A run recorded before identities were: its pid alone says.
    fresh_db["runs"].update(run_id, {"owner": None, "pid": 2**22 + 12345})  # no such process
    assert get_run(fresh_db, run_id)["status"] == INTERRUPTED


def test_concurrent_writer_waits_instead_of_failing(tmp_path):
    db = open_db(tmp_path / "v.db")
    other = sqlite3.connect(tmp_path / "v.db", isolation_level=None, check_same_thread=False)
    other.execute("begin immediate")
    import threading

    threading.Timer(0.3, lambda: other.execute("commit")).start()
    result = upsert_offers(db, [offer("x")])  # waits for the lock, does not raise "database is locked"
    assert result.new


def test_search_follows_changes_of_indexed_text(fresh_db):
    upsert_offers(fresh_db, [offer("a", title="Chef de projet numérique")])
    upsert_offers(fresh_db, [offer("a", title="Designer de services")])
    upsert_offers(fresh_db, [offer("a", title="Designer de services")])  # only last_seen changes
    assert [o["source_id"] for o in search(fresh_db, "designer")] == ["a"]
    assert list(search(fresh_db, "numerique")) == []
    assert fresh_db.execute("select count(*) from offers_fts").fetchone()[0] == 1


def _open_and_count_runs(path):
    return open_db(path).execute("select count(*) from runs").fetchone()[0]


def test_processes_creating_the_database_together_wait_for_each_other(tmp_path):
    # The scheduler's crawl, a `veille status` and an alert run may all be the first to open a
    # new database: one of them applies the migrations, the others wait and find them applied.
    from concurrent.futures import ProcessPoolExecutor

    for attempt in range(5):
        path = tmp_path / f"v{attempt}.db"
        with ProcessPoolExecutor(max_workers=6) as pool:
            counts = list(pool.map(_open_and_count_runs, [path] * 12))
        assert counts == [0] * 12
        applied = [row[0] for row in open_db(path).execute("select name from _sqlite_migrations")]
        assert applied == [
            migration.name for migration in migrations.pending(open_db(tmp_path / "empty.db", migrate=False))
        ]


def test_salary_is_stored_and_adding_the_column_changed_no_stored_hash(tmp_path):
    """m007 added ``salary``: an offer without one hashes as before (nothing looks changed after the
    upgrade); an offer that gains one is updated, with a version saying so."""
    import hashlib

    from storage.migrations import OFFER_CONTENT_COLUMNS
    from storage.rows import to_row
    from tests.alerts_support import offer, store

    plain = offer("s-1", "Chargé de mission")
    row = to_row(plain)
    before_salary = "".join(
        ("\x1f" if row[name] is None else str(row[name])) + "\x1e" for name in OFFER_CONTENT_COLUMNS
    )
    assert row["content_hash"] == hashlib.sha1(before_salary.encode("utf-8")).hexdigest()

    db = open_db(tmp_path / "veille.db")
    store(db, plain)
    store(db, {**plain, "salary": "35 000 – 42 000 € par an"})
    assert get_offer(db, "choisirleservicepublic", "s-1")["salary"] == "35 000 – 42 000 € par an"
    [version] = versions_of(db, "choisirleservicepublic", "s-1")
    assert version["changes"] == {"salary": [None, "35 000 – 42 000 € par an"]}


def test_offers_stored_before_the_employer_kind_and_origin_columns_are_not_updated_by_them(tmp_path):
    """Migration m009 adds employer_kind and origin_url; an offer stored before it, crawled again unchanged,
    stays unchanged (no version), and one that now has them is updated once."""
    path = tmp_path / "old.db"
    db = open_db(path, migrate=False)
    migrations.apply(db, stop_before="m009_offer_origin_and_employer_kind")
    store_before_jobs(db, [offer("2026-1"), offer("2026-2")], seen_at="2026-11-01T08:00:00+00:00")
    db.conn.close()
    db = open_db(path)
    assert {"employer_kind", "origin_url"} <= set(db["offers"].columns_dict)
    again = upsert_offers(
        db,
        [offer("2026-1"), offer("2026-2", employer_kind="Communes", origin_url="https://www.emploi-territorial.fr/x")],
        seen_at="2026-11-02T08:00:00+00:00",
    )
    assert again.unchanged == [("choisirleservicepublic", "2026-1")]
    assert again.updated == [("choisirleservicepublic", "2026-2")]
    assert get_offer(db, "choisirleservicepublic", "2026-2")["employer_kind"] == "Communes"


def test_padded_chunks_have_few_lengths_and_the_values_in_order():
    values = list(range(1, 1300))
    chunks = list(padded_chunks(values))
    assert [len(chunk) for chunk in chunks] == [512, 512, 512]
    assert chunks[2][:275] == values[1024:] and set(chunks[2][275:]) == {1025}  # an "in" list: its first again
    assert [value for chunk in chunks for value in chunk[: min(512, len(values) - 512 * chunks.index(chunk))]] == values
    pairs = [(key, "75") for key in range(3)]
    assert list(padded_chunks(pairs, 256, (0, "-"))) == [pairs + [(0, "-")] * 5]
    assert list(padded_chunks([], 256)) == []


def test_padded_chunks_find_the_same_rows(fresh_db):
    upsert_offers(fresh_db, [offer(f"2026-{number}") for number in range(20)])
    ids = [row[0] for row in fresh_db.execute("select id from offers order by id")][:13]
    found = set()
    for chunk in padded_chunks(ids):
        assert len(chunk) == 16
        found.update(fresh_db.execute(f"select id from offers where id in ({','.join('?' * len(chunk))})", chunk))
    assert found == {(offer_id,) for offer_id in ids}
