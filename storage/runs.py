"""The crawl-run ledger: one row per crawl of a source, written when it starts and when it ends."""

from __future__ import annotations

import json
import os

from sqlite_utils import Database

from storage.clock import now_iso
from storage.db import write_transaction
from storage.lifecycle import refresh_status
from storage.owners import alive, hold

RUNNING, OK, FAILED, INTERRUPTED = "running", "ok", "failed", "interrupted"


def start_run(db: Database, source: str, options: dict | None = None) -> int:
    with write_transaction(db):
        table = db["runs"].insert(
            {
                "source": source,
                "started_at": now_iso(),
                "status": RUNNING,
                "options": json.dumps(options or {}, sort_keys=True),
                "pid": os.getpid(),
                "owner": hold(db),
            }
        )
    return table.last_pk


def finish_run(
    db: Database,
    run_id: int,
    *,
    status: str,
    reason: str,
    pages: int,
    items: int,
    new: int,
    updated: int,
    unchanged: int,
    dropped: int,
    errors: dict[str, int],
    error_samples: list[dict],
    field_coverage: dict[str, float] | None = None,
    complete: bool = False,
    listed: int | None = None,
) -> None:
    """Close a run with its counts. ``complete``: it finished ok and read the source's whole
    listing, so an offer it did not see is missing from it (storage/lifecycle.py). ``listed``:
    how many distinct offers its listing pages showed."""
    with write_transaction(db):
        db["runs"].update(
            run_id,
            {
                "finished_at": now_iso(),
                "status": status,
                "reason": reason,
                "pages": pages,
                "items": items,
                "new": new,
                "updated": updated,
                "unchanged": unchanged,
                "dropped": dropped,
                "errors": json.dumps(errors, sort_keys=True),
                "error_samples": json.dumps(error_samples, ensure_ascii=False),
                "field_coverage": json.dumps(field_coverage or {}, sort_keys=True),
                "complete": 1 if complete and status == OK else 0,
                "listed": listed,
            },
        )
        # A run may close offers (missing from complete crawls) or reopen them (seen again).
        refresh_status(db)


def listing_baseline(db: Database, source: str, run_id: int, flag: str) -> tuple[int | None, int | None]:
    """What earlier runs of ``source`` listed: (the offers the last complete run listed, the offers
    listed by the latest run since then whose errors include ``flag``), None when there is none."""
    last = db.execute(
        "select id, listed from runs where source = ? and complete = 1 and id < ? order by id desc limit 1",
        [source, run_id],
    ).fetchone()
    if last is None:
        return None, None
    flagged = db.execute(
        "select listed from runs where source = ? and id > ? and id < ? and json_extract(errors, '$.' || ?) > 0 "
        "order by id desc limit 1",
        [source, last[0], run_id, flag],
    ).fetchone()
    return last[1], flagged[0] if flagged else None


def _decoded(db: Database, row: dict) -> dict:
    run = dict(row)
    for name, empty in (("errors", {}), ("error_samples", []), ("options", {}), ("field_coverage", {})):
        run[name] = json.loads(run[name]) if run.get(name) else empty
    if run["status"] == RUNNING and not alive(db, run.get("owner"), run.get("pid")):
        # The process that owned this run died without finishing it.
        run["status"] = INTERRUPTED
    return run


def get_run(db: Database, run_id: int) -> dict:
    return _decoded(db, db["runs"].get(run_id))


def last_runs(db: Database) -> list[dict]:
    """The latest run of every source that has run, by source name."""
    rows = db.execute_returning_dicts(
        "select * from runs where id in (select max(id) from runs group by source) order by source"
    )
    return [_decoded(db, row) for row in rows]


def runs_of(db: Database, source: str, limit: int = 10) -> list[dict]:
    return [_decoded(db, row) for row in db["runs"].rows_where("source = ?", [source], order_by="id desc", limit=limit)]
