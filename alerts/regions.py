"""Region names as users write them in subscriptions ("PACA", "pays de la loire"),
and the regions an offer is in, so that a subscription to a region also matches
offers that only give a département (the table is crawler.parsing.REGION_DEPARTMENTS)."""

from __future__ import annotations

import re

from alerts.text import fold
from crawler.parsing import REGION_DEPARTMENTS, region_of_department

__all__ = ["REGION_DEPARTMENTS", "canonical_region", "offer_regions"]


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
        from_department = region_of_department(department)
        if from_department:
            regions.add(from_department)
    for name in _listed(offer.get("region")):
        named = canonical_region(name)
        if named:
            regions.add(named)
    return regions
