"""Relevance scores as stored: the columns of ``offers`` alerts/relevance.py fills.

A score is stored with the version of the model that computed it and the ``content_hash`` of the
offer it was computed from (migration m010_relevance): when either differs from today's, the score
is stale and :func:`stale_offers` hands the offer back to be scored again.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.db import write_transaction
from storage.raw import RAW_JOIN, decoded_offers
from storage.rows import dict_rows

# What scoring reads of an offer (alerts.relevance.model_texts), and what tells a stale score. Only a JO
# notice's raw is read: it holds the notice's text (other offers' may hold whole pages). Raw refers to
# the offer's columns: they are read whole.
_SCORED_COLUMNS = "offers.*, case when offers.source = 'jorf' then offer_raw.raw end as raw"


def stale_offers(db: Database, version: str, limit: int | None = None) -> list[dict]:
    """Offers with no score, or one from another model version or from older content (at most ``limit``)."""
    cursor = db.execute(
        f"select {_SCORED_COLUMNS} from offers {RAW_JOIN} "
        "where relevance_model is not ? or relevance_hash is not content_hash"
        + (f" limit {int(limit)}" if limit else ""),
        [version],
    )
    return decoded_offers(db, list(dict_rows(cursor)))


def any_unscored(db: Database) -> bool:
    """Whether an offer has no score yet (one stored since the last scoring): one look in the ``relevance``
    index, where the unscored come first."""
    return db.execute("select 1 from offers where relevance is null limit 1").fetchone() is not None


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
