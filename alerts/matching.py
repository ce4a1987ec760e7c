"""Matching many subscriptions against a batch of new offers, and saying why.

The batch is indexed once: each (field, key) gets a posting *bitset* (a Python
int, bit i = offer i), and each field of each offer its keys as a compact string,
one character a key, where a phrase is a substring. A term is the AND of its
keys' postings, checked for adjacency only on the offers that have every key; a
subscription is bit operations over terms and filters. Terms and filter values
shared by many subscriptions are computed once. This is what makes 10,000
subscriptions x 1,000 offers take well under a second (bench/match.py) where a
loop of regexes takes a minute.

Offers are plain dicts shaped like :class:`crawler.items.OfferItem`. A job (the
alerted unit, several offers of one post: alerts.units.JobUnits) provides the same
keys: its offers' texts one after the other, and lists of their départements,
régions, categories, versants and sources, and its relevance (its best offer's
score, alerts/relevance.py, computed once per offer whatever the number of
subscriptions).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from alerts.query import FIELDS, Term, parse_query, parse_term
from alerts.relevance import load_model, offer_score
from storage.french import tokens
from storage.places import offer_regions


def values_of(offer: dict, name: str) -> list:
    """A facet of an offer (one value) or of a job (a list of its offers' values)."""
    value = offer.get(name)
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def iter_bits(bits: int) -> Iterator[int]:
    """Indexes of the set bits, lowest first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


class OfferIndex:
    """A batch of offers, indexed for matching."""

    def __init__(self, offers: Iterable[dict], *, fields: Iterable[str] = FIELDS, facets: bool = True):
        """``fields``: the text fields to index (a search indexes only those its query reads);
        ``facets``: also the filters' values (départements, régions, ...)."""
        self.offers = list(offers)
        self.everything = (1 << len(self.offers)) - 1
        self._codes: dict[str, str] = {}
        fields = tuple(fields)
        self.text: dict[str, list[str]] = {name: [] for name in fields}
        self.postings: dict[str, dict[str, int]] = {name: {} for name in fields}
        self.values: dict[str, dict[str, int]] = {
            "department": {},
            "region": {},
            "category": {},
            "versant": {},
            "source": {},
        }
        codes = self._codes
        for position, offer in enumerate(self.offers):
            bit = 1 << position
            for name in fields:
                words = tokens(offer.get(name))
                self.text[name].append("".join([codes.get(word) or self._new_code(word) for word in words]))
                postings = self.postings[name]
                for word in set(words):
                    postings[word] = postings.get(word, 0) | bit
            if not facets:
                continue
            values = {
                "department": values_of(offer, "department"),
                "region": offer_regions(offer),
                "category": values_of(offer, "category"),
                "versant": values_of(offer, "versant"),
                "source": values_of(offer, "source"),
            }
            for kind, found in values.items():
                table = self.values[kind]
                for value in found:
                    if value:
                        table[value] = table.get(value, 0) | bit
        # By id(term), holding the term so that its id cannot be reused while cached.
        self._terms: dict[int, tuple[Term, int]] = {}
        self._scores: list[float] | None = None
        self._relevant: dict[float, int] = {}

    def _new_code(self, word: str) -> str:
        code = self._codes[word] = chr(0x100 + len(self._codes))
        return code

    def _needle(self, term: Term) -> str | None:
        codes = [self._codes.get(word) for word in term.words]
        return None if None in codes else "".join(codes)

    def __len__(self) -> int:
        return len(self.offers)

    def term_bits(self, term: Term) -> int:
        """The offers where the term's words follow each other in one of its fields."""
        cached = self._terms.get(id(term))
        if cached is not None:
            return cached[1]
        result = 0
        needle = self._needle(term)
        if needle is not None:
            for name in term.fields:
                postings = self.postings[name]
                candidates = self.everything
                for word in term.words:
                    candidates &= postings.get(word, 0)
                    if not candidates:
                        break
                if candidates and len(needle) > 1:
                    texts = self.text[name]
                    verified = 0
                    for position in iter_bits(candidates):
                        if needle in texts[position]:
                            verified |= 1 << position
                    candidates = verified
                result |= candidates
        self._terms[id(term)] = (term, result)
        return result

    def value_bits(self, kind: str, values: Iterable[str]) -> int:
        table = self.values[kind]
        result = 0
        for value in values:
            result |= table.get(value, 0)
        return result

    def score(self, position: int) -> float:
        """The relevance of one offer (a job: its best offer's, alerts.units.job_document)."""
        if self._scores is None:
            self._scores = [
                offer["relevance_score"] if offer.get("relevance_score") is not None else offer_score(offer)
                for offer in self.offers
            ]
        return self._scores[position]

    def relevance_bits(self, threshold: float) -> int:
        """The offers whose relevance is at least ``threshold`` (computed once a threshold)."""
        found = self._relevant.get(threshold)
        if found is None:
            found = 0
            for position in range(len(self.offers)):
                if self.score(position) >= threshold:
                    found |= 1 << position
            self._relevant[threshold] = found
        return found

    def fields_with(self, term: Term, position: int) -> list[str]:
        """The fields of one offer where the term occurs (for explanations)."""
        needle = self._needle(term)
        if needle is None:
            return []
        return [name for name in term.fields if needle in self.text[name][position]]


@dataclass
class Rule:
    """A subscription compiled for matching.

    An offer matches when one of the keywords or the query finds it, it passes
    every filter (an empty filter lets everything through) and no exclusion
    finds it.
    """

    name: str
    keywords: tuple[Term, ...] = ()
    query: object | None = None
    exclusions: tuple[Term, ...] = ()
    employers: tuple[Term, ...] = ()
    departments: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    versants: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    relevance: str | None = None  # a model of alerts.relevance.MODELS
    min_relevance: float = 1.0
    _filters: list = field(default_factory=list, repr=False)

    @classmethod
    def from_subscription(cls, subscription) -> Rule:
        """From a validated ``alerts.settings.Subscription`` (or anything with its attributes)."""
        relevance = getattr(subscription, "relevance", None)
        minimum = getattr(subscription, "min_relevance", None)
        if relevance and minimum is None:
            minimum = load_model(relevance).threshold
        return cls(
            name=subscription.name,
            keywords=tuple(parse_term(text) for text in subscription.keywords),
            query=parse_query(subscription.query) if subscription.query else None,
            exclusions=tuple(parse_term(text) for text in subscription.exclude),
            employers=tuple(parse_term(text, ("employer", "organisation")) for text in subscription.employers),
            departments=frozenset(subscription.departements),
            regions=frozenset(subscription.regions),
            categories=frozenset(subscription.categories),
            versants=frozenset(subscription.versants),
            sources=frozenset(subscription.sources),
            relevance=relevance,
            min_relevance=minimum if minimum is not None else 1.0,
        )

    def bits(self, index: OfferIndex, *, liked: int = 0, disliked: int = 0) -> int:
        """The offers of ``index`` this subscription matches. ``liked`` offers are found as if by a
        keyword, ``disliked`` ones dropped as if by an exclusion (its feedback, alerts/feedback.py)."""
        result = index.everything
        for kind, values in (
            ("source", self.sources),
            ("department", self.departments),
            ("category", self.categories),
            ("versant", self.versants),
            ("region", self.regions),
        ):
            if values:
                result &= index.value_bits(kind, values)
                if not result:
                    return 0
        if self.employers:
            result &= _any_bits(self.employers, index)
        if not result:
            return 0
        # The keywords and the query are two ways to say what to look for: either will do.
        found = _any_bits(self.keywords, index) | liked
        if self.query is not None:
            found |= self.query.bits(index)
        if self.relevance:
            found |= index.relevance_bits(self.min_relevance)
        result &= found & ~disliked
        if result and self.exclusions:
            result &= ~_any_bits(self.exclusions, index)
        return result

    def reasons(self, index: OfferIndex, position: int) -> list[dict]:
        """Why offer ``position`` matches: the terms found and where, the filters it passed.

        Structured (``{"term", "fields"}`` or ``{"filter", "value"}``) so that the
        CLI can say it in English and the messages in French (see describe_reasons).
        """
        found = []
        terms = list(self.keywords) + (self.query.terms() if self.query is not None else []) + list(self.employers)
        for term in terms:
            fields = index.fields_with(term, position)
            if fields:
                found.append({"term": term.label, "fields": fields})
        offer = index.offers[position]
        if self.relevance and index.score(position) >= self.min_relevance:
            best = offer.get("relevance_offer") or offer
            found.append({"relevance": index.score(position), "terms": load_model(self.relevance).explain(best)})
        for kind, values, name in (
            ("source", self.sources, "source"),
            ("department", self.departments, "department"),
            ("category", self.categories, "category"),
            ("versant", self.versants, "versant"),
        ):
            if values:
                found.extend(
                    {"filter": kind, "value": value}
                    for value in dict.fromkeys(values_of(offer, name))
                    if value in values
                )
        if self.regions:
            found.extend(
                {"filter": "region", "value": region} for region in sorted(offer_regions(offer) & self.regions)
            )
        return found


FIELD_NAMES_FR = {
    "title": "titre",
    "employer": "employeur",
    "organisation": "organisation",
    "domain": "domaine",
    "missions": "missions",
    "profile": "profil",
    "location": "lieu",
    "contract": "contrat",
    "notice": "avis",
}
FILTER_NAMES_FR = {
    "source": "source",
    "department": "département",
    "category": "catégorie",
    "versant": "versant",
    "region": "région",
}


def describe_terms(terms: list[dict], *, french: bool = False) -> str:
    """``"design de services" (title), "usagers" (missions)``: the words that made a relevance score, and
    where (in French: « titre », « missions »…)."""
    return ", ".join(
        f'"{term["term"]}" ({FIELD_NAMES_FR.get(term["field"], term["field"]) if french else term["field"]})'
        for term in terms
    )


def describe_relevance(reason: dict, *, french: bool = False) -> str:
    """``relevance 0.87: "design de services" (title), "usagers" (missions)``, or in French
    ``pertinence 0,87 : "design de services" (titre), "usagers" (missions)``."""
    score = f"{reason['relevance']:.2f}"
    terms = describe_terms(reason.get("terms", []), french=french)
    if french:
        return f"pertinence {score.replace('.', ',')}" + (f" : {terms}" if terms else "")
    return f"relevance {score}" + (f": {terms}" if terms else "")


def describe_feedback(reason: dict, *, french: bool = False) -> str:
    """Why feedback kept an offer: the offer it is like, which the subscription found relevant."""
    if french:
        return f"proche d'une offre jugée pertinente : « {reason['like']} »"
    return f"like an offer marked relevant: « {reason['like']} »"


def describe_reasons(reasons: list[dict], *, french: bool = False) -> str:
    """``« transformation publique » in title, missions; department 44`` (or in French)."""
    parts = []
    for reason in reasons:
        if "relevance" in reason:
            parts.append(describe_relevance(reason, french=french))
        elif "like" in reason:
            parts.append(describe_feedback(reason, french=french))
        elif "term" in reason:
            fields = [FIELD_NAMES_FR.get(name, name) for name in reason["fields"]] if french else reason["fields"]
            parts.append(f"« {reason['term']} » {'dans' if french else 'in'} {', '.join(fields)}")
        else:
            kind = FILTER_NAMES_FR.get(reason["filter"], reason["filter"]) if french else reason["filter"]
            parts.append(f"{kind} {reason['value']}")
    return "; ".join(parts)


def _any_bits(terms: Iterable[Term], index: OfferIndex) -> int:
    result = 0
    for term in terms:
        result |= index.term_bits(term)
    return result


def match(rules: Iterable[Rule], offers: list[dict] | OfferIndex) -> dict[str, list[int]]:
    """Positions (in ``offers``) matched by each rule, by rule name."""
    index = offers if isinstance(offers, OfferIndex) else OfferIndex(offers)
    return {rule.name: list(iter_bits(rule.bits(index))) for rule in rules}
