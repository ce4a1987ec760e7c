"""`veille offers --search` speaks the subscriptions' query language (alerts/search.py): one parser,
one evaluation; SQLite's full-text index only narrows what is evaluated, never drops a match."""

import pytest

from alerts.matching import OfferIndex, iter_bits
from alerts.query import parse_query
from alerts.search import search
from crawler.items import validate_offer
from storage.offers import store_offers, upsert_offers
from tests.conftest import run_veille, write_config
from tests.corpus import real_offers


def offer(source_id: str, title: str, **fields) -> dict:
    return validate_offer(
        {
            "source": "choisirleservicepublic",
            "source_id": source_id,
            "url": f"https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-{source_id}/",
            "title": title,
            "published_on": f"2026-03-{int(source_id):02d}",
            **fields,
        }
    )


OFFERS = [
    offer("1", "Développeur numérique (H/F)", employer="DINUM"),
    offer("2", "Chargée de missions numériques", employer="Préfecture de la Somme"),
    offer("3", "Chef de projet transformation numérique", employer="DINUM", domain="Numérique"),
    offer("4", "Développeuse full stack", employer="Ministère de l'Intérieur"),
    offer("5", "Chargé de mission territoriale", employer="SGAR Occitanie", location="Toulouse (31)"),
    offer("6", "Stage : designer de services", employer="DITP", missions="Design des services publics."),
    offer("7", "Responsable des affaires territoriales", employer="Préfecture du Nord"),
    offer("8", "Cheffe de l'œuvre numérique", employer="Musée"),
]


@pytest.fixture
def db(fresh_db):
    store_offers(fresh_db, OFFERS, seen_at="2026-03-10T08:00:00+00:00")
    return fresh_db


def ids(found) -> list[str]:
    return [offer["source_id"] for offer in found]


@pytest.mark.parametrize(
    "query, expected",
    [
        # The example: "-développeur" excludes the développeur offers.
        ("numérique -développeur", ["8", "3", "2"]),
        ("numérique NOT développeur", ["8", "3", "2"]),
        ("numerique SAUF developpeur", ["8", "3", "2"]),  # accents folded
        ("développeuse", ["4"]),  # as in subscriptions, -eur and -euse are two words
        ("missions numérique", ["2"]),  # plurals folded, words ANDed
        ('"chargé de mission"', ["5", "2"]),
        ("title:numérique OR employer:SGAR", ["8", "5", "3", "2", "1"]),
        ("domain:numérique", ["3"]),  # a field the full-text index does not hold
        ("location:toulouse", ["5"]),
        ('"design de services"', ["6"]),  # articles ignored: "design des services"
        ("designer -stage", []),
        ("territoriaux", ["7", "5"]),  # territoriales, territoriale
        ("oeuvre", ["8"]),  # "œuvre", a ligature the index keeps
        ("-numérique", ["7", "6", "5", "4"]),
        ("(chef OR cheffe) numérique", ["8", "3"]),
    ],
)
def test_search_means_what_a_subscription_query_means(db, query, expected):
    assert ids(search(db, query)) == expected
    # The same query as a subscription, on the same offers, with the same code.
    index = OfferIndex(OFFERS)
    matched = {OFFERS[position]["source_id"] for position in iter_bits(parse_query(query).bits(index))}
    assert matched == set(expected)


def test_limit_source_and_since(db):
    assert ids(search(db, "numérique", limit=2)) == ["8", "3"]
    assert ids(search(db, "numérique", since="2026-03-03")) == ["8", "3"]
    assert ids(search(db, "numérique", source="modernisation")) == []


def test_the_index_never_drops_a_match_on_real_offers(fresh_db):
    """On the 569 real offers of the fixtures: what search finds through the full-text index is
    exactly what the query finds evaluated on every offer."""
    offers = real_offers()
    upsert_offers(fresh_db, offers, seen_at="2026-03-10T08:00:00+00:00")
    stored = list(search(fresh_db, "-zzzz"))  # every offer, in search order, without the index's help
    index = OfferIndex(stored)
    for query in (
        "transformation publique",
        "title:innovation OR employer:DINUM",
        '"chargé de mission" -stage',
        "design* OR designer",
        "développeur NOT python",
        "intérieur",
        "territoriaux",
        "data (scientist OR engineer)",
        "missions:accompagnement title:chef",
        "l'innovation",
        "Pôle emploi",
    ):
        everywhere = [stored[position]["source_id"] for position in iter_bits(parse_query(query).bits(index))]
        assert ids(search(fresh_db, query)) == everywhere, query
        assert everywhere or query == "design* OR designer", query


def test_the_command_uses_it(tmp_path, db):
    config = write_config(tmp_path / "veille.toml", {"database": str(tmp_path / "veille.db")})
    result = run_veille("--config", str(config), "offers", "--search", "numérique -développeur", "--json")
    assert result.returncode == 0, result.stderr
    assert [line.count('"source_id"') for line in result.stdout.splitlines()] == [1, 1, 1]
    assert ['"source_id": "8"' in result.stdout, '"source_id": "1"' in result.stdout] == [True, False]
