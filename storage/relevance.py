"""Relevance scores and feedback as stored: the columns alerts/relevance.py fills, the feedback table.

A score is stored with the version of the model that computed it and the ``content_hash`` of the
offer it was computed from (migration m007_relevance): when either differs from today's, the score
is stale and :func:`stale_offers` hands the offer back to be scored again. Feedback is one row per
subscription and offer, the last verdict winning, whoever wrote it (`veille feedback`, a web page).
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.clock import now_iso
from storage.db import write_transaction
from storage.rows import chunks, dict_rows, from_row

# What scoring reads of an offer (alerts.relevance.model_texts), and what tells a stale score. Only a JO
# notice's raw JSON is read: it holds the notice's text (other offers' may hold whole pages).
_SCORED_COLUMNS = (
    "source, source_id, content_hash, title, employer, organisation, domain, missions, profile, "
    "case when source = 'jorf' then raw end as raw"
)


def stale_offers(db: Database, version: str, limit: int | None = None) -> list[dict]:
    """Offers with no score, or one from another model version or from older content (at most ``limit``)."""
    cursor = db.execute(
        f"select {_SCORED_COLUMNS} from offers where relevance_model is not ? or relevance_hash is not content_hash"
        + (f" limit {int(limit)}" if limit else ""),
        [version],
    )
    return [from_row(row) for row in dict_rows(cursor)]


def write_scores(db: Database, scored: list[tuple[dict, float]], version: str) -> None:
    """Store each offer's score, with the model version and the content it was computed from."""
    if not scored:
        return
    with write_transaction(db):
        db.conn.executemany(
            "update offers set relevance = ?, relevance_model = ?, relevance_hash = ? where source = ? and "
            "source_id = ?",
            [(score, version, offer["content_hash"], offer["source"], offer["source_id"]) for offer, score in scored],
        )


# -- feedback -------------------------------------------------------------------------------------------


def record_feedback(
    db: Database,
    subscription: str,
    source: str,
    source_id: str,
    verdict: str,
    *,
    job_id: int | None = None,
    via: str = "cli",
    at: str | None = None,
) -> None:
    """« pertinente » (``yes``) or « pas pertinente » (``no``), said for ``subscription`` of an offer."""
    if verdict not in ("yes", "no"):
        raise ValueError(f"verdict must be yes or no, not {verdict!r}")
    with write_transaction(db):
        db.execute(
            "insert into relevance_feedback (subscription, source, source_id, job_id, verdict, via, given_at) "
            "values (?, ?, ?, ?, ?, ?, ?) on conflict (subscription, source, source_id) do update set "
            "job_id = excluded.job_id, verdict = excluded.verdict, via = excluded.via, given_at = excluded.given_at",
            [subscription, source, source_id, job_id, verdict, via, at or now_iso()],
        )


def feedback_counts(db: Database) -> dict[str, dict[str, int]]:
    """{subscription: {"yes": n, "no": m}}."""
    counts: dict[str, dict[str, int]] = {}
    for subscription, verdict, count in db.execute(
        "select subscription, verdict, count(*) from relevance_feedback group by subscription, verdict"
    ):
        counts.setdefault(subscription, {"yes": 0, "no": 0})[verdict] = count
    return counts


def feedback_offers(db: Database, subscriptions: list[str] | None = None) -> list[dict]:
    """The offers feedback was given on, each with ``subscription`` and ``verdict`` (oldest feedback first);
    every subscription's when ``subscriptions`` is None. An offer no longer stored is left out."""
    sql = (
        "select f.subscription as _subscription, f.verdict as _verdict, offers.* from relevance_feedback f "
        "join offers on offers.source = f.source and offers.source_id = f.source_id"
    )
    if subscriptions is None:
        queries = [(sql, [])]
    else:
        queries = [
            (f"{sql} where f.subscription in ({','.join('?' * len(chunk))})", chunk)
            for chunk in chunks(list(subscriptions), 500)
        ]
    found = []
    for query, params in queries:
        for row in dict_rows(db.execute(query + " order by f.given_at, f.rowid", params)):
            subscription, verdict = row.pop("_subscription"), row.pop("_verdict")
            found.append({**from_row(row), "subscription": subscription, "verdict": verdict})
    return found
