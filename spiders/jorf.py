"""Journal officiel (JORF): "avis de vacance d'emploi" as offers, from DILA's JORFSIMPLE open data.

DILA publishes the JO as open data, no key needed: ``OPENDATA/JORFSIMPLE/`` is a
plain Apache index of ``JORFSIMPLE_YYYYMMDD-HHMMSS.tar.gz`` archives, two a day
(the issue around 00:30, maintenance re-sends around 21:00). Their names cannot
be predicted, so the index is always listed; name order is delivery order.
Every archive read is written in a ledger (``storage.archives``): an archive is
downloaded once, and marked processed only after its notices are stored.

Inside an archive, under a wrapper folder named after its timestamp, each issue
has a folder ``jorf/simple/JORF/CONT/…/JORFCONT…/`` holding its table of contents
(``JORFCONT….xml``: ``<JO>``, nested ``<TM niv><TITRE_TM>`` headings, and
``<LIEN_TXT idtxt titretxt>``) and one self-contained ``JORFTEXT….xml``
(``<TEXTE>``) per text.

Vacancy notices are the texts listed under "Avis de concours et de vacance
d'emplois" (level 3; the level-4 heading is the ministry) whose title announces
a vacancy or a recruitment; exam notices only when ``include_concours`` is set.
An issue without that heading falls back on ``NATURE=AVIS`` and an "Avis de
vacance/recrutement…" title. A notice's source_id is its JORFTEXT id: the
evening archives re-send old texts, and a re-sent unchanged text is not new.

Optional PISTE mode (Légifrance API), only when client credentials are
configured: OAuth client credentials, then ``consult/lastNJo`` →
``consult/jorfCont`` → ``consult/jorf``, with the same items out.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import json
import re
import tarfile
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.html
import scrapy
from lxml import etree
from scrapy import signals
from scrapy.http import JsonRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.errors import (
    BAD_ARCHIVE,
    LAYOUT_CHANGED,
    SPIDER_EXCEPTION,
    classify_failure,
)
from crawler.items import OfferItem
from crawler.parsing import clean, element_text, find_emails, find_phones
from crawler.spider import VeilleSpider
from storage import archives
from storage.french import (
    add_to_date,
    french_number,
    normalize_category,
    normalize_versant,
    parse_date,
    strip_accents,
)
from storage.offers import get_offer
from storage.places import (
    department_from_postcode,
    find_postal_town,
    find_region,
    region_of_department,
)
from storage.superseded import CANCELLED, REPLACED, published_on, record_superseded

SOURCE = "jorf"
ARCHIVE_NAME = re.compile(r"JORFSIMPLE_(?P<date>\d{8})-(?P<time>\d{6})\.tar\.gz")
LEGIFRANCE_TEXT = "https://www.legifrance.gouv.fr/jorf/id/{}"
# Maintenance archives weigh up to ~18 MB; that size is expected, not worth a warning.
ARCHIVE_WARNSIZE = 48 * 1024 * 1024
VACANCY, RECRUITMENT, CONCOURS = "vacancy", "recruitment", "concours"


@functools.lru_cache(maxsize=4096)
def _key(text: str | None) -> str:
    """Text as a comparison key: accents, case, curly apostrophes and spacing ignored."""
    return " ".join(strip_accents(text or "").lower().replace("’", "'").split())


# -- the DILA index -------------------------------------------------------------------------


def archive_names(hrefs) -> list[str]:
    """The ``JORFSIMPLE_*.tar.gz`` archives an index links to, oldest first (name order is time order)."""
    names = set()
    for href in hrefs:
        name = href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if ARCHIVE_NAME.fullmatch(name):
            names.add(name)
    return sorted(names)


def archive_date(name: str) -> str:
    day = ARCHIVE_NAME.search(name).group("date")
    return f"{day[:4]}-{day[4:6]}-{day[6:]}"


# -- tables of contents ---------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _is_vacancy_heading(heading: str) -> bool:
    return re.search(r"\bvacances? d'emplois?\b", _key(heading)) is not None


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


def parse_container(xml: bytes) -> Issue:
    """A JORFSIMPLE ``JORFCONT`` table of contents; ValueError (or lxml's XMLSyntaxError) when it is not one."""
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
    title = clean(root.findtext("TITRE"))
    return Issue(clean(root.findtext("ID")) or "", title, parse_date(root.findtext("DATE_PUBLI")) or parse_date(title), entries)


def _api_date(value) -> str | None:
    """A Légifrance API date: epoch milliseconds (midnight, Paris or UTC) or an ISO string."""
    if isinstance(value, (int, float)):
        # Noon of the instant's day whichever midnight it meant: Paris midnight is 22:00 or 23:00 UTC the day before.
        return dt.datetime.fromtimestamp(value / 1000 + 12 * 3600, tz=dt.UTC).date().isoformat()
    return parse_date(str(value)) if value else None


def issue_from_piste(container: dict) -> Issue:
    """The ``joCont`` of a PISTE ``consult/jorfCont`` answer, as an :class:`Issue`."""
    entries: list[TocEntry] = []

    def walk(sections, headings: tuple[str, ...]) -> None:
        for section in sections or []:
            inner = (*headings, clean(section.get("titre")) or "")
            for link in section.get("liensTxt") or []:
                if link.get("id"):
                    entries.append(TocEntry(link["id"], clean(link.get("titre")), inner, link.get("nature"), clean(link.get("ministere"))))
            walk(section.get("tms"), inner)

    structure = container.get("structure") or {}
    for link in structure.get("liens") or []:
        if link.get("id"):
            entries.append(TocEntry(link["id"], clean(link.get("titre")), (), link.get("nature"), clean(link.get("ministere"))))
    walk(structure.get("tms"), ())
    title = clean(container.get("titre"))
    return Issue(container.get("id") or "", title, parse_date(title) or _api_date(container.get("datePubli")), entries)


def notice_kind(title: str | None) -> str | None:
    """What a title announces: a vacancy, a recruitment, an exam ("concours"), or none of these."""
    key = _key(title)
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
    return (nature or "").strip().upper() == "AVIS" and _key(title).startswith("avis") and is_wanted(title, include_concours)


def vacancy_entries(issue: Issue, include_concours: bool = False) -> list[TocEntry]:
    """The texts of an issue's vacancy section whose title announces a vacancy or a recruitment."""
    return [entry for entry in issue.entries if entry.vacancy_level is not None and is_wanted(entry.title, include_concours)]


# -- texts ----------------------------------------------------------------------------------


@dataclass
class Notice:
    """A JO text, as JORFSIMPLE or the PISTE API gives it."""

    text_id: str
    title: str
    nature: str | None
    nor: str | None
    published_on: str | None
    text_date: str | None
    jo_number: str | None  # NUM_PARUTION, "0191"
    jo_title: str | None  # "JORF n°0191 du 18 août 2021"
    container_id: str | None
    sequence: str | None  # NUM_SEQUENCE, the "texte n°" in the issue
    ministry: str | None  # MINISTERE
    html: str
    text: str
    linked_ids: list[str] = field(default_factory=list)


def _inner_html(element) -> str:
    return (element.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in element)


def parse_texte(xml: bytes) -> Notice:
    """A JORFSIMPLE ``<TEXTE>``; ValueError (or lxml's XMLSyntaxError) when it is not one."""
    root = etree.fromstring(xml)
    if root.tag != "TEXTE":
        raise ValueError(f"root element is <{root.tag}>, not <TEXTE>")
    text_id = clean(root.findtext("ID"))
    title = clean(root.findtext("TITREFULL")) or clean(root.findtext("TITRE"))
    if not text_id or not title:
        raise ValueError("text without ID or TITREFULL")
    blocks = root.findall("STRUCT//BLOC_TEXTUEL/CONTENU")
    origin = root.find("ORIGINE_PUBLI")
    linked = [
        value
        for link in root.iter("LIEN")
        for value in (link.get("cidtexte"), link.get("id"))
        if value and value.startswith("JORFTEXT") and value != text_id
    ]
    return Notice(
        text_id=text_id,
        title=title,
        nature=clean(root.findtext("NATURE")),
        nor=clean(root.findtext("NOR")),
        published_on=parse_date(root.findtext("DATE_PUBLI")),
        text_date=parse_date(root.findtext("DATE_TEXTE")),
        jo_number=clean(root.findtext("NUM_PARUTION")),
        jo_title=clean(origin.text) if origin is not None else None,
        container_id=origin.get("id") if origin is not None else None,
        sequence=clean(root.findtext("NUM_SEQUENCE")),
        ministry=clean(root.findtext("MINISTERE")),
        html="\n".join(_inner_html(block).strip() for block in blocks),
        text="\n".join(filter(None, (element_text(block) for block in blocks))),
        linked_ids=list(dict.fromkeys(linked)),
    )


def _piste_articles(data: dict):
    yield from data.get("articles") or []
    for section in data.get("sections") or []:
        yield from _piste_articles(section)


def notice_from_piste(data: dict, issue: Issue | None = None) -> Notice:
    """A PISTE ``consult/jorf`` answer as a :class:`Notice`; ValueError when it has no id or title."""
    text_id = data.get("cid") or data.get("id")
    title = clean(data.get("title"))
    if not text_id or not title:
        raise ValueError("consult/jorf answer without cid or title")
    contents = [article.get("content") or "" for article in _piste_articles(data)]
    texts = [element_text(lxml.html.fragment_fromstring(content, create_parent="div")) for content in contents if content.strip()]
    jo_title = clean(data.get("jorfText")) if (data.get("jorfText") or "").startswith("JORF") else (issue.title if issue else None)
    linked = [link.get("cidTexte") for link in data.get("liens") or [] if (link.get("cidTexte") or "").startswith("JORFTEXT")]
    return Notice(
        text_id=text_id,
        title=title,
        nature=clean(data.get("nature")),
        nor=clean(data.get("nor")),
        published_on=_api_date(data.get("dateParution")) or (issue.published_on if issue else None),
        text_date=_api_date(data.get("dateTexte")),
        jo_number=clean(data.get("numParution")),
        jo_title=jo_title,
        container_id=data.get("idConteneur") or (issue.container_id if issue else None),
        sequence=clean(str(data["textNumber"])) if data.get("textNumber") else None,
        ministry=clean(data.get("ministere")),
        html="\n".join(content.strip() for content in contents),
        text="\n".join(filter(None, texts)),
        linked_ids=list(dict.fromkeys(linked)),
    )


# -- offer fields from a notice -------------------------------------------------------------

_TITLE_HEAD = re.compile(r"^avis\s+(?:de|d['’])\s*(?:vacance|recrutement)s?\s+", re.I)
_ARTICLE = re.compile(r"^(?:d['’]une?\b|de\s+la\b|de\s+l['’]|des\b|du\b|de\b|d['’])\s*", re.I)
_JOB_NOUN = re.compile(r"^(?:emplois?|postes?)\b\s*", re.I)
_WORKING_TIME = re.compile(r"\s*,?\s*[àa] temps (?:complet|plein|partiel|non complet)\s*,?\s*", re.I)
_LOCATIVE = re.compile(r"\s(?:au|aux|à la|à l['’]|auprès (?:du|de la|de l['’]|des))\s", re.I)
_ORGANISATION = re.compile(
    r"^(?:secr[ée]tariat|direction|service|d[ée]l[ée]gation|pr[ée]fecture|minist[èe]re|agence|institut|inspection|cabinet"
    r"|mission|bureau|office|conseil|commissariat|centre|[ée]cole|[ée]tablissement|haut|cour|tribunal|[ée]tat-major|sgar"
    r"|administration|universit[ée]|rectorat|acad[ée]mie|caisse|ambassade|d[ée]partement|p[ôo]le)\b",
    re.I,
)
# "directeur adjoint de la direction départementale …": the post, then the service it heads.
_OF_SERVICE = re.compile(r"\s(?:de la|du|de l['’])\s(?=(?:direction|d[ée]l[ée]gation|secr[ée]tariat|agence|inspection|pr[ée]fecture)\b)", re.I)
_SENTENCE_POST = re.compile(
    r"^(?:un|une|l['’]|le|les|deux|trois|quatre|cinq)\s*(?:emplois?|postes?)\s+(?:de\s+|d['’])(?P<post>.+?)\s+"
    r"(?:sera|est|seront|sont)\s+(?:susceptibles?\s+d['’][êe]tre\s+)?(?:d[ée]clar[ée]s?\s+)?vacant",
    re.I,
)
_SGAR = re.compile(
    r"^secr[ée]tariat g[ée]n[ée]ral pour les affaires r[ée]gionales(?:\s*\(SGAR\))?\s*(?:(?:de la r[ée]gion|de la|de|du|d['’])\s*(?P<rest>.+))?$",
    re.I,
)


def _split_post(text: str) -> tuple[str | None, str | None, str | None]:
    """"chargé de mission … au secrétariat général …" -> (post, employer, place hint)."""
    post, employer, place = text, None, None
    for match in _LOCATIVE.finditer(text):
        if _ORGANISATION.match(text[match.end() :]):
            post, employer = text[: match.start()], text[match.end() :]
            break
    else:
        match = _OF_SERVICE.search(text)
        if match:
            post, employer = text[: match.start()], text[match.end() :]
    bracket = re.search(r"\s*\(([^()]*)\)\s*$", post)
    if bracket:
        inside = bracket.group(1).strip()
        if find_region(inside) and len(inside.split()) <= 5 and not _ORGANISATION.match(inside):
            place, post = inside, post[: bracket.start()]
        elif _ORGANISATION.match(inside):
            employer, post = employer or inside, post[: bracket.start()]
    post = _WORKING_TIME.sub(" ", post).strip(" ,;")
    return post or None, employer, place


def post_from_title(title: str) -> tuple[str | None, str | None, str | None]:
    """(post, employer, place hint) from "Avis de vacance d'un emploi de <post> [au <service>] [(<place>)]"."""
    rest = _TITLE_HEAD.sub("", title, count=1)
    if rest == title:
        return None, None, None
    rest = _ARTICLE.sub("", rest, count=1)
    if _JOB_NOUN.match(rest):
        rest = _ARTICLE.sub("", _WORKING_TIME.sub(" ", _JOB_NOUN.sub("", rest, count=1)).strip(), count=1)
    if rest.startswith("("):  # "Avis de vacance d'emplois (directions territoriales de la PJJ)": no post named
        inside = rest.strip("() ")
        return None, inside if _ORGANISATION.match(inside) else None, inside
    return _split_post(rest)


def _employer_in_sentence(sentence: str) -> str | None:
    for match in _LOCATIVE.finditer(sentence):
        after = sentence[match.end() :]
        if _ORGANISATION.match(after):
            return re.split(r",?\s(?:[àa] compter|[àa] partir|sera|est|sont|seront|dont|pour|afin)\b|[;.](?:\s|$)", after, maxsplit=1)[0]
    return None


def _employer_name(text: str | None) -> str | None:
    """"secrétariat général pour les affaires régionales d'Occitanie" -> "SGAR Occitanie"; others capitalised."""
    text = clean(text)
    if not text:
        return None
    text = text.rstrip(" .,;")
    sgar = _SGAR.match(text)
    if sgar:
        rest = sgar.group("rest")
        return f"SGAR {find_region(rest) or rest}" if rest else "SGAR"
    return text[0].upper() + text[1:]


def _is_heading(line: str) -> bool:
    """Notices have no markup for headings: a heading is a short line without final punctuation."""
    return (
        len(line) <= 80
        and line[-1] not in ".;,:!?"
        and not line.startswith(("-", "•", "–", "*"))
        and line[0].isupper()
        and len(line.split()) <= 10
    )


def _sections(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The lines before the first heading, and each heading's lines."""
    intro: list[str] = []
    sections: dict[str, list[str]] = {}
    current = intro
    for line in lines:
        if _is_heading(line) and line not in sections:
            current = sections[line] = []
        else:
            current.append(line)
    return intro, sections


_MISSION_HEADINGS = ("mission", "interet du poste", "description", "presentation du poste", "fonctions", "attributions", "activites")
_PROFILE_HEADINGS = ("competence", "profil", "qualites", "conditions", "experience", "savoir")
_CONTACT_HEADINGS = ("contact", "renseignement")


def _joined_sections(sections: dict[str, list[str]], words: tuple[str, ...]) -> str | None:
    parts = ["\n".join(lines) for heading, lines in sections.items() if any(word in _key(heading) for word in words) and lines]
    return "\n".join(parts) or None


_VACANT = re.compile(r"\bvacan(?:t|te|ts|tes)\b(?P<rest>[^.;]{0,160})", re.I)
_VACANT_FROM = re.compile(
    r"(?:[àa] compter du|[àa] partir du|d[èe]s le|[àa] la date du|\ble|\bau)\s+(?P<date>\d{1,2}(?:er)?\s+\w+\s+\d{4}|\d{1,2}/\d{1,2}/\d{4})", re.I
)


def _vacancy_date(text: str) -> str | None:
    """"sera vacant à compter du 1er octobre 2021", "est vacant à la direction … à compter du …"."""
    for match in _VACANT.finditer(text):
        for date in _VACANT_FROM.finditer(match.group("rest")):
            iso = parse_date(date.group("date"))
            if iso:
                return iso
    return None


_DEADLINE_MARKER = re.compile(
    r"(?:au plus tard(?: le)?|avant le|jusqu['’]au|date limite[^:.]{0,60}?(?::|est fix[ée]e au|au)?)\s*(?P<rest>[^;\n]{0,60})", re.I
)
_DELAY = re.compile(r"d[ée]lai\s+(?:de\s+|d['’])(?P<number>[\w\s-]{1,40}?)\s+(?P<unit>jours?|semaines?|mois)\b(?P<rest>[^.;]{0,160})", re.I)
_APPLICATION_WORDS = re.compile(r"candidat|dossier|d[ée]p[ôo]t|transmis|adress", re.I)


def _deadline(text: str, published: str | None) -> str | None:
    """An explicit date ("au plus tard le 3 juillet 2026") in a sentence about applying, else
    "dans un délai de trente jours à compter de la publication" counted from the publication date."""
    for match in _DEADLINE_MARKER.finditer(text):
        sentence_start = max(text.rfind(". ", 0, match.start()), text.rfind("\n", 0, match.start())) + 1
        if _APPLICATION_WORDS.search(text, sentence_start, match.end()) or _APPLICATION_WORDS.search(match.group("rest")):
            date = parse_date(match.group("rest"))
            if date:
                return date
    if not published:
        return None
    for match in _DELAY.finditer(text):
        if "publication" not in match.group("rest").lower():
            continue
        number = french_number(match.group("number"))
        if not number:
            continue
        unit = _key(match.group("unit"))
        if unit.startswith("mois"):
            return add_to_date(published, months=number)
        return add_to_date(published, days=number * (7 if unit.startswith("semaine") else 1))
    return None


_CONTACT_NAME = re.compile(
    r"^(?:(?:M\.|Mme|Mlle|Monsieur|Madame)\s+)?(?P<name>[A-ZÀ-Ý][\w'’.-]*(?:\s+(?:de\s+|d['’]|du\s+|le\s+)?[A-ZÀ-Ý][\w'’.-]*){1,3})"
    r"\s*(?:,|\(|\s[-–]\s)\s*(?P<rest>.*)$"
)
_CONTACT_DETAILS = re.compile(
    r"\s*(?:[-–,(:]\s*)*(?:t[ée]l[ée]phone|t[ée]l\b\.?|courriel|m[ée]l\b|e-?mail|adresse [ée]lectronique|portable)\b.*$", re.I
)
_MASKED_EMAIL = "[email protected]"


def _contact(line: str) -> dict | None:
    phones, emails = find_phones(line), find_emails(line)
    contact: dict = {}
    match = _CONTACT_NAME.match(line)
    if match:
        contact["name"] = match.group("name")
        role = clean(_CONTACT_DETAILS.sub("", match.group("rest")))
        role = role.strip(" ,;:-–().") if role else None
        if role:
            contact["role"] = role
    if not (match or phones or emails or _MASKED_EMAIL in line):
        return None
    if phones:
        contact["phone"] = phones[0]
    if emails:
        contact["email"] = emails[0]
    contact["text"] = line
    return contact


def _contacts(sections: dict[str, list[str]], lines: list[str]) -> list[dict]:
    contact_lines = [line for heading, body in sections.items() if any(w in _key(heading) for w in _CONTACT_HEADINGS) for line in body]
    if not contact_lines:
        # No "Personnes à contacter" heading: lines with a phone number that are not a postal address.
        contact_lines = [line for line in lines if find_phones(line) and not find_postal_town(line)]
    return [contact for contact in map(_contact, contact_lines) if contact]


_SUPERSEDES = re.compile(r"(?P<verb>annule et remplace|remplace|annule|rectifie|modifie)\s+l['’]avis\b(?P<rest>[^.]*)", re.I)
_ANNULLED = re.compile(r"l['’]avis\b(?P<rest>[^.]*?)\b(?:est|a été)\s+(?P<verb>annul[ée]|retir[ée]|rapport[ée]|remplac[ée])", re.I)
_JO_REFERENCE = re.compile(
    r"journal officiel(?: de la r[ée]publique fran[cç]aise)?(?:\s+n°\s*(?P<number>\d+))?\s+du\s+(?P<date>\d{1,2}(?:er)?\s+\w+\s+\d{4})"
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
        verb = _key(match.group("verb"))
        sentence_start = max(notice.text.rfind(".", 0, match.start()), notice.text.rfind("\n", 0, match.start())) + 1
        sentence_end = notice.text.find(".", match.end())
        sentence = clean(notice.text[sentence_start : sentence_end + 1 if sentence_end >= 0 else None])
        reference = {"relation": CANCELLED if verb.startswith(("annule", "retir", "rapport")) and "remplac" not in verb else REPLACED, "phrase": sentence}
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


def notice_offer(notice: Notice, ministry: str | None = None) -> OfferItem:
    """Every field of an offer from a vacancy notice; ``ministry`` is the table of contents' heading."""
    lines = notice.text.splitlines()
    intro, sections = _sections(lines)
    vacancy_line = next((line for line in lines if "vacan" in line.lower()), lines[0] if lines else "")
    post, employer, place = post_from_title(notice.title)
    if not post:
        sentence = _SENTENCE_POST.match(vacancy_line)
        if sentence:
            post, sentence_employer, _ = _split_post(sentence.group("post"))
            employer = employer or sentence_employer
    employer = _employer_name(employer or _employer_in_sentence(vacancy_line))
    ministry = ministry or notice.ministry
    named_region = find_region(notice.title) or find_region(place) or find_region(employer) or find_region(vacancy_line)
    postal = find_postal_town(notice.text)
    department = department_from_postcode(postal[0]) if postal else None
    if named_region and department and region_of_department(department) != named_region:
        # The only address is elsewhere (applications go to the ministry in Paris): not the post's place.
        postal = department = None
    region = named_region or region_of_department(department)
    application = _joined_sections(sections, ("candidature", "modalites"))
    emails = find_emails(application)
    profile = _joined_sections(sections, _PROFILE_HEADINGS)
    raw: dict = {
        "ID": notice.text_id,
        "NOR": notice.nor,
        "NATURE": notice.nature,
        "NUM_PARUTION": notice.jo_number,
        "NUM_SEQUENCE": notice.sequence,
        "DATE_PUBLI": notice.published_on,
        "DATE_TEXTE": notice.text_date,
        "ORIGINE_PUBLI": notice.jo_title,
        "JORFCONT": notice.container_id,
        "TITREFULL": notice.title,
        "MINISTERE": notice.ministry,
        "poste": post,
        "texte": notice.text,
        "html": notice.html,
    }
    if intro:
        raw["annonce"] = "\n".join(intro)
    raw.update({heading: "\n".join(body) for heading, body in sections.items()})
    reference = earlier_notice_reference(notice)
    if reference:
        raw["avis antérieur"] = reference
    if _MASKED_EMAIL in notice.text:
        # The capture hid the addresses (Cloudflare's "[email protected]"): there is no address to keep.
        raw["courriels masqués"] = notice.text.count(_MASKED_EMAIL)
    return OfferItem(
        source=SOURCE,
        source_id=notice.text_id,
        url=LEGIFRANCE_TEXT.format(notice.text_id),
        title=(post[0].upper() + post[1:]) if post else notice.title,
        employer=employer or ministry,
        organisation=ministry,
        versant=normalize_versant(notice.title) or "État",
        category=normalize_category(profile or notice.text),
        location=postal[1] if postal else None,
        department=department,
        region=region,
        published_on=notice.published_on,
        deadline=_deadline(notice.text, notice.published_on),
        vacancy_date=_vacancy_date(notice.text),
        missions=_joined_sections(sections, _MISSION_HEADINGS) or (notice.text if not sections else None),
        profile=profile,
        contacts=_contacts(sections, lines),
        apply_url=f"mailto:{emails[0]}" if emails else None,
        raw={key: value for key, value in raw.items() if value not in (None, "")},
    )


# -- archives -------------------------------------------------------------------------------


class BadArchive(Exception):
    """An archive that cannot be read as a JORFSIMPLE delivery (truncated, no table of contents, bad XML)."""


@dataclass
class ArchiveContents:
    texts_seen: int
    chosen: list[tuple[str, str | None]]  # the notices' text ids, oldest first, with their ministry heading
    held: dict[str, bytes]  # the chosen texts' XML, released as they are parsed
    missing: list[str] = field(default_factory=list)  # listed as vacancies, absent from the archive
    broken: list[str] = field(default_factory=list)  # chosen texts that could not be parsed

    def notices(self) -> Iterator[tuple[Notice, str | None]]:
        """Each notice, parsed when asked for (a text that is not XML goes to ``broken``)."""
        for text_id, ministry in self.chosen:
            data = self.held.pop(text_id, None)
            if data is None:
                continue
            try:
                yield parse_texte(data), ministry
            except (etree.XMLSyntaxError, ValueError) as error:
                self.broken.append(f"{text_id}: bad XML: {error}")


_HEAD_BYTES = 4096
_HEAD_FIELD = re.compile(rb"<(NATURE|TITREFULL|DATE_PUBLI|NUM_SEQUENCE)>([^<]*)</\1>")


def read_archive(body: bytes, include_concours: bool = False) -> ArchiveContents:
    """Which texts of a JORFSIMPLE archive are vacancy notices, in one streaming pass.

    Only the head of each text is looked at (NATURE, TITREFULL…) and only the texts
    that may be notices are kept; tables of contents are reduced to what decides.
    A 13 MB maintenance archive unpacks to ~100 MB of XML, nearly all of it irrelevant.
    """
    chosen: dict[str, str | None] = {}  # by the tables of contents
    placed: set[str] = set()  # texts whose table of contents has a vacancy section
    heads: dict[str, dict[str, str]] = {}
    held: dict[str, bytes] = {}
    containers = texts_seen = 0
    try:
        # "r|*": a stream, gzip or not (a server may already have decoded it); the wrapper folder is ignored.
        with tarfile.open(fileobj=io.BytesIO(body), mode="r|*") as tar:
            while (member := tar.next()) is not None:
                # A stream keeps every member's header otherwise: ~1 KB each, twice the archive's size.
                tar.members.clear()
                filename = member.name.rsplit("/", 1)[-1]
                if not member.isfile() or not filename.endswith(".xml"):
                    continue
                if filename.startswith("JORFCONT"):
                    try:
                        issue = parse_container(tar.extractfile(member).read())
                    except (etree.XMLSyntaxError, ValueError) as error:
                        raise BadArchive(f"{member.name}: bad XML: {error}") from None
                    containers += 1
                    if issue.has_vacancy_section:
                        placed.update(entry.text_id for entry in issue.entries)
                        chosen.update((entry.text_id, entry.section_ministry) for entry in vacancy_entries(issue, include_concours))
                elif filename.startswith("JORFTEXT"):
                    texts_seen += 1
                    handle = tar.extractfile(member)
                    head = handle.read(_HEAD_BYTES)
                    fields = {name.decode(): html.unescape(value.decode("utf-8", "replace")) for name, value in _HEAD_FIELD.findall(head)}
                    if "TITREFULL" not in fields or fields.get("NATURE") == "AVIS" or notice_kind(fields["TITREFULL"]):
                        text_id = filename[: -len(".xml")]
                        held[text_id] = head + handle.read()
                        heads[text_id] = fields
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise BadArchive(f"not a readable tar.gz: {error}") from None
    if not containers:
        raise BadArchive("no JORFCONT (issue table of contents) in the archive")

    for text_id, fields in heads.items():
        if text_id not in chosen and text_id not in placed and is_fallback_notice(fields.get("NATURE"), fields.get("TITREFULL"), include_concours):
            chosen[text_id] = None  # no table of contents with a vacancy section decided for it
    missing = [text_id for text_id in chosen if text_id not in held]

    def publication_order(text_id: str):
        fields = heads[text_id]
        sequence = fields.get("NUM_SEQUENCE", "")
        return fields.get("DATE_PUBLI", ""), int(sequence) if sequence.isdigit() else 0, text_id

    order = sorted((text_id for text_id in chosen if text_id in held), key=publication_order)
    return ArchiveContents(
        texts_seen, [(text_id, chosen[text_id]) for text_id in order], {text_id: held[text_id] for text_id in order}, missing
    )


# -- the spider -----------------------------------------------------------------------------


@dataclass
class _Batch:
    """An archive (or a PISTE issue) being read: it is settled in the ledger once every
    part of it is read and every offer found in it has been stored or dropped."""

    name: str
    kind: str
    date: str | None
    url: str | None
    size: int | None = None
    open_parts: int = 1
    pending_items: int = 0
    texts_seen: int = 0
    notices_found: int = 0
    errors: list[str] = field(default_factory=list)
    settled: bool = False


class JorfSpider(VeilleSpider):
    """Arguments: ``since=YYYY-MM-DD`` reads the archives (or issues) delivered since that date that
    are not yet processed; ``full=1`` reads them again even if they were. The setting
    ``JORF_INDEX_URL`` (``-s``) overrides ``[sources.jorf] index_url``."""

    name = "jorf"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source_config = spider.config.sources.jorf
        spider.index_url = crawler.settings.get("JORF_INDEX_URL") or spider.source_config.index_url
        spider.piste = spider.source_config.piste if spider.source_config.piste.enabled else None
        spider.batches = {}
        spider.queue = deque()
        spider.token, spider.token_expires, spider.token_waiting = None, 0.0, None
        crawler.signals.connect(spider._item_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_stored, signal=signals.item_dropped)
        crawler.signals.connect(spider._item_failed, signal=signals.item_error)
        return spider

    def run_options(self) -> dict:
        where = {"api_url": self.piste.api_url} if self.piste else {"index_url": self.index_url}
        return {**super().run_options(), "mode": "piste" if self.piste else "dila", **where}

    def listing_complete(self) -> bool:
        # Archives are daily deltas: a notice missing from them is not gone. JO offers close
        # by their deadline or by a notice cancelling them, never by absence.
        return False

    async def start(self):
        if self.piste:
            for request in self._last_issues_request():
                yield request
        else:
            yield scrapy.Request(self.index_url, callback=self.parse_index, errback=self.on_request_error, dont_filter=True)

    def _window_start(self, kind: str) -> str:
        """Read what was delivered since ``--since``, else since the oldest archive ever tried, else
        (the very first run) during the last ``first_run_days`` days."""
        if self.since:
            return self.since
        earliest = archives.earliest_date(self.db, kind)
        if earliest:
            return earliest
        return (dt.date.today() - dt.timedelta(days=self.source_config.first_run_days)).isoformat()

    # -- batches and the ledger --------------------------------------------------------------

    def _open_batch(self, name: str, kind: str, date: str | None, url: str | None, size: int | None = None) -> _Batch:
        batch = self.batches[name] = _Batch(name, kind, date, url, size)
        return batch

    def _batch_of(self, response) -> _Batch | None:
        name = response.meta.get("jorf_batch") if response is not None and hasattr(response, "meta") else None
        return self.batches.get(name)

    def _item_stored(self, item, response, spider, **kwargs):
        batch = self._batch_of(response)
        if batch:
            batch.pending_items -= 1
            self._settle(batch)

    def _item_failed(self, item, response, spider, failure):
        batch = self._batch_of(response)
        if batch:
            batch.errors.append(f"an offer could not be stored: {failure.value}")
            batch.pending_items -= 1
            self._settle(batch)

    def _part_done(self, batch: _Batch) -> None:
        batch.open_parts -= 1
        self._settle(batch)

    def _settle(self, batch: _Batch) -> None:
        if batch.settled or batch.open_parts > 0 or batch.pending_items > 0:
            return
        batch.settled = True
        details = {"kind": batch.kind, "date": batch.date, "url": batch.url, "size": batch.size, "run_id": self.run_id}
        if batch.errors:
            status = archives.record_failure(
                self.db, batch.name, error="; ".join(batch.errors), texts_seen=batch.texts_seen, notices_found=batch.notices_found, **details
            )
            self.logger.warning("%s: not processed (%s), will be read again next run", batch.name, status)
        else:
            archives.record_processed(self.db, batch.name, texts_seen=batch.texts_seen, notices_found=batch.notices_found, **details)
            self.logger.info("%s: %d texts, %d notices", batch.name, batch.texts_seen, batch.notices_found)

    def _batch_error(self, batch: _Batch, error_class: str, message: str, url: str | None) -> None:
        self.count_error(error_class, f"{batch.name}: {message}", url)
        batch.errors.append(message)

    def _offers(self, batch: _Batch, notices, url: str | None):
        for notice, ministry in notices:
            offer = notice_offer(notice, ministry)
            batch.notices_found += 1
            reference = offer.raw.get("avis antérieur")
            if reference and reference["relation"] == CANCELLED:
                # A notice that only withdraws an earlier one is no offer: it closes that one.
                self._record_superseded(offer)
                continue
            batch.pending_items += 1
            yield offer
            if reference:
                self._record_superseded(offer)

    # -- cancelled and replaced notices ------------------------------------------------------

    def _record_superseded(self, offer: OfferItem) -> None:
        reference = offer.raw.get("avis antérieur")
        if not reference:
            return
        earlier = self._earlier_offer(offer, reference)
        if earlier is None:
            self.logger.warning("%s %s an earlier notice that is not stored: %s", offer.source_id, reference["relation"], reference["phrase"])
            return
        record_superseded(
            self.db, SOURCE, earlier, superseded_by=offer.source_id, relation=reference["relation"], evidence=reference["phrase"], run_id=self.run_id
        )

    def _earlier_offer(self, offer: OfferItem, reference: dict) -> str | None:
        for text_id in reference.get("ids", []):
            if get_offer(self.db, SOURCE, text_id):
                return text_id
        if not reference.get("date"):
            return None
        candidates = [row for row in published_on(self.db, SOURCE, reference["date"]) if row["source_id"] != offer.source_id]
        for key, raw_key in (("num_sequence", "NUM_SEQUENCE"), ("num_parution", "NUM_PARUTION")):
            if reference.get(key):
                candidates = [row for row in candidates if json.loads(row["raw"]).get(raw_key, "").lstrip("0") == reference[key].lstrip("0")]
        if len(candidates) > 1:
            candidates = [row for row in candidates if _key(row["title"]) == _key(offer.title)]
        return candidates[0]["source_id"] if len(candidates) == 1 else None

    # -- DILA archives -----------------------------------------------------------------------

    def parse_index(self, response):
        names = archive_names(response.xpath("//a/@href").getall())
        if not names:
            self.layout_changed("the index links to no JORFSIMPLE_YYYYMMDD-HHMMSS.tar.gz archive", response)
            return
        start = self._window_start(archives.DILA_ARCHIVE)
        settled = set() if self.full else archives.settled_names(self.db, archives.DILA_ARCHIVE)
        older = [name for name in names if archive_date(name) < start]
        todo = [name for name in names if archive_date(name) >= start and name not in settled]
        self.logger.info(
            "index: %d archives, %d to read, %d already processed, %d before %s not read (see --since)",
            len(names), len(todo), len(names) - len(todo) - len(older), len(older), start,
        )  # fmt: skip
        self.queue.extend((name, response.urljoin(name)) for name in todo)
        yield from self._next_archive()

    def _next_archive(self):
        """One archive at a time, in delivery order: a notice replacing another is read after it."""
        if self.queue:
            name, url = self.queue.popleft()
            yield scrapy.Request(
                url,
                callback=self.parse_archive,
                errback=self.archive_failed,
                meta={"jorf_batch": name, "download_warnsize": ARCHIVE_WARNSIZE},
                dont_filter=True,
            )

    def parse_archive(self, response):
        name = response.meta["jorf_batch"]
        batch = self._open_batch(name, archives.DILA_ARCHIVE, archive_date(name), response.url, len(response.body))
        yield from self._guarded(batch, name, response.url, self._archive_offers(batch, response))
        yield from self._next_archive()

    def _guarded(self, batch: _Batch, name: str, url: str, parts):
        """What ``parts`` yields for one archive or issue; a bug reading it is recorded as
        that batch's error instead of stopping the others."""
        try:
            yield from parts
        except Exception as error:
            self.logger.exception("reading %s failed", name)
            self._batch_error(batch, SPIDER_EXCEPTION, f"{error.__class__.__name__}: {error}", url)
        finally:
            self._part_done(batch)

    def _archive_offers(self, batch: _Batch, response):
        try:
            contents = read_archive(response.body, self.source_config.include_concours)
        except BadArchive as error:
            self._batch_error(batch, BAD_ARCHIVE, str(error), response.url)
            return
        batch.texts_seen = contents.texts_seen
        unknown = [text_id for text_id in contents.missing if not get_offer(self.db, SOURCE, text_id)]
        if unknown and not contents.texts_seen:
            # Tables of contents list vacancies yet no text file came: texts are no longer where we look.
            self.count_error(LAYOUT_CHANGED, f"{batch.name}: {len(unknown)} vacancies listed but no JORFTEXT file in the archive", response.url)
        elif unknown:
            # Evening archives re-send tables of contents with only some of their texts.
            self.logger.warning("%s: vacancies listed but not sent, not stored yet: %s", batch.name, ", ".join(unknown))
        yield from self._offers(batch, contents.notices(), response.url)
        for problem in contents.broken:
            self._batch_error(batch, BAD_ARCHIVE, problem, response.url)

    def archive_failed(self, failure):
        name = failure.request.meta["jorf_batch"]
        error_class, message = classify_failure(failure)
        archives.record_failure(
            self.db, name, kind=archives.DILA_ARCHIVE, date=archive_date(name), url=failure.request.url, size=None, error=f"{error_class}: {message}", run_id=self.run_id
        )
        self.on_request_error(failure)  # counts it; stops the crawl when blocked
        yield from self._next_archive()

    # -- PISTE (Légifrance API) --------------------------------------------------------------

    def _token_request(self) -> scrapy.Request:
        piste = self.piste
        return scrapy.FormRequest(
            piste.token_url,
            formdata={
                "grant_type": "client_credentials",
                "client_id": piste.client_id,
                "client_secret": piste.client_secret.get_secret_value(),
                "scope": "openid",
            },
            callback=self.parse_token,
            errback=self.on_request_error,
            meta={"dont_cache": True},
            dont_filter=True,
        )

    def parse_token(self, response):
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            self.layout_changed("the PISTE token answer has no access_token", response)
            return
        self.token = token
        # Renew a little early (a minute, or half the lifetime of a short-lived token)
        # rather than have a request refused mid-run.
        lifetime = float(answer.get("expires_in") or 3600)
        self.token_expires = time.monotonic() + max(lifetime - 60, lifetime / 2)
        waiting, self.token_waiting = self.token_waiting, None
        for call in waiting or []:
            yield from call()

    def _api(self, path: str, data: dict, callback, *, errback=None, meta: dict | None = None, **options):
        """A PISTE API call (a generator of 0 or 1 request). Without a valid token, the call waits
        for one; a single token request is in flight however many calls wait."""
        if not self.token or time.monotonic() >= self.token_expires:
            self.token = None
            first = self.token_waiting is None
            self.token_waiting = [*(self.token_waiting or []), lambda: self._api(path, data, callback, errback=errback, meta=meta, **options)]
            if first:
                yield self._token_request()
            return
        call = (path, data, callback, errback, meta or {}, options)
        yield JsonRequest(
            self.piste.api_url.rstrip("/") + path,
            data=data,
            headers={"Authorization": f"Bearer {self.token}"},
            callback=callback,
            errback=self._api_failed,
            # Answers depend on the day and on the token: never from the HTTP cache.
            meta={**(meta or {}), "piste_call": call, "dont_cache": True},
            dont_filter=True,
            **options,
        )

    def _api_failed(self, failure):
        """A token refused before its time (revoked, server restarted) is renewed and the call
        made again, once; other failures go to the call's own errback."""
        path, data, callback, errback, meta, options = failure.request.meta["piste_call"]
        if isinstance(failure.value, HttpError) and failure.value.response.status == 401 and not meta.get("piste_renewed"):
            if failure.request.headers.get("Authorization", b"").decode() == f"Bearer {self.token}":
                self.logger.info("PISTE refused the token; asking for a new one")
                self.token = None  # else another call already renewed it
            yield from self._api(path, data, callback, errback=errback, meta={**meta, "piste_renewed": True}, **options)
            return
        outcome = (errback or self.on_request_error)(failure)
        if outcome is not None:
            yield from outcome

    def _last_issues_request(self):
        start = dt.date.fromisoformat(self._window_start(archives.PISTE_ISSUE))
        # One issue a day at most, plus a margin for special issues; the API caps it below 2500.
        count = min(2499, max(1, (dt.date.today() - start).days + 7))
        yield from self._api("/consult/lastNJo", {"nbElement": count}, self.parse_last_issues)

    def parse_last_issues(self, response):
        try:
            containers = response.json().get("containers")
        except (ValueError, AttributeError):
            containers = None
        if not containers:
            self.layout_changed("consult/lastNJo answered no containers", response)
            return
        start = self._window_start(archives.PISTE_ISSUE)
        settled = set() if self.full else archives.settled_names(self.db, archives.PISTE_ISSUE)
        issues = []
        for container in containers:
            date = parse_date(container.get("titre")) or _api_date(container.get("datePubli"))
            if container.get("id") and date and date >= start and container["id"] not in settled:
                issues.append((date, container["id"]))
        self.logger.info("lastNJo: %d issues, %d to read since %s", len(containers), len(issues), start)
        self.queue.extend(sorted(issues))
        yield from self._next_issue()

    def _next_issue(self):
        if self.queue:
            date, container_id = self.queue.popleft()
            yield from self._api(
                "/consult/jorfCont",
                {"id": container_id, "pageNumber": 1, "pageSize": 10},
                self.parse_piste_issue,
                errback=self.piste_issue_failed,
                meta={"jorf_batch": container_id, "jorf_date": date},
            )

    def parse_piste_issue(self, response):
        container_id = response.meta["jorf_batch"]
        batch = self._open_batch(container_id, archives.PISTE_ISSUE, response.meta.get("jorf_date"), response.url)
        yield from self._guarded(batch, container_id, response.url, self._issue_text_requests(batch, response))
        yield from self._next_issue()

    def _issue_text_requests(self, batch: _Batch, response):
        try:
            items = response.json().get("items") or []
            container = items[0].get("joCont") if items else None
        except (ValueError, AttributeError):
            container = None
        if not container:
            self._batch_error(batch, LAYOUT_CHANGED, "consult/jorfCont answered no joCont", response.url)
            return
        issue = issue_from_piste(container)
        batch.texts_seen = len(issue.entries)
        if issue.has_vacancy_section:
            chosen = [(entry, entry.section_ministry) for entry in vacancy_entries(issue, self.source_config.include_concours)]
        else:
            chosen = [(entry, entry.ministry) for entry in issue.entries if is_fallback_notice(entry.nature, entry.title, self.source_config.include_concours)]
        for entry, ministry in chosen:
            batch.open_parts += 1
            yield from self._api(
                "/consult/jorf",
                {"textCid": entry.text_id},
                self.parse_piste_text,
                errback=self.piste_text_failed,
                cb_kwargs={"ministry": ministry, "issue": issue},
                meta={"jorf_batch": batch.name, "jorf_text": entry.text_id},
            )

    def parse_piste_text(self, response, ministry, issue):
        batch = self._batch_of(response)
        try:
            try:
                notice = notice_from_piste(response.json(), issue)
            except (ValueError, AttributeError) as error:
                self._batch_error(batch, LAYOUT_CHANGED, f"consult/jorf: {error}", response.url)
                return
            yield from self._offers(batch, [(notice, ministry)], response.url)
        finally:
            self._part_done(batch)

    def piste_issue_failed(self, failure):
        request = failure.request
        error_class, message = classify_failure(failure)
        archives.record_failure(
            self.db, request.meta["jorf_batch"], kind=archives.PISTE_ISSUE, date=request.meta.get("jorf_date"), url=request.url, size=None, error=f"{error_class}: {message}", run_id=self.run_id
        )
        self.on_request_error(failure)
        yield from self._next_issue()

    def piste_text_failed(self, failure):
        batch = self.batches.get(failure.request.meta.get("jorf_batch"))
        error_class, message = classify_failure(failure)
        if batch:
            batch.errors.append(f"consult/jorf {failure.request.meta.get('jorf_text')}: {error_class}: {message}")
        try:
            self.on_request_error(failure)
        finally:
            if batch:
                self._part_done(batch)
