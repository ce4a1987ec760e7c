"""What the people alerted say of an offer (« pertinente » / « pas pertinente »), and what it changes.

Feedback is stored per subscription and offer (storage/relevance.py), by `veille feedback` today
and by the links of a web page later; both go through :func:`give_feedback`. A subscription's
own feedback adjusts what it receives, by likeness (the cosine of the relevance model's TF-IDF
vectors, alerts.relevance.similarity), so that a person can see why:

- a new job at least ``SIMILAR`` alike to an offer the subscription marked « pas pertinente »,
  and more alike to it than to any offer marked « pertinente », is not sent (reposts and
  near-copies of what was turned down);
- a new job at least ``SIMILAR`` alike to an offer marked « pertinente » is sent even when its
  keywords or its relevance would not have found it (its filters and exclusions still apply);
  the alert says which offer it is like.

`veille relevance train --with-feedback` also adds every feedback to the labelled set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from alerts.relevance import Model, similarity
from storage.clock import paris_today
from storage.job_edits import UnknownOffer, parse_offer_reference, resolve_job
from storage.job_views import offers_by_job
from storage.relevance import feedback_offers, record_feedback

# Copies of one job in the labelled set are at least this alike (0.8 and more for most); different
# posts of one team, with the same boilerplate, stay below it.
SIMILAR = 0.6
VERDICTS = {"yes": "yes", "oui": "yes", "no": "no", "non": "no"}


@dataclass
class Feedback:
    """One subscription's feedback: (title, vectors) of the offers it liked and disliked."""

    liked: list[tuple[str, dict]] = field(default_factory=list)
    disliked: list[tuple[str, dict]] = field(default_factory=list)


def load_feedback(db: Database, names: list[str], model: Model) -> dict[str, Feedback]:
    """The feedback of the subscriptions ``names`` that have any."""
    found: dict[str, Feedback] = {}
    for offer in feedback_offers(db, names):
        feedback = found.setdefault(offer["subscription"], Feedback())
        entry = (offer["title"], model.vectors(offer))
        (feedback.liked if offer["verdict"] == "yes" else feedback.disliked).append(entry)
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


def give_feedback(db: Database, subscription: str, reference: str, verdict: str, *, via: str = "cli") -> dict:
    """Record ``verdict`` (yes/oui, no/non) for ``subscription`` on a job (its number) or an offer
    (SOURCE:SOURCE_ID). A job's feedback is kept on its first open offer. Returns that offer.
    UnknownOffer or ValueError (worded for the user) when the reference or the verdict is wrong."""
    verdict = parse_verdict(verdict)
    job_id = resolve_job(db, reference)
    offers = offers_by_job(db, [job_id], paris_today())[job_id]
    if not offers:
        raise UnknownOffer(f"job {job_id} has no offer left")
    if ":" in reference and not reference.strip().isdigit():
        source, source_id = parse_offer_reference(reference)
        offer = next(offer for offer in offers if (offer["source"], offer["source_id"]) == (source, source_id))
    else:
        offer = offers[0]
    record_feedback(db, subscription, offer["source"], offer["source_id"], verdict, job_id=job_id, via=via)
    return offer


def feedback_samples(db: Database) -> list:
    """Every feedback as a training sample (alerts.training.Sample): yes is 1, no is 0, one group an offer."""
    from alerts.training import Sample

    return [
        Sample(
            offer=offer,
            label=1 if offer["verdict"] == "yes" else 0,
            borderline=False,
            group=f"feedback:{offer['source']}:{offer['source_id']}",
        )
        for offer in feedback_offers(db)
    ]
