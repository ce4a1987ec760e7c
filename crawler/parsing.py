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

from crawler.items import DEPARTMENT_CODE

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


# Unicode hyphens that real pages put in addresses ("candidatures‐DINUM@pm.gouv.fr") and no mail server accepts.
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u00ad": ""})
_EMAIL_IN_TEXT = re.compile(r"[\w.+\u2010\u2011-]+@[\w\u2010\u2011-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")


def emails_in(text: str | None) -> list[str]:
    """The e-mail addresses in ``text``, in order, once each, with look-alike hyphens made real."""
    found: list[str] = []
    for match in _EMAIL_IN_TEXT.finditer(text or ""):
        email = match.group(0).translate(_HYPHENS).strip(".")
        if email not in found:
            found.append(email)
    return found


def contacts_from_text(text: str | None) -> list[dict]:
    """One contact per e-mail address in ``text``; the whole text as one contact when it has none."""
    emails = emails_in(text)
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


def department_from_postcode(code: str | None) -> str | None:
    """"75007" -> "75", "97411" -> "974", "20000" (Corsica) -> None: the code alone cannot tell 2A from 2B."""
    digits = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{5}", digits):
        return None
    candidate = digits[:3] if digits.startswith("97") or digits.startswith("98") else digits[:2]
    return candidate if DEPARTMENT_CODE.match(candidate) else None
