"""Small parsing helpers every source needs: page text, French dates, places, labels.

They work on lxml elements (what parsel selectors wrap, ``selector.root``), so a
spider can hand over any node without re-parsing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

from lxml import etree

from crawler.items import DEPARTMENT_CODE, EMAIL

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
)
_SKIPPED_TAGS = frozenset(("script", "style", "noscript", "template", "svg"))
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u202f\u2009]+")


def clean(value: str | None) -> str | None:
    """Whitespace collapsed on each line, blank lines dropped; None for empty text."""
    if value is None:
        return None
    lines = (_SPACES.sub(" ", line).strip() for line in value.splitlines())
    text = "\n".join(line for line in lines if line)
    return text or None


def element_text(element) -> str | None:
    """The readable text of an element: block elements and ``<br>`` become line breaks."""
    if element is None:
        return None
    if isinstance(element, str):
        return clean(element)
    parts: list[str] = []

    def walk(node) -> None:
        tag = node.tag if isinstance(node.tag, str) else None
        if tag in _SKIPPED_TAGS or tag is None:
            return
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(element)
    return clean("".join(parts))


def element_html(element) -> str | None:
    if element is None:
        return None
    return etree.tostring(element, encoding="unicode", method="html", with_tail=False)


FRENCH_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
_FRENCH_DATE = re.compile(
    r"\b(?P<day>\d{1,2})(?:er)?\s+(?P<month>" + "|".join(FRENCH_MONTHS) + r")\s+(?P<year>\d{4})\b", re.IGNORECASE
)
_NUMERIC_DATE = re.compile(r"\b(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})\b")
_ISO_DATE = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")  # also "2026-03-02T10:00"


_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")


def strip_accents(text: str) -> str:
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", text))


def _date(year: str, month: str | int, day: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``.

    Understands "02 octobre 2026", "1er octobre 2021", "01/11/2026" (French order)
    and ISO dates; None when there is no valid date.
    """
    if not text:
        return None
    plain = strip_accents(text)
    found = []
    for pattern in (_ISO_DATE, _NUMERIC_DATE, _FRENCH_DATE):
        match = pattern.search(plain)
        if match:
            month = match.group("month")
            month = FRENCH_MONTHS.get(month.lower(), month) if not month.isdigit() else month
            iso = _date(match.group("year"), month, match.group("day"))
            if iso:
                found.append((match.start(), iso))
    return min(found)[1] if found else None


_DEPARTMENT_IN_TEXT = re.compile(r"\((\d{2,3}|2[AB])\)")


def department_code(text: str | None) -> str | None:
    """"Hauts-de-Seine (92)" -> "92"; None when there is no valid code in brackets."""
    if not text:
        return None
    for match in _DEPARTMENT_IN_TEXT.finditer(text):
        code = match.group(1).upper()
        if DEPARTMENT_CODE.match(code):
            return code
    return None


def normalize_versant(text: str | None) -> str | None:
    """"Fonction Publique de l'Etat" -> "État", "…Territoriale" -> "Territoriale", ..."""
    if not text:
        return None
    plain = strip_accents(text).lower()
    if "territorial" in plain:
        return "Territoriale"
    if "hospital" in plain:
        return "Hospitalière"
    if "etat" in plain:
        return "État"
    return None


_CATEGORY = re.compile(r"\bcat[ée]gorie\s*(A\+|A|B|C)(?![\w+])|^\s*(A\+|A|B|C)\s*$", re.IGNORECASE)


def normalize_category(text: str | None) -> str | None:
    """"Catégorie A (cadre)" -> "A", "Catégorie A+" -> "A+"."""
    if not text:
        return None
    match = _CATEGORY.search(text)
    if not match:
        return None
    return (match.group(1) or match.group(2)).upper()


def load_json_ld(texts) -> list[dict]:
    """The JSON-LD objects of a page, tolerating raw control characters in strings
    and skipping blocks that are not JSON at all."""
    objects = []
    for text in texts:
        try:
            data = json.loads(text, strict=False)
        except ValueError:
            continue
        if isinstance(data, dict) and "@graph" in data:
            data = data["@graph"]
        objects.extend(item for item in (data if isinstance(data, list) else [data]) if isinstance(item, dict))
    return objects


def is_truncated_html(body: bytes) -> bool:
    """A page cut short in transit or in storage has no closing html tag."""
    return b"</html>" not in body[-4096:].lower()


def label_key(text: str | None) -> str:
    """A label as a stable key: accents, case, curly apostrophes, punctuation and a trailing colon ignored."""
    plain = strip_accents(text or "").lower().replace("’", "'")
    return " ".join(re.sub(r"[^\w' ]", " ", plain).split())


def fragment_text(markup: str | None) -> str | None:
    """The readable text of an HTML fragment (a JSON-LD description, say); plain text passes through."""
    if not markup or not markup.strip():
        return None
    if "<" not in markup:
        return clean(markup)
    root = etree.fromstring(f"<div>{markup}</div>", etree.HTMLParser())
    body = root.find(".//body") if root is not None else None
    return element_text(body if body is not None else root)


def contacts_from_text(text: str | None) -> list[dict]:
    """One contact per e-mail address in ``text``; the whole text as one contact when it has none."""
    emails = find_emails(text)
    if emails:
        return [{"email": email} for email in emails]
    cleaned = clean(text)
    return [{"text": cleaned}] if cleaned else []


_DAY_MONTH = re.compile(r"\b(?P<day>\d{1,2})(?:er)?\s+(?P<month>" + "|".join(FRENCH_MONTHS) + r")\b", re.IGNORECASE)


def parse_date_after(text: str | None, after: str | None) -> str | None:
    """Like :func:`parse_date`, and a day without a year ("3 janvier") becomes its first
    occurrence on or after the ISO date ``after`` (an offer's publication date)."""
    full = parse_date(text)
    if full or not text or not after:
        return full
    match = _DAY_MONTH.search(strip_accents(text))
    if not match:
        return None
    reference = dt.date.fromisoformat(after)
    month = FRENCH_MONTHS[match.group("month").lower()]
    for year in (reference.year, reference.year + 1):
        candidate = _date(str(year), month, match.group("day"))
        if candidate and candidate >= after:
            return candidate
    return None


# -- numbers and dates written in words ----------------------------------------------------

_NUMBER_WORDS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
}  # fmt: skip


def french_number(text: str | None) -> int | None:
    """"trente" -> 30, "quarante-cinq" -> 45, "soixante et onze" -> 71, "quatre-vingt-dix" -> 90,
    "deux cents" -> 200, "30" -> 30; None when it is not a number."""
    if not text:
        return None
    words = re.sub(r"[-\s]+", " ", strip_accents(text).lower()).split()
    if not words:
        return None
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    total = current = 0
    previous = None
    for word in words:
        if word == "et":
            continue
        if word in ("cent", "cents"):
            current = max(current, 1) * 100
        elif word == "mille":
            total += max(current, 1) * 1000
            current = 0
        elif word in ("vingt", "vingts") and previous == "quatre":
            current += 80 - 4  # "quatre-vingt": the 4 already added becomes 80
        elif word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        else:
            return None
        previous = word
    return total + current


def add_to_date(iso: str, *, days: int = 0, months: int = 0) -> str:
    """An ISO date moved by whole months (clamped to the month's last day), then days."""
    date = dt.date.fromisoformat(iso)
    if months:
        month_index = date.month - 1 + months
        year, month = date.year + month_index // 12, month_index % 12 + 1
        next_month = dt.date(year + month // 12, month % 12 + 1, 1)
        date = date.replace(year=year, month=month, day=min(date.day, (next_month - dt.timedelta(days=1)).day))
    return (date + dt.timedelta(days=days)).isoformat()


# -- places ---------------------------------------------------------------------------------

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
_REGION_ALIASES = {"Réunion": "La Réunion", "PACA": "Provence-Alpes-Côte d'Azur"}


def _place_key(text: str) -> str:
    return " ".join(re.sub(r"[-'’]", " ", strip_accents(text).lower()).split())


_REGION_NAMES = {_place_key(name): name for name in [*REGION_DEPARTMENTS, *_REGION_ALIASES]}
_REGION_PATTERN = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _REGION_NAMES), key=len, reverse=True)) + r")\b")


def find_region(text: str | None) -> str | None:
    """The first French region named in ``text`` ("d'Occitanie", "(Grand Est)", "de La Réunion")."""
    if not text:
        return None
    match = _REGION_PATTERN.search(_place_key(text))
    if not match:
        return None
    name = _REGION_NAMES[match.group(1)]
    return _REGION_ALIASES.get(name, name)


def region_of_department(code: str | None) -> str | None:
    return _DEPARTMENT_REGION.get(code or "")


def department_from_postcode(postcode: str | None) -> str | None:
    """"31000" -> "31", "97400" -> "974", "20000" -> "2A", "20200" -> "2B"."""
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


# -- contacts -------------------------------------------------------------------------------

_PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)33[\s.]?(?:\(0\)[\s.]?)?|0)([1-9](?:[\s.\-]?\d{2}){4})(?!\d)")
# Unicode hyphens that real pages put in addresses ("candidatures‐DINUM@pm.gouv.fr") and no mail server accepts.
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u00ad": ""})
_EMAIL_IN_TEXT = re.compile(r"[\w.+\u2010\u2011-]+@[\w\u2010\u2011-]+(?:\.[\w\u2010\u2011-]+)*\.[A-Za-z]{2,}")


def find_phones(text: str | None) -> list[str]:
    """French phone numbers in ``text``, written "05 34 45 33 02" ("+33 5 ..." numbers included)."""
    phones = []
    for match in _PHONE.finditer(text or ""):
        digits = "0" + re.sub(r"\D", "", match.group(1))
        phone = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
        if phone not in phones:
            phones.append(phone)
    return phones


def find_emails(text: str | None) -> list[str]:
    """Real e-mail addresses in ``text``, in order, once each, look-alike hyphens made real;
    obfuscated ones ("[email protected]") are not addresses."""
    if not text or "@" not in text:
        return []
    emails = []
    for match in _EMAIL_IN_TEXT.finditer(text):
        candidate = match.group(0).translate(_HYPHENS).strip(".")
        if EMAIL.match(candidate) and candidate not in emails:
            emails.append(candidate)
    return emails
