"""French places: départements, régions, postcodes. One table, one alias set.

Parsers read places out of pages with it, subscriptions validate the régions
people type with it, and grouping and matching put an offer in its régions with
it: the same names everywhere.
"""

from __future__ import annotations

import re

from storage.french import fold, strip_accents

# Metropolitan 01-95 (with 2A/2B), overseas 971-976, collectivities 975-988.
DEPARTMENT_CODE = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-8]|98[4-9])$")

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
_DEPARTMENT_REGION = {code: region for region, codes in REGION_DEPARTMENTS.items() for code in codes.split()}

# Other names of régions: short names people type, and spellings seen on job boards.
REGION_ALIASES = {
    "Réunion": "La Réunion",
    "PACA": "Provence-Alpes-Côte d'Azur",
    "Région Sud": "Provence-Alpes-Côte d'Azur",
    "Pays de Loire": "Pays de la Loire",
    "AURA": "Auvergne-Rhône-Alpes",
    "BFC": "Bourgogne-Franche-Comté",
    "IDF": "Île-de-France",
    # Ordinary words in running text: only a name a user gives on its own.
    "Centre": "Centre-Val de Loire",
    "Sud": "Provence-Alpes-Côte d'Azur",
}
_NOT_IN_RUNNING_TEXT = {"Centre", "Sud", "AURA", "BFC", "IDF", "Région Sud", "Pays de Loire"}


def _compact(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(name))


_BY_COMPACT = {_compact(name): name for name in REGION_DEPARTMENTS} | {
    _compact(alias): region for alias, region in REGION_ALIASES.items()
}


def canonical_region(name: str | None) -> str | None:
    """ "pays de la loire", "PACA", "Île de France", "Région Occitanie" -> the official name; None if unknown."""
    if not name:
        return None
    key = _compact(name)
    if key.startswith("region") and key not in _BY_COMPACT:
        key = key.removeprefix("region")
    return _BY_COMPACT.get(key)


def _place_key(text: str) -> str:
    return " ".join(re.sub(r"[-'’]", " ", strip_accents(text).lower()).split())


_NAMES_IN_TEXT = {_place_key(name): name for name in REGION_DEPARTMENTS} | {
    _place_key(alias): region for alias, region in REGION_ALIASES.items() if alias not in _NOT_IN_RUNNING_TEXT
}
_REGION_IN_TEXT = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _NAMES_IN_TEXT), key=len, reverse=True)) + r")\b")


def find_region(text: str | None) -> str | None:
    """The first French région named in ``text`` ("d'Occitanie", "(Grand Est)", "de La Réunion")."""
    if not text:
        return None
    match = _REGION_IN_TEXT.search(_place_key(text))
    return _NAMES_IN_TEXT[match.group(1)] if match else None


def region_of_department(code: str | None) -> str | None:
    return _DEPARTMENT_REGION.get(code or "")


_DEPARTMENT_IN_TEXT = re.compile(r"\((\d{2,3}|2[AB])\)")


def department_code(text: str | None) -> str | None:
    """ "Hauts-de-Seine (92)" -> "92"; None when there is no valid code in brackets."""
    if not text:
        return None
    for match in _DEPARTMENT_IN_TEXT.finditer(text):
        code = match.group(1).upper()
        if DEPARTMENT_CODE.match(code):
            return code
    return None


def department_from_postcode(postcode: str | None) -> str | None:
    """ "31000" -> "31", "97400" -> "974", "20000" -> "2A", "20200" -> "2B"."""
    postcode = re.sub(r"\s", "", postcode or "")
    if not re.fullmatch(r"\d{5}", postcode):
        return None
    if postcode.startswith("20"):
        code = "2A" if postcode < "20200" else "2B"
    elif postcode.startswith(("97", "98")):
        code = postcode[:3]
    else:
        code = postcode[:2]
    return code if DEPARTMENT_CODE.match(code) else None


_POSTAL_TOWN = re.compile(
    r"(?<![\d,.])\b(?P<postcode>\d{2} ?\d{3})\s+(?P<town>[A-ZÀ-Ý][\w'’-]*(?:[ -][\w'’-]+)*?)"
    r"(?=\s+(?:cedex|CEDEX|Cedex|SP)\b|\s*[,.;:)\n]|\s*$)"
)


def find_postal_town(text: str | None) -> tuple[str, str] | None:
    """The first "31000 Toulouse"-style postal code and town in ``text`` (Cedex dropped)."""
    for match in _POSTAL_TOWN.finditer(text or ""):
        postcode = match.group("postcode").replace(" ", "")
        if department_from_postcode(postcode):
            return postcode, match.group("town")
    return None


def _listed(value) -> list:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def offer_regions(offer: dict) -> set[str]:
    """The régions an offer is in: the one its département belongs to, and the one it names
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
