"""Matching 10,000 subscriptions against 1,000 new offers, against a naive loop of regexes.

Offers: the real corpora of tests/fixtures (543 beta.gouv.fr job posts, the CSP
listing cards and offer page, the five target offers), repeated with new ids up
to 1,000. Subscriptions: generated (seeded) from phrases of those offers'
titles and the default profile's keywords, with field prefixes, exclusions,
queries and filters in realistic proportions.

Ours: alerts.matching (compile the rules, index the batch, match every rule),
all timed. 15% of the subscriptions also use the relevance model (relevance =
"transformation", at its default threshold or another): each offer is scored once
(alerts.relevance, timed on its own line, as a dispatch scores new offers before
matching), whatever the number of subscriptions. The baseline gets the same folded offer text, computed once and
untimed, and loops subscriptions x offers, checking the filters, then one
compiled regex per keyword, query term and exclusion. Both must find exactly the
same matches (checked). The baseline costs the same for every subscription, so
it runs on a sample (--naive N, default 500) and is scaled to 10,000; --naive
10000 runs it all (several minutes).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.matching import OfferIndex, Rule, match
from alerts.query import FIELDS, And, Not, Term
from alerts.relevance import load_model
from storage.french import tokens
from storage.places import REGION_DEPARTMENTS, offer_regions
from tests.corpus import betagouv_offers, csp_card_offers, csp_offer_page, target_offers

SUBSCRIPTIONS = 10_000
OFFERS = 1_000
TARGET_SPEEDUP = 20
TARGET_SECONDS = 1.0

PROFILE = [
    "transformation publique",
    "laboratoire d'innovation publique",
    "title:transformation",
    "title:innovation",
    "title:modernisation",
    "title:design de services",
    "employer:DINUM",
    "employer:SGAR",
]
# What people watch for, generic or not: kept whatever their frequency.
COMMON = [
    "chef de projet",
    "chargé de mission",
    "designer",
    "développeur",
    "data",
    "numérique",
    "innovation",
    "transformation numérique",
    "service public",
    "usagers",
    "accessibilité",
    "stage",
    "alternance",
    "management",
    "RH",
    "communication",
    "produit",
    "agile",
]
DEPARTMENTS = ["75", "92", "93", "94", "44", "69", "13", "31", "33", "59", "67", "35", "2A", "971"]


def real_offers() -> list[dict]:
    corpus = [*target_offers().values(), *csp_card_offers().values(), csp_offer_page(), *betagouv_offers().values()]
    offers = []
    for index in range(OFFERS):
        base = corpus[index % len(corpus)]
        offers.append({**base, "source_id": f"{base['source_id']}#{index // len(corpus)}"})
    return offers


def phrases_from(offers: list[dict], rng: random.Random) -> list[str]:
    """1 to 3 consecutive words of real titles: what people type as keywords.

    A phrase found in more than 3% of the offers ("recrute", "chargé de", "H/F")
    is not something anyone watches for, so it is left out.
    """
    found = set()
    for offer in offers:
        words = [word for word in re.findall(r"[\w'’-]+", offer["title"]) if len(word) > 2]
        for _ in range(2):
            if words:
                start = rng.randrange(len(words))
                found.add(" ".join(words[start : start + rng.choice((1, 1, 2, 3))]))
    texts = [f" {' '.join(tokens(offer['title']))} {' '.join(tokens(offer.get('missions')))} " for offer in offers]
    kept = []
    for phrase in sorted(found):
        needle = f" {' '.join(tokens(phrase))} "
        if needle.strip() and sum(needle in text for text in texts) <= 0.03 * len(texts):
            kept.append(phrase)
    return kept


def generate_subscriptions(offers: list[dict], count: int, seed: int = 5) -> list[SimpleNamespace]:
    rng = random.Random(seed)
    vocabulary = phrases_from(offers, rng) + COMMON
    subscriptions = []
    for number in range(count):
        keywords = []
        for _ in range(rng.randint(1, 6)):
            phrase = rng.choice(PROFILE) if rng.random() < 0.15 else rng.choice(vocabulary)
            if ":" not in phrase and rng.random() < 0.2:
                phrase = f"{rng.choice(('title', 'employer', 'missions'))}:{phrase}"
            keywords.append(phrase)
        query = None
        if rng.random() < 0.1:
            a, b, c = (rng.choice(vocabulary) for _ in range(3))
            query = f'"{a}" AND ("{b}" OR NOT "{c}")'
        subscriptions.append(
            SimpleNamespace(
                name=f"s{number}",
                keywords=keywords,
                query=query,
                exclude=[rng.choice(("title:stage", "alternance", "title:stagiaire", "apprentissage"))]
                if rng.random() < 0.3
                else [],
                employers=[rng.choice(("DINUM", "DITP", "préfecture", "ministère"))] if rng.random() < 0.1 else [],
                departements=rng.sample(DEPARTMENTS, rng.randint(1, 3)) if rng.random() < 0.3 else [],
                regions=rng.sample(list(REGION_DEPARTMENTS), 1) if rng.random() < 0.15 else [],
                categories=rng.sample(["A+", "A", "B", "C"], rng.randint(1, 2)) if rng.random() < 0.2 else [],
                versants=rng.sample(["État", "Territoriale", "Hospitalière"], 1) if rng.random() < 0.15 else [],
                sources=[],
                relevance="transformation" if rng.random() < 0.15 else None,
                min_relevance=None,
            )
        )
        if subscriptions[-1].relevance:
            subscriptions[-1].min_relevance = rng.choice((None, None, 0.3, 0.5, 0.7))
    return subscriptions


# -- the baseline ------------------------------------------------------------------------------


def _regex(term: Term) -> tuple[re.Pattern, tuple[str, ...]]:
    return re.compile(r"(?:^| )" + re.escape(" ".join(term.words)) + r"(?= |$)"), term.fields


def _naive_query(node):
    if isinstance(node, Term):
        return ("term", _regex(node))
    if isinstance(node, Not):
        return ("not", _naive_query(node.part))
    return ("and" if isinstance(node, And) else "or", [_naive_query(part) for part in node.parts])


def _search(compiled, text: dict) -> bool:
    pattern, fields = compiled
    return any(pattern.search(text[name]) for name in fields)


def _evaluate(node, text: dict) -> bool:
    kind, value = node
    if kind == "term":
        return _search(value, text)
    if kind == "not":
        return not _evaluate(value, text)
    results = (_evaluate(part, text) for part in value)
    return all(results) if kind == "and" else any(results)


def naive_match(rules: list[Rule], offers: list[dict], texts: list[dict]) -> dict[str, list[int]]:
    """Each rule against each offer; an offer's relevance is its stored score (``relevance_score``)."""
    found = {}
    for rule in rules:
        keywords = [_regex(term) for term in rule.keywords]
        exclusions = [_regex(term) for term in rule.exclusions]
        employers = [_regex(term) for term in rule.employers]
        query = _naive_query(rule.query) if rule.query is not None else None
        hits = []
        for position, (offer, text) in enumerate(zip(offers, texts)):
            if rule.departments and offer.get("department") not in rule.departments:
                continue
            if rule.categories and offer.get("category") not in rule.categories:
                continue
            if rule.versants and offer.get("versant") not in rule.versants:
                continue
            if rule.sources and offer.get("source") not in rule.sources:
                continue
            if rule.regions and not (offer_regions(offer) & rule.regions):
                continue
            if employers and not any(_search(compiled, text) for compiled in employers):
                continue
            if not (
                any(_search(compiled, text) for compiled in keywords)
                or (query is not None and _evaluate(query, text))
                or (rule.relevance and offer["relevance_score"] >= rule.min_relevance)
            ):
                continue
            if any(_search(compiled, text) for compiled in exclusions):
                continue
            hits.append(position)
        found[rule.name] = hits
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--naive", type=int, default=500, help="subscriptions the baseline runs on (scaled to 10,000)")
    args = parser.parse_args()

    offers = real_offers()
    subscriptions = generate_subscriptions(offers, SUBSCRIPTIONS)
    model = load_model()
    scoring, scoring_cpu = time.perf_counter(), time.process_time()
    for offer in offers:
        offer["relevance_score"] = model.score(offer)  # once per offer, stored: what a dispatch's refresh does
    scoring, scoring_cpu = time.perf_counter() - scoring, time.process_time() - scoring_cpu

    started = time.perf_counter()
    rules = [Rule.from_subscription(subscription) for subscription in subscriptions]
    compiled = time.perf_counter()
    index = OfferIndex(offers)
    indexed = time.perf_counter()
    ours = match(rules, index)
    finished = time.perf_counter()
    seconds = finished - started
    pairs = sum(len(hits) for hits in ours.values())

    texts = [{name: " ".join(tokens(offer.get(name))) for name in FIELDS} for offer in offers]  # untimed
    sample = rules[: max(1, min(args.naive, SUBSCRIPTIONS))]
    naive_started = time.perf_counter()
    naive = naive_match(sample, offers, texts)
    naive_seconds = (time.perf_counter() - naive_started) * SUBSCRIPTIONS / len(sample)
    mismatched = [rule.name for rule in sample if naive[rule.name] != ours[rule.name]]
    if mismatched:
        raise SystemExit(
            f"the matcher and the baseline disagree on {len(mismatched)} subscriptions, e.g. {mismatched[:3]}"
        )

    print(f"offers: {len(offers)} (real corpora, repeated), subscriptions: {len(rules)} (generated), matches: {pairs}")
    print(
        f"ours: {seconds:.3f} s = compile {compiled - started:.3f} + index {indexed - compiled:.3f} + match "
        f"{finished - indexed:.3f}"
    )
    relevance_rules = sum(1 for rule in rules if rule.relevance)
    print(
        f"scoring the {len(offers)} offers once (for {relevance_rules} relevance subscriptions): {scoring:.3f} s, "
        f"{scoring_cpu:.3f} s of CPU"
    )
    print(
        f"naive regex loop: {naive_seconds:.1f} s for {SUBSCRIPTIONS} subscriptions (measured on {len(sample)}, same "
        "matches)"
    )
    verdict = "ok" if seconds <= TARGET_SECONDS and naive_seconds / seconds >= TARGET_SPEEDUP else "MISSED"
    print(f"targets: <= {TARGET_SECONDS} s and >= {TARGET_SPEEDUP}x: {verdict}")
    print(f"match speedup: {naive_seconds / seconds:.1f} (target >= {TARGET_SPEEDUP}), seconds: {seconds:.3f}")


if __name__ == "__main__":
    main()
