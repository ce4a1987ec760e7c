"""Matching: French folding, phrases, fields, queries, filters, reasons, and the default
profile against the five target offers and a labelled set of real unrelated offers."""

import pytest

from alerts.matching import OfferIndex, Rule, describe_reasons, match
from alerts.query import parse_query, parse_term
from alerts.settings import Subscription
from crawler.config import load_config
from storage.french import tokens
from tests.conftest import REPO
from tests.corpus import betagouv_offers, target_offers


@pytest.mark.parametrize(
    "variants",
    [
        ["transformation", "transformations", "TRANSFORMATION", "Transformations"],
        ["numérique", "numériques", "numerique", "NUMÉRIQUES"],
        [
            "chargé",
            "chargée",
            "chargés",
            "chargées",
            "chargé(e)",
            "chargé·e",
            "chargé-e",
            "chargé.e",
            "chargé·e·s",
            "chargé(e)s",
            "Chargee",
        ],
        ["chef", "cheffe", "chef(fe)", "chef·fe", "chefs"],
        ["développeur", "développeur·se", "développeur.euse", "développeurs"],
        ["public", "publics"],
        ["publique", "publiques"],
        ["usager", "usagers"],
        ["territorial", "territoriaux"],
        ["œuvre", "oeuvre"],
        ["design", "designer", "designers"],
    ],
)
def test_inflected_and_inclusive_forms_fold_to_one_key(variants):
    keys = {tuple(tokens(word)) for word in variants}
    assert len(keys) == 1, keys


def test_folding_keeps_distinct_words_apart_and_drops_articles_and_elisions():
    assert tokens("Laboratoire d’innovation") == tokens("laboratoires d'innovation") == ["laboratoir", "innovation"]
    assert tokens("design des services") == tokens("design de service") == tokens("Design du service")
    assert tokens("recrutement") != tokens("transformation")
    assert tokens("H/F") == ["h", "f"]
    assert tokens("Catégorie A") == ["categori", "a"]  # "a" is not dropped: "à" and category A stay words


def offers_index(*items):
    return OfferIndex([{"source": "x", "source_id": str(i), **item} for i, item in enumerate(items)])


def rule(**fields):
    return Rule.from_subscription(Subscription(**{"name": "t", **fields}))


def matched(rule_, index):
    return match([rule_], index)[rule_.name]


def test_a_phrase_needs_its_words_side_by_side_in_one_field():
    index = offers_index(
        {"title": "Chargée de mission transformation publique"},
        {"title": "Transformation des services", "missions": "une mission publique"},
        {"title": "Chef de projet", "missions": "Les transformations publiques en cours"},
        {"title": "Chargé·e de missions « transformation » publique"},
        {
            "missions": "Accompagner la transformation.\nPublique ou privée, l'expérience compte.\n- "
            "transformation\n- publique"
        },
    )
    # Quotes do not part words; a sentence end or a new line does.
    assert matched(rule(keywords=["transformation publique"]), index) == [0, 2, 3]
    assert matched(rule(keywords=["chargé de mission"]), index) == [0, 3]


def test_field_prefix_limits_a_keyword_to_one_field():
    index = offers_index({"title": "Chef de projet", "missions": "innovation"}, {"title": "Chef de projet innovation"})
    assert matched(rule(keywords=["innovation"]), index) == [0, 1]
    assert matched(rule(keywords=["title:innovation"]), index) == [1]
    assert matched(rule(keywords=["missions:innovation"]), index) == [0]


def test_query_and_keywords_either_match_and_exclusions_drop():
    index = offers_index(
        {"title": "Chargé de mission innovation", "employer": "Préfecture de la région Bretagne"},
        {"title": "Chargé de mission urbanisme", "employer": "Préfecture de la région Bretagne"},
        {"title": "Designer de services", "employer": "DINUM"},
        {"title": "Stage : designer de services", "employer": "DINUM"},
    )
    query = 'employer:préfecture AND (title:innovation OR title:"transformation")'
    assert matched(rule(query=query), index) == [0]
    assert matched(rule(keywords=["title:design de services"], query=query), index) == [0, 2, 3]
    assert matched(rule(keywords=["title:design de services"], query=query, exclude=["title:stage"]), index) == [0, 2]
    assert matched(rule(query="préfecture -innovation"), index) == [1]
    assert matched(rule(query="DINUM SAUF stage OU urbanisme"), index) == [1, 2]


def test_filters_on_place_category_versant_source_and_employer():
    index = offers_index(
        {
            "title": "Innovation",
            "department": "44",
            "category": "A",
            "versant": "État",
            "employer": "SGAR Pays de la Loire",
        },
        {
            "title": "Innovation",
            "department": "75",
            "category": "B",
            "versant": "Territoriale",
            "employer": "Ville de Paris",
        },
        {"title": "Innovation", "region": "Pays de Loire", "category": "A+", "versant": "État", "employer": "DITP"},
        {"title": "Innovation", "department": "29", "versant": "Hospitalière"},
    )
    assert matched(rule(keywords=["innovation"], departements=["44", "29"]), index) == [0, 3]
    # A région matches the offers that only give a département in it, and those naming it.
    assert matched(rule(keywords=["innovation"], regions=["Pays de la Loire"]), index) == [0, 2]
    assert matched(rule(keywords=["innovation"], categories=["A"]), index) == [0]
    assert matched(rule(keywords=["innovation"], versants=["État", "Hospitalière"]), index) == [0, 2, 3]
    assert matched(rule(keywords=["innovation"], employers=["SGAR", "DITP"]), index) == [0, 2]
    assert matched(rule(keywords=["innovation"], sources=["other"]), index) == []


def test_reasons_say_what_was_found_where_in_english_and_french():
    index = offers_index(
        {
            "title": "Chargée de mission transformation publique",
            "missions": "Transformations publiques",
            "department": "44",
        }
    )
    found = rule(keywords=["transformation publique", "title:chargé de mission", "DITP"], departements=["44"]).reasons(
        index, 0
    )
    assert found == [
        {"term": "transformation publique", "fields": ["title", "missions"]},
        {"term": "chargé de mission", "fields": ["title"]},
        {"filter": "department", "value": "44"},
    ]
    assert (
        describe_reasons(found)
        == "« transformation publique » in title, missions; « chargé de mission » in title; department 44"
    )
    assert (
        describe_reasons(found, french=True)
        == "« transformation publique » dans titre, missions; « chargé de mission » dans titre; département 44"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("de la", "has no word to search for"),
        ("titre:design", "unknown field 'titre'"),
    ],
)
def test_bad_terms_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        parse_term(text)


@pytest.mark.parametrize(
    "text, message", [("a (b", "not closed"), ('"open', "unbalanced quote"), ("AND", "unexpected"), ("", "empty")]
)
def test_bad_queries_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        parse_query(text)


# -- the default profile, on real offers ----------------------------------------------------


@pytest.fixture(scope="module")
def default_profile(monkeypatch_module):
    monkeypatch_module.setenv("SMTP_PASSWORD", "x")
    config = load_config(REPO / "veille.example.toml")
    return Rule.from_subscription(config.subscription("transformation publique"))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_default_profile_matches_the_five_target_offers(default_profile):
    offers = list(target_offers().values())
    index = OfferIndex(offers)
    assert match([default_profile], index)[default_profile.name] == [0, 1, 2, 3, 4]
    # Each for a reason a person would give: its relevance, and the words that made it.
    for position in range(5):
        [reason] = [reason for reason in default_profile.reasons(index, position) if "relevance" in reason]
        assert reason["relevance"] >= default_profile.min_relevance
        assert reason["terms"]


def test_every_betagouv_post_is_readable():
    offers = betagouv_offers()
    assert len(offers) == 543
    assert all(offer["title"] and offer["missions"] for offer in offers.values())


def test_readme_shows_the_shipped_profile(default_profile):
    import re
    import tomllib

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### The default profile.*?```toml\n(.*?)```", readme, re.S).group(1)
    shown = tomllib.loads(block)["subscriptions"][0]
    assert shown["name"] == default_profile.name
    assert shown["relevance"] == default_profile.relevance == "transformation"
    assert [term.text for term in default_profile.keywords] == shown.get("keywords", [])
    assert shown.get("min_relevance") is None  # the model's own threshold, stated in the README
    from alerts.relevance import load_model

    assert f"**{load_model().threshold:.2f}** for the shipped model" in " ".join(readme.split())
