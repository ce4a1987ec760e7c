"""Régions, départements and postcodes (storage/places.py)."""

import pytest

from storage import gazetteer
from storage.places import (
    REGION_DEPARTMENTS,
    Place,
    canonical_region,
    department_code,
    department_from_postcode,
    find_department,
    find_postal_town,
    find_region,
    locate,
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
    # Corsica by commune, not by a threshold on the digits: 20167 serves communes of Corse-du-Sud only.
    assert department_from_postcode("20167") == "2A" and department_from_postcode("20600") == "2B"
    assert department_from_postcode("20704") is None and department_from_postcode("20704", "Ajaccio") == "2A"
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


def test_the_gazetteer_and_the_region_table_agree():
    """One région table (REGION_DEPARTMENTS) and the official data: the same 18 régions, the same départements."""
    assert sorted(gazetteer.region_names()) == sorted(REGION_DEPARTMENTS)
    for region, codes in REGION_DEPARTMENTS.items():
        assert sorted(gazetteer.departments_of_region(region)) == sorted(codes.split()), region
        assert canonical_region(region) == region
    for code in gazetteer.departments():
        assert region_of_department(code) == gazetteer.region_of_department(code), code


@pytest.mark.parametrize(
    "text, place",
    [
        # CEDEX codes are not in the open data: the town written with them decides, Corsica included.
        ("20704 AJACCIO CEDEX 9", ("AJACCIO", "20704", "2A", "Corse")),
        ("Rond-point Maréchal-Leclerc, 20401 Bastia Cedex", ("Bastia", "20401", "2B", "Corse")),
        ("6, place des Colombes, CS 20804, 35108 Rennes Cedex.", ("Rennes", "35108", "35", "Bretagne")),
        ("27 BOULEVARD DE STALINGRAD 92240 MALAKOFF", ("MALAKOFF", "92240", "92", "Île-de-France")),
        # A bracket after the town is not the end of the place.
        ("75015 Paris (à partir de 2027 : 4, rue X)", ("Paris", "75015", "75", "Île-de-France")),
        ("02000 Laon", ("Laon", "02000", "02", "Hauts-de-France")),
        # Towns named without a postcode, where the text says where the job is.
        ("Le poste est basé à Nantes (44).", ("Nantes", None, "44", "Pays de la Loire")),
        ("La résidence administrative de l'emploi est située à Toulouse.", ("Toulouse", None, "31", "Occitanie")),
        ("l'emploi s'exerce à Paris (7e), sur le site des Invalides", ("Paris", None, "75", "Île-de-France")),
        ("Basé à Epinal, le directeur de projet", ("Epinal", None, "88", "Grand Est")),
        ("Le poste est situé à Evry-Courcouronnes.", ("Evry-Courcouronnes", None, "91", "Île-de-France")),
        ("située à Lyon", ("Lyon", None, "69", "Auvergne-Rhône-Alpes")),
        ("Localisation : Saint-Denis (93)", ("Saint-Denis", None, "93", "Île-de-France")),
        ("Saint-Denis (974)", ("Saint-Denis", None, "974", "La Réunion")),
        ("Hauts-de-Seine (92)", (None, None, "92", "Île-de-France")),
    ],
)
def test_locate(text, place):
    assert locate(text) == Place(*place)


@pytest.mark.parametrize(
    "text",
    [
        "située à Saint-Denis",  # Saint-Denis (93) or Saint-Denis (974): the text does not say
        "représentant 12 500 Logements, soit",  # a number, not the postcode of Espalion
        "20704 Nulle-Part",  # a Corsican CEDEX code with no known town: never a guess on the digits
        "un emploi à pourvoir à Matignon",  # no word saying where the job is
        "Fonction publique Territoriale",
        None,
    ],
)
def test_locate_finds_nothing_it_cannot_tell(text):
    assert locate(text) is None


@pytest.mark.parametrize(
    "text, code",
    [
        ("direction départementale des territoires (DDT) des Deux-Sèvres", "79"),
        ("auprès du préfet du Cher", "18"),
        ("secrétariat général commun départemental de la Corse-du-Sud", "2A"),
        ("direction départementale des territoires et de la mer de l'Herault", "34"),
        ("direction de l'environnement, de l'aménagement et du logement de la Réunion", "974"),
        ("direction générale du travail", None),
    ],
)
def test_find_department_by_name(text, code):
    assert find_department(text) == code


def test_codes_in_brackets_must_be_real_departments():
    assert department_code("Paris (75)") == "75" and department_code("(2A)") == "2A"
    assert department_code("(96)") is None and department_code("(20)") is None and department_code("groupe (3)") is None
