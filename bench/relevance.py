"""The relevance model, cross-validated on the labelled set, against two keyword baselines.

Every labelled item (tests/fixtures/relevance: the shared postings and labels-extra.tsv) is
read as veille reads it (crawler/labelled.py). Stratified, grouped k-fold: copies of one job
are never split across folds. In each fold the whole of `veille relevance train` runs on the
other folds (vocabulary, model, out-of-fold calibration, threshold) and the held-out items are
scored by the pure-Python scorer at that model's threshold, as a subscription's default
min_relevance would. Printed: precision, recall and F1 on the clear (non-borderline) items and
on all, for the model, for the keyword profile veille shipped before it, and for the plain
keyword "transformation" (what a job board's own alert gives); whether each target offer was
found in the fold that held it out; the precision/recall curve of the pooled out-of-fold scores;
the time to score 1,000 offers.

Last line: ``relevance ratio: <recall at precision >= 0.8, clear items, pooled out-of-fold scores>``
(target >= 0.9).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.matching import OfferIndex, Rule, match
from alerts.relevance import Model
from alerts.settings import Subscription
from alerts.training import _analysed, _folds, train
from crawler.labelled import labelled_set

TARGET_RECALL = 0.9
TARGET_PRECISION = 0.8
# The default profile veille shipped before the relevance model (veille.example.toml until then).
KEYWORD_PROFILE = [
    "transformation publique",
    "laboratoire d'innovation publique",
    "title:transformation",
    "title:innovation",
    "title:modernisation",
    "title:design de services",
    "title:service design",
    "employer:DITP",
    "employer:DINUM",
    "employer:direction interministérielle du numérique",
    "employer:ministère de la transformation",
    "employer:SGAR",
    "employer:secrétariat général pour les affaires régionales",
]


def keyword_hits(examples, keywords: list[str]) -> list[bool]:
    rule = Rule.from_subscription(Subscription(name="baseline", keywords=keywords))
    found = set(match([rule], OfferIndex(example.offer for example in examples))[rule.name])
    return [position in found for position in range(len(examples))]


def scores(predicted: list[bool], examples, *, clear_only: bool) -> dict:
    pairs = [
        (hit, example.label) for hit, example in zip(predicted, examples) if not (clear_only and example.borderline)
    ]
    true_positive = sum(1 for hit, label in pairs if hit and label)
    found = sum(1 for hit, _ in pairs if hit)
    relevant = sum(label for _, label in pairs)
    precision = true_positive / found if found else 1.0
    recall = true_positive / relevant if relevant else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "items": len(pairs), "relevant": relevant}


def recall_at_precision(pooled: list[tuple[float, int]], precision: float) -> float:
    """The highest recall of any threshold whose precision is at least ``precision``."""
    ordered = sorted(pooled, key=lambda pair: -pair[0])
    relevant = sum(label for _, label in ordered)
    best = true_positive = 0
    for kept, (score, label) in enumerate(ordered, start=1):
        true_positive += label
        last_of_tie = kept == len(ordered) or ordered[kept][0] != score
        if last_of_tie and true_positive / kept >= precision:
            best = max(best, true_positive)
    return best / relevant if relevant else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1, help="fold shuffling (training's own inner folds use 0)")
    args = parser.parse_args()

    examples = labelled_set()
    labels = [example.label for example in examples]
    documents = _analysed(examples)
    predicted = [False] * len(examples)
    probability = [0.0] * len(examples)
    held_out_targets = []
    started = time.perf_counter()
    folds = _folds(labels, [example.group for example in examples], args.folds, args.seed)
    thresholds = []
    for train_part, test_part in folds:
        model = Model(train([examples[i] for i in train_part], data_sha256="cross-validation").model)
        thresholds.append(model.threshold)
        for i in test_part:
            probability[i] = model.score(examples[i].offer)
            predicted[i] = probability[i] >= model.threshold
            if examples[i].item.startswith("target-offers/"):
                held_out_targets.append((examples[i].item, probability[i], model.threshold))
    seconds = time.perf_counter() - started
    del documents

    clear = sum(1 for example in examples if not example.borderline)
    print(
        f"labelled items: {len(examples)} ({sum(labels)} relevant), {clear} clear (not borderline), "
        f"{len({example.group for example in examples})} groups; {args.folds} grouped stratified folds, "
        f"{seconds:.1f} s"
    )
    print(f"thresholds chosen by the folds' training: {', '.join(f'{value:.2f}' for value in thresholds)}")
    rows = [
        ("relevance model (default threshold)", predicted),
        ("keyword profile shipped before", keyword_hits(examples, KEYWORD_PROFILE)),
        ('plain keyword "transformation"', keyword_hits(examples, ["transformation"])),
    ]
    print(f"{'':40} {'clear items: P':>14} {'R':>6} {'F1':>6}   {'all items: P':>12} {'R':>6} {'F1':>6}")
    for name, hits in rows:
        a, b = scores(hits, examples, clear_only=True), scores(hits, examples, clear_only=False)
        print(
            f"{name:40} {a['precision']:14.3f} {a['recall']:6.3f} {a['f1']:6.3f}   {b['precision']:12.3f} "
            f"{b['recall']:6.3f} {b['f1']:6.3f}"
        )
    for item, score, threshold in held_out_targets:
        print(f"target {item}: {score:.3f} at threshold {threshold:.2f}: {'found' if score >= threshold else 'MISSED'}")
    pooled = [(score, example.label) for score, example in zip(probability, examples) if not example.borderline]
    print("pooled out-of-fold curve, clear items (threshold: precision, recall):")
    for step in range(1, 10):
        threshold = step / 10
        hits = [score >= threshold for score, _ in pooled]
        result = scores(hits, [SimpleNamespace(label=label, borderline=False) for _, label in pooled], clear_only=True)
        print(f"  {threshold:.1f}: {result['precision']:.3f}, {result['recall']:.3f}")

    whole = Model(train(examples, data_sha256="timing").model)
    offers = [examples[i % len(examples)].offer for i in range(1000)]
    started, cpu = time.perf_counter(), time.process_time()
    for offer in offers:
        whole.score(offer)
    print(
        f"scoring 1,000 offers: {time.perf_counter() - started:.3f} s, {time.process_time() - cpu:.3f} s of CPU "
        "(target well under 1 s)"
    )
    ratio = recall_at_precision(pooled, TARGET_PRECISION)
    print(f"relevance ratio: {ratio:.3f} (target >= {TARGET_RECALL} recall at precision >= {TARGET_PRECISION})")


if __name__ == "__main__":
    main()
