"""The relevance model: trained reproducibly from the labelled files, it finds the five target
offers without having seen them, says why, and its scores are stored and kept fresh.

No test here checks a score threshold on the training data: how good the model is, held out,
is bench/relevance.py's to say."""

import pytest

from alerts.matching import OfferIndex, Rule, describe_reasons, match
from alerts.relevance import SHOWN_FIELDS, Model, load_model, model_texts, notice_lead, notice_text, refresh_scores
from alerts.settings import Subscription
from alerts.training import model_bytes, train
from crawler.items import validate_offer
from crawler.jorf.notice import notice_offer
from crawler.jorf.texts import Notice
from crawler.labelled import labelled_set_sha256
from crawler.parsing import clean
from storage.offers import store_offers
from tests.corpus import FIXTURES, TARGETS, csp_card_offers, labelled_set, target_offers

SEEN_AT = "2026-06-15T08:00:00+00:00"


@pytest.fixture(scope="module")
def examples():
    return labelled_set()


def test_the_shipped_model_is_the_one_the_labelled_files_of_the_repository_give(examples):
    model = load_model()
    assert model.data_sha256 == labelled_set_sha256(FIXTURES)  # labels changed: run `veille relevance train`
    assert model.data["trained_on"]["items"] == len(examples) == 759
    assert model.version.startswith("transformation-")
    assert 0 < model.threshold < 1


def test_training_is_deterministic_and_the_scorer_redoes_scikit_learns_transform(examples):
    first, second = train(examples, data_sha256="test"), train(examples, data_sha256="test")
    assert model_bytes(first.model) == model_bytes(second.model)
    # The pure-Python scorer gives sklearn's decision score, but for the rounding of the stored numbers.
    assert first.scorer_gap < 1e-3


def _jorf_target() -> dict:
    """Target offer 004 as the JO spider stores it: its notice read by crawler/jorf/notice.py."""
    text = clean((TARGETS / "004_f7ea66153053bd84.txt").read_text(encoding="utf-8").split("Avis\n", 1)[1])
    notice = Notice(
        text_id="JORFTEXT000043946158",
        title="Avis de vacance d'un emploi de chargé de mission auprès du préfet de région Occitanie en charge de "
        "la mission transformation et innovation publique",
        nature="AVIS",
        nor=None,
        published_on="2021-08-18",
        text_date="2021-08-18",
        jo_number="0191",
        jo_title="JORF n°0191 du 18 août 2021",
        container_id=None,
        sequence=None,
        ministry="Premier ministre",
        html="",
        text=text,
    )
    return validate_offer(notice_offer(notice, notice.ministry))


def test_the_five_target_offers_are_found_by_a_model_that_never_saw_them(examples):
    targets = {example.group for example in examples if example.item.startswith("target-offers/")}
    model = Model(train([example for example in examples if example.group not in targets], data_sha256="-").model)
    offers = {**target_offers(), "004 as the JO spider stores it": _jorf_target()}
    scores = {key: model.score(offer) for key, offer in offers.items()}
    assert all(score >= model.threshold for score in scores.values()), (scores, model.threshold)


def test_the_shipped_model_finds_the_target_offers_as_the_spiders_store_them():
    model = load_model()
    for key, offer in {**target_offers(), "004 (JO)": _jorf_target()}.items():
        assert model.score(offer) >= model.threshold, key


def test_a_notice_is_read_from_its_first_sentence():
    offer = _jorf_target()
    lead = notice_lead(notice_text(offer))
    assert lead.startswith("Un emploi de chargé de mission à temps plein auprès du préfet de région Occitanie")
    assert "transformation et innovation publique sera vacant" in lead
    assert model_texts(offer)["lead"] == lead
    assert model_texts({**offer, "source": "csp"})["lead"] is None  # only a JO notice has one


def test_a_score_says_which_words_raised_it_as_the_offer_writes_them_and_where():
    offer = target_offers()["002"]
    terms = load_model().explain(offer)
    assert 1 <= len(terms) <= 3
    for term in terms:
        assert term["field"] in SHOWN_FIELDS
        assert term["term"] in offer[term["field"]]
    reason = {
        "relevance": 0.87,
        "terms": [{"term": "design de services", "field": "title"}, {"term": "usagers", "field": "missions"}],
    }
    french = 'pertinence 0,87 : "design de services" (titre), "usagers" (missions)'
    assert describe_reasons([reason], french=True) == french
    assert describe_reasons([reason]) == 'relevance 0.87: "design de services" (title), "usagers" (missions)'


def test_scores_are_stored_and_computed_again_when_the_offer_or_the_model_changes(fresh_db):
    model = load_model()
    offers = [*target_offers().values(), *list(csp_card_offers().values())[:3]]
    store_offers(fresh_db, offers, seen_at=SEEN_AT)
    assert refresh_scores(fresh_db, batch=3) == 8  # three batches
    assert refresh_scores(fresh_db) == 0  # fresh: nothing to do
    stored = dict(fresh_db.execute("select source_id, relevance from offers").fetchall())
    assert stored == {offer["source_id"]: model.score(offer) for offer in offers}
    assert {version for (version,) in fresh_db.execute("select distinct relevance_model from offers")} == {
        model.version
    }

    design = target_offers()["002"]
    payroll = {"title": "Gestionnaire de paie", "employer": "Ville de Lyon", "missions": "La paie des agents."}
    store_offers(fresh_db, [{**design, **payroll, "profile": None}])
    assert refresh_scores(fresh_db) == 1  # the changed offer only
    [(score,)] = fresh_db.execute("select relevance from offers where source_id = ?", [design["source_id"]])
    assert score < model.threshold

    retrained = Model({**model.data, "version": "transformation-retrained"})
    assert refresh_scores(fresh_db, retrained) == 8  # another model: every score again
    indexes = {row[0] for row in fresh_db.execute("select name from sqlite_master where type = 'index'")}
    assert "offers_relevance" in indexes


def rule(**fields):
    return Rule.from_subscription(Subscription(**{"name": "t", "relevance": "transformation", **fields}))


def test_relevance_finds_offers_like_a_keyword_and_exclusions_and_filters_still_apply():
    design, lab = target_offers()["002"], target_offers()["001"]
    recruiter = next(iter(csp_card_offers().values()))
    index = OfferIndex([design, lab, recruiter])
    found = lambda rule_: match([rule_], index)[rule_.name]  # noqa: E731
    assert rule().min_relevance == load_model().threshold  # the default: the model's threshold
    assert found(rule()) == [0, 1]
    # Keywords add to what the relevance finds; alone they work as before.
    assert found(rule(keywords=["title:recrutement"])) == [0, 1, 2]
    assert found(rule(keywords=["title:recrutement"], relevance=None)) == [2]
    assert found(rule(exclude=["title:design"])) == [1]
    assert found(rule(departements=["44"])) == [1]
    assert found(rule(min_relevance=1.0)) == [position for position in (0, 1) if index.score(position) >= 1.0]
    reasons = rule().reasons(index, 0)
    assert reasons[0]["relevance"] == index.score(0) and reasons[0]["terms"]
