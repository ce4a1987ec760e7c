"""Training the relevance model (scikit-learn), reproducibly, into the file alerts/relevance.py reads.

Per field (alerts.relevance.FIELDS) a TF-IDF of storage.french's match keys and pairs of keys
(sublinear tf, smoothed idf, L2 norm; terms seen in at least two postings), the fields side by
side, then a class-balanced logistic regression. Its decision score is calibrated by Platt
scaling fitted on *out-of-fold* scores (grouped, stratified folds: a model never calibrates on
postings it was trained on, and copies of one job stay in one fold), and the default threshold
is read from the same out-of-fold scores.

Deterministic: fixed folds and solver, sorted vocabularies, numbers rounded before they are
written, a gzip stream without a timestamp: the same labelled files give the same bytes.

scikit-learn is needed here only (the ``[relevance]`` extra); scoring is alerts/relevance.py.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alerts.relevance import FIELDS, Model, model_terms

FOLDS = 5
SEED = 0
# Borderline items count for this much of a clear one: reasonable people disagree about them.
BORDERLINE_WEIGHT = 0.5
REGULARISATION_C = 4.0
MIN_DF = 2
DIGITS = 5
# The default threshold keeps precision at least this high on the clear items, out of fold.
TARGET_PRECISION = 0.85


class MissingScikitLearn(Exception):
    """scikit-learn is not installed: training needs the [relevance] extra."""


def _sklearn():
    try:
        import numpy
        import sklearn  # noqa: F401
    except ImportError:
        raise MissingScikitLearn(
            "training needs scikit-learn: pip install 'veille[relevance]' (or -e '.[relevance]' in a checkout)"
        ) from None
    return numpy


@dataclass(frozen=True)
class Sample:
    """A labelled offer, as training reads it (crawler.labelled.Example has these attributes)."""

    offer: dict
    label: int
    borderline: bool
    group: str


def _analysed(samples: Sequence) -> list[dict[str, list[str]]]:
    return [model_terms(sample.offer) for sample in samples]


def _fit(documents: list[dict[str, list[str]]], labels, weights):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizers = {}
    blocks = []
    for name in FIELDS:
        vectorizer = TfidfVectorizer(analyzer=_identity, min_df=MIN_DF, sublinear_tf=True, norm="l2", smooth_idf=True)
        column = [document[name] for document in documents]
        try:
            blocks.append(vectorizer.fit_transform(column))
        except ValueError:  # no term in two documents (a tiny set): the field is left out
            vectorizer = None
        vectorizers[name] = vectorizer
    classifier = LogisticRegression(
        C=REGULARISATION_C, class_weight="balanced", solver="lbfgs", max_iter=5000, random_state=SEED
    )
    classifier.fit(hstack(blocks).tocsr(), labels, sample_weight=weights)
    return vectorizers, classifier


def _identity(terms):
    return terms


def _decisions(fitted, documents: list[dict[str, list[str]]]):
    from scipy.sparse import hstack

    vectorizers, classifier = fitted
    blocks = [
        vectorizer.transform([document[name] for document in documents])
        for name, vectorizer in vectorizers.items()
        if vectorizer is not None
    ]
    return classifier.decision_function(hstack(blocks).tocsr())


def _folds(labels, groups, folds: int = FOLDS, seed: int = SEED):
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(labels, labels, groups))


def _weights(samples: Sequence):
    numpy = _sklearn()
    return numpy.array([BORDERLINE_WEIGHT if sample.borderline else 1.0 for sample in samples])


def _platt(decisions, labels) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    numpy = _sklearn()
    platt = LogisticRegression(C=1e6, solver="lbfgs", max_iter=5000)
    platt.fit(numpy.asarray(decisions).reshape(-1, 1), labels)
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def _sigmoid(values, a: float, b: float):
    numpy = _sklearn()
    return 1.0 / (1.0 + numpy.exp(-(a * numpy.asarray(values) + b)))


def out_of_fold(samples: Sequence, documents=None, *, folds: int = FOLDS, seed: int = SEED):
    """Out-of-fold decision scores and each sample's fold: every score from a model that never saw
    that sample nor any copy of its job."""
    numpy = _sklearn()
    documents = documents if documents is not None else _analysed(samples)
    labels = numpy.array([sample.label for sample in samples])
    weights = _weights(samples)
    decisions = numpy.zeros(len(samples))
    fold_of = numpy.zeros(len(samples), dtype=int)
    for number, (train, test) in enumerate(_folds(labels, [sample.group for sample in samples], folds, seed)):
        fitted = _fit([documents[i] for i in train], labels[train], weights[train])
        decisions[test] = _decisions(fitted, [documents[i] for i in test])
        fold_of[test] = number
    return decisions, fold_of


def choose_threshold(scores, samples: Sequence, target_precision: float | None = None) -> float:
    """The lowest threshold (a multiple of 0.05) whose precision on the clear items is at least
    ``target_precision``: as much recall as that precision allows."""
    target_precision = TARGET_PRECISION if target_precision is None else target_precision
    clear = [(score, sample.label) for score, sample in zip(scores, samples) if not sample.borderline]
    for step in range(1, 20):
        threshold = step / 20
        kept = [label for score, label in clear if score >= threshold]
        if kept and sum(kept) / len(kept) >= target_precision:
            return threshold
    return 0.5


@dataclass
class Trained:
    model: dict  # what write_model writes
    # The largest gap between alerts.relevance's pure-Python decision score and scikit-learn's on the
    # training items (the written numbers are rounded): what shows the scorer redoes the transform.
    scorer_gap: float


def train(samples: Sequence, *, name: str = "transformation", data_sha256: str, extra: dict | None = None) -> Trained:
    """The model trained on ``samples`` (objects with offer, label, borderline and group), as the
    dict written to alerts/models/NAME.json.gz."""
    numpy = _sklearn()
    documents = _analysed(samples)
    labels = numpy.array([sample.label for sample in samples])
    decisions, _ = out_of_fold(samples, documents)
    a, b = _platt(decisions, labels)
    threshold = choose_threshold(_sigmoid(decisions, a, b), samples)
    vectorizers, classifier = _fit(documents, labels, _weights(samples))
    coefficients = classifier.coef_[0]
    # One list of terms; per field, each term's document frequency (0: not a term of that field) and
    # coefficient. The scorer recomputes sklearn's smoothed idf, ln((1 + n) / (1 + df)) + 1, from them.
    columns, offset = {}, 0
    for field in FIELDS:
        vectorizer = vectorizers[field]
        terms = vectorizer.get_feature_names_out() if vectorizer is not None else []
        frequencies = _document_frequencies(vectorizer, len(documents)) if vectorizer is not None else []
        columns[field] = {
            str(term): (frequency, round(float(coefficients[offset + i]), DIGITS))
            for i, (term, frequency) in enumerate(zip(terms, frequencies))
        }
        offset += len(terms)
    vocabulary = sorted(set().union(*columns.values()))
    fields = {
        field: {
            "df": [columns[field].get(term, (0, 0))[0] for term in vocabulary],
            "coef": [columns[field].get(term, (0, 0))[1] for term in vocabulary],
        }
        for field in FIELDS
    }
    model = {
        "name": name,
        "tfidf": {"sublinear_tf": True, "min_df": MIN_DF, "ngrams": "keys and pairs of keys"},
        "trained_on": {
            "items": len(samples),
            "relevant": int(labels.sum()),
            "borderline": sum(1 for sample in samples if sample.borderline),
            **(extra or {}),
        },
        "data_sha256": data_sha256,
        "threshold": threshold,
        "intercept": round(float(classifier.intercept_[0]), DIGITS),
        "calibration": {"a": round(a, DIGITS), "b": round(b, DIGITS)},
        "documents": len(documents),
        "terms": vocabulary,
        "fields": fields,
    }
    model["version"] = f"{name}-{hashlib.sha256(_canonical(model)).hexdigest()[:12]}"
    scorer = Model(model)
    ours = numpy.array([scorer.decision(sample.offer) for sample in samples])
    gap = float(numpy.max(numpy.abs(ours - _decisions((vectorizers, classifier), documents))))
    return Trained(model, gap)


def _document_frequencies(vectorizer, documents: int) -> list[int]:
    """Each term's document frequency, back from the smoothed idf sklearn keeps (exact integers)."""
    numpy = _sklearn()
    return [int(value) for value in numpy.rint((1 + documents) / numpy.exp(vectorizer.idf_ - 1) - 1)]


def _canonical(model: dict) -> bytes:
    return json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def model_bytes(model: dict) -> bytes:
    """The model file's bytes: canonical JSON, gzipped without a name or a timestamp."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="", compresslevel=9) as file:
        file.write(_canonical(model))
    return buffer.getvalue()


def write_model(model: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(model_bytes(model))
    temporary.replace(path)  # a crash never leaves half a model where veille reads it
    return path
