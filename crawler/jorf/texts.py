"""A JO text as a :class:`Notice`: a JORFSIMPLE ``JORFTEXT`` XML or a PISTE ``consult/jorf`` answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from crawler.jorf.piste import api_date
from crawler.jorf.toc import Issue
from crawler.parsing import clean, element_text
from storage.french import parse_date


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


def _reading_order(part: dict) -> int:
    value = part.get("intOrdre")
    return value if isinstance(value, int) else -1


def _piste_articles(data: dict):
    """The articles of a ``consult/jorf`` answer (or of one of its sections) in reading order: real answers
    list sections out of order, each part says where it goes (``intOrdre``); parts without one come first,
    as listed."""
    parts = [(False, part) for part in data.get("articles") or []]
    parts += [(True, part) for part in data.get("sections") or []]
    for _, (is_section, part) in sorted(enumerate(parts), key=lambda item: (_reading_order(item[1][1]), item[0])):
        if is_section:
            yield from _piste_articles(part)
        else:
            yield part


def notice_from_piste(data: dict, issue: Issue | None = None) -> Notice:
    """A PISTE ``consult/jorf`` answer as a :class:`Notice`; ValueError when it has no id or title."""
    text_id = data.get("cid") or data.get("id")
    title = clean(data.get("title"))
    if not text_id or not title:
        raise ValueError("consult/jorf answer without cid or title")
    contents = [article.get("content") or "" for article in _piste_articles(data)]
    texts = [
        element_text(lxml.html.fragment_fromstring(content, create_parent="div"))
        for content in contents
        if content.strip()
    ]
    if (data.get("jorfText") or "").startswith("JORF"):
        jo_title = clean(data.get("jorfText"))
    else:
        jo_title = issue.title if issue else None
    linked = [
        link.get("cidTexte") for link in data.get("liens") or [] if (link.get("cidTexte") or "").startswith("JORFTEXT")
    ]
    return Notice(
        text_id=text_id,
        title=title,
        nature=clean(data.get("nature")),
        nor=clean(data.get("nor")),
        published_on=api_date(data.get("dateParution")) or (issue.published_on if issue else None),
        text_date=api_date(data.get("dateTexte")),
        jo_number=clean(data.get("numParution")),
        jo_title=jo_title,
        container_id=data.get("idConteneur") or (issue.container_id if issue else None),
        sequence=clean(str(data["textNumber"])) if data.get("textNumber") else None,
        ministry=clean(data.get("ministere")),
        html="\n".join(content.strip() for content in contents),
        text="\n".join(filter(None, texts)),
        linked_ids=list(dict.fromkeys(linked)),
    )
