"""The alerted unit: what one alert is about, and how it is found, matched and shown.

Today a unit is one stored offer (key ``offer:<source>:<source_id>``). When
offers are grouped into jobs (one post seen on several boards), a ``JobUnits``
with the same three methods replaces :class:`OfferUnits` in
:func:`alerts.dispatch.dispatch`: the outbox, the delivery and the messages do
not change, since they only see unit keys, match documents and
:class:`UnitView`s (which already carry a list of links).

Units are found by *position*, a number that grows as units are stored:
offers' rowid. Offers are never deleted and SQLite has one writer at a time,
so rowids are handed out in commit order and "every unit up to the highest
position I read" never skips one committed later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlite_utils import Database

from storage.offers import from_row

SOURCE_LABELS = {
    "choisirleservicepublic": "Choisir le service public",
    "jorf": "Journal officiel",
    "dinum": "DINUM",
    "ditp": "DITP",
    "modernisation": "modernisation.gouv.fr (DITP)",
    "passerelles": "Passerelles",
    "hellowork": "HelloWork",
    "betagouv": "beta.gouv.fr",
}


@dataclass
class Unit:
    key: str
    position: int
    # The fields matching reads, shaped like crawler.items.OfferItem.
    document: dict


@dataclass
class UnitView:
    """What a message shows of a unit; every value is raw text, escaped by the renderer."""

    key: str
    title: str
    employer: str | None = None
    place: str | None = None
    deadline: str | None = None  # ISO date
    published_on: str | None = None  # ISO date
    contract: str | None = None
    sources: list[str] = field(default_factory=list)
    # (label, URL) pairs: the offer on each board, then where to apply.
    links: list[tuple[str, str]] = field(default_factory=list)


def offer_key(source: str, source_id: str) -> str:
    return f"offer:{source}:{source_id}"


def parse_offer_key(key: str) -> tuple[str, str]:
    kind, source, source_id = key.split(":", 2)
    if kind != "offer":
        raise ValueError(f"not an offer key: {key}")
    return source, source_id


def place_of(offer: dict) -> str | None:
    location, department = offer.get("location"), offer.get("department")
    if location and department and f"({department})" not in location:
        return f"{location} ({department})"
    return location or department


def _is_web_link(url: str | None) -> bool:
    return bool(url) and url.startswith(("https://", "http://")) and not any(char in url for char in '<>"\' ')


def view_of_offer(offer: dict) -> UnitView:
    source = SOURCE_LABELS.get(offer["source"], offer["source"])
    links = [(f"Voir l'offre ({source})", offer["url"])] if _is_web_link(offer.get("url")) else []
    if _is_web_link(offer.get("apply_url")) and offer["apply_url"] != offer.get("url"):
        links.append(("Postuler", offer["apply_url"]))
    return UnitView(
        key=offer_key(offer["source"], offer["source_id"]),
        title=offer["title"],
        employer=offer.get("employer") or offer.get("organisation"),
        place=place_of(offer),
        deadline=offer.get("deadline"),
        published_on=offer.get("published_on"),
        contract=offer.get("contract"),
        sources=[source],
        links=links,
    )


def is_closed(offer: dict, today: dt.date) -> bool:
    """An offer whose application deadline has passed is never alerted."""
    return bool(offer.get("deadline")) and offer["deadline"] < today.isoformat()


class OfferUnits:
    """Units are stored offers."""

    kind = "offer"

    def high_water(self, db: Database) -> int:
        return db.execute("select coalesce(max(rowid), 0) from offers").fetchone()[0]

    def between(self, db: Database, after: int, through: int, *, today: dt.date) -> list[Unit]:
        """Open units stored after position ``after``, up to ``through``, oldest first."""
        cursor = db.execute("select rowid as _position, * from offers where rowid > ? and rowid <= ? order by rowid", [after, through])
        columns = [description[0] for description in cursor.description]
        units = []
        for values in cursor:
            row = dict(zip(columns, values))
            position = row.pop("_position")
            offer = from_row(row)
            if not is_closed(offer, today):
                units.append(Unit(offer_key(offer["source"], offer["source_id"]), position, offer))
        return units

    def views(self, db: Database, keys: list[str]) -> dict[str, UnitView]:
        """How each unit looks in a message; a key whose offer is gone is left out."""
        views = {}
        for key in keys:
            source, source_id = parse_offer_key(key)
            rows = list(db["offers"].rows_where("source = ? and source_id = ?", [source, source_id]))
            if rows:
                views[key] = view_of_offer(from_row(rows[0]))
        return views
