"""The match keys index, ``offer_keys``: each offer's searchable fields as :func:`storage.french.tokens`
reads them (folded, stemmed, articles dropped, ``|`` between sentences), so that SQLite's full-text
index answers a search exactly as subscriptions match: a phrase is its keys side by side in one field.

The index stores no text (an FTS5 table without content): an offer's keys are removed by giving
them again, so they must be what the same ``tokens`` made. The keys of every offer are therefore
made again (storage/upkeep.py) when ``tokens`` changes (:func:`fingerprint`); until that is done,
``indexed_through`` says how far it went, writers keep only those offers' keys current, and a search
does not use the index.
"""

from __future__ import annotations

import hashlib

from sqlite_utils import Database

from storage.french import tokens

# Every field a search or a subscription can name (alerts.query.FIELDS), in the index's column order.
SEARCHABLE_FIELDS = ("title", "employer", "organisation", "domain", "missions", "profile", "location", "contract")

_INSERT_SQL = (
    f"insert into offer_keys (rowid, {', '.join(SEARCHABLE_FIELDS)}) values (?{', ?' * len(SEARCHABLE_FIELDS)})"
)
_DELETE_SQL = (
    f"insert into offer_keys (offer_keys, rowid, {', '.join(SEARCHABLE_FIELDS)}) "
    f"values ('delete', ?{', ?' * len(SEARCHABLE_FIELDS)})"
)
# Text that exercises every rule of tokens(): its keys change when the rules do.
_PROBE = (
    "Chargé·e de mission « Transformation numérique » (H/F) : l'équipe des usagers territoriaux; "
    "DÉVELOPPEUR.EUSE Full-Stack – cheffe de projets, chef(fe)s, directeur-rice. Œuvres 2026; Qu'à-t-il?\n"
    "Conseiller(ère)s, ingénieur·es, designer·euse·s, aux services publics, au numérique, d'intérêt général"
)


def fingerprint() -> str:
    """What ``tokens`` makes of a probe text, hashed: it changes when the way keys are made does."""
    return hashlib.sha1(" ".join(tokens(_PROBE)).encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def keys_of(offer: dict) -> tuple[str, ...]:
    """The offer's keys, one space-separated string per searchable field."""
    return tuple(map(_keys, map(offer.get, SEARCHABLE_FIELDS)))


# Short values (employers, places, domains, contracts) recur across offers: their keys are made once.
_SHORT = 100
_SHORT_KEYS: dict[str, str] = {}


def _keys(text: str | None) -> str:
    if not text:
        return ""
    if len(text) > _SHORT:
        return " ".join(tokens(text))
    found = _SHORT_KEYS.get(text)
    if found is None:
        if len(_SHORT_KEYS) >= 20_000:
            _SHORT_KEYS.clear()
        found = _SHORT_KEYS[text] = " ".join(tokens(text))
    return found


def indexed_through(db: Database) -> int | None:
    """None when every offer's keys are in the index; else the highest offer id whose keys are (the
    index is being filled, in order of id)."""
    row = db.conn.execute("select value from storage_state where name = 'match_keys_through'").fetchone()
    return None if row is None else int(row[0])


def index_offers(db: Database, offers: list[tuple[int, dict]], *, through: int | None = None) -> None:
    """Add the keys of these (id, offer); those above ``through`` are left to the filling."""
    rows = [(offer_id, *keys_of(offer)) for offer_id, offer in offers if through is None or offer_id <= through]
    if rows:
        db.conn.executemany(_INSERT_SQL, rows)


def reindex_offers(db: Database, changed: list[tuple[int, dict, dict]], *, through: int | None = None) -> None:
    """(id, before, after) of updated offers: their keys follow, when a searchable field changed."""
    removed, added = [], []
    for offer_id, before, after in changed:
        if through is not None and offer_id > through:
            continue
        old, new = keys_of(before), keys_of(after)
        if old != new:
            removed.append((offer_id, *old))
            added.append((offer_id, *new))
    if removed:
        db.conn.executemany(_DELETE_SQL, removed)
        db.conn.executemany(_INSERT_SQL, added)


def matching_ids_sql(expression: str, *, negated: bool) -> tuple[str, list]:
    """A condition on ``offers.id`` for an FTS5 expression over the keys (or everything but it)."""
    operator = "not in" if negated else "in"
    return f"offers.id {operator} (select rowid from offer_keys where offer_keys match ?)", [expression]
