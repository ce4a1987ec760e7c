"""Passerelles (passerelles.economie.gouv.fr), the economy and finance ministries' job board (Talentsoft).

An offer page, and its print version (``imprimer-fiche-emploi-<slug>_<n>.aspx``),
is a run of headings: a section heading ("Informations générales", "Description
du poste", ...) is followed by field headings ("Référence", "Versant", ...),
each followed by its value. No capture of the real markup exists, so the parser
relies only on that shape: a heading followed by content is a label, a heading
followed by another heading is a section. Every label is kept in ``raw``.
"""

from __future__ import annotations

import re

from crawler.boards.dsfr import main_content
from crawler.items import OfferItem
from crawler.parsing import clean, contacts_from_text, element_text
from storage.french import label_key, normalize_category, normalize_versant, parse_date
from storage.places import locate

BOARD = "passerelles"
NUMBER_IN_URL = re.compile(r"_(\d+)\.aspx", re.IGNORECASE)
_HEADING = re.compile(r"^h[1-6]$")


def number_from_url(url: str) -> str | None:
    """The offer's number in its URL (``…_17971.aspx`` -> "17971"); its reference is "<year>-17971"."""
    match = NUMBER_IN_URL.search(url)
    return match.group(1) if match else None


def _is_heading(element) -> bool:
    return isinstance(element.tag, str) and bool(_HEADING.match(element.tag))


def _tokens(element):
    """("heading" | "value", text) in document order; a block without headings is one value."""
    for child in element:
        if isinstance(child.tag, str) and child.tag not in ("script", "style", "nav", "header", "footer"):
            if _is_heading(child):
                yield "heading", element_text(child)
            elif any(_is_heading(node) for node in child.iter()):
                yield from _tokens(child)
            else:
                text = element_text(child)
                if text:
                    yield "value", text
        tail = clean(child.tail)
        if tail:
            yield "value", tail


def labelled_fields(content) -> tuple[str | None, dict[str, str], list[str]]:
    """(page title, label -> value in page order, section headings) of an offer page."""
    root = content.root
    h1 = root.find(".//h1")
    title = element_text(h1) if h1 is not None else None
    labels: dict[str, str] = {}
    section_titles: list[str] = []
    heading, values = None, []

    def flush() -> None:
        if heading is None or heading == title:
            return
        if not values:
            section_titles.append(heading)
            return
        label, number = heading, 2
        while label in labels:  # a label repeated further down is kept too
            label, number = f"{heading} ({number})", number + 1
        labels[label] = "\n".join(values)

    for kind, text in _tokens(root):
        if kind == "heading":
            flush()
            heading, values = text, []
        elif heading is not None:
            values.append(text)
    flush()
    return title, labels, section_titles


def _by_key(labels: dict[str, str], *prefixes: str) -> str | None:
    for label, value in labels.items():
        key = label_key(label)
        if any(key.startswith(prefix) for prefix in prefixes):
            return value
    return None


def _region(place: str | None) -> str | None:
    """ "France, Pays de Loire, Loire Atlantique (44)" -> "Pays de Loire"."""
    parts = [part.strip() for part in (place or "").split(",")]
    return parts[1] if len(parts) >= 3 and parts[0].lower() == "france" else None


def parse_offer(response, source: str = BOARD) -> OfferItem | None:
    """A Passerelles offer page (normal or print version); None without its fields."""
    title, labels, section_titles = labelled_fields(main_content(response))
    reference = clean(_by_key(labels, "reference"))
    if not reference or not (title or _by_key(labels, "intitule du poste")):
        return None
    place = _by_key(labels, "localisation du poste")
    address = _by_key(labels, "lieu d'affectation")
    contact_text = _by_key(labels, "personne ou service a contacter")
    raw = dict(labels)
    raw["sections"] = section_titles
    return OfferItem(
        source=source,
        source_id=reference,
        url=response.url,
        title=_by_key(labels, "intitule du poste") or title,
        employer=_by_key(labels, "directions et services", "entite", "employeur"),
        versant=normalize_versant(_by_key(labels, "versant")),
        category=normalize_category(_by_key(labels, "categorie")),
        contract=_by_key(labels, "nature de l'emploi", "nature du contrat", "type de contrat"),
        location=address or place,
        department=next((found.department for found in map(locate, (place, address)) if found), None),
        region=_region(place),
        remote=_by_key(labels, "teletravail"),
        published_on=parse_date(_by_key(labels, "date de debut de publication", "date de publication")),
        deadline=parse_date(_by_key(labels, "date limite")),
        vacancy_date=parse_date(_by_key(labels, "date de vacance")),
        domain=_by_key(labels, "domaine et metier", "domaine"),
        missions=_by_key(labels, "description du poste"),
        profile=_by_key(labels, "description du profil", "profil"),
        contacts=contacts_from_text(contact_text),
        raw=raw,
    )
