"""The JORF archive ledger and the superseded-offers table (storage.archives, storage.superseded)."""

import pytest

from storage.archives import (
    DILA_ARCHIVE,
    ERROR,
    GIVEN_UP,
    MAX_ATTEMPTS,
    PISTE_ISSUE,
    PROCESSED,
    archive_counts,
    earliest_date,
    get_archive,
    recent_archives,
    record_failure,
    record_processed,
    settled_names,
)
from storage.superseded import record_superseded, superseded

ARCHIVE = "JORFSIMPLE_20260612-002012.tar.gz"
DETAILS = {
    "kind": DILA_ARCHIVE,
    "date": "2026-06-12",
    "url": f"https://echanges.dila.gouv.fr/OPENDATA/JORFSIMPLE/{ARCHIVE}",
    "size": 9405,
}


def test_a_processed_archive_is_settled(fresh_db):
    assert settled_names(fresh_db, DILA_ARCHIVE) == set() and earliest_date(fresh_db, DILA_ARCHIVE) is None
    record_processed(fresh_db, ARCHIVE, texts_seen=83, notices_found=7, run_id=1, **DETAILS)
    row = get_archive(fresh_db, ARCHIVE)
    assert (row["status"], row["texts_seen"], row["notices_found"], row["attempts"], row["last_error"]) == (
        PROCESSED,
        83,
        7,
        1,
        None,
    )
    assert row["processed_at"] and row["first_tried_at"]
    assert settled_names(fresh_db, DILA_ARCHIVE) == {ARCHIVE}
    assert settled_names(fresh_db, PISTE_ISSUE) == set()
    assert earliest_date(fresh_db, DILA_ARCHIVE) == "2026-06-12"


def test_a_failed_archive_is_retried_then_processed(fresh_db):
    assert record_failure(fresh_db, ARCHIVE, error="bad_archive: not a readable tar.gz", run_id=1, **DETAILS) == ERROR
    row = get_archive(fresh_db, ARCHIVE)
    assert (row["status"], row["attempts"], row["processed_at"]) == (ERROR, 1, None)
    assert settled_names(fresh_db, DILA_ARCHIVE) == set()  # read again next run
    assert earliest_date(fresh_db, DILA_ARCHIVE) == "2026-06-12"  # but it counts for the window
    first_tried = row["first_tried_at"]
    record_processed(fresh_db, ARCHIVE, texts_seen=83, notices_found=7, run_id=2, **DETAILS)
    row = get_archive(fresh_db, ARCHIVE)
    assert (row["status"], row["attempts"], row["last_error"], row["first_tried_at"]) == (
        PROCESSED,
        2,
        None,
        first_tried,
    )


def test_an_archive_that_keeps_failing_is_given_up(fresh_db):
    statuses = [
        record_failure(fresh_db, ARCHIVE, error=f"attempt {n}", run_id=n, **DETAILS) for n in range(1, MAX_ATTEMPTS + 1)
    ]
    assert statuses == [ERROR] * (MAX_ATTEMPTS - 1) + [GIVEN_UP]
    assert settled_names(fresh_db, DILA_ARCHIVE) == {ARCHIVE}
    assert get_archive(fresh_db, ARCHIVE)["last_error"] == f"attempt {MAX_ATTEMPTS}"
    assert archive_counts(fresh_db) == {GIVEN_UP: 1}


def test_recent_archives_newest_first(fresh_db):
    for name, date in (
        ("JORFSIMPLE_20260611-001512.tar.gz", "2026-06-11"),
        ("JORFSIMPLE_20260612-205512.tar.gz", "2026-06-12"),
        (ARCHIVE, "2026-06-12"),
    ):
        record_processed(fresh_db, name, **{**DETAILS, "date": date}, texts_seen=1, notices_found=0, run_id=1)
    assert [row["name"] for row in recent_archives(fresh_db, 2)] == ["JORFSIMPLE_20260612-205512.tar.gz", ARCHIVE]


def test_superseded_offers(fresh_db):
    assert superseded(fresh_db, "jorf", "JORFTEXT000043946125") == []
    record_superseded(
        fresh_db,
        "jorf",
        "JORFTEXT000043946125",
        superseded_by="JORFTEXT000044012345",
        relation="replaced",
        evidence="annule et remplace",
        run_id=3,
    )
    record_superseded(
        fresh_db,
        "jorf",
        "JORFTEXT000043946125",
        superseded_by="JORFTEXT000044012345",
        relation="replaced",
        evidence="annule et remplace",
        run_id=4,
    )
    [row] = superseded(fresh_db, "jorf", "JORFTEXT000043946125")
    assert (row["superseded_by"], row["relation"], row["run_id"]) == ("JORFTEXT000044012345", "replaced", 4)
    with pytest.raises(ValueError):
        record_superseded(fresh_db, "jorf", "x", superseded_by="y", relation="closed", evidence="")
