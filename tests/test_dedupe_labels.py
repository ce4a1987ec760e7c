"""Job grouping on the labelled set tests/fixtures/dedupe/pairs.toml: real offers (and handmade
copies of them on other boards) stored in publication order through the crawl's storage path.
Precision 1.0 (no two posts ever merged), recall >= 0.9 (bench/dedupe.py prints the same)."""

import pytest

from tests.corpus import dedupe_labels, group_labelled_set, score_labelled_set


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    from storage import open_db

    db = open_db(tmp_path_factory.mktemp("dedupe") / "veille.db")
    jobs = group_labelled_set(db)
    return jobs, score_labelled_set(jobs)


def describe(pair: dict) -> str:
    verdict = "merged, but they are two posts" if not pair["same"] else "kept apart, but they are one post"
    return f"{pair['a']} / {pair['b']}: {verdict} ({pair['reason']})"


def test_the_labelled_set_is_what_it_says():
    offers, pairs = dedupe_labels()
    assert len(pairs) >= 40
    assert sum(pair["same"] for pair in pairs) >= 15 and sum(not pair["same"] for pair in pairs) >= 20
    assert all(pair["reason"].strip() for pair in pairs)
    assert len({(pair["a"], pair["b"]) for pair in pairs}) == len(pairs)  # no pair labelled twice
    # Each pair says what it compares; the independent ones are scored on their own (bench/dedupe.py).
    assert {pair["kind"] for pair in pairs} == {"independent", "handmade", "same-page"}
    independent = [pair for pair in pairs if pair["kind"] == "independent"]
    assert len(independent) >= 20 and sum(pair["same"] for pair in independent) >= 2
    for pair in pairs:
        handmade = any(name.startswith(("copy:", "ditp:")) or name.startswith("jorf:JORFTEXT0000542")
                       for name in (pair["a"], pair["b"]))  # fmt: skip
        assert (pair["kind"] == "handmade") == handmade or pair["kind"] == "same-page", pair
    # several boards and several sources of evidence, not one easy case repeated
    assert {offer["source"] for offer in offers.values()} >= {
        "modernisation",
        "dinum",
        "jorf",
        "choisirleservicepublic",
        "betagouv",
    }


def test_precision_is_1(scored):
    _, score = scored
    merged_wrongly = [describe(pair) for pair in score["wrong"] if not pair["same"]]
    assert merged_wrongly == []
    assert score["precision"] == 1.0


def test_each_kind_of_pair_is_scored_apart(scored):
    jobs, _ = scored
    for kind in ("independent", "handmade", "same-page"):
        score = score_labelled_set(jobs, kind=kind)
        assert score["precision"] == 1.0 and score["recall"] == 1.0, (kind, score["wrong"])


def test_recall_is_at_least_0_9(scored):
    _, score = scored
    missed = [describe(pair) for pair in score["wrong"] if pair["same"]]
    assert score["recall"] >= 0.9, "missed pairs:\n" + "\n".join(missed)


def test_every_pair_is_judged_right(scored):
    """The pairs grouping gets wrong today, by name: none (a regression names the pair)."""
    _, score = scored
    wrong = [describe(pair) for pair in score["wrong"]]
    print("\n".join(wrong) or "every labelled pair judged right")
    assert wrong == []


def test_the_score_counts_wrong_pairs():
    # the scorer itself: everything in one job is recall 1 and low precision, everything apart recall 0
    offers, pairs = dedupe_labels()
    together = score_labelled_set({name: 1 for name in offers})
    apart = score_labelled_set({name: index for index, name in enumerate(offers)})
    same = sum(pair["same"] for pair in pairs)
    assert together["recall"] == 1.0 and together["precision"] == same / len(pairs)
    assert apart["recall"] == 0.0 and apart["precision"] == 1.0 and len(apart["wrong"]) == same
