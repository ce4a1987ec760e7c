"""The offer item: one shape, validated; invalid items name the field that is wrong."""

import pytest

from crawler.items import OFFER_FIELDS, InvalidOffer, OfferItem, downgrade, validate_offer

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


STORED = {
    **BASE,
    "employer": "DITP",
    "location": "Paris",
    "department": "75",
    "contract": "CDD",
    "deadline": "2026-11-30",
    "missions": "Conduire des projets.",
    "profile": "Curieux.",
    "contacts": [{"email": "rh@modernisation.gouv.fr"}],
    "apply_url": "https://example.org/postuler",
    "raw": {"Employeur": "DITP"},
}


def test_an_edited_offer_is_not_a_downgrade():
    edited = {**STORED, "deadline": "2026-12-15", "contacts": [], "apply_url": None}
    assert downgrade(STORED, edited) is None


def test_an_offer_that_lost_a_quarter_of_its_fields_is_a_downgrade():
    # The stored version shows 10 fields (title, employer, location, department, contract, deadline,
    # missions, profile, contacts, apply_url); the new one lost 3 of them.
    broken = {**STORED, "location": None, "department": "", "contract": None}
    assert downgrade(STORED, broken) == (
        "the offer page lost 3 of its 10 fields (contract, location, department): the stored version is kept"
    )


def test_an_offer_that_lost_three_fields_and_most_of_its_text_is_a_downgrade():
    stored = {**STORED, "region": "Île-de-France", "domain": "RH", "remote": "Oui", "published_on": "2026-10-01"}
    broken = {**stored, "missions": None, "contacts": [], "apply_url": None}
    assert downgrade(stored, broken) == (
        "the offer page lost 3 of its 14 fields (missions, contacts, apply_url) and most of its text: the stored "
        "version is kept"
    )
    # Three fields of fourteen, the text kept: an edit.
    assert downgrade(stored, {**stored, "remote": None, "contacts": [], "apply_url": None}) is None
