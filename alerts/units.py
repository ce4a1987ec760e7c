"""The alerted unit: what one alert is about, and how it is found, matched and shown.

A unit is a *job* (key ``job:<id>``): one post, however many boards publish it
(storage/jobs.py). A subscription is alerted about a job once: when the same
job shows up on another board later, the outbox already holds ``job:<id>`` for
that subscription and channel, and it is not queued again. The first alert
lists every link known then. Closed jobs (storage/lifecycle.py) are never
alerted.

Units are found by *position* (``jobs.position``), a number handed out from one
counter, inside the write transaction, whenever a job is created or an offer
joins it: positions grow in commit order, so "every unit up to the highest
position I read" never skips one committed later, and a job that gains an offer
is matched again (with its new text) without ever being sent twice. Before
jobs existed the unit was an offer (``offer:<source>:<source_id>``); migration
m005_jobs turned those alerts into job alerts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlite_utils import Database

from alerts.relevance import offer_score
from storage.clock import paris_today
from storage.job_views import highest_position, jobs_between, jobs_newest_first, offers_by_job
from storage.outbox import alerted_units, job_key, parse_job_key

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
    # The earliest publication day of its offers (ISO; the first-seen day when a board gives none).
    published_on: str | None = None


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
    category: str | None = None
    versant: str | None = None
    salary: str | None = None
    remote: str | None = None
    # Two lines at most of what the job is: its missions, or a JO notice's subject.
    excerpt: str | None = None
    sources: list[str] = field(default_factory=list)
    # (label, URL) pairs: the offer on each board, then where to apply.
    links: list[tuple[str, str]] = field(default_factory=list)
    # Its best offer's relevance score (alerts/relevance.py), in [0, 1].
    relevance: float | None = None


def place_of(offer: dict) -> str | None:
    location, department = offer.get("location"), offer.get("department")
    if location and department and f"({department})" not in location:
        return f"{location} ({department})"
    return location or department


def _is_web_link(url: str | None) -> bool:
    return bool(url) and url.startswith(("https://", "http://")) and not any(char in url for char in "<>\"' ")


def board_label(offer: dict) -> str:
    """Where the offer is published, for people: the board, and who listed it when that differs."""
    raw = offer.get("raw") or {}
    board = raw.get("board") if isinstance(raw, dict) and raw.get("board") else offer["source"]
    label = SOURCE_LABELS.get(board, board)
    if board != offer["source"]:
        label += f", via {SOURCE_LABELS.get(offer['source'], offer['source'])}"
    return label


def _first(offers: list[dict], name: str) -> str | None:
    return next((offer[name] for offer in offers if offer.get(name)), None)


# About two lines of a phone screen.
EXCERPT_LENGTH = 180


def excerpt(text: str | None, length: int = EXCERPT_LENGTH) -> str | None:
    """The start of a text, cut at a word, with « … » when cut."""
    if not text:
        return None
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    cut = flat[:length].rsplit(" ", 1)[0].rstrip(",;:.-–")
    return cut + " …"


def view_of_job(key: str, offers: list[dict]) -> UnitView:
    """A job as a message shows it: the first open offer's facts, every offer's link.

    ``offers`` are the job's offers, open ones first."""
    first = offers[0]
    links, seen = [], set()
    for offer in offers:
        if _is_web_link(offer.get("url")) and offer["url"] not in seen:
            links.append((f"Voir l'offre sur {board_label(offer)}", offer["url"]))
            seen.add(offer["url"])
    for offer in offers:
        if _is_web_link(offer.get("apply_url")) and offer["apply_url"] not in seen:
            links.append(("Postuler", offer["apply_url"]))
            seen.add(offer["apply_url"])
    deadlines = [offer["deadline"] for offer in offers if offer.get("deadline")]
    published = [offer["published_on"] for offer in offers if offer.get("published_on")]
    score, _ = best_offer(offers)
    return UnitView(
        key=key,
        title=first["title"],
        # Who hires, else the ministry above, else the kind of employer a board gives ("Communes").
        employer=next(
            (
                offer.get("employer") or offer.get("organisation") or offer.get("employer_kind")
                for offer in offers
                if offer.get("employer") or offer.get("organisation") or offer.get("employer_kind")
            ),
            None,
        ),
        place=next((place_of(offer) for offer in offers if place_of(offer)), None),
        # The latest deadline: the post can be applied for until then on one of its boards.
        deadline=max(deadlines) if deadlines else None,
        published_on=min(published) if published else None,
        contract=next((offer["contract"] for offer in offers if offer.get("contract")), None),
        category=_first(offers, "category"),
        versant=_first(offers, "versant"),
        salary=_first(offers, "salary"),
        remote=_first(offers, "remote"),
        excerpt=excerpt(next((offer["missions"] for offer in offers if offer.get("missions")), None)),
        sources=list(dict.fromkeys(board_label(offer) for offer in offers)),
        links=links,
        relevance=score,
    )


def best_offer(offers: list[dict]) -> tuple[float | None, dict | None]:
    """A job's relevance, its most relevant offer's score, and that offer (the one an explanation is read
    from); ``(None, None)`` for no offer."""
    if not offers:
        return None, None
    scores = [offer_score(offer) for offer in offers]
    best = max(range(len(offers)), key=scores.__getitem__)
    return scores[best], offers[best]


# Text fields of a job's document: its offers' texts one after the other, each on its own line,
# so a phrase never runs from one offer into the next.
_TEXT_FIELDS = ("title", "employer", "organisation", "domain", "missions", "profile", "location", "contract")
_FACETS = ("department", "region", "category", "versant")


def job_document(offers: list[dict]) -> dict:
    """What matching reads of a job, shaped like an offer (see alerts.matching)."""
    document: dict = {}
    for name in _TEXT_FIELDS:
        texts = list(dict.fromkeys(offer[name] for offer in offers if offer.get(name)))
        document[name] = "\n".join(texts) if texts else None
    for name in _FACETS:
        document[name] = list(dict.fromkeys(offer[name] for offer in offers if offer.get(name)))
    boards = [
        offer["raw"].get("board")
        for offer in offers
        if isinstance(offer.get("raw"), dict) and offer["raw"].get("board")
    ]
    document["source"] = list(dict.fromkeys([offer["source"] for offer in offers] + boards))
    # A job is as relevant as its most relevant offer (the one an explanation is read from).
    score, best = best_offer(offers)
    document["relevance_score"] = score if score is not None else 0.0
    document["relevance_offer"] = best
    return document


def published_day(offers: list[dict]) -> str | None:
    """When the job was first published: its earliest offer's publication (or first-seen) day."""
    days = [offer.get("published_on") or (offer.get("first_seen") or "")[:10] for offer in offers]
    days = [day for day in days if day]
    return min(days) if days else None


class JobUnits:
    """Units are jobs (storage/jobs.py); the queries are storage.job_views' and storage.outbox's."""

    kind = "job"

    def high_water(self, db: Database) -> int:
        return highest_position(db)

    def between(self, db: Database, after: int, through: int, *, today: dt.date) -> list[Unit]:
        """Open jobs whose position is after ``after``, up to ``through``, lowest position first."""
        jobs = jobs_between(db, after, through)
        offers = offers_by_job(db, [job_id for job_id, _ in jobs], today)
        units = []
        for job_id, position in jobs:
            found = offers.get(job_id)
            if found and any(offer["_closed"] is None for offer in found):
                units.append(Unit(job_key(job_id), position, job_document(found), published_day(found)))
        return units

    def documents(self, db: Database, *, today: dt.date) -> list[tuple[Unit, UnitView]]:
        """Every job (open or closed) with what matching reads and what a message shows."""
        jobs = jobs_newest_first(db)
        offers = offers_by_job(db, [job_id for job_id, _ in jobs], today)
        return [
            (
                Unit(job_key(job_id), position, job_document(offers[job_id])),
                view_of_job(job_key(job_id), offers[job_id]),
            )
            for job_id, position in jobs
            if offers.get(job_id)
        ]

    def views(self, db: Database, keys: list[str], *, today: dt.date | None = None) -> dict[str, UnitView]:
        """How each unit looks in a message; a key whose job has no offer left is left out
        (a job merged into another: its alerts were moved to that job)."""
        ids = [parse_job_key(key) for key in keys]
        offers = offers_by_job(db, ids, today or paris_today())
        return {job_key(job_id): view_of_job(job_key(job_id), offers[job_id]) for job_id in ids if offers.get(job_id)}

    def alerted(self, db: Database, subscription: str, keys: list[str]) -> set[str]:
        """Those of ``keys`` already queued or sent to ``subscription`` (on any channel)."""
        return alerted_units(db, subscription, keys)
