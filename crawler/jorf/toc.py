"""Tables of contents: a JORFSIMPLE ``JORFCONT`` or a PISTE ``jorfCont`` answer as an :class:`Issue`,
and which of its entries are vacancy notices."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lxml import etree

from crawler.jorf.piste import api_date
from crawler.parsing import clean
from storage.french import parse_date, strip_accents

VACANCY, RECRUITMENT, CONCOURS = "vacancy", "recruitment", "concours"


@functools.lru_cache(maxsize=4096)
def plain_words(text: str | None) -> str:
    """Text as a comparison key: accents, case, curly apostrophes and spacing ignored (punctuation kept,
    unlike :func:`storage.french.label_key`)."""
    return " ".join(strip_accents(text or "").lower().replace("’", "'").split())


@functools.lru_cache(maxsize=1024)
def _is_vacancy_heading(heading: str) -> bool:
    return re.search(r"\bvacances? d'emplois?\b", plain_words(heading)) is not None


@dataclass(frozen=True)
class TocEntry:
    text_id: str
    title: str | None
    headings: tuple[str, ...]
    nature: str | None = None  # PISTE's table of contents gives it, DILA's does not
    ministry: str | None = None  # likewise

    @functools.cached_property
    def vacancy_level(self) -> int | None:
        """Index of the "Avis de concours et de vacance d'emplois" heading in ``headings``."""
        for index, heading in enumerate(self.headings):
            if _is_vacancy_heading(heading):
                return index
        return None

    @property
    def section_ministry(self) -> str | None:
        level = self.vacancy_level
        if level is None or level + 1 >= len(self.headings):
            return self.ministry
        return self.headings[level + 1]


@dataclass
class Issue:
    container_id: str
    title: str | None  # "JORF n°0137 du 13 juin 2026"
    published_on: str | None
    entries: list[TocEntry]

    @functools.cached_property
    def has_vacancy_section(self) -> bool:
        return any(entry.vacancy_level is not None for entry in self.entries)


def _meta(root, name: str) -> str | None:
    """A field of a table of contents: at the root in JORFSIMPLE, under ``META`` in DILA's "global" format
    (``META/META_COMMUN/ID``, ``META/META_SPEC/META_CONTENEUR/TITRE``…)."""
    return (
        clean(root.findtext(name))
        or clean(root.findtext(f"META/META_COMMUN/{name}"))
        or clean(root.findtext(f"META/META_SPEC/META_CONTENEUR/{name}"))
    )


def parse_container(xml: bytes) -> Issue:
    """A ``JORFCONT`` table of contents (JORFSIMPLE, or DILA's "global" format with its facts under ``META``);
    ValueError (or lxml's XMLSyntaxError) when it is not one, or when its id or date cannot be read: an
    issue is never kept without them."""
    root = etree.fromstring(xml)
    if root.tag != "JO":
        raise ValueError(f"root element is <{root.tag}>, not <JO>")
    entries: list[TocEntry] = []

    def walk(node, headings: tuple[str, ...]) -> None:
        for child in node:
            if child.tag == "TM":
                walk(child, (*headings, clean(child.findtext("TITRE_TM")) or ""))
            elif child.tag == "LIEN_TXT" and child.get("idtxt"):
                entries.append(TocEntry(child.get("idtxt"), clean(child.get("titretxt")), headings))

    structure = root.find("STRUCTURE_TXT")
    if structure is not None:
        walk(structure, ())
    container_id, title = _meta(root, "ID"), _meta(root, "TITRE")
    published = parse_date(_meta(root, "DATE_PUBLI")) or parse_date(title)
    if not container_id or not published:
        missing = " and ".join(name for name, value in (("ID", container_id), ("DATE_PUBLI", published)) if not value)
        raise ValueError(f"table of contents without {missing} (neither at its root nor under META)")
    return Issue(container_id, title, published, entries)


def issue_from_piste(container: dict) -> Issue:
    """The ``joCont`` of a PISTE ``consult/jorfCont`` answer, as an :class:`Issue`."""
    entries: list[TocEntry] = []

    def entry(link: dict, headings: tuple[str, ...]) -> TocEntry:
        title, ministry = clean(link.get("titre")), clean(link.get("ministere"))
        return TocEntry(link["id"], title, headings, link.get("nature"), ministry)

    def walk(sections, headings: tuple[str, ...]) -> None:
        for section in sections or []:
            inner = (*headings, clean(section.get("titre")) or "")
            for link in section.get("liensTxt") or []:
                if link.get("id"):
                    entries.append(entry(link, inner))
            walk(section.get("tms"), inner)

    structure = container.get("structure") or {}
    for link in structure.get("liens") or []:
        if link.get("id"):
            entries.append(entry(link, ()))
    walk(structure.get("tms"), ())
    title = clean(container.get("titre"))
    return Issue(container.get("id") or "", title, parse_date(title) or api_date(container.get("datePubli")), entries)


# -- which texts are notices ----------------------------------------------------------------


def notice_kind(title: str | None) -> str | None:
    """What a title announces: a vacancy, a recruitment, an exam ("concours"), or none of these."""
    key = plain_words(title)
    if re.search(r"\bvacan(?:ce|ces|t|ts|te|tes)\b", key):
        return VACANCY
    if re.search(r"\brecrutements?\b", key) and "sans concours" in key:
        return RECRUITMENT
    if re.search(r"\b(?:concours|examens?|selection professionnelle)\b", key):
        return CONCOURS
    if re.search(r"\brecrutements?\b", key):
        return RECRUITMENT
    return None


def is_wanted(title: str | None, include_concours: bool = False) -> bool:
    kind = notice_kind(title)
    return kind in (VACANCY, RECRUITMENT) or (include_concours and kind == CONCOURS)


def is_fallback_notice(nature: str | None, title: str | None, include_concours: bool = False) -> bool:
    """Without the vacancy heading: an ``AVIS`` whose title is "Avis de vacance…" / "Avis de recrutement…"."""
    return (
        (nature or "").strip().upper() == "AVIS"
        and plain_words(title).startswith("avis")
        and is_wanted(title, include_concours)
    )


def vacancy_entries(issue: Issue, include_concours: bool = False) -> list[TocEntry]:
    """The texts of an issue's vacancy section whose title announces a vacancy or a recruitment."""
    return [
        entry for entry in issue.entries if entry.vacancy_level is not None and is_wanted(entry.title, include_concours)
    ]


def notice_entries(issue: Issue, include_concours: bool = False) -> list[tuple[TocEntry, str | None]]:
    """The vacancy notices of an issue whose entries give their nature (PISTE's), each with its
    ministry: those of the vacancy section, or without one the ``AVIS`` announcing a vacancy."""
    if issue.has_vacancy_section:
        return [(entry, entry.section_ministry) for entry in vacancy_entries(issue, include_concours)]
    return [
        (entry, entry.ministry)
        for entry in issue.entries
        if is_fallback_notice(entry.nature, entry.title, include_concours)
    ]
