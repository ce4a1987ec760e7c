"""The alert outbox (tables from migration m003_alerts): exactly-once bookkeeping.

Life of an alert row: created *pending* when a unit matches (UNIQUE on
subscription, unit, channel, so it can never be queued twice), *released* when
it may go out (at once, or at its digest slot), *claimed* by a delivery just
before apprise is called, then *sent* once apprise reports success, or back to
pending with exponential backoff, or *failed* after ``max_attempts``.

Every step is its own short transaction and the network call happens between
two of them. If the process dies during the call, the delivery row stays
'sending'; the next dispatch marks it 'interrupted' and sends its alerts
again. That message is the only one that can arrive twice: alerts are marked
sent right after each message, one message at a time. So each kill repeats at
most one message (a message caught by two kills in a row may arrive three times).
A delivery records its process's identity (storage/owners.py): the next dispatch
knows the process is dead even when it has the same pid (a container's PID 1).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass

from sqlite_utils import Database

from storage.clock import iso
from storage.db import write_transaction
from storage.owners import alive, hold
from storage.rows import chunks

PENDING, SENT, FAILED = "pending", "sent", "failed"
SENDING, INTERRUPTED = "sending", "interrupted"
# A 'sending' delivery recorded without its owner's identity (before migration m011) and older than
# this is taken as dead even if its pid is reused.
STALE_DELIVERY = dt.timedelta(hours=1)
# The longest Retry-After a channel's service is obeyed for.
MAX_RETRY_AFTER = dt.timedelta(days=1)


@dataclass
class OutboxRow:
    id: int
    unit: str
    reasons: list
    attempts: int


def retry_delay(attempts: int, base: float, maximum: float) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: base, 2x, 4x, ... capped."""
    return dt.timedelta(seconds=min(maximum, base * 2 ** max(0, attempts - 1)))


# -- subscription state ----------------------------------------------------------------------


def subscription_states(db: Database) -> dict[str, dict]:
    return {row["name"]: row for row in db["alert_subscriptions"].rows}


def register(
    db: Database, name: str, *, matched_through: int, now: dt.datetime, digest_slot: dt.datetime | None
) -> None:
    """Start tracking a subscription; an existing one is left as it is."""
    db.execute(
        "insert or ignore into alert_subscriptions (name, created_at, matched_through, digest_served_through) values "
        "(?, ?, ?, ?)",
        [name, iso(now), matched_through, iso(digest_slot) if digest_slot else None],
    )


def record_matches(
    db: Database, *, names: list[str], through: int, alerts: list[tuple[str, str, str, list]], now: dt.datetime
) -> int:
    """Queue ``(subscription, unit, channel, reasons)`` alerts and move the subscriptions'
    matching mark to ``through``, atomically. Returns how many rows are new."""
    stamp = iso(now)
    with write_transaction(db):
        before = db.execute("select total_changes()").fetchone()[0]
        db.conn.executemany(
            "insert or ignore into alert_outbox (subscription, unit, channel, reasons, created_at, next_attempt_at) "
            "values (?, ?, ?, ?, ?, ?)",
            [
                (name, unit, channel, json.dumps(reasons, ensure_ascii=False), stamp, stamp)
                for name, unit, channel, reasons in alerts
            ],
        )
        added = db.execute("select total_changes()").fetchone()[0] - before
        db.conn.executemany(
            "update alert_subscriptions set matched_through = max(matched_through, ?), matched_at = ? where name = ?",
            [(through, stamp, name) for name in names],
        )
    return added


def release(db: Database, name: str, now: dt.datetime, *, digest_slot: dt.datetime | None = None) -> int:
    """Let a subscription's pending alerts go out; a digest also records the slot it serves."""
    with write_transaction(db):
        cursor = db.execute(
            "update alert_outbox set released_at = ? where subscription = ? and status = ? and released_at is null",
            [iso(now), name, PENDING],
        )
        if digest_slot is not None:
            db.execute(
                "update alert_subscriptions set digest_served_through = ? where name = ?", [iso(digest_slot), name]
            )
    return cursor.rowcount


def set_digest_mark(db: Database, name: str, slot: dt.datetime) -> None:
    with write_transaction(db):
        db.execute("update alert_subscriptions set digest_served_through = ? where name = ?", [iso(slot), name])


# -- deliveries -------------------------------------------------------------------------------


def recover_interrupted(db: Database, now: dt.datetime) -> int:
    """Mark deliveries whose process died mid-send as interrupted, freeing their alerts
    for the next send. Returns how many: each may have reached its recipient once already."""
    stale_before = iso(now - STALE_DELIVERY)
    with write_transaction(db):
        dead = [
            row["id"]
            for row in db.execute_returning_dicts(
                "select id, pid, owner, started_at from alert_deliveries where status = ?", [SENDING]
            )
            if not alive(db, row["owner"], row["pid"]) or (row["owner"] is None and row["started_at"] < stale_before)
        ]
        for delivery_id in dead:
            db.execute(
                "update alert_deliveries set status = ?, finished_at = ?, error = ? where id = ?",
                [INTERRUPTED, iso(now), "the process stopped while sending; its alerts are sent again", delivery_id],
            )
    return len(dead)


_DUE = """from alert_outbox where subscription = ? and channel = ? and status = 'pending'
and released_at is not null and next_attempt_at <= ?
and (delivery_id is null or delivery_id not in (select id from alert_deliveries where status = 'sending'))"""


def count_due(db: Database, name: str, channel: str, now: dt.datetime) -> int:
    return db.execute(f"select count(*) {_DUE}", [name, channel, iso(now)]).fetchone()[0]


def claim(db: Database, name: str, channel: str, now: dt.datetime, limit: int) -> tuple[int, list[OutboxRow]] | None:
    """Take up to ``limit`` due alerts of one subscription and channel for one message."""
    with write_transaction(db):
        rows = [
            OutboxRow(row["id"], row["unit"], json.loads(row["reasons"] or "[]"), row["attempts"])
            for row in db.execute_returning_dicts(
                f"select id, unit, reasons, attempts {_DUE} order by id limit {int(limit)}", [name, channel, iso(now)]
            )
        ]
        if not rows:
            return None
        delivery_id = (
            db["alert_deliveries"]
            .insert(
                {
                    "subscription": name,
                    "channel": channel,
                    "started_at": iso(now),
                    "status": SENDING,
                    "alerts": len(rows),
                    "pid": os.getpid(),
                    "owner": hold(db),
                }
            )
            .last_pk
        )
        db.conn.executemany(
            "update alert_outbox set delivery_id = ? where id = ?", [(delivery_id, row.id) for row in rows]
        )
    return delivery_id, rows


def unclaim(db: Database, delivery_id: int, rows: list[OutboxRow]) -> None:
    """Give back alerts a delivery took but will not send (its message would be too long)."""
    if not rows:
        return
    with write_transaction(db):
        db.conn.executemany(
            "update alert_outbox set delivery_id = null where id = ? and delivery_id = ?",
            [(row.id, delivery_id) for row in rows],
        )
        db.execute("update alert_deliveries set alerts = alerts - ? where id = ?", [len(rows), delivery_id])


def finish(
    db: Database,
    delivery_id: int,
    rows: list[OutboxRow],
    *,
    ok: bool,
    error: str | None,
    now: dt.datetime,
    max_attempts: int,
    retry_base: float,
    retry_max: float,
    retry_after: float | None = None,
) -> None:
    """Record what apprise said: sent, or a retry later with backoff, or failed for good. A service
    that asked to wait (``retry_after`` seconds, its Retry-After) is not asked again sooner, however
    short the backoff (at most ``MAX_RETRY_AFTER``: a service does not silence a channel for days)."""
    stamp = iso(now)
    with write_transaction(db):
        if ok:
            db.conn.executemany(
                "update alert_outbox set status = ?, sent_at = ?, attempts = attempts + 1, last_error = null where id "
                "= ?",
                [(SENT, stamp, row.id) for row in rows],
            )
            db.execute(
                "update alert_deliveries set status = ?, finished_at = ? where id = ?", [SENT, stamp, delivery_id]
            )
            db.execute(
                "update alert_subscriptions set last_sent_at = ? where name = (select subscription from "
                "alert_deliveries where id = ?)",
                [stamp, delivery_id],
            )
            return
        updates = []
        for row in rows:
            attempts = row.attempts + 1
            status = FAILED if attempts >= max_attempts else PENDING
            delay = retry_delay(attempts, retry_base, retry_max)
            if retry_after:
                delay = max(delay, min(dt.timedelta(seconds=retry_after), MAX_RETRY_AFTER))
            next_attempt = iso(now + delay)
            updates.append((status, attempts, next_attempt, error, row.id))
        db.conn.executemany(
            "update alert_outbox set status = ?, attempts = ?, next_attempt_at = ?, last_error = ? where id = ?",
            updates,
        )
        db.execute(
            "update alert_deliveries set status = ?, finished_at = ?, error = ? where id = ?",
            [FAILED, stamp, error, delivery_id],
        )


def rename_channel(db: Database, name: str, old: str, new: str) -> int:
    """A subscription's channel known by another key from now on (its alerts and deliveries follow)."""
    with write_transaction(db):
        cursor = db.execute(
            "update or ignore alert_outbox set channel = ? where subscription = ? and channel = ?", [new, name, old]
        )
        db.execute("update alert_deliveries set channel = ? where subscription = ? and channel = ?", [new, name, old])
    return cursor.rowcount


def scrub_errors(db: Database, name: str, channel: str, clean) -> None:
    """Pass the stored errors of a subscription's channel through ``clean`` (text -> text), keeping
    what changed: storage knows no secret, its caller does."""
    with write_transaction(db):
        for table, column in (("alert_outbox", "last_error"), ("alert_deliveries", "error")):
            rows = db.execute(
                f"select id, {column} from {table} where subscription = ? and channel = ? and {column} is not null",
                [name, channel],
            ).fetchall()
            changed = [(clean(text), row_id) for row_id, text in rows if clean(text) != text]
            if changed:
                db.conn.executemany(f"update {table} set {column} = ? where id = ?", changed)


def abandon(db: Database, rows: list[OutboxRow], reason: str, now: dt.datetime) -> None:
    """Alerts whose unit can no longer be shown (its offer was removed) fail at once."""
    with write_transaction(db):
        db.conn.executemany(
            "update alert_outbox set status = ?, last_error = ?, next_attempt_at = ? where id = ?",
            [(FAILED, reason, iso(now), row.id) for row in rows],
        )


def retry_failed(db: Database, now: dt.datetime, names: list[str] | None = None) -> int:
    """Put failed alerts back in the queue, their attempts reset (after fixing a channel)."""
    where, params = "status = ?", [FAILED]
    if names:
        where += f" and subscription in ({', '.join('?' * len(names))})"
        params += names
    with write_transaction(db):
        cursor = db.execute(
            "update alert_outbox set status = 'pending', attempts = 0, next_attempt_at = ?, released_at = "
            f"coalesce(released_at, ?) where {where}",
            [iso(now), iso(now), *params],
        )
    return cursor.rowcount


# -- what `veille status` and the scheduler read --------------------------------------------------


def summary(db: Database) -> list[dict]:
    """Per subscription and channel: pending, failed and sent counts, next retry, last error."""
    return db.execute_returning_dicts(
        """select subscription, channel,
  sum(status = 'pending') as pending,
  sum(status = 'failed') as failed,
  sum(status = 'sent') as sent,
  min(case when status = 'pending' and released_at is not null then next_attempt_at end) as next_attempt_at,
  max(case when status != 'sent' then attempts end) as attempts,
  (select last_error from alert_outbox o2 where o2.subscription = o.subscription and o2.channel = o.channel
     and o2.status != 'sent' and o2.last_error is not null order by o2.id desc limit 1) as last_error
from alert_outbox o group by subscription, channel order by subscription, channel"""
    )


def failed_alerts(db: Database, limit: int = 20) -> list[dict]:
    return db.execute_returning_dicts(
        "select subscription, unit, channel, attempts, last_error, created_at from alert_outbox where status = "
        "'failed' order by id desc limit ?",
        [limit],
    )


def interrupted_deliveries(db: Database) -> list[dict]:
    return db.execute_returning_dicts("select * from alert_deliveries where status = ? order by id", [INTERRUPTED])


def earliest_retry(db: Database, name: str) -> dt.datetime | None:
    value = db.execute(
        "select min(next_attempt_at) from alert_outbox where subscription = ? and status = 'pending' and released_at "
        "is not null",
        [name],
    ).fetchone()[0]
    return dt.datetime.fromisoformat(value) if value else None


# -- units that become one ---------------------------------------------------------------------


def count_pending(db: Database, name: str) -> int:
    """The alerts of a subscription still waiting (a digest's, or a failed channel's retries)."""
    return db.execute(
        "select count(*) from alert_outbox where subscription = ? and status = 'pending'", [name]
    ).fetchone()[0]


def alerted_units(db: Database, subscription: str, keys: list[str]) -> set[str]:
    """Those of ``keys`` already queued or sent to ``subscription`` (on any channel)."""
    found = set()
    for chunk in chunks(keys, 500):
        found.update(
            unit
            for (unit,) in db.execute(
                "select distinct unit from alert_outbox where subscription = ? and unit in "
                f"({','.join('?' * len(chunk))})",
                [subscription, *chunk],
            )
        )
    return found


# -- units: what an alert is about ------------------------------------------------------------


def job_key(job_id: int) -> str:
    return f"job:{job_id}"


def parse_job_key(key: str) -> int:
    kind, _, number = key.partition(":")
    if kind != "job" or not number.isdigit():
        raise ValueError(f"not a job key: {key}")
    return int(number)


_STATUS_RANK = {SENT: 2, PENDING: 1, FAILED: 0}


def merge_units(db: Database, old: str, new: str) -> None:
    """Alerts about unit ``old`` become alerts about ``new`` (two jobs merged into one):
    per subscription and channel one row is kept, the one furthest along (sent, then
    pending, then failed), so a job alerted under either key is never alerted again."""
    with write_transaction(db):
        for row in db.execute_returning_dicts("select * from alert_outbox where unit = ?", [old]):
            kept = db.execute_returning_dicts(
                "select * from alert_outbox where subscription = ? and unit = ? and channel = ?",
                [row["subscription"], new, row["channel"]],
            )
            if not kept:
                db.execute("update alert_outbox set unit = ? where id = ?", [new, row["id"]])
                continue
            if _STATUS_RANK[row["status"]] > _STATUS_RANK[kept[0]["status"]]:
                db.execute(
                    "update alert_outbox set status = ?, reasons = ?, released_at = ?, attempts = ?, next_attempt_at "
                    "= ?, last_error = ?, "
                    "delivery_id = ?, sent_at = ? where id = ?",
                    [
                        row["status"],
                        row["reasons"],
                        row["released_at"],
                        row["attempts"],
                        row["next_attempt_at"],
                        row["last_error"],
                        row["delivery_id"],
                        row["sent_at"],
                        kept[0]["id"],
                    ],
                )
            db.execute("delete from alert_outbox where id = ?", [row["id"]])


def offer_alerts_to_jobs(db: Database) -> None:
    """Once offers are grouped into jobs (migration m005_jobs): alerts about offers become
    alerts about their jobs, several offers of one job collapsing into one alert, and each
    subscription's matching mark moves from offers' rowids to jobs' positions, so that no
    offer already alerted is sent again and none still to match is skipped."""
    import bisect

    with write_transaction(db):
        units = [unit for (unit,) in db.execute("select distinct unit from alert_outbox where unit like 'offer:%'")]
        for unit in units:
            _, source, source_id = unit.split(":", 2)
            job = db.execute(
                "select job_id from job_offers where source = ? and source_id = ?", [source, source_id]
            ).fetchone()
            if job:
                merge_units(db, unit, f"job:{job[0]}")
        # A job's position follows its newest offer: the job was matched once all its offers were.
        jobs = sorted(
            db.execute(
                "select max(offers.rowid), jobs.position from jobs join job_offers m on m.job_id = jobs.id "
                "join offers on offers.source = m.source and offers.source_id = m.source_id group by jobs.id"
            ).fetchall()
        )
        newest = [rowid for rowid, _ in jobs]
        best = []
        for _, position in jobs:
            best.append(max(position, best[-1]) if best else position)
        for name, matched in db.execute("select name, matched_through from alert_subscriptions").fetchall():
            count = bisect.bisect_right(newest, matched)
            db.execute(
                "update alert_subscriptions set matched_through = ? where name = ?",
                [best[count - 1] if count else 0, name],
            )
