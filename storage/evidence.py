"""What ties two postings of one job together for certain: references, links and cited notices.

The same reference across boards (Passerelles ``2024-17971`` is CSP ``MEF_2024-17971``), the
same offer URL, an offer URL one offer cites (in its apply link, its labels or its text), a JO
notice a board offer cites by its JORFTEXT id or NOR, a JO notice replacing an earlier one, and
the JO issue a board offer names ("Avis de vacances au JO : 18/08/2021"). storage.grouping
turns them into an offer's keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from storage.french import label_key, parse_date

# CSP references carry the issuing system's prefix: MEF_2024-17971 is Passerelles' 2024-17971.
_PREFIXED_REFERENCE = re.compile(r"^(?P<issuer>[A-Z]{2,6})_(?P<number>\S+)$")
# The boards whose own references are another system's: Passerelles is the MEF's.
BOARD_ISSUERS = {"passerelles": "MEF"}
JORF_TEXT_ID = re.compile(r"\bJORFTEXT\d{12}\b")
NOR = re.compile(r"\b[A-Z]{4}\d{7}[A-Z]\b")
URL = re.compile(r"https?://[^\s<>\"'()\[\]{}|\\^`]+", re.IGNORECASE)
# "publié au Journal officiel du 18 août 2021", "JORF n°0191 du 18/08/2021", "JO du 18/08/2021".
_JO_ISSUE = re.compile(
    r"(?:journal officiel|\bjorf\b|\bj\.?o\.?\b)(?:\s+de la r[ée]publique "
    r"fran[çc]aise)?(?:\s+n\s*[°o]?\s*\d+)?,?\s+du\s+"
    r"(\d{1,2}(?:er)?\s+\w+\s+\d{4}|\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
# Labels of board fields that name the JO notice of a post (CSP's open data: "Avis de vacances au JO").
_JO_LABEL = re.compile(r"\bjo\b|journal officiel|jorf|avis de vacance")


def board_of(offer: dict) -> str:
    """The board an offer was published on: the DITP's copies of board offers say which (raw["board"])."""
    raw = offer.get("raw") or {}
    return raw.get("board") if isinstance(raw, dict) and raw.get("board") else offer["source"]


def reference_of(offer: dict) -> str:
    """The offer's reference, as ``issuer:number``: the same string on every board that shows it."""
    board, source_id = board_of(offer), offer["source_id"]
    if board == "choisirleservicepublic":
        match = _PREFIXED_REFERENCE.match(source_id)
        if match:
            return f"{match['issuer']}:{match['number']}"
    return f"{BOARD_ISSUERS.get(board, board)}:{source_id}"


_URL_PARTS = re.compile(r"^https?://(?:[^@/?#]*@)?(?:www\.)?([^/?#]+)([^?#]*)(\?[^#]*)?", re.IGNORECASE)


def url_key(url: str | None) -> str | None:
    """An offer URL as a key: no scheme, no "www.", no fragment, no trailing slash."""
    match = _URL_PARTS.match(url.strip().rstrip(".,;:")) if url else None
    if not match:
        return None
    path = match.group(2).rstrip("/")
    if not path:
        return None  # a home page links to everything and names no offer
    return match.group(1).lower() + path + (match.group(3) or "")


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@lru_cache(maxsize=4096)
def _is_jo_label(label: str) -> bool:
    return bool(_JO_LABEL.search(label_key(label)))


# Cheap tests before the regular expressions (substring tests are much faster): most offers cite nothing.
def _may_cite_jo(text: str) -> bool:
    return "JO" in text or "ournal" in text or "OURNAL" in text


def _may_cite(text: str) -> bool:
    return "http" in text or "NOR" in text or _may_cite_jo(text)


def _cited_jo_days(offer: dict, texts: list[str]) -> set[str]:
    days = set()
    raw = offer.get("raw") or {}
    for label, value in raw.items() if isinstance(raw, dict) else ():
        if isinstance(value, str) and _is_jo_label(label):
            day = parse_date(value)
            if day:
                days.add(day)
    for text in texts:
        if _may_cite_jo(text):
            for match in _JO_ISSUE.finditer(text):
                day = parse_date(match.group(1))
                if day:
                    days.add(day)
    return days


def citations(offer: dict) -> tuple[set[str], set[str]]:
    """What an offer cites: (strong keys, JO issue days).

    Strong keys are offer URLs (``url:``), JO notices (``ref:jorf:JORFTEXT…``,
    ``nor:…``). A JO notice cites only the earlier notice it replaces: its own
    legal references (NORs of decrees) are no job evidence."""
    raw = offer.get("raw") or {}
    if offer["source"] == "jorf":
        earlier = raw.get("avis antérieur") if isinstance(raw, dict) else None
        if isinstance(earlier, dict) and earlier.get("relation") == "replaced":
            return {f"ref:jorf:{text_id}" for text_id in earlier.get("ids") or []}, set()
        return set(), set()
    texts = [text for text in (offer.get("apply_url"), offer.get("missions"), offer.get("profile")) if text]
    # The labels, not the listing card: it shows the offer itself.
    labels = [label for label in raw if label != "listing_card"] if isinstance(raw, dict) else []
    if labels:
        texts += [text for text in _strings([raw[label] for label in labels]) if text]
    if not any(map(_may_cite, texts)) and not any(
        isinstance(raw[label], str) and _is_jo_label(label) for label in labels
    ):
        return set(), set()
    keys = set()
    own = url_key(offer.get("url"))
    for text in texts:
        if "http" in text:
            for match in URL.finditer(text):
                key = url_key(match.group(0))
                if key and key != own:
                    keys.add(f"url:{key}")
        if "JORFTEXT" in text:
            keys.update(f"ref:jorf:{text_id}" for text_id in JORF_TEXT_ID.findall(text))
        if "NOR" in text:  # "NOR : INTA2124731V"; a bare code is too easily something else
            keys.update(f"nor:{nor}" for nor in NOR.findall(text))
    return keys, _cited_jo_days(offer, texts)
