"""French places: départements, régions, postcodes and towns. One table, one alias set, one gazetteer.

Parsers read places out of pages with it, subscriptions validate the régions
people type with it, and grouping and matching put an offer in its régions with
it: the same names everywhere. Postcodes and towns are looked up in the official
gazetteer (:mod:`storage.gazetteer`, Etalab's data): "20704 AJACCIO CEDEX 9" is
in Corse-du-Sud because Ajaccio is, never because of a threshold on the digits,
and "basé à Nantes (44)" or "située à Lyon" give their département.

:func:`locate` is what a parser asks of a place written in a page; the other
functions are its parts.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from storage import gazetteer
from storage.french import fold, strip_accents

# Metropolitan 01-95 (with 2A/2B), overseas 971-976, collectivities 975-988.
DEPARTMENT_CODE = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-8]|98[4-9])$")

# The one région table (the gazetteer's régions agree with it: tests/test_places.py).
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


class Place(NamedTuple):
    """Where a page says a job is: the town as written, its postcode, département and région."""

    town: str | None
    postcode: str | None
    department: str | None
    region: str | None


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


def is_department(code: str | None) -> bool:
    """A code of a real département or overseas collectivity ("44", "2A", "974", "988")."""
    return bool(code and DEPARTMENT_CODE.match(code) and gazetteer.department_name(code))


_DEPARTMENT_IN_TEXT = re.compile(r"\((\d{2,3}|2[AB])\)")


def department_code(text: str | None) -> str | None:
    """ "Hauts-de-Seine (92)" -> "92"; None when there is no valid code in brackets."""
    if not text:
        return None
    for match in _DEPARTMENT_IN_TEXT.finditer(text):
        code = match.group(1).upper()
        if is_department(code):
            return code
    return None


def department_from_postcode(postcode: str | None, town: str | None = None) -> str | None:
    """The département of a postcode, from the communes it serves ("31000" -> "31", "20200" -> "2B");
    a CEDEX code the data does not list is placed by ``town`` ("20704", "AJACCIO" -> "2A")."""
    code = gazetteer.department_of_postcode(postcode, town)
    return code if code and DEPARTMENT_CODE.match(code) else None


_POSTAL_TOWN = re.compile(
    r"(?<![\d,.])\b(?P<postcode>\d{2} ?\d{3})\s+(?P<town>[A-ZÀ-Ý][\w'’-]*(?:[ -][\w'’-]+)*?)"
    r"(?=\s+(?:cedex|CEDEX|Cedex|SP)\b|\s*[,.;:()\n]|\s*$)"
)


def _is_commune_of(postcode: str, town: str) -> bool:
    served = {commune.insee for commune in gazetteer.communes_of_postcode(postcode)}
    return any(commune.insee in served for commune in gazetteer.communes_named(town))


def find_postal_town(text: str | None) -> tuple[str, str] | None:
    """The first "31000 Toulouse"-style postcode and town in ``text`` ("Cedex …" dropped).

    "31 000 Toulouse" counts only when Toulouse is a commune of that code: "12 500 Logements"
    is a number of dwellings, not Espalion."""
    for match in _POSTAL_TOWN.finditer(text or ""):
        written, town = match.group("postcode"), match.group("town")
        postcode = written.replace(" ", "")
        if not department_from_postcode(postcode, town):
            continue
        if " " in written and not _is_commune_of(postcode, town):
            continue
        return postcode, town
    return None


# "basé à Nantes (44)", "La résidence administrative de l'emploi est située à Toulouse", "l'emploi s'exerce à
# Paris (7e)", "Localisation : Lyon": a town named without its postcode, after words that say where a job is.
_TOWN_CUE = re.compile(
    r"(?:\b(?:bas|situ|localis|implant|install|affect|sis|établi)(?:é|ée|és|ées)\s+[àa]\s+"
    r"|\b(?:situ|localis|bas)(?:é|ée|és|ées)\s+(?:au|aux|à la|à l['’]|sur)\s[^.;]{0,80}?\s[àa]\s+(?=[A-ZÀ-Ý])"
    r"|\bs['’]exerce(?:ra)?\s+[àa]\s+"
    r"|\b(?:localisation|lieu d['’](?:affectation|exercice)|lieu de travail|résidence administrative|ville)"
    r"(?:\s+(?:du poste|géographique|de l['’]emploi|administrative))?\s*:\s*(?:l['’]emploi s['’]exerce\s+[àa]\s+)?)",
    re.IGNORECASE,
)
_NAME_WORD = r"[A-ZÀ-Ý][\w'’]*"
_TOWN_WORDS = re.compile(
    rf"{_NAME_WORD}(?:[ -](?:{_NAME_WORD}|sur|sous|en|et|lès|lez|les|le|la|de|du|des|d['’]{_NAME_WORD})){{0,5}}"
)
_AFTER_TOWN_CODE = re.compile(r"\s*\((?P<code>\d{2,3}|2[AB])\)")
_TOWN_WITH_CODE = re.compile(rf"(?P<town>{_TOWN_WORDS.pattern})\s*\((?P<code>\d{{2,3}}|2[AB])\)")


def _commune_at(text: str, start: int, department: str | None = None):
    """The commune named at ``start`` (the longest run of name words that is one), and where it ends."""
    match = _TOWN_WORDS.match(text, start)
    if not match:
        return None, start
    words = re.split(r"(?<=[\w'’])(?=[ -])", match.group(0))
    for count in range(len(words), 0, -1):
        name = "".join(words[:count]).strip()
        end = start + len("".join(words[:count]))
        code = _AFTER_TOWN_CODE.match(text, end)
        wanted = department or (code.group("code") if code and is_department(code.group("code")) else None)
        commune = gazetteer.find_commune(name, wanted)
        if commune:
            return (name, commune.department), end
    return None, start


def find_town(text: str | None) -> tuple[str, str] | None:
    """(town, département) of a town named without a postcode where the text says where the job is
    ("basé à Nantes (44)", "située à Lyon", "Localisation : Épinal"), or written with its
    département's code ("Nantes (44)"). A name several communes share is kept only when one of
    them is far larger or the code says which (gazetteer.find_commune)."""
    if not text:
        return None
    for match in _TOWN_CUE.finditer(text):
        found, _ = _commune_at(text, match.end())
        if found:
            return found
    for match in _TOWN_WITH_CODE.finditer(text):
        found, _ = _commune_at(text, match.start("town"), match.group("code"))
        if found and found[1] == match.group("code").upper():
            return found
    return None


@functools.lru_cache(maxsize=1)
def _department_names() -> dict[str, str]:
    names = {}
    for code, name in gazetteer.departments().items():
        if DEPARTMENT_CODE.match(code):
            key = gazetteer.normalise_place_name(name)
            names[key] = code
            names.setdefault(key.removeprefix("la ").removeprefix("le "), code)
    return names


_DEPARTMENT_NAMED = re.compile(rf"(?:\b(?:de la|de l['’]|du|des|de|d['’])|\()\s*(?P<name>{_TOWN_WORDS.pattern})")


def find_department(text: str | None) -> str | None:
    """The département a service's name gives: "DDT des Deux-Sèvres" -> "79", "préfet du Cher" -> "18",
    "de la Corse-du-Sud" -> "2A", "(Loiret)" -> "45" (names as the official list writes them, accents and
    hyphens aside)."""
    names = _department_names()
    for match in _DEPARTMENT_NAMED.finditer(text or ""):
        words = re.split(r"(?<=[\w'’])(?=[ -])", match.group("name"))
        for count in range(len(words), 0, -1):
            code = names.get(gazetteer.normalise_place_name("".join(words[:count])))
            if code:
                return code
    return None


def locate(text: str | None) -> Place | None:
    """Where ``text`` (a page's place field or sentence) puts a job: a postcode and town, else a town
    named without one, else a département code in brackets; None when it names none of these."""
    if not text:
        return None
    postal = find_postal_town(text)
    if postal:
        department = department_from_postcode(*postal)
        return Place(postal[1], postal[0], department, region_of_department(department))
    town = find_town(text)
    if town:
        return Place(town[0], None, town[1], region_of_department(town[1]))
    code = department_code(text)
    if code:
        return Place(None, None, code, region_of_department(code))
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
