"""The database answers "which jobs are open, where, since when, alerted to whom?" without the code:
opened with sqlite-utils, as a datasette user would (views open_jobs and alerts_sent, status columns)."""

import datetime as dt
import json

import sqlite_utils

from alerts.dispatch import dispatch
from crawler.config import parse_config
from storage import open_db
from storage.lifecycle import refresh_status
from storage.offers import store_offers
from tests.conftest import REPO
from tests.test_jobs import csp_copy, ditp_page, passerelles_copy, voix_usager, voix_usager_hellowork


def test_views_answer_which_jobs_are_open_where_since_when_alerted_to_whom(tmp_path, webhook_sink, frozen_clock):
    frozen_clock(dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC))
    db = open_db(tmp_path / "veille.db")
    store_offers(db, [ditp_page(), passerelles_copy(), csp_copy()], seen_at="2025-04-22T08:00:00+00:00")
    # Target 000, whose deadline passed on 2025-04-30: a closed job.
    store_offers(
        db,
        [voix_usager(deadline="2025-04-30"), voix_usager_hellowork(deadline="2025-04-30")],
        seen_at="2025-04-22T08:00:00+00:00",
    )
    channel = f"json://{webhook_sink.url.removeprefix('http://')}/alerts"
    config = parse_config(
        {"subscriptions": [{"name": "tp", "keywords": ["title:transformation", "title:usager"], "channels": [channel]}]}
    )
    dispatch(db, config, backfill=True)
    refresh_status(db)
    db.conn.close()

    browsed = sqlite_utils.Database(tmp_path / "veille.db")
    assert {"open_jobs", "alerts_sent"} <= set(browsed.view_names())
    [job] = list(browsed["open_jobs"].rows)
    assert job["title"] == "Chef de projets innovation et transformation publique H/F"
    assert job["employer"] == "Direction interministérielle de la transformation publique (DITP)"
    assert (job["place"], job["department"], job["deadline"]) == ("Nantes (44)", "44", "2025-05-22")
    assert job["published_on"] == "2025-04-18" and job["offers"] == 3
    assert job["boards"].split(", ") == ["modernisation", "passerelles", "choisirleservicepublic"]
    assert len(job["links"].split()) == 3 and job["links"].startswith("https://www.modernisation.gouv.fr/")
    assert job["alerted_to"] == "tp"
    assert job["open_since"] == "2025-04-22T08:00:00+00:00"

    [sent] = list(browsed["alerts_sent"].rows)
    assert (sent["job"], sent["subscription"], sent["title"]) == (job["job"], "tp", job["title"])
    assert sent["channel"].startswith("json://127.0.0.1:") and sent["sent_at"] == "2025-05-01T08:00:00+00:00"

    # The closed job and its offers say why, as columns.
    statuses = {row["source_id"]: (row["status"], row["closed_reason"]) for row in browsed["offers"].rows}
    assert statuses["72719488"] == ("closed", "deadline") and statuses["2024-17971"] == ("open", None)
    closed = [row for row in browsed["jobs"].rows if row["status"] == "closed"]
    assert [(row["closed_reason"], row["status_since"]) for row in closed] == [
        ("deadline", "2025-05-01T08:00:00+00:00")
    ]


def test_the_datasette_metadata_names_tables_that_exist(tmp_path):
    metadata = json.loads((REPO / "storage" / "datasette.json").read_text(encoding="utf-8"))
    db = open_db(tmp_path / "veille.db")
    names = set(db.table_names()) | set(db.view_names())
    tables = metadata["databases"]["veille"]["tables"]
    assert set(tables) <= names
    for name, table in tables.items():
        columns = {column.name for column in (db[name].columns if name in db.table_names() else db[name].columns)}
        assert set(table.get("facets", [])) <= columns, name
    assert tables["offers"]["fts_table"] == "offers_fts"
