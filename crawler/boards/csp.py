"""choisirleservicepublic.gouv.fr (CSP), the State's main job board: its search paths,
listing cards and offer pages.

Listing: ``/nos-offres/filtres/mot-cles/<kw>/[localisation/<ids>/][categorie/<ids>/][page/N/]``
(segment order matters; keywords ``%20``-encoded: the hyphenated form returns
nothing), 20 cards ``li.item .fr-card--offer`` a page, paged by the next link.

Detail: ``/offre-emploi/<slug>-reference-<REF>/``, rendered on the server:
hidden ``#content_*`` inputs, a JSON-LD JobPosting with quirks (dd/mm/yyyy,
``Description``), and the visible markup. See docs in the README. The whole page
is parsed, once: nothing may depend on where one capture happened to put a block.

Territorial offers (references ``O0…``, copies of emploi-territorial.fr offers)
give a kind of employer ("Conseils départementaux") where State offers give a
name: the kind goes to ``employer_kind`` and the name comes from the title
("… - CONSEIL DÉPARTEMENTAL DU MORBIHAN"); the link to emploi-territorial.fr is
``origin_url``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from lxml import etree
from parsel.csstranslator import HTMLTranslator

from crawler.boards.jsonld import text_value
from crawler.items import OfferItem
from crawler.parsing import (
    clean,
    contacts_from_text,
    element_text,
    given,
    link_url,
    load_json_ld,
    salary_from_json_ld,
)
from storage.french import label_key, normalize_category, normalize_versant, parse_date
from storage.places import locate

REFERENCE_IN_URL = re.compile(r"reference-([A-Za-z0-9_-]+?)/?$")
# What the site prints when a search has no result; anything else without cards is a broken page.
NO_OFFER_TEXT = re.compile(r"aucune offre|aucun r[ée]sultat|0 offre", re.IGNORECASE)

# Visible section headings -> item field.
SECTION_FIELDS = {"vos missions en quelques mots": "missions", "profil recherche": "profile"}


def search_path(keyword: str, localisations=(), categories=(), page: int = 1) -> str:
    """The site's search path; segments in the only order it accepts."""
    path = f"/nos-offres/filtres/mot-cles/{quote(keyword.strip(), safe='')}/"
    if localisations:
        path += f"localisation/{'-'.join(str(i) for i in localisations)}/"
    if categories:
        path += f"categorie/{'-'.join(str(i) for i in categories)}/"
    if page > 1:
        path += f"page/{page}/"
    return path


def reference_from_url(url: str) -> str | None:
    match = REFERENCE_IN_URL.search(url.split("?", 1)[0])
    return match.group(1) if match else None


# The kinds of employer CSP's territorial cards and pages give instead of a name ("Conseils départementaux",
# "Communes", "Etablissements publics de coopération intercommunale"): plural categories.
_KIND = re.compile(r"^[A-ZÉ][a-zéèêàç]+[sx]\b")
_GENDER_SEGMENT = re.compile(r"^\(?\s*(?:H\s*/\s*F|F\s*/\s*H)\s*\)?$", re.IGNORECASE)
_GENDER_MARK = re.compile(r"\s*\(?\b(?:H\s*/\s*F|F\s*/\s*H)\b\)?", re.IGNORECASE)
# Boards CSP copies offers from: a link to one of them in the page is the offer's origin.
_ORIGIN = re.compile(r"https?://(?:www\.)?(?:emploi-territorial\.fr|passerelles\.economie\.gouv\.fr)/[^\s\"'<>]+")


def is_employer_kind(value: str | None, versant: str | None) -> bool:
    """Whether a territorial "Employeur" value is a kind of employer ("Conseils départementaux"), not a name."""
    return bool(value) and versant == "Territoriale" and _KIND.match(value) is not None


def employer_in_title(title: str | None) -> str | None:
    """ "Chargé de recrutement (H/F) - CONSEIL DÉPARTEMENTAL DU MORBIHAN" -> "CONSEIL DÉPARTEMENTAL DU MORBIHAN":
    the last " - " segment of a territorial title (gender marks aside), which names who hires."""
    segments = [part.strip() for part in re.split(r"\s+[-–]\s+", title or "")]
    segments = [part for part in segments if part and not _GENDER_SEGMENT.match(part)]
    return clean(_GENDER_MARK.sub("", segments[-1])) if len(segments) >= 2 else None


def employer_and_kind(value: str | None, versant: str | None, title: str | None, *others: str | None):
    """(employer, kind of employer): the kind a territorial offer gives ("Conseils départementaux") goes to its
    own field, and the name comes from the title's suffix or another field that is a name; None when the page
    gives no name (nothing invented)."""
    if not is_employer_kind(value, versant):
        return value, None
    names = [employer_in_title(title), *(other for other in others if not is_employer_kind(other, versant))]
    return next((name for name in names if name and name != value), None), value


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, smart_strings=False)


# A card is read with lxml's compiled XPath on the card's element: parsel's selectors would wrap every
# text node of every card in an object of their own (20 cards a page, a dozen queries a card).
_CARD_LINKS = _xpath(".//h3[contains(@class, 'fr-card__title')]//a")
_HREF = _xpath("@href")
_ALL_TEXT = _xpath(".//text()")
_CARD_FACTS = _xpath(".//ul[contains(@class, 'fr-card__desc')]/li")
_FACT_LABEL = _xpath("./span[@class='sr-only']/text()")
_FACT_VALUE = _xpath("./text() | ./strong/text()")
_CARD_DOMAIN = _xpath(".//p[contains(@class, 'fr-tag')]/text()")
_CARD_LOGO = _xpath(".//div[contains(@class, 'fr-card__img')]//img/@alt")


# A listing page is read as an offer page is: one lxml parse of its bytes and compiled queries (CSS selectors
# translated as parsel translates them). A parsel selector would wrap each node it gives in an object of its
# own, and stay in a reference cycle with the response (the page, its text and its tree left to the cyclic
# collector).
_LISTING_CARDS = _xpath(HTMLTranslator().css_to_xpath("li.item .fr-card--offer"))
_NEXT_PAGE = _xpath(HTMLTranslator().css_to_xpath("a.fr-pagination__link--next::attr(href)"))
_PAGE_TEXT = _xpath("//main//text() | //body//text()")


def listing_cards(tree) -> list:
    """The offer cards of a listing page (``page_tree``), in page order."""
    return _LISTING_CARDS(tree) if tree is not None else []


def next_page_link(tree) -> str | None:
    """The listing's link to its next page, as written."""
    return _first(_NEXT_PAGE(tree)) if tree is not None else None


def page_text(tree, limit: int = 2000) -> str:
    """The first ``limit`` texts of the page's ``<main>`` and ``<body>``, as one string."""
    return " ".join(_PAGE_TEXT(tree)[:limit]) if tree is not None else ""


def _text(texts: list[str]) -> str | None:
    return clean(" ".join(texts)) if texts else None


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def parse_card(card) -> dict:
    """One listing card (an lxml element, or a parsel selector of one) as a dict of what it shows (the detail
    page says more)."""
    card = getattr(card, "root", card)
    links = _CARD_LINKS(card)
    url = next((href for link in links for href in _HREF(link)), None)
    facts = {}
    for li in _CARD_FACTS(card):
        label = label_key(_first(_FACT_LABEL(li))).rstrip(" :")
        value = clean(" ".join(_FACT_VALUE(li)))
        if "calendar" in (li.get("class") or ""):
            label = "en ligne depuis"
        facts[label] = value
    place = facts.get("localisation")
    title = _text([text for link in links for text in _ALL_TEXT(link)])
    versant = normalize_versant(facts.get("fonction publique"))
    employer, kind = employer_and_kind(facts.get("employeur"), versant, title)
    located = locate(place)
    return {
        "url": url,
        "source_id": reference_from_url(url) if url else None,
        "title": title,
        "domain": _text(_CARD_DOMAIN(card)),
        "location": place,
        "department": located.department if located else None,
        "versant": versant,
        "employer": employer,
        "employer_kind": kind,
        "published_on": parse_date(facts.get("en ligne depuis")),
        # A logo's alt text is what the recruiter typed, or a generic image's: kept for reference, no field.
        "logo": clean(_first(_CARD_LOGO(card))),
    }


_PARSERS: dict[str, etree.HTMLParser] = {}
# The page is read by walking its elements in Python: on lxml, an XPath call costs more than looking at
# each element of a block once (and over <main>, 400 elements, more than any single walk).
# The blocks of <main> an offer is read from, by a part of their class (as XPath's contains() reads it).
_BLOCK_CLASSES = ("strate-hero-offer", "col-left", "fr-callout", "about-agency")


def _within(element, tag, part: str) -> list:
    """``.//tag[contains(@class, part)]``: the descendants of ``element`` (not itself) of ``tag`` (any
    element when None) whose class contains ``part``, in document order."""
    return [
        found
        for found in element.iter(tag if tag is not None else etree.Element)
        if found is not element and part in (found.get("class") or "")
    ]


def _own_texts(element) -> list[str]:
    """``./text()``: the element's text and its children's tails."""
    texts = [element.text] if element.text else []
    texts.extend(child.tail for child in element if child.tail)
    return texts


def _visible_texts(element) -> list[str]:
    """``.//text()[not(parent::span[@class='sr-only'])]``: the text of ``element``, in document order, but
    what a screen reader alone is given."""
    texts: list[str] = []
    _visit_visible(element, texts)
    return texts


# A module function, not a closure: a recursive closure is a reference cycle, left to the cyclic collector
# at every call (several a page).
def _visit_visible(node, texts: list[str]) -> None:
    hidden = node.tag == "span" and node.get("class") == "sr-only"
    if node.text and not hidden:
        texts.append(node.text)
    for child in node:
        if child.tag.__class__ is str:  # a comment's text is not text of the page; its tail is
            _visit_visible(child, texts)
        if child.tail and not hidden:
            texts.append(child.tail)


def _sr_only(element) -> list:
    """``./span[@class='sr-only']``: what a screen reader alone is given."""
    return [span for span in element.iterchildren("span") if span.get("class") == "sr-only"]


# The parts of the hero an offer is read from: (tag, a part of the class), as XPath's contains() reads it.
_HERO_PARTS = (("li", "ic--"), ("ul", "table"), ("a", "fr-tag"), ("div", "buttons-wrapper"), ("div", "logo"))


def _hero_parts(hero) -> dict[tuple[str, str], list]:
    """The elements of the hero for each of _HERO_PARTS, in document order: one walk."""
    found: dict[tuple[str, str], list] = {part: [] for part in _HERO_PARTS}
    for element in hero.iter("li", "ul", "a", "div"):
        classes = element.get("class")
        if classes and element is not hero:
            for tag, part in _HERO_PARTS:
                if element.tag == tag and part in classes:
                    found[tag, part].append(element)
    return found


def _blocks(main) -> dict[str, list]:
    """The divs of <main> whose class contains each of _BLOCK_CLASSES, and its fr-accordion sections, in
    document order: one walk."""
    found: dict[str, list] = {name: [] for name in (*_BLOCK_CLASSES, "fr-accordion")}
    for element in main.iter("div", "section"):
        classes = element.get("class")
        if not classes:
            continue
        if element.tag == "section":
            if "fr-accordion" in classes:
                found["fr-accordion"].append(element)
            continue
        for name in _BLOCK_CLASSES:
            if name in classes:
                found[name].append(element)
    return found


def page_tree(response):
    """The whole page, parsed once (None when it is no HTML): JSON-LD and hidden inputs may be anywhere,
    ``<head>`` included."""
    encoding = response.encoding or "utf-8"
    parser = _PARSERS.get(encoding)
    if parser is None:
        # No table of ids (nothing here looks an element up by its id): 5 % of the parse.
        parser = _PARSERS[encoding] = etree.HTMLParser(encoding=encoding, collect_ids=False)
    try:
        return etree.fromstring(response.body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


# What an offer page declares itself to be, read from its bytes (before it is parsed): its
# ``#content_ref`` hidden input, or its ``<main data-reference="…">``.
_REFERENCE_INPUT = re.compile(rb"<input\b[^>]*?\bid\s*=\s*[\"']content_ref[\"'][^>]*>", re.IGNORECASE)
_VALUE = re.compile(rb"\bvalue\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
_MAIN_REFERENCE = re.compile(rb"<main\b[^>]*?\sdata-reference\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


def _declared_reference(body: bytes, encoding: str) -> str:
    for tag, pattern in ((_REFERENCE_INPUT, _VALUE), (_MAIN_REFERENCE, None)):
        found = tag.search(body)
        value = pattern.search(found.group(0)) if found and pattern else found
        if value:
            text = html.unescape((value.group(1) or value.group(2) or b"").decode(encoding, "replace"))
            text = re.sub(r"[\x00-\x1f\x7f]", "", text).strip()  # as the stored reference will be (crawler.items)
            if text:
                return text
    return ""


def offer_page_problem(response, reference: str | None) -> str | None:
    """Why a page fetched as offer ``reference`` is not that offer's page; None when it is.

    An offer page declares its reference (its ``#content_ref`` input, or ``main[data-reference]``)
    and has the site's offer structure (the ``strate-hero-offer`` block, or a JSON-LD
    ``JobPosting``). A maintenance page, an error page or another offer's page answered with a
    200 at the offer's URL is not the offer, and must never be stored as it."""
    body = response.body
    linked = f"linked as {reference}" if reference else "linked without a reference"
    declared = _declared_reference(body, response.encoding or "utf-8")
    if not declared:
        return f"the page declares no offer reference (#content_ref, main[data-reference]): not the offer {linked}"
    if reference and declared.casefold() != reference.casefold():
        return f"the page is offer {declared}, not the offer {linked}"
    if b"strate-hero-offer" not in body and b"JobPosting" not in body:
        return f"the page has no offer block (.strate-hero-offer) nor JSON-LD JobPosting: not the offer {linked}"
    return None


def _date_from_inputs(inputs: dict, prefix: str) -> str | None:
    parts = [inputs.get(f"{prefix}_{unit}") for unit in ("year", "month", "day")]
    if not all(part and part.isdigit() for part in parts):
        return None
    return parse_date(f"{parts[0]}-{int(parts[1]):02d}-{int(parts[2]):02d}")


def _origin(root, texts) -> str | None:
    """The offer on the board CSP copied it from (emploi-territorial.fr, Passerelles): a link or a URL in its text."""
    links = [link.get("href") for link in root.iter("a") if link is not root and link.get("href") is not None]
    for value in [*links, *texts]:
        if not value or ("emploi-territorial.fr" not in value and "passerelles.economie.gouv.fr" not in value):
            continue  # a plain search for the boards' names, before the expression
        match = _ORIGIN.search(value)
        if match:
            return match.group(0).rstrip(".,;)")
    return None


def _table(tables: list) -> dict:
    """The summary table (its ``ul`` elements): label -> value, the salary ranges one by one."""
    table = {}
    for cell in (cell for table_list in tables for cell in table_list.iterchildren("li")):
        strong = next((found for found in cell.iter("strong") if found is not cell), None)
        if strong is None:
            continue
        label = element_text(strong)
        salary = _within(cell, "span", "fr-text--xs")
        if salary:
            for caption in salary:
                table[f"{label} - {element_text(caption)}"] = element_text(caption.getnext())
        else:
            spans = list(cell.iterchildren("span"))
            table[label] = element_text(spans[-1]) if len(spans) > 1 else None
    return table


def _sections(blocks: dict[str, list]) -> dict:
    """Missions, profile, callouts ("Personnes à contacter"), "Qui sommes-nous ?" and the accordions."""
    sections = {}
    for column in blocks["col-left"]:
        for heading in column.iterchildren("h2"):
            sections[element_text(heading)] = element_text(heading.getnext())
    for callout in blocks["fr-callout"]:
        callout_title = _within(callout, None, "fr-callout__title")
        callout_text = _within(callout, None, "fr-callout__text")
        if callout_title:
            sections[element_text(callout_title[0])] = element_text(callout_text[0]) if callout_text else None
    for about in blocks["about-agency"]:
        for visible in _within(about, "div", "text-clamp--text"):
            sections["Qui sommes-nous ?"] = element_text(visible)
        for hidden in _within(about, "div", "text-clamp--hiddentext"):
            heading = hidden.find("h3")
            name = element_text(heading) if heading is not None else "Qui sommes-nous ? (suite)"
            sections[name] = element_text(hidden)
    for accordion in blocks["fr-accordion"]:
        button = _within(accordion, "button", "fr-accordion__btn")
        content = [child for child in accordion.iterchildren("div") if "fr-collapse" in (child.get("class") or "")]
        if button:
            sections[element_text(button[0])] = element_text(content[0]) if content else None
    return sections


def parse_offer(response) -> OfferItem | None:
    """Every field of an offer page; None when the page has none of its markers."""
    tree = page_tree(response)
    if tree is None:
        return None
    # One walk over the page for what may be anywhere in it (the tag filter runs in C).
    main = canonical = None
    inputs, blocks = {}, []
    for element in tree.iter("main", "input", "script", "link"):
        tag = element.tag
        if tag == "input":
            name = element.get("id") or ""
            if element.get("type") == "hidden" and (name.startswith("content_") or name == "page_name"):
                inputs[name] = (element.get("value") or "").strip()
        elif tag == "script":
            if "ld+json" in (element.get("type") or "") and element.text:
                blocks.append(element.text)
        elif tag == "main":
            main = main if main is not None else element
        elif canonical is None and element.get("rel") == "canonical":
            canonical = element.get("href")
    json_ld = next((d for d in load_json_ld(blocks) if d.get("@type") == "JobPosting"), {})
    if main is None and not inputs and not json_ld:
        return None
    if main is None:
        main = tree
    raw: dict = dict(inputs)

    blocks = _blocks(main)
    hero = blocks["strate-hero-offer"][0] if blocks["strate-hero-offer"] else main
    title = (
        clean(" ".join(text for heading in hero.iter("h1") for text in heading.itertext()))
        or inputs.get("page_name")
        or text_value(json_ld.get("title"))
    )
    parts = _hero_parts(hero)
    hero_facts = {}
    for li in parts["li", "ic--"]:
        label = (clean(" ".join(text for span in _sr_only(li) for text in _own_texts(span))) or "").rstrip(" :")
        value = clean(" ".join(_visible_texts(li)))
        if label and value:
            hero_facts[label_key(label)] = value
            raw[label] = value
    reference = inputs.get("content_ref") or main.get("data-reference") or reference_from_url(response.url)
    # The first image of a logo div (an image of nested logo divs is found twice: the first one counts).
    images = (image for logo in parts["div", "logo"] for image in logo.iter("img"))
    logo = clean(next((image.get("alt") for image in images if image.get("alt") is not None), None))
    if logo:
        raw["logo"] = logo  # for reference: never the organisation (it may be a generic image's alt text)
    domain_tag = clean(" ".join(text for tag in parts["a", "fr-tag"] for text in _own_texts(tag)))
    table = _table(parts["ul", "table"])
    raw.update(table)
    by_label = {label_key(label): value for label, value in table.items()}

    buttons = parts["div", "buttons-wrapper"]
    paragraphs = buttons[0].iter("p") if buttons else ()
    deadline_text = clean(" ".join(text for paragraph in paragraphs for text in paragraph.itertext()))
    if deadline_text:
        raw["Date limite de candidature"] = deadline_text
    canonical = link_url(response.url, canonical, schemes=("http", "https"))
    apply = _within(buttons[0], "a", "fr-btn") if buttons else []
    apply_url = apply[0].get("href", "").strip() if apply else None
    if apply_url:
        raw["Candidature"] = f"{element_text(apply[0])}: {apply_url}"
        # Relative links resolved on the offer's address, "javascript:" and "#" ones are no link.
        apply_url = link_url(canonical or response.url, apply_url)

    sections = _sections(blocks)
    raw.update(sections)
    by_section = {label_key(label): value for label, value in sections.items()}
    # The "Descriptif du service" heading is repeated as the first line of its own text.
    if by_section.get("descriptif du service"):
        lines = by_section["descriptif du service"].split("\n", 1)
        if label_key(lines[0]) == "descriptif du service":
            by_section["descriptif du service"] = raw["Descriptif du service"] = lines[1] if len(lines) > 1 else None

    if json_ld:
        raw["json_ld"] = json_ld
    # JSON-LD may give several places, several addresses, a list or an object for a text.
    location = json_ld.get("jobLocation")
    location = (location[0] if location else None) if isinstance(location, list) else location
    address = location.get("address") if isinstance(location, dict) else None
    address = (address[0] if address else None) if isinstance(address, list) else address
    address = address if isinstance(address, dict) else {}
    place_label = (
        inputs.get("content_dept")
        or text_value(address.get("postalCode"))
        or text_value(json_ld.get("addressLocality"))
    )
    located = locate(place_label) or locate(hero_facts.get("localisation"))
    versant = normalize_versant(inputs.get("content_versant") or hero_facts.get("fonction publique"))
    organisation = _json_ld_organisation(json_ld)
    employer, kind = employer_and_kind(
        inputs.get("content_entite") or hero_facts.get("employeur") or organisation, versant, title, organisation
    )
    missions = by_section.get("vos missions en quelques mots") or text_value(
        json_ld.get("Description") or json_ld.get("description")
    )
    return OfferItem(
        source="choisirleservicepublic",
        source_id=reference,
        url=canonical or response.url,
        title=title,
        employer=employer,
        employer_kind=kind,
        versant=versant,
        category=normalize_category(inputs.get("content_categorie") or by_label.get("categorie")),
        contract=by_label.get("nature de l'emploi"),
        location=hero_facts.get("localisation") or place_label,
        department=located.department if located else None,
        region=inputs.get("content_reg")
        or text_value(address.get("addressRegion"))
        or (located.region if located else None),
        remote=by_label.get("teletravail possible"),
        salary=_salary(table) or salary_from_json_ld(json_ld.get("baseSalary")),
        published_on=_date_from_inputs(inputs, "content_startPublicationDate")
        or parse_date(text_value(json_ld.get("datePosted"))),
        deadline=parse_date(deadline_text)
        if deadline_text and "limite" in deadline_text.lower()
        else parse_date(text_value(json_ld.get("validThrough"))),
        vacancy_date=parse_date(by_section.get("statut du poste")),
        domain=inputs.get("content_domaine") or domain_tag or text_value(json_ld.get("industry")),
        missions=missions,
        profile=by_section.get("profil recherche"),
        contacts=contacts_from_text(by_section.get("personnes a contacter")),
        apply_url=apply_url,
        origin_url=_origin(main, [missions, *sections.values()]),
        raw=raw,
    )


def _json_ld_organisation(json_ld: dict) -> str | None:
    return text_value(json_ld.get("hiringOrganization"))


def _salary(table: dict) -> str | None:
    """« Rémunération »: each indicative range the page gives, and for whom (« Non renseignée » is none)."""
    ranges = []
    for label, value in table.items():
        if label.startswith("Rémunération - ") and given(value):
            who = label.rsplit(" pour les ", 1)[-1] if " pour les " in label else None
            ranges.append(f"{given(value)} ({who})" if who else given(value))
    return " ; ".join(ranges) or None
