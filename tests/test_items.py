"""The offer item: one shape, validated; invalid items name the field that is wrong."""

import pytest

from crawler.items import OFFER_FIELDS, InvalidOffer, OfferItem, validate_offer

BASE = dict(
    source="choisirleservicepublic",
    source_id="2026-1",
    url="https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2026-1/",
    title="Chef de projet",
)


def test_every_field_of_the_shape_is_there():
    assert OFFER_FIELDS == (
        "source",
        "source_id",
        "url",
        "title",
        "employer",
        "organisation",
        "employer_kind",
        "versant",
        "category",
        "contract",
        "location",
        "department",
        "region",
        "remote",
        "salary",
        "published_on",
        "deadline",
        "vacancy_date",
        "domain",
        "missions",
        "profile",
        "contacts",
        "apply_url",
        "origin_url",
        "raw",
    )


def test_valid_item_is_cleaned():
    data = validate_offer(
        OfferItem(
            **BASE,
            employer="  DITP  ",
            department="2A",
            category="A+",
            contacts=[{"name": "Julie Garde", "email": "julie.garde@pays-de-la-loire.gouv.fr"}],
        )
    )
    assert data["employer"] == "DITP"
    assert data["department"] == "2A"


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"published_on": "02/10/2026"}, "invalid published_on"),
        ({"deadline": "2026-02-30"}, "invalid deadline"),
        ({"department": "100"}, "invalid department"),
        ({"versant": "Etat"}, "invalid versant"),
        ({"category": "D"}, "invalid category"),
        ({"title": "   "}, "invalid title"),
        ({"url": "/relative/path"}, "invalid url"),
        ({"contacts": [{"email": "[email protected]"}]}, "invalid contacts"),
    ],
)
def test_invalid_items_say_why(fields, reason):
    with pytest.raises(InvalidOffer) as error:
        validate_offer({**BASE, **fields})
    assert error.value.reason == reason


def test_unknown_field_is_refused():
    with pytest.raises(InvalidOffer) as error:
        validate_offer({**BASE, "wage": "40k"})
    assert error.value.reason == "invalid wage"
