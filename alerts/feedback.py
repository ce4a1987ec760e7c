"""What the people alerted say of a job (« pertinente » / « pas pertinente »), and what it changes.

Feedback is stored per subscription and alerted job in ``alert_feedback`` (storage/web_limits.py),
the latest word counting, whoever gives it: the links of an alert (web/subscribe.py) or
`veille feedback` (:func:`give_feedback`). A subscription's own feedback adjusts what it receives,
by likeness (the cosine of the relevance model's TF-IDF vectors, alerts.relevance.similarity,
between the new job's best offer and the first offer of each job it judged), so that a person
can see why:

- a new job at least ``SIMILAR`` alike to a job the subscription marked « pas pertinente », and
  more alike to it than to any marked « pertinente », is not sent (re-posts and near-copies of what
  was turned down);
- a new job at least ``SIMILAR`` alike to a job marked « pertinente » is sent even when its
  keywords or its relevance would not have found it (its filters and exclusions still apply);
  the alert says which job it is like.

`veille relevance train --with-feedback` also adds every feedback to the labelled set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from alerts.relevance import Model, similarity
from storage import clock
from storage.job_edits import UnknownOffer, parse_offer_reference, resolve_job
from storage.job_views import offers_by_job
from storage.outbox import job_key, parse_job_key
from storage.web_limits import NOT_RELEVANT, RELEVANT, all_feedback, record_feedback

# Copies of one job in the labelled set are at least this alike three times in four; two different posts
# of one employer (the same boilerplate) once in thirty.
SIMILAR = 0.6
VERDICTS = {"yes": RELEVANT, "oui": RELEVANT, "no": NOT_RELEVANT, "non": NOT_RELEVANT}


@dataclass
class Feedback:
    """One subscription's feedback: (title, vectors) of the offers it liked and disliked."""

    liked: list[tuple[str, dict]] = field(default_factory=list)
    disliked: list[tuple[str, dict]] = field(default_factory=list)


def judged_offers(db: Database, subscriptions: list[str] | None = None) -> list[tuple[str, str, dict]]:
    """(subscription, verdict, the job's first offer) of each feedback on a job still stored."""
    rows = [(name, unit, verdict) for name, unit, verdict in all_feedback(db, subscriptions) if unit.startswith("job:")]
    offers = offers_by_job(db, sorted({parse_job_key(unit) for _, unit, _ in rows}), clock.paris_today())
    return [
        (name, verdict, offers[parse_job_key(unit)][0]) for name, unit, verdict in rows if offers[parse_job_key(unit)]
    ]


def load_feedback(db: Database, names: list[str], model: Model) -> dict[str, Feedback]:
    """The feedback of the subscriptions ``names`` that have any."""
    found: dict[str, Feedback] = {}
    for name, verdict, offer in judged_offers(db, names):
        feedback = found.setdefault(name, Feedback())
        entry = (offer["title"], model.vectors(offer))
        (feedback.liked if verdict == RELEVANT else feedback.disliked).append(entry)
    return found


class Likeness:
    """The vectors of a batch's documents (a job: its best offer), computed once for every subscription."""

    def __init__(self, documents: list[dict], model: Model):
        self.documents = documents
        self.model = model
        self._vectors: dict[int, dict] = {}

    def vector(self, position: int) -> dict:
        found = self._vectors.get(position)
        if found is None:
            document = self.documents[position]
            found = self._vectors[position] = self.model.vectors(document.get("relevance_offer") or document)
        return found

    def adjust(self, feedback: Feedback, positions: range) -> tuple[int, int, dict[int, str]]:
        """(liked bits, disliked bits, the liked offer's title by position) over ``positions``."""
        liked = disliked = 0
        like_of: dict[int, str] = {}
        for position in positions:
            vector = self.vector(position)
            best_yes, title = max(
                ((similarity(vector, other), name) for name, other in feedback.liked), default=(0, "")
            )
            best_no = max((similarity(vector, other) for _, other in feedback.disliked), default=0)
            if best_no >= SIMILAR and best_no >= best_yes:
                disliked |= 1 << position
            elif best_yes >= SIMILAR:
                liked |= 1 << position
                like_of[position] = title
        return liked, disliked, like_of


def parse_verdict(text: str) -> str:
    verdict = VERDICTS.get(text.strip().lower())
    if verdict is None:
        raise ValueError(f"{text!r} is not a verdict: yes (oui) or no (non)")
    return verdict


def give_feedback(db: Database, subscription: str, reference: str, verdict: str) -> tuple[int, dict]:
    """Record ``verdict`` (yes/oui, no/non) for ``subscription`` on a job: its number, or one of its
    offers as SOURCE:SOURCE_ID; the same row a feedback link of an alert writes. Returns the job and
    the offer named (the job's first when a number). UnknownOffer or ValueError, worded for the user,
    when the reference or the verdict is wrong."""
    verdict = parse_verdict(verdict)
    job_id = resolve_job(db, reference)
    offers = offers_by_job(db, [job_id], clock.paris_today())[job_id]
    if not offers:
        raise UnknownOffer(f"job {job_id} has no offer left")
    named = offers[0]
    if not reference.strip().isdigit():
        key = parse_offer_reference(reference)
        named = next((offer for offer in offers if (offer["source"], offer["source_id"]) == key), named)
    record_feedback(db, subscription, job_key(job_id), verdict, clock.now())
    return job_id, named


def feedback_samples(db: Database) -> list:
    """Every feedback as a training sample (alerts.training.Sample): the judged job's first offer, relevant
    or not, one group a job."""
    from alerts.training import Sample

    return [
        Sample(
            offer=offer,
            label=1 if verdict == RELEVANT else 0,
            borderline=False,
            group=f"feedback:{offer['source']}:{offer['source_id']}",
        )
        for _, verdict, offer in judged_offers(db)
    ]
