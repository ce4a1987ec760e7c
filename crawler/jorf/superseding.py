"""Notices that cancel or replace an earlier one: what they say of it, and which stored offer that is.

"Le présent avis annule et remplace l'avis de vacance publié au Journal officiel
n° 191 du 18 août 2021 (texte n° 99)": the relation, the sentence, the earlier
notice's date, JO number and text number; the text's links (``LIEN``) name it
when DILA filled them. Recording the link is ``storage.superseded``'s.
"""

from __future__ import annotations

import re

from sqlite_utils import Database

from crawler.items import OfferItem
from crawler.jorf.texts import Notice
from crawler.jorf.toc import plain_words
from crawler.parsing import clean
from storage.french import parse_date
from storage.offers import get_offer
from storage.superseded import CANCELLED, REPLACED, published_on, record_superseded

_SUPERSEDES = re.compile(
    r"(?P<verb>annule et remplace|remplace|annule|rectifie|modifie)\s+l['’]avis\b(?P<rest>[^.]*)", re.I
)
_ANNULLED = re.compile(
    r"l['’]avis\b(?P<rest>[^.]*?)\b(?:est|a été)\s+(?P<verb>annul[ée]|retir[ée]|rapport[ée]|remplac[ée])", re.I
)
_JO_REFERENCE = re.compile(
    r"journal officiel(?: de la r[ée]publique fran[cç]aise)?(?:\s+n°\s*(?P<number>\d+))?"
    r"\s+du\s+(?P<date>\d{1,2}(?:er)?\s+\w+\s+\d{4})"
    r"(?:[^.]*?texte\s+n°\s*(?P<sequence>\d+))?",
    re.I,
)


def earlier_notice_reference(notice: Notice) -> dict | None:
    """What a notice says of an earlier one it cancels or replaces: the relation, the sentence,
    and the earlier one's publication date, JO number and text number when given."""
    lowered = notice.text.lower()
    if not any(word in lowered for word in ("annul", "remplac", "rectifi", "retir", "rapport", "modifie l")):
        return None
    for pattern in (_SUPERSEDES, _ANNULLED):
        match = pattern.search(notice.text)
        if not match:
            continue
        verb = plain_words(match.group("verb"))
        sentence_start = max(notice.text.rfind(".", 0, match.start()), notice.text.rfind("\n", 0, match.start())) + 1
        sentence_end = notice.text.find(".", match.end())
        sentence = clean(notice.text[sentence_start : sentence_end + 1 if sentence_end >= 0 else None])
        cancels = verb.startswith(("annule", "retir", "rapport")) and "remplac" not in verb
        reference = {"relation": CANCELLED if cancels else REPLACED, "phrase": sentence}
        jo = _JO_REFERENCE.search(match.group(0))
        if jo:
            reference["date"] = parse_date(jo.group("date"))
            if jo.group("number"):
                reference["num_parution"] = jo.group("number").zfill(4)
            if jo.group("sequence"):
                reference["num_sequence"] = jo.group("sequence")
        if notice.linked_ids:
            reference["ids"] = notice.linked_ids
        return reference
    return None


def earlier_offer(db: Database, offer: OfferItem, reference: dict) -> str | None:
    """The stored offer an :func:`earlier_notice_reference` designates: a text it links to, else the
    only offer published on its date with its JO and text numbers (when given), then its title."""
    for text_id in reference.get("ids", []):
        if get_offer(db, offer.source, text_id):
            return text_id
    if not reference.get("date"):
        return None
    rows = [row for row in published_on(db, offer.source, reference["date"]) if row["source_id"] != offer.source_id]
    for key, raw_key in (("num_sequence", "NUM_SEQUENCE"), ("num_parution", "NUM_PARUTION")):
        if reference.get(key):
            wanted = reference[key].lstrip("0")
            rows = [row for row in rows if (row["raw"].get(raw_key) or "").lstrip("0") == wanted]
    if len(rows) > 1:
        rows = [row for row in rows if plain_words(row["title"]) == plain_words(offer.title)]
    return rows[0]["source_id"] if len(rows) == 1 else None


def supersede(db: Database, offer: OfferItem, reference: dict, run_id: int | None = None) -> str | None:
    """Record that ``offer`` cancels or replaces the stored offer its reference designates; that
    offer's source_id, or None when it is not stored (nothing is recorded then)."""
    earlier = earlier_offer(db, offer, reference)
    if earlier is not None:
        record_superseded(
            db, offer.source, earlier, superseded_by=offer.source_id, relation=reference["relation"],
            evidence=reference["phrase"], run_id=run_id,
        )  # fmt: skip
    return earlier
