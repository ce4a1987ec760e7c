"""Open and closed offers and jobs.

An offer is *closed* when

- its application deadline has passed (``deadline`` before today, Paris time);
- a later JO notice cancelled or replaced it (``superseded_offers``);
- it was missing from the last two *complete* crawls of its source: runs that
  finished ok and read the source's whole listing (``runs.complete``: a
  ``--full`` run that was not cut short by ``max_pages`` or limited by
  ``--since``, or any run of a source whose spider always reads its whole
  listing, such as DINUM's single page). The JO is never complete in this
  sense: its archives are daily deltas, and a notice missing from one says
  nothing.

A job is closed when all its offers are. Nothing is written when an offer
closes: the status is worked out from the offer, the run ledger and the
superseded notices whenever it is asked for, so a deadline passing or an
offer reappearing needs no bookkeeping. An offer seen again reopens.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from storage.clock import paris_today

# Missing from this many complete crawls in a row: closed.
MISSED_COMPLETE_CRAWLS = 2


def closed_reason_sql(alias: str = "offers", today: str = ":today") -> str:
    """A SQL expression: why the offer ``alias`` is closed ('deadline', 'cancelled',
    'replaced', 'missing'), or NULL while it is open. ``today`` is the SQL parameter
    holding today's ISO date."""
    return f"""(case
  when {alias}.deadline is not null and {alias}.deadline < {today} then 'deadline'
  when exists (select 1 from superseded_offers s where s.source = {alias}.source and s.source_id = {alias}.source_id
               and s.relation = 'cancelled') then 'cancelled'
  when exists (select 1 from superseded_offers s where s.source = {alias}.source and s.source_id = {alias}.source_id
               and s.relation = 'replaced') then 'replaced'
  when (select count(*) from (select 1 from runs r where r.source = {alias}.source and r.complete = 1
               and r.id > coalesce({alias}.last_run_id, 0) limit {MISSED_COMPLETE_CRAWLS}))
       >= {MISSED_COMPLETE_CRAWLS} then 'missing'
end)"""


def describe_closed(reason: str | None, offer: dict) -> str:
    """The status of an offer in a few words, for listings."""
    if reason is None:
        return "open"
    return {
        "deadline": f"closed: deadline {offer.get('deadline')} passed",
        "cancelled": "closed: cancelled by a later JO notice",
        "replaced": "closed: replaced by a later JO notice",
        "missing": f"closed: missing from {MISSED_COMPLETE_CRAWLS} complete crawls",
    }.get(reason, f"closed: {reason}")


def offer_closed_reasons(
    db: Database, job_ids: list[int], *, on: dt.date | None = None
) -> dict[int, list[tuple[str, str, str | None]]]:
    """For each job: its offers as (source, source_id, closed reason or None)."""
    found: dict[int, list[tuple[str, str, str | None]]] = {job_id: [] for job_id in job_ids}
    day = (on or paris_today()).isoformat()
    for start in range(0, len(job_ids), 500):
        chunk = job_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.conn.execute(
            f"""select m.job_id, offers.source, offers.source_id, {closed_reason_sql("offers", "?")}
from job_offers m join offers on offers.source = m.source and offers.source_id = m.source_id
where m.job_id in ({marks})""",
            [day, *chunk],
        )
        for job_id, source, source_id, reason in rows:
            found[job_id].append((source, source_id, reason))
    return found


def open_jobs(db: Database, job_ids: list[int], *, on: dt.date | None = None) -> set[int]:
    """The jobs among ``job_ids`` with at least one open offer."""
    return {
        job_id
        for job_id, offers in offer_closed_reasons(db, job_ids, on=on).items()
        if any(reason is None for *_, reason in offers)
    }


def refresh_status(db: Database, *, on: dt.date | None = None, at: str | None = None) -> int:
    """Bring the ``status``, ``closed_reason`` and ``status_since`` columns of offers and jobs
    (migration m006) up to date with the rules above, for people reading the database without the
    code (datasette, sqlite-utils). Only rows whose status changed are written; ``status_since``
    is when that was seen. Returns how many rows changed."""
    from storage.clock import now_iso
    from storage.db import write_transaction

    day = (on or paris_today()).isoformat()
    moment = at or now_iso()
    with write_transaction(db):
        before = db.conn.total_changes
        db.conn.execute(
            f"""update offers set status = fresh.status, closed_reason = fresh.reason,
  status_since = coalesce(case when offers.status is null and fresh.status = 'open' then offers.first_seen end, :at)
from (select id, reason, case when reason is null then 'open' else 'closed' end as status
      from (select rowid as id, {closed_reason_sql("offers", ":today")} as reason from offers)) as fresh
where offers.rowid = fresh.id and (offers.status is not fresh.status or offers.closed_reason is not fresh.reason)""",
            {"today": day, "at": moment},
        )
        db.conn.execute(
            """update jobs set status = fresh.status, closed_reason = fresh.reason,
  status_since = coalesce(case when jobs.status is null and fresh.status = 'open' then jobs.created_at end, :at)
from (select jobs.id as id,
        case when jobs.merged_into is not null then 'merged'
             when sum(o.status = 'open') > 0 then 'open' else 'closed' end as status,
        case when jobs.merged_into is not null or sum(o.status = 'open') > 0 then null
             else (select group_concat(reason, ',') from (select distinct o2.closed_reason as reason
                   from job_offers m2 join offers o2 on o2.source = m2.source and o2.source_id = m2.source_id
                   where m2.job_id = jobs.id order by 1)) end as reason
      from jobs left join job_offers m on m.job_id = jobs.id
      left join offers o on o.source = m.source and o.source_id = m.source_id
      group by jobs.id) as fresh
where jobs.id = fresh.id and (jobs.status is not fresh.status or jobs.closed_reason is not fresh.reason)""",
            {"at": moment},
        )
        return db.conn.total_changes - before
