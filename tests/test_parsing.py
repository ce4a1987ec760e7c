"""The shared parsing helpers: numbers in words, date arithmetic, places, phones and e-mails."""

import pytest

from crawler.parsing import find_emails, find_phones
from storage.french import add_to_date, french_number
from storage.places import (
    department_from_postcode,
    find_postal_town,
    find_region,
    region_of_department,
)


@pytest.mark.parametrize(
    "words, number",
    [
        ("trente", 30),
        ("quinze", 15),
        ("un", 1),
        ("vingt et un", 21),
        ("quarante-cinq", 45),
        ("soixante et onze", 71),
        ("soixante-dix-neuf", 79),
        ("quatre-vingts", 80),
        ("quatre-vingt-dix", 90),
        ("cent vingt", 120),
        ("deux cents", 200),
        ("trois mille", 3000),
        ("30", 30),
        ("Trente", 30),
        ("", None),
        ("trente ans", None),
        ("quelques", None),
    ],
)
def test_french_number(words, number):
    assert french_number(words) == number


def test_add_to_date():
    assert add_to_date("2021-08-18", days=30) == "2021-09-17"
    assert add_to_date("2026-06-13", months=1) == "2026-07-13"
    assert add_to_date("2026-01-31", months=1) == "2026-02-28"
    assert add_to_date("2026-12-15", months=1) == "2027-01-15"


@pytest.mark.parametrize(
    "text, region",
    [
        ("secrétariat général pour les affaires régionales d'Occitanie", "Occitanie"),
        ("(région Normandie)", "Normandie"),
        ("SGAR de la région Provence-Alpes-Côte d'Azur", "Provence-Alpes-Côte d'Azur"),
        ("préfecture de La Réunion", "La Réunion"),
        ("ILE-DE-FRANCE", "Île-de-France"),
        ("Centre-Val de Loire", "Centre-Val de Loire"),
        ("le Cantal", None),
        (None, None),
    ],
)
def test_find_region(text, region):
    assert find_region(text) == region


def test_departments_from_postcodes_and_their_regions():
    assert [
        department_from_postcode(code) for code in ("31000", "97405", "20000", "20200", "75007", "00100", "3100")
    ] == ["31", "974", "2A", "2B", "75", None, None]
    assert (
        region_of_department("31"),
        region_of_department("974"),
        region_of_department("2B"),
        region_of_department("99"),
    ) == ("Occitanie", "La Réunion", "Corse", None)


def test_find_postal_town():
    assert find_postal_town("1, place Saint-Etienne, 31000 Toulouse, [email protected].") == ("31000", "Toulouse")
    assert find_postal_town("place Félix-Baret, CS 80001, 13282 Marseille Cedex 06.") == ("13282", "Marseille")
    assert find_postal_town("6, rue des Messageries, 97405 Saint-Denis Cedex.") == ("97405", "Saint-Denis")
    assert find_postal_town("représentant environ 8000 agents, 3 000 destinataires") is None


def test_phones_and_emails():
    text = (
        "téléphone : 05-34-45-33-02, tél. +33 1 42 75 80 00 ou 01.42.75.80.01 ; "
        "courriel : [email protected], j.dupont@interieur.gouv.fr."
    )
    assert find_phones(text) == ["05 34 45 33 02", "01 42 75 80 00", "01 42 75 80 01"]
    assert find_emails(text) == ["j.dupont@interieur.gouv.fr"]
    assert find_phones("décret n° 2009-587 du 25 mai 2009, 1,2 million d'euros") == []
