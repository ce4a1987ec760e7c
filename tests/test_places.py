"""Régions, départements and postcodes (storage/places.py)."""

import pytest

from storage.places import (
    department_from_postcode,
    find_postal_town,
    find_region,
    region_of_department,
)


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
