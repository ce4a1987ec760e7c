"""Subscriptions made on the web pages (table ``web_subscriptions``, migration m006).

A web subscription is dispatched like a veille.toml one, under the name ``web:<id>``
(:func:`subscription_name`): the outbox, its exactly-once bookkeeping and its digests are
the same. Only the address, what to watch and the state live here. Erasing a subscription
erases everything kept about it: the address, its alerts and deliveries, its feedback.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database

from storage.clock import iso
from storage.db import write_transaction
from storage.rows import dict_rows

PENDING, ACTIVE, PAUSED, DISABLED = "pending", "active", "paused", "disabled"
PREFIX = "web:"


def subscription_name(subscription_id: int) -> str:
    """How the outbox and `veille subscriptions` name a web subscription."""
    return f"{PREFIX}{subscription_id}"


def parse_name(name: str) -> int | None:
    """The id of a ``web:<id>`` name, None for any other name."""
    number = name.removeprefix(PREFIX) if name.startswith(PREFIX) else ""
    return int(number) if number.isdigit() else None


def _decoded(row: dict) -> dict:
    row["filters"] = json.loads(row["filters"])
    row["name"] = subscription_name(row["id"])
    return row


def create(
    db: Database,
    *,
    email: str,
    filters: dict,
    mode: str,
    sort: str,
    max_age_days: int,
    link_key: str,
    now: dt.datetime,
) -> int:
    """A new subscription, pending until its confirmation link is followed."""
    with write_transaction(db):
        cursor = db.execute(
            "insert into web_subscriptions (email, filters, mode, sort, max_age_days, status, link_key, created_at, "
            "updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [email, json.dumps(filters, ensure_ascii=False), mode, sort, max_age_days, PENDING, link_key, iso(now)]
            + [iso(now)],
        )
    return cursor.lastrowid


def get(db: Database, subscription_id: int) -> dict | None:
    rows = list(dict_rows(db.execute("select * from web_subscriptions where id = ?", [subscription_id])))
    return _decoded(rows[0]) if rows else None


def listed(db: Database, *, statuses: tuple[str, ...] | None = None) -> list[dict]:
    """Subscriptions, oldest first; only those in ``statuses`` when given."""
    sql, params = "select * from web_subscriptions", []
    if statuses:
        sql += f" where status in ({', '.join('?' * len(statuses))})"
        params = list(statuses)
    return [_decoded(row) for row in dict_rows(db.execute(sql + " order by id", params))]


def any_active(db: Database) -> bool:
    return db.execute("select 1 from web_subscriptions where status = ? limit 1", [ACTIVE]).fetchone() is not None


def _match_from_now(db: Database, subscription_id: int, now: dt.datetime) -> None:
    """The subscription's matching starts at the jobs stored from now on (as a new veille.toml
    subscription's does), whenever the next dispatch runs; a digest's first period starts then."""
    name = subscription_name(subscription_id)
    db.execute("delete from alert_subscriptions where name = ?", [name])
    db.execute(
        "insert into alert_subscriptions (name, created_at, matched_through) values "
        "(?, ?, (select coalesce(max(position), 0) from jobs))",
        [name, iso(now)],
    )


def confirm(db: Database, subscription_id: int, now: dt.datetime) -> bool:
    """A pending subscription becomes active, for the jobs stored from now on; False when it was not pending."""
    with write_transaction(db):
        cursor = db.execute(
            "update web_subscriptions set status = ?, confirmed_at = ?, updated_at = ? where id = ? and status = ?",
            [ACTIVE, iso(now), iso(now), subscription_id, PENDING],
        )
        if cursor.rowcount == 1:
            _match_from_now(db, subscription_id, now)
    return cursor.rowcount == 1


def update(
    db: Database, subscription_id: int, *, filters: dict, mode: str, sort: str, max_age_days: int, now: dt.datetime
) -> None:
    """New filters or rhythm. Matching goes on from where it was: what was sent is never sent again."""
    with write_transaction(db):
        db.execute(
            "update web_subscriptions set filters = ?, mode = ?, sort = ?, max_age_days = ?, updated_at = ? "
            "where id = ?",
            [json.dumps(filters, ensure_ascii=False), mode, sort, max_age_days, iso(now), subscription_id],
        )


def set_status(db: Database, subscription_id: int, status: str, now: dt.datetime) -> bool:
    """Pause, resume or disable. A subscription that starts again starts from now, as a new one does:
    its dispatch state is forgotten (what it was sent stays, so nothing is sent twice)."""
    with write_transaction(db):
        row = db.execute("select status from web_subscriptions where id = ?", [subscription_id]).fetchone()
        if row is None:
            return False
        db.execute(
            "update web_subscriptions set status = ?, updated_at = ? where id = ?", [status, iso(now), subscription_id]
        )
        if status == ACTIVE and row[0] != ACTIVE:
            _match_from_now(db, subscription_id, now)
    return True


def erase(db: Database, subscription_id: int) -> bool:
    """Forget a subscription: the address, its queued and sent alerts, its deliveries, its feedback."""
    name = subscription_name(subscription_id)
    with write_transaction(db):
        cursor = db.execute("delete from web_subscriptions where id = ?", [subscription_id])
        for table in ("alert_outbox", "alert_deliveries", "alert_feedback"):
            db.execute(f"delete from {table} where subscription = ?", [name])
        db.execute("delete from alert_subscriptions where name = ?", [name])
    return cursor.rowcount == 1


def purge_unconfirmed(db: Database, created_before: dt.datetime) -> int:
    """Pending subscriptions whose confirmation link has expired: nobody asked for them."""
    with write_transaction(db):
        cursor = db.execute(
            "delete from web_subscriptions where status = ? and created_at < ?", [PENDING, iso(created_before)]
        )
    return cursor.rowcount


def sent_history(db: Database, subscription_id: int, limit: int = 100) -> list[dict]:
    """What a subscription was sent, latest first: the unit and when."""
    return list(
        dict_rows(
            db.execute(
                "select unit, min(sent_at) as sent_at from alert_outbox where subscription = ? and status = 'sent' "
                "group by unit order by sent_at desc, unit limit ?",
                [subscription_name(subscription_id), limit],
            )
        )
    )


def matched_units(db: Database, name: str, limit: int = 50) -> list[str]:
    """The units matched for a subscription (sent or waiting), latest first: what its feed shows."""
    return [
        unit
        for (unit,) in db.execute(
            "select unit from alert_outbox where subscription = ? and status != 'failed' group by unit "
            "order by max(id) desc limit ?",
            [name, limit],
        )
    ]
