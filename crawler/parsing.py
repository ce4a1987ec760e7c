"""Reading pages: their text, JSON-LD, contacts (French dates, places and labels are
storage.french's and storage.places').

They work on lxml elements (what parsel selectors wrap, ``selector.root``), so a
spider can hand over any node without re-parsing.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin, urlsplit

from lxml import etree
from w3lib.url import safe_url_string

from crawler.items import EMAIL

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p "
    "pre section table td th tr ul".split()
)
_SKIPPED_TAGS = frozenset(("script", "style", "noscript", "template", "svg"))
# Spaces within a line (what str.splitlines() breaks lines at is not one: \r, \v, \f…).
_SPACES = re.compile(r"[ \t\u00a0\u202f\u2009]+")


def clean(value: str | None) -> str | None:
    """Whitespace collapsed on each line, blank lines dropped; None for empty text."""
    if value is None:
        return None
    lines = []
    for line in value.splitlines():
        line = line.strip()
        # Most lines have single spaces only: the expression runs on the others (pages have thousands of lines).
        if line and ("  " in line or "\t" in line or "\u00a0" in line or "\u202f" in line or "\u2009" in line):
            line = _SPACES.sub(" ", line)
        if line:
            lines.append(line)
    return "\n".join(lines) or None


def _walk(node, parts: list[str]) -> None:
    tag = node.tag
    if tag.__class__ is not str or tag in _SKIPPED_TAGS:  # comments and processing instructions too
        return
    block = tag in _BLOCK_TAGS
    if block:
        parts.append("\n")
    if node.text:
        parts.append(node.text)
    for child in node:
        _walk(child, parts)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append("\n")


def element_text(element) -> str | None:
    """The readable text of an element: block elements and ``<br>`` become line breaks."""
    if element is None:
        return None
    if isinstance(element, str):
        return clean(element)
    if not len(element):  # no child: its own text (most labels and values)
        tag = element.tag
        return None if tag.__class__ is not str or tag in _SKIPPED_TAGS else clean(element.text)
    parts: list[str] = []
    _walk(element, parts)
    return clean("".join(parts))


def link_url(base: str, href: str | None, schemes=("http", "https", "mailto")) -> str | None:
    """A link as an offer may store it: resolved against ``base`` (the page's URL) when relative,
    percent-encoded (a mailto: subject has spaces), and None when it is no link to follow
    (``#…``, ``javascript:``, an empty or unknown scheme)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    absolute = urljoin(base, href)
    if urlsplit(absolute).scheme.lower() not in schemes:
        return None
    return safe_url_string(absolute)


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


# C0 controls but tab, line feed, form feed and carriage return, and DEL: no text has them.
_CONTROL_BYTES = bytes([*range(0, 9), 0x0B, *range(0x0E, 0x20), 0x7F])
_EACH_CONTROL_BYTE = tuple(bytes([byte]) for byte in _CONTROL_BYTES)


def control_bytes(body: bytes) -> int:
    """How many control bytes a page has (NUL, ESC...): a few are noise to clean, many are garbage."""
    # Most pages have none: a search for each byte (memchr) answers that in half the time of counting them.
    if not any(byte in body for byte in _EACH_CONTROL_BYTE):
        return 0
    return len(body) - len(body.translate(None, _CONTROL_BYTES))


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


# What boards write where they give no figure.
_NOT_GIVEN = re.compile(r"^\W*(non[\s-]+(renseign|communiqu|pr[ée]cis)|nc\W*$|n/c|selon (profil|grille|exp)|$)", re.I)
_PERIODS = {"YEAR": "par an", "MONTH": "par mois", "WEEK": "par semaine", "DAY": "par jour", "HOUR": "de l'heure"}


def given(text: str | None) -> str | None:
    """A board's value, or None when it says nothing (« Non renseignée », « NC », empty)."""
    text = clean(text)
    return None if not text or _NOT_GIVEN.match(text) else text


def _amount(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return f"{value:,.0f}".replace(",", " ") if value == int(value) else f"{value:,.2f}".replace(",", " ")
    if isinstance(value, str):
        try:
            return _amount(float(value.replace(" ", "").replace(",", ".")))
        except ValueError:
            return given(value)
    return None


def salary_from_json_ld(value) -> str | None:
    """schema.org ``baseSalary`` in words: "35 000 – 42 000 € par an"; None when it gives no figure."""
    if isinstance(value, list):
        return next((found for found in map(salary_from_json_ld, value) if found), None)
    if isinstance(value, str):
        return given(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{_amount(value)} €"
    if not isinstance(value, dict):
        return None
    currency = value.get("currency") if isinstance(value.get("currency"), str) else "EUR"
    symbol = "€" if currency.upper() == "EUR" else currency
    amount = value.get("value")
    unit = None
    if isinstance(amount, dict):
        unit = amount.get("unitText")
        low, high = _amount(amount.get("minValue")), _amount(amount.get("maxValue"))
        single = _amount(amount.get("value"))
    else:
        low = high = None
        single = _amount(amount)
    if low and high and low != high:
        figure = f"{low} – {high}"
    else:
        figure = single or low or high
    if not figure:
        return None
    if not any(char.isdigit() for char in figure):
        return figure
    period = _PERIODS.get(str(unit or value.get("unitText") or "").upper())
    return " ".join(part for part in (figure, symbol, period) if part)
