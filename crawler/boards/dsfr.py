"""Pages built with the French State's design system (DSFR), as most official sites now are.

Listing pages: offer cards (``.fr-card`` with a ``.fr-card__title`` link, badges,
tags, description), plain lists of links, and DSFR pagination. Offer pages: the
``h1``, badges and tags, label/value pairs (``dl``, ``<strong>Label :</strong>``
items, tables, "Label : value" lines) and the sections under each heading.
:func:`page_fields` turns all of that into offer fields by the words the labels
and headings use, keeping every label and section in ``raw``.
"""

from __future__ import annotations

import re

from crawler.parsing import clean, contacts_from_text, element_text, link_url
from storage.french import (
    label_key,
    normalize_category,
    normalize_versant,
    parse_date,
    parse_date_after,
)
from storage.places import locate

# Markup around the content that never holds an offer's text.
CHROME = (
    "ancestor-or-self::*[self::header or self::footer or self::nav or contains(@class, 'fr-breadcrumb')"
    " or contains(@class, 'fr-skiplinks') or contains(@class, 'fr-follow') or contains(@class, 'fr-pagination')]"
)
CONTRACT_WORDS = re.compile(
    r"\b(CDI|CDD|stage|alternance|apprentissage|int[ée]rim|ind[ée]pendant|freelance|fonctionnaire|titulaire"
    r"|contractuel|vacataire|d[ée]tachement|VIA|service civique)\b",
    re.IGNORECASE,
)
_LABEL_LINE = re.compile(r"^\s*(?P<label>[^:\n]{2,60}?)\s*:\s*(?P<value>\S.*)$", re.S)
_DOCUMENT = re.compile(r"\.(pdf|docx?|odt|rtf)(\?|#|$)", re.IGNORECASE)

# Label or heading words -> offer field, first match wins; checked on label_key() text.
LABEL_FIELDS = [
    ("deadline", re.compile(r"date limite|limite de candidature|candidater avant|cloture|date de fin de publication")),
    ("published_on", re.compile(r"publi|mise en ligne|en ligne depuis")),
    ("vacancy_date", re.compile(r"^debut|date de debut|prise de poste|date de vacance|poste a pourvoir|disponibilite")),
    ("contract", re.compile(r"contrat|nature de l'emploi|type d'emploi|statut")),
    ("location", re.compile(r"localisation|lieu|adresse|^ville|site d'affectation")),
    ("employer", re.compile(r"employeur|organisme|structure|recruteur|direction|administration")),
    ("domain", re.compile(r"domaine|metier|famille")),
    ("remote", re.compile(r"teletravail")),
    ("category", re.compile(r"categorie")),
    ("versant", re.compile(r"versant|fonction publique")),
]
SECTION_FIELDS = [
    ("profile", re.compile(r"profil|competences|qui etes vous|vous etes|savoir etre|qualites")),
    (
        "missions",
        re.compile(
            r"mission|descriptif du poste|description du poste|le poste|activites|responsabilites|vos taches|ce que "
            r"vous ferez"
        ),
    ),
    ("contacts", re.compile(r"contact|candidater|candidature|pour nous rejoindre|postuler")),
]


def main_content(response):
    """The page's main content selector (``main``, ``[role=main]``, ``#main``), else the body."""
    for query in ("//main", "//*[@role='main']", "//*[@id='main']", "//body"):
        found = response.xpath(query)
        if found:
            return found[0]
    return response


def is_document(url: str) -> bool:
    return bool(_DOCUMENT.search(url))


def _text(selector) -> str | None:
    return element_text(selector.root) if selector is not None else None


# -- listing pages --------------------------------------------------------------------------


def parse_card(card) -> dict:
    """A DSFR card: its link, title, description, badges and tags (what it shows)."""
    link = card.css(".fr-card__title a, a.fr-card__link")[:1]
    title = card.css(".fr-card__title")[:1]
    return {
        "url": link.attrib.get("href", "").strip() if link else None,
        "title": _text(title[0]) if title else (_text(link[0]) if link else None),
        "description": _text(card.css(".fr-card__desc")[0]) if card.css(".fr-card__desc") else None,
        "detail": clean(" ".join(_text(d) or "" for d in card.css(".fr-card__detail"))),
        "badges": [_text(badge) for badge in card.css(".fr-badge") if _text(badge)],
        "tags": [_text(tag) for tag in card.css(".fr-tag") if _text(tag)],
    }


def offer_cards(content) -> list[dict]:
    """Every DSFR card in ``content`` that links somewhere."""
    cards = [parse_card(card) for card in content.css(".fr-card")]
    return [card for card in cards if card["url"]]


def list_links(content) -> list[dict]:
    """Links in plain lists (``ul``/``ol``) of the content, outside cards and site chrome: (url, text)."""
    links = []
    for link in content.xpath(".//li//a[@href]"):
        if link.xpath(CHROME) or link.xpath("ancestor::*[contains(@class, 'fr-card')]"):
            continue
        links.append({"url": link.attrib["href"].strip(), "title": _text(link)})
    return links


def next_page(response) -> str | None:
    """The next page of a listing: DSFR pagination, ``rel=next``, or a "page suivante" link."""
    for query in (
        "//a[contains(@class, 'fr-pagination__link--next')]/@href",
        "//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href",
        "//link[@rel='next']/@href",
        "//a[contains(translate(normalize-space(.), 'PAGESUIVANTE', 'pagesuivante'), 'page suivante')]/@href",
    ):
        href = response.xpath(query).get()
        if href and href.strip() and not href.strip().startswith("#"):
            return response.urljoin(href.strip())
    return None


# A page number in a link (choisirleservicepublic's ".../page/3/"). Not "?page=N": Drupal counts from 0.
_PAGE_IN_URL = re.compile(r"/page/(\d+)/?(?:$|[?#])")


def announced_pages(response) -> int | None:
    """How many pages a DSFR pagination announces: the highest page it names or links to (its
    numbered links, a "last page" link to ``.../page/N/``); None without a pagination."""
    numbers = []
    for link in response.xpath("//*[contains(@class, 'fr-pagination')]//a"):
        text = clean(" ".join(link.xpath(".//text()").getall())) or ""
        title = link.attrib.get("title", "")
        for candidate in (text, title.removeprefix("Page ").strip()):
            if candidate.isdigit():
                numbers.append(int(candidate))
        match = _PAGE_IN_URL.search(link.attrib.get("href", ""))
        if match:
            numbers.append(int(match.group(1)))
    return max(numbers) if numbers else None


# -- offer pages ----------------------------------------------------------------------------


def _level(element) -> int:
    return int(element.tag[1]) if isinstance(element.tag, str) and re.fullmatch(r"h[1-6]", element.tag) else 0


def _holds_heading(element, level: int) -> bool:
    return any(_level(node) and _level(node) <= level for node in element.iter())


def sections(content) -> dict[str, str]:
    """Heading text -> the text under it, up to the next heading of the same or a higher rank."""
    found: dict[str, str] = {}
    root = content.root
    for heading in root.xpath(".//h2 | .//h3 | .//h4 | .//h5"):
        if heading.xpath(CHROME) or heading.xpath("ancestor::*[contains(@class, 'fr-card')]"):
            continue
        title = element_text(heading)
        level = _level(heading)
        parts = []
        sibling = heading.getnext()
        while sibling is not None and not _holds_heading(sibling, level):
            text = element_text(sibling)
            if text:
                parts.append(text)
            sibling = sibling.getnext()
        if title and parts and title not in found:
            found[title] = "\n".join(parts)
    return found


def labelled_values(content) -> dict[str, str]:
    """Label -> value pairs: ``dl``, ``<strong>Label :</strong> value`` items, table rows,
    "Label : value" lines and badges."""
    pairs: dict[str, str] = {}

    def add(label: str | None, value: str | None) -> None:
        label = clean(label)
        label = label.rstrip(" :\u00a0") if label else None
        value = clean(value)
        if label and value and label not in pairs:
            pairs[label] = value

    root = content.root
    for term in root.xpath(".//dt"):
        value = term.getnext()
        add(element_text(term), element_text(value) if value is not None and value.tag == "dd" else None)
    for row in root.xpath(".//tr[th and td]"):
        add(element_text(row.xpath("./th")[0]), element_text(row.xpath("./td")[0]))
    for strong in root.xpath(".//li/*[1][self::strong or self::b] | .//p/*[1][self::strong or self::b]"):
        label = element_text(strong) or ""
        parent = strong.getparent()
        if (parent.text or "").strip():
            continue  # the bold word is inside a sentence, not a label
        whole = element_text(parent) or ""
        rest = whole[len(label) :] if whole.startswith(label) else None
        if label.rstrip().endswith(":") or (rest or "").lstrip().startswith(":"):
            add(label, (rest or "").lstrip(" :"))
    for node in root.xpath(".//p | .//li | .//*[contains(@class, 'fr-badge')]"):
        if node.xpath(CHROME):
            continue
        match = _LABEL_LINE.match(element_text(node) or "")
        if match and "\n" not in match.group("label"):
            add(match.group("label"), match.group("value"))
    return pairs


def _first(mapping: dict[str, str], rules, field: str) -> str | None:
    for label, value in mapping.items():
        key = label_key(label)
        for name, pattern in rules:
            if pattern.search(key):
                if name == field:
                    return value
                break
    return None


def section_text(found_sections: dict[str, str], field: str, rules=SECTION_FIELDS) -> str | None:
    """Every section whose heading means ``field``, joined; a sub-section already inside one is not repeated."""
    chosen: list[str] = []
    for title, text in found_sections.items():
        key = label_key(title)
        name = next((name for name, pattern in rules if pattern.search(key)), None)
        if name == field and not any(text in kept for kept in chosen):
            chosen.append(f"{title}\n{text}" if chosen else text)
    return "\n".join(chosen) or None


def _lead(content) -> str | None:
    lead = content.css(".fr-text--lead")
    return _text(lead[0]) if lead else None


def _department(location: str | None) -> str | None:
    located = locate(location)
    return located.department if located else None


def page_fields(response, content=None) -> dict:
    """Offer fields read from a DSFR (or plain HTML) offer page, only those found, with ``raw``."""
    content = content if content is not None else main_content(response)
    title = clean(" ".join(content.xpath(".//h1//text()").getall())) or clean(
        response.xpath("//meta[@property='og:title']/@content").get()
    )
    labels = labelled_values(content)
    found_sections = sections(content)
    badges = [_text(badge) for badge in content.css(".fr-badge") if _text(badge)]
    tags = [_text(tag) for tag in content.css(".fr-tag") if _text(tag)]
    page_text = element_text(content.root) or ""

    published_text = _first(labels, LABEL_FIELDS, "published_on")
    if not published_text:
        match = re.search(r"publi[ée]+e? le\s*:?\s*([^\n.]{6,30})", page_text, re.IGNORECASE)
        published_text = match.group(1) if match else None
    published_on = parse_date(published_text)
    start_text = _first(labels, LABEL_FIELDS, "vacancy_date")
    contract = _first(labels, LABEL_FIELDS, "contract") or next(
        (b for b in badges + tags if CONTRACT_WORDS.search(b)), None
    )
    location = _first(labels, LABEL_FIELDS, "location")
    contact_text = section_text(found_sections, "contacts")
    mailtos = [href[7:].split("?")[0] for href in content.xpath(".//a[starts-with(@href, 'mailto:')]/@href").getall()]
    contacts = contacts_from_text("\n".join(filter(None, [contact_text, *mailtos])))
    apply = content.xpath(
        ".//a[contains(translate(., 'POSTULERCANDIDATER', 'postulercandidater'), 'postuler') or contains(translate(., "
        "'POSTULERCANDIDATER', 'postulercandidater'), 'candidater')]/@href"
    ).get()

    fields = {
        "title": title,
        "employer": _first(labels, LABEL_FIELDS, "employer"),
        "contract": contract,
        "location": location,
        "department": _department(location),
        "remote": _first(labels, LABEL_FIELDS, "remote"),
        "category": normalize_category(_first(labels, LABEL_FIELDS, "category")),
        "versant": normalize_versant(_first(labels, LABEL_FIELDS, "versant")),
        "domain": _first(labels, LABEL_FIELDS, "domain"),
        "published_on": published_on,
        "deadline": parse_date(_first(labels, LABEL_FIELDS, "deadline")),
        "vacancy_date": parse_date_after(start_text, published_on),
        "missions": section_text(found_sections, "missions") or _lead(content),
        "profile": section_text(found_sections, "profile"),
        "contacts": [c for c in contacts if "email" in c],
        "apply_url": link_url(response.url, apply),
    }
    found = {name: value for name, value in fields.items() if value}
    raw = {**labels, **found_sections}
    if badges:
        raw["badges"] = badges
    if tags:
        raw["tags"] = tags
    lead = _lead(content)
    if lead:
        raw["chapô"] = lead
    found["raw"] = raw
    return found
