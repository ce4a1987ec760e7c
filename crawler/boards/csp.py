"""choisirleservicepublic.gouv.fr (CSP), the State's main job board: its search paths,
listing cards and offer pages.

Listing: ``/nos-offres/filtres/mot-cles/<kw>/[localisation/<ids>/][categorie/<ids>/][page/N/]``
(segment order matters; keywords ``%20``-encoded: the hyphenated form returns
nothing), 20 cards ``li.item .fr-card--offer`` a page, paged by the next link.

Detail: ``/offre-emploi/<slug>-reference-<REF>/``, rendered on the server:
hidden ``#content_*`` inputs, a JSON-LD JobPosting with quirks (dd/mm/yyyy,
``Description``), and the visible markup. See docs in the README.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from lxml import etree

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
from storage.places import department_code

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


def _text(nodes) -> str | None:
    return clean(" ".join(nodes.getall())) if nodes else None


def parse_card(card) -> dict:
    """One listing card as a dict of what it shows (the detail page says more)."""
    link = card.xpath(".//h3[contains(@class, 'fr-card__title')]//a")
    url = link.xpath("@href").get()
    facts = {}
    for li in card.xpath(".//ul[contains(@class, 'fr-card__desc')]/li"):
        label = label_key(li.xpath("./span[@class='sr-only']/text()").get()).rstrip(" :")
        value = clean(" ".join(li.xpath("./text() | ./strong/text()").getall()))
        if "calendar" in (li.attrib.get("class") or ""):
            label = "en ligne depuis"
        facts[label] = value
    place = facts.get("localisation")
    return {
        "url": url,
        "source_id": reference_from_url(url) if url else None,
        "title": _text(link.xpath(".//text()")),
        "domain": _text(card.xpath(".//p[contains(@class, 'fr-tag')]/text()")),
        "location": place,
        "department": department_code(place),
        "versant": normalize_versant(facts.get("fonction publique")),
        "employer": facts.get("employeur"),
        "published_on": parse_date(facts.get("en ligne depuis")),
        "organisation": clean(card.xpath(".//div[contains(@class, 'fr-card__img')]//img/@alt").get()),
    }


_TAG_ATTRIBUTES = r"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)"
_INPUT_TAG = re.compile(rb"<input\b" + _TAG_ATTRIBUTES.encode() + rb">", re.IGNORECASE)
_LINK_TAG = re.compile(rb"<link\b" + _TAG_ATTRIBUTES.encode() + rb">", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_JSON_LD = re.compile(rb"<script[^>]*application/ld\+json[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_MAIN_REFERENCE = re.compile(rb"<main\b[^>]*?\sdata-reference\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


def _attributes(raw: bytes, encoding: str) -> dict[str, str]:
    text = raw.decode(encoding, "replace")
    return {name.lower(): html.unescape(double or single) for name, double, single in _ATTRIBUTE.findall(text)}


def _hidden_inputs(head: bytes, encoding: str) -> dict[str, str]:
    """The ``#content_*`` hidden inputs (the offer's facts as the site stores them) and ``#page_name``."""
    inputs = {}
    for match in _INPUT_TAG.finditer(head):
        attributes = _attributes(match.group(1), encoding)
        name = attributes.get("id", "")
        if attributes.get("type", "").lower() == "hidden" and (name.startswith("content_") or name == "page_name"):
            inputs[name] = attributes.get("value", "").strip()
    return inputs


def _canonical(head: bytes, encoding: str) -> str | None:
    for match in _LINK_TAG.finditer(head):
        attributes = _attributes(match.group(1), encoding)
        if attributes.get("rel", "").lower() == "canonical" and attributes.get("href"):
            return attributes["href"].strip()
    return None


def _offer_part(body: bytes) -> tuple[int, int] | None:
    """Where the offer itself is: from ``<main`` to the "recommended offers" strip.

    Parsing only this part (a sixth of the page) is what makes extraction cheaper
    than parsing the whole page; the rest is read with plain searches."""
    start = body.find(b"<main")
    if start < 0:
        return None
    stop = body.find(b"strate-cards-list", start)
    if stop < 0:
        stop = body.find(b"</main>", start)
        return (start, stop) if stop > 0 else None
    return start, body.rfind(b"<", start, stop)


def offer_page_problem(response, reference: str | None) -> str | None:
    """Why a page fetched as offer ``reference`` is not that offer's page; None when it is.

    An offer page declares its reference (its ``#content_ref`` input, or ``main[data-reference]``)
    and has the site's offer structure (the ``strate-hero-offer`` block, or a JSON-LD
    ``JobPosting``). A maintenance page, an error page or another offer's page answered with a
    200 at the offer's URL is not the offer, and must never be stored as it."""
    body, encoding = response.body, response.encoding
    linked = f"linked as {reference}" if reference else "linked without a reference"
    main_at = body.find(b"<main")
    declared = (_hidden_inputs(body[: max(main_at, 0)], encoding) or _hidden_inputs(body, encoding)).get("content_ref")
    if not declared and main_at >= 0:
        match = _MAIN_REFERENCE.match(body, main_at)
        if match:
            declared = html.unescape((match.group(1) or match.group(2)).decode(encoding, "replace")).strip()
    declared = re.sub(r"[\x00-\x1f\x7f]", "", declared or "")  # as the stored reference will be (crawler.items)
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


def parse_offer(response) -> OfferItem | None:
    """Every field of an offer page; None when the page has none of its markers."""
    body, encoding = response.body, response.encoding
    part = _offer_part(body)
    if part:
        start, stop = part
        head, tail = body[:start], body[stop:]
        main = etree.fromstring(body[start:stop], etree.HTMLParser(encoding=encoding)).find(".//main")
    else:
        head = tail = body
        main = None
    inputs = _hidden_inputs(head, encoding) or _hidden_inputs(body, encoding)
    json_ld = next(
        (
            d
            for d in load_json_ld(m.decode(encoding, "replace") for m in _JSON_LD.findall(tail))
            if d.get("@type") == "JobPosting"
        ),
        {},
    )
    if main is None and not inputs and not json_ld:
        return None
    if main is None:
        main = response.selector.root
    raw: dict = dict(inputs)

    hero = main.xpath(".//div[contains(@class, 'strate-hero-offer')]")
    hero = hero[0] if hero else main
    title = clean(" ".join(hero.xpath(".//h1//text()"))) or inputs.get("page_name") or text_value(json_ld.get("title"))
    hero_facts = {}
    for li in hero.xpath(".//li[contains(@class, 'ic--')]"):
        label = clean(" ".join(li.xpath("./span[@class='sr-only']/text()"))).rstrip(" :")
        value = clean(" ".join(t for t in li.xpath(".//text()[not(parent::span[@class='sr-only'])]")))
        if label and value:
            hero_facts[label_key(label)] = value
            raw[label] = value
    reference = inputs.get("content_ref") or main.get("data-reference") or reference_from_url(response.url)
    canonical = link_url(response.url, _canonical(head, encoding), schemes=("http", "https"))
    logo = hero.xpath(".//div[contains(@class, 'logo')]//img/@alt")
    domain_tag = clean(" ".join(hero.xpath(".//a[contains(@class, 'fr-tag')]/text()")))

    table = {}
    for cell in hero.xpath(".//ul[contains(@class, 'table')]/li"):
        strong = cell.xpath(".//strong")
        if not strong:
            continue
        label = element_text(strong[0])
        salary = cell.xpath(".//span[contains(@class, 'fr-text--xs')]")
        if salary:
            for caption in salary:
                value = caption.getnext()
                table[f"{label} - {element_text(caption)}"] = element_text(value)
        else:
            spans = cell.xpath("./span")
            table[label] = element_text(spans[-1]) if len(spans) > 1 else None
    raw.update(table)
    by_label = {label_key(label): value for label, value in table.items()}

    deadline_text = clean(" ".join(hero.xpath(".//div[contains(@class, 'buttons-wrapper')]//p//text()")))
    if deadline_text:
        raw["Date limite de candidature"] = deadline_text
    apply = hero.xpath(".//div[contains(@class, 'buttons-wrapper')]//a[contains(@class, 'fr-btn')]")
    apply_url = apply[0].get("href", "").strip() if apply else None
    if apply_url:
        raw["Candidature"] = f"{element_text(apply[0])}: {apply_url}"
        # Relative links resolved on the offer's address, "javascript:" and "#" ones are no link.
        apply_url = link_url(canonical or response.url, apply_url)

    sections = {}
    for heading in main.xpath(".//div[contains(@class, 'col-left')]/h2"):
        body = heading.getnext()
        sections[element_text(heading)] = element_text(body)
    for callout in main.xpath(".//div[contains(@class, 'fr-callout')]"):
        callout_title = callout.xpath(".//*[contains(@class, 'fr-callout__title')]")
        callout_text = callout.xpath(".//*[contains(@class, 'fr-callout__text')]")
        if callout_title:
            sections[element_text(callout_title[0])] = element_text(callout_text[0]) if callout_text else None
    for about in main.xpath(".//div[contains(@class, 'about-agency')]"):
        for visible in about.xpath(".//div[contains(@class, 'text-clamp--text')]"):
            sections["Qui sommes-nous ?"] = element_text(visible)
        for hidden in about.xpath(".//div[contains(@class, 'text-clamp--hiddentext')]"):
            heading = hidden.find("h3")
            sections[element_text(heading) if heading is not None else "Qui sommes-nous ? (suite)"] = element_text(
                hidden
            )
    for accordion in main.xpath(".//section[contains(@class, 'fr-accordion')]"):
        button = accordion.xpath(".//button[contains(@class, 'fr-accordion__btn')]")
        content = accordion.xpath("./div[contains(@class, 'fr-collapse')]")
        if button:
            sections[element_text(button[0])] = element_text(content[0]) if content else None
    raw.update(sections)
    by_section = {label_key(label): value for label, value in sections.items()}
    # The "Descriptif du service" heading is repeated as the first line of its own text.
    if "descriptif du service" in by_section and by_section["descriptif du service"]:
        lines = by_section["descriptif du service"].split("\n", 1)
        if label_key(lines[0]) == "descriptif du service":
            by_section["descriptif du service"] = raw["Descriptif du service"] = lines[1] if len(lines) > 1 else None

    if json_ld:
        raw["json_ld"] = json_ld
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

    return OfferItem(
        source="choisirleservicepublic",
        source_id=reference,
        url=canonical or response.url,
        title=title,
        employer=inputs.get("content_entite") or hero_facts.get("employeur") or _json_ld_organisation(json_ld),
        organisation=clean(logo[0]) if logo else None,
        versant=normalize_versant(inputs.get("content_versant") or hero_facts.get("fonction publique")),
        category=normalize_category(inputs.get("content_categorie") or by_label.get("categorie")),
        contract=by_label.get("nature de l'emploi"),
        location=hero_facts.get("localisation") or place_label,
        department=department_code(place_label) or department_code(hero_facts.get("localisation")),
        region=inputs.get("content_reg") or text_value(address.get("addressRegion")),
        remote=by_label.get("teletravail possible"),
        salary=_salary(table) or salary_from_json_ld(json_ld.get("baseSalary")),
        published_on=_date_from_inputs(inputs, "content_startPublicationDate")
        or parse_date(text_value(json_ld.get("datePosted"))),
        deadline=parse_date(deadline_text)
        if deadline_text and "limite" in deadline_text.lower()
        else parse_date(text_value(json_ld.get("validThrough"))),
        vacancy_date=parse_date(by_section.get("statut du poste")),
        domain=inputs.get("content_domaine") or domain_tag or text_value(json_ld.get("industry")),
        missions=by_section.get("vos missions en quelques mots")
        or text_value(json_ld.get("Description") or json_ld.get("description")),
        profile=by_section.get("profil recherche"),
        contacts=contacts_from_text(by_section.get("personnes a contacter")),
        apply_url=apply_url,
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
