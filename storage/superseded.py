"""Offers that a later notice cancelled or replaced.

The Journal officiel publishes "le présent avis annule et remplace l'avis de
vacance publié au Journal officiel du …": the earlier offer is then closed
(cancelled) or superseded (replaced). The link lives in its own table rather
than in the earlier offer's row, so that re-reading the earlier text, which
the evening maintenance archives do, never undoes it; an offer lifecycle can
be derived from it (an offer with a ``cancelled`` or ``replaced`` row is
closed: storage/lifecycle.py), and a replacing notice joins the job of the one
it replaces (storage/jobs.py).
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.clock import now_iso
from storage.db import write_transaction
from storage.job_edits import link_replacement
from storage.raw import RAW_JOIN, decoded_offers
from storage.rows import dict_rows

CANCELLED, REPLACED = "cancelled", "replaced"


def record_superseded(
    db: Database,
    source: str,
    source_id: str,
    *,
    superseded_by: str,
    relation: str,
    evidence: str,
    run_id: int | None = None,
) -> None:
    if relation not in (CANCELLED, REPLACED):
        raise ValueError(f"relation must be {CANCELLED} or {REPLACED}, not {relation!r}")
    with write_transaction(db):
        db["superseded_offers"].upsert(
            {
                "source": source,
                "source_id": source_id,
                "superseded_by": superseded_by,
                "relation": relation,
                "evidence": evidence,
                "recorded_at": now_iso(),
                "run_id": run_id,
            },
            pk=("source", "source_id", "superseded_by"),
        )
        if relation == REPLACED:
            # The replacing notice is the same post: one job (unless split by hand).
            link_replacement(db, source, source_id, superseded_by)


def superseded(db: Database, source: str, source_id: str) -> list[dict]:
    """What superseded this offer, oldest link first (empty when it still stands)."""
    return list(
        db["superseded_offers"].rows_where("source = ? and source_id = ?", [source, source_id], order_by="recorded_at")
    )


def published_on(db: Database, source: str, date: str) -> list[dict]:
    """Offers of ``source`` published on ``date`` (source_id, title, raw), to find the one a notice refers to by
    its date."""
    cursor = db.execute(
        f"select offers.*, offer_raw.raw as raw from offers {RAW_JOIN} "
        "where offers.source = ? and offers.published_on = ? order by offers.source_id",
        [source, date],
    )
    offers = decoded_offers(db, list(dict_rows(cursor)))
    return [{name: offer[name] for name in ("source_id", "title", "raw")} for offer in offers]
