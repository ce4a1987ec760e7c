"""How much an offer is a *transformation* role: a score in [0, 1], and the words that made it.

The model is trained by `veille relevance train` (alerts/training.py, scikit-learn) on
postings labelled by people, and shipped as package data (alerts/models/NAME.json.gz): per
field, each term's idf and coefficient, the intercept and the calibration. Scoring needs no
scikit-learn: :class:`Model` redoes the TF-IDF transform exactly (terms, sublinear tf, idf,
L2 norm per field), adds the linear model's terms and calibrates the sum (Platt), so a
score can always be taken apart into the terms that made it (:meth:`Model.explain`).

Terms are storage.french's match keys (folded, minimally stemmed: what keywords match) and
pairs of consecutive keys within a sentence, in four fields: the title, the employer, the
text (missions, profile, domain) and, for a Journal officiel notice, its first sentence
(where a bare title such as "Directeur de projet" says what the post is about).

Scores are stored per offer with the model's version and the content they were computed
from (storage/relevance.py); :func:`refresh_scores` recomputes those a new model or a
changed offer made stale, and :func:`offer_score` never returns a stale one.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlite_utils import Database

from storage.french import BREAK, find_words, tokens
from storage.relevance import any_unscored, stale_offers, write_scores

MODELS = ("transformation",)
# "post": what the post is and who hires (title, employer, a JO notice's first sentence); "all": that and
# the text (missions, profile, domain). Every word is read in "all" whatever field holds it, and the words
# that name the post weigh again in "post".
FIELDS = ("post", "all")
# Where an explanation looks for a term's words, in this order.
SHOWN_FIELDS = ("title", "employer", "organisation", "notice", "missions", "profile", "domain")
_LEAD_LINE = re.compile(r"\b(?:vacan\w*|cr[ée]{2}e?s?)\b|\b(?:emploi|poste)s?\s+d", re.I)
_NOT_LEAD = re.compile(r"^\s*(?:JORF\b|Avis\b\s*$|Date\b|N°|NOR\b)", re.I)
LEAD_CHARS = 600
# The text is read up to here: a little more than the labelled excerpts hold (about 2,000 characters),
# and what keeps scoring a thousand offers well under a second.
TEXT_CHARS = 4000


def notice_text(offer: dict) -> str | None:
    """A Journal officiel notice's whole text (the JO spider keeps it in ``raw["texte"]``)."""
    raw = offer.get("raw")
    return raw.get("texte") if isinstance(raw, dict) and isinstance(raw.get("texte"), str) else None


def notice_lead(text: str | None) -> str | None:
    """A notice's first sentence: the first line that announces the post ("Un emploi de … sera
    vacant …", "… est créé …"), else its first line of text; cut at ``LEAD_CHARS``."""
    if not text:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not _NOT_LEAD.match(line)]
    if not lines:
        return None
    line = next((line for line in lines[:8] if _LEAD_LINE.search(line)), lines[0])
    return line[:LEAD_CHARS]


def _joined(*parts) -> str | None:
    texts = [part for part in parts if isinstance(part, str) and part.strip()]
    return "\n".join(texts) or None


def model_texts(offer: dict) -> dict[str, str | None]:
    """What the model reads of an offer: its title, employer, a JO notice's first sentence, its text."""
    notice = notice_text(offer) if offer.get("source") == "jorf" else None
    text = _joined(offer.get("domain"), offer.get("missions"), offer.get("profile")) or notice
    return {
        "title": offer.get("title"),
        "employer": _joined(offer.get("employer"), offer.get("organisation")),
        "lead": notice_lead(notice),
        "text": text[:TEXT_CHARS] if text else None,
    }


def model_terms(offer: dict) -> dict[str, list[str]]:
    """The terms of each model field (FIELDS)."""
    texts = model_texts(offer)
    post = field_terms(texts["title"]) + field_terms(texts["employer"]) + field_terms(texts["lead"])
    return {"post": post, "all": post + field_terms(texts["text"])}


def field_terms(text: str | None) -> list[str]:
    """A field's terms: each match key, and each pair of keys side by side in one sentence."""
    terms: list[str] = []
    previous = None
    for key in tokens(text):
        if key == BREAK:
            previous = None
            continue
        terms.append(key)
        if previous is not None:
            terms.append(f"{previous} {key}")
        previous = key
    return terms


class Model:
    """A trained relevance model, as shipped (see the module docstring for what it holds)."""

    def __init__(self, data: dict):
        self.data = data
        self.name: str = data["name"]
        self.version: str = data["version"]
        self.data_sha256: str = data["data_sha256"]
        self.threshold: float = data["threshold"]
        self.intercept: float = data["intercept"]
        self.calibration: tuple[float, float] = (data["calibration"]["a"], data["calibration"]["b"])
        self.sublinear_tf: bool = data["tfidf"]["sublinear_tf"]
        # term -> (idf, coefficient), per field; idf smoothed as sklearn's: ln((1 + n) / (1 + df)) + 1
        documents = data["documents"]
        self.terms: dict[str, dict[str, tuple[float, float]]] = {
            name: {
                term: (math.log((1 + documents) / (1 + frequency)) + 1, coefficient)
                for term, frequency, coefficient in zip(
                    data["terms"], data["fields"][name]["df"], data["fields"][name]["coef"]
                )
                if frequency
            }
            for name in FIELDS
        }
        # Per field, term -> idf² and term -> idf x coefficient: what decision() sums.
        self._fast = {
            name: (
                {term: idf * idf for term, (idf, _) in terms.items()},
                {term: idf * coefficient for term, (idf, coefficient) in terms.items()},
            )
            for name, terms in self.terms.items()
        }

    @classmethod
    def load(cls, path: str | Path) -> Model:
        with gzip.open(path, "rt", encoding="utf-8") as file:
            return cls(json.load(file))

    def _field(self, name: str, terms: list[str]) -> tuple[dict[str, float], float]:
        """A field's TF-IDF weights (as sklearn's TfidfVectorizer computes them) and their L2 norm."""
        vocabulary = self.terms[name]
        counts = Counter(terms)
        log, sublinear = math.log, self.sublinear_tf
        weights = {
            term: (1 + log(counts[term]) if sublinear else counts[term]) * vocabulary[term][0]
            for term in counts.keys() & vocabulary.keys()
        }
        return weights, math.sqrt(sum(weight * weight for weight in weights.values()))

    def vectors(self, offer: dict) -> dict[str, dict[str, float]]:
        """The offer's TF-IDF vectors, L2-normalised, by field."""
        found = {}
        for name, terms in model_terms(offer).items():
            weights, norm = self._field(name, terms)
            found[name] = {term: weight / norm for term, weight in weights.items()} if norm else {}
        return found

    def decision(self, offer: dict) -> float:
        """The linear model's decision score: the intercept and every term's weight x coefficient
        (:meth:`vectors` and the coefficients in one pass: what scoring many offers costs)."""
        total = self.intercept
        for name, terms in model_terms(offer).items():
            squared, products = self._fast[name]
            counts = Counter(terms)
            found = counts.keys() & squared.keys()
            # Sums over every term as if each were there once (map and sum loop in C), then the few
            # repeated ones corrected: tf = 1 + ln(count) (sublinear) or count.
            squares = sum(map(squared.__getitem__, found))
            dot = sum(map(products.__getitem__, found))
            if len(counts) < len(terms):
                for term, count in counts.most_common():  # most repeated first: stops at the first single
                    if count == 1:
                        break
                    if term in squared:
                        tf = 1 + math.log(count) if self.sublinear_tf else count
                        squares += (tf * tf - 1) * squared[term]
                        dot += (tf - 1) * products[term]
            if squares:
                total += dot / math.sqrt(squares)
        return total

    def calibrated(self, decision: float) -> float:
        a, b = self.calibration
        return 1.0 / (1.0 + math.exp(-(a * decision + b)))

    def score(self, offer: dict) -> float:
        """How much ``offer`` is a transformation role, in [0, 1] (a calibrated probability)."""
        return round(self.calibrated(self.decision(offer)), 4)

    def contributions(self, offer: dict) -> list[tuple[str, float]]:
        """Each term's part in the decision score, all fields together, largest first."""
        found: dict[str, float] = {}
        for name, weights in self.vectors(offer).items():
            vocabulary = self.terms[name]
            for term, weight in weights.items():
                found[term] = found.get(term, 0.0) + weight * vocabulary[term][1]
        return sorted(found.items(), key=lambda item: (-item[1], item[0]))

    def explain(self, offer: dict, top: int = 3, *, lowering: bool = False) -> list[dict]:
        """The terms that raised the score most (``lowering``: that lowered it most), as the offer
        writes them, where, and their weight in the decision score: ``[{"term": "design de services",
        "field": "title", "weight": 0.84}, …]`` (field: one of SHOWN_FIELDS)."""
        shown: list[dict] = []
        taken: list[set[str]] = []
        ranked = self.contributions(offer)
        for term, weight in reversed(ranked) if lowering else ranked:
            if (weight >= 0 if lowering else weight <= 0) or len(shown) >= top:
                break
            keys = term.split()
            # Words that say nothing alone ("pour", "ou"), and a word already shown within a pair (or the
            # pair of a word shown), are left out.
            if all(key in _UNSAID for key in keys) or any(set(keys) <= words or words <= set(keys) for words in taken):
                continue
            where = _find(offer, keys)
            if where is not None and not any(item["term"] == where[0] for item in shown):
                shown.append({"term": where[0], "field": where[1], "weight": round(weight, 3)})
                taken.append(set(keys))
        return shown


# Words no one would take for a reason, whatever their weight.
_UNSAID = frozenset(
    "a au aux avec ce ces dan de des du en et il elle est le la les leur nou ou par pour qui que sa se son sur "
    "un une vou vos votr".split()
)


def _find(offer: dict, keys: list[str]) -> tuple[str, str] | None:
    """The words of ``keys`` as the offer writes them, and the first field (SHOWN_FIELDS) they are in."""
    for name in SHOWN_FIELDS:
        text = notice_lead(notice_text(offer)) if name == "notice" else offer.get(name)
        words = find_words(text, keys)
        if words:
            return words, name
    return None


def similarity(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> float:
    """Cosine of two offers' vectors (every field counted alike): 1 for the same text."""
    dot = sum(
        weight * b[name].get(term, 0.0)
        for name in FIELDS
        if a.get(name) and b.get(name)
        for term, weight in a[name].items()
    )
    filled_a = sum(1 for name in FIELDS if a.get(name))
    filled_b = sum(1 for name in FIELDS if b.get(name))
    return dot / math.sqrt(filled_a * filled_b) if filled_a and filled_b else 0.0


def model_path(name: str = "transformation") -> Path:
    return Path(str(resources.files("alerts") / "models" / f"{name}.json.gz"))


@lru_cache(maxsize=4)
def load_model(name: str = "transformation") -> Model:
    """The shipped model ``name`` (one of MODELS)."""
    if name not in MODELS:
        raise ValueError(f"unknown relevance model {name!r}; models: {', '.join(MODELS)}")
    return Model.load(model_path(name))


def offer_score(offer: dict, model: Model | None = None) -> float:
    """The offer's score: the stored one when it is fresh (same model, same content), else computed."""
    model = model or load_model()
    stored = offer.get("relevance")
    if (
        stored is not None
        and offer.get("relevance_model") == model.version
        and offer.get("relevance_hash") is not None
        and offer.get("relevance_hash") == offer.get("content_hash")
    ):
        return stored
    return model.score(offer)


def refresh_scores(db: Database, model: Model | None = None, *, batch: int = 500) -> int:
    """Score every offer whose stored score is missing or stale (another model, changed content),
    and store the scores, a batch at a time (each batch stored once scored); returns how many."""
    model = model or load_model()
    scored = 0
    while True:
        offers = stale_offers(db, model.version, limit=batch)
        if not offers:
            return scored
        write_scores(db, [(offer, model.score(offer)) for offer in offers], model.version)
        scored += len(offers)


def score_new_offers(db: Database, model: Model | None = None) -> int:
    """Score the offers stored since the last scoring, if any (cheap when there is none: for pages that
    list by the stored scores while crawls go on); :func:`refresh_scores` when there are."""
    return refresh_scores(db, model) if any_unscored(db) else 0
