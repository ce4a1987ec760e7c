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
