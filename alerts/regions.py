"""The 18 French regions (2016 map) and the départements in each, so that a
subscription to a region also matches offers that only give a département."""

from __future__ import annotations

import re

from alerts.text import fold

REGION_DEPARTMENTS = {
    "Auvergne-Rhône-Alpes": "01 03 07 15 26 38 42 43 63 69 73 74",
    "Bourgogne-Franche-Comté": "21 25 39 58 70 71 89 90",
    "Bretagne": "22 29 35 56",
    "Centre-Val de Loire": "18 28 36 37 41 45",
    "Corse": "2A 2B",
    "Grand Est": "08 10 51 52 54 55 57 67 68 88",
    "Hauts-de-France": "02 59 60 62 80",
    "Île-de-France": "75 77 78 91 92 93 94 95",
    "Normandie": "14 27 50 61 76",
    "Nouvelle-Aquitaine": "16 17 19 23 24 33 40 47 64 79 86 87",
    "Occitanie": "09 11 12 30 31 32 34 46 48 65 66 81 82",
    "Pays de la Loire": "44 49 53 72 85",
    "Provence-Alpes-Côte d'Azur": "04 05 06 13 83 84",
    "Guadeloupe": "971",
    "Martinique": "972",
    "Guyane": "973",
    "La Réunion": "974",
    "Mayotte": "976",
}
REGION_OF_DEPARTMENT = {code: region for region, codes in REGION_DEPARTMENTS.items() for code in codes.split()}

# Common short names, and spellings seen on job boards ("Pays de Loire").
_ALIASES = {
    "aura": "Auvergne-Rhône-Alpes",
    "bfc": "Bourgogne-Franche-Comté",
    "centre": "Centre-Val de Loire",
    "idf": "Île-de-France",
    "paca": "Provence-Alpes-Côte d'Azur",
    "sud": "Provence-Alpes-Côte d'Azur",
    "regionsud": "Provence-Alpes-Côte d'Azur",
    "paysdeloire": "Pays de la Loire",
    "reunion": "La Réunion",
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(name))


_BY_KEY = {**{_key(name): name for name in REGION_DEPARTMENTS}, **_ALIASES}


def canonical_region(name: str | None) -> str | None:
    """"pays de la loire", "PACA", "Île de France" -> the official name; None if unknown."""
    if not name:
        return None
    key = _key(name)
    if key.startswith("region") and key not in _BY_KEY:
        key = key.removeprefix("region")
    return _BY_KEY.get(key)


def _listed(value) -> list:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def offer_regions(offer: dict) -> set[str]:
    """The regions an offer is in: the one its département belongs to, and the one it names
    (for a job, those of each of its offers)."""
    regions = set()
    for department in _listed(offer.get("department")):
        if department in REGION_OF_DEPARTMENT:
            regions.add(REGION_OF_DEPARTMENT[department])
    for name in _listed(offer.get("region")):
        named = canonical_region(name)
        if named:
            regions.add(named)
    return regions
