"""A vacancy notice as an offer: the post and employer (read by :mod:`crawler.jorf.announcement`), the
place, the dates, deadline and contacts from its text, and (read by :mod:`crawler.jorf.superseding`)
the earlier notice it cancels or replaces.

Notices have no markup beyond paragraphs: headings are short lines without final
punctuation (:func:`_sections`), and every field is read from wording the JO's
notices share ("Date prévisible de vacance de l'emploi : …", "sera vacant à compter du …",
"Localisation géographique : …", "dans un délai de trente jours à compter de la publication").
"""

from __future__ import annotations

import re

from crawler.items import OfferItem
from crawler.jorf.announcement import announcement
from crawler.jorf.superseding import earlier_notice_reference
from crawler.jorf.texts import Notice
from crawler.jorf.toc import plain_words
from crawler.parsing import clean, find_emails, find_phones
from storage.french import add_to_date, french_number, normalize_category, normalize_versant, parse_date
from storage.places import find_department, find_postal_town, find_region, locate, region_of_department

SOURCE = "jorf"
LEGIFRANCE_TEXT = "https://www.legifrance.gouv.fr/jorf/id/{}"


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


_MISSION_HEADINGS = (
    "mission",
    "interet du poste",
    "description",
    "presentation du poste",
    "fonctions",
    "attributions",
    "activites",
)
_PROFILE_HEADINGS = ("competence", "profil", "qualites", "conditions", "experience", "savoir")
_CONTACT_HEADINGS = ("contact", "renseignement")


def _joined_sections(sections: dict[str, list[str]], words: tuple[str, ...]) -> str | None:
    parts = [
        "\n".join(lines)
        for heading, lines in sections.items()
        if any(word in plain_words(heading) for word in words) and lines
    ]
    return "\n".join(parts) or None


# "Date prévisible de vacance de l'emploi : 1er mars 2021", "Date de la vacance d'emploi :" and the date on the next
# line, "Date de création de l'emploi : …", "Date de prise de fonction souhaitée : …".
_VACANCY_LABEL = re.compile(
    r"\bdate\s+(?:pr[ée]visible\s+)?(?:de\s+(?:la\s+)?)?(?:vacance|cr[ée]ation|prise\s+de\s+(?:fonctions?|poste))"
    r"(?:\s+(?:de\s+l['’]emploi|d['’]emploi|du\s+poste))?(?:\s+(?:souhait[ée]e|envisag[ée]e|pr[ée]vue)(?:/\w+)?)?"
    r"\s*:?[ \t]*(?P<rest>[^\n]{0,80})(?:\n(?P<next>[^\n]{0,40}))?",
    re.I,
)
# "sera vacant à compter du 1er octobre 2021", "sera déclaré vacant le …", "est à pourvoir à compter du …",
# "est créé … à compter du …", "pour une prise de fonctions au …".
_VACANT = re.compile(
    r"\b(?:vacan(?:t|te|ts|tes)|[àa] pourvoir|cr[ée]{2}e?|prise de (?:fonctions?|poste))\b(?P<rest>[^.;]{0,300})", re.I
)
_VACANT_FROM = re.compile(
    r"(?:[àa] compter du|[àa] partir du|d[èe]s le|[àa] la date du|\ble|(?<!jusqu['’])\bau"
    r"|pr[ée]vue? (?:le|au|pour le))\s+"
    r"(?P<date>\d{1,2}(?:er)?\s+\w+\s+\d{4}|\d{1,2}/\d{1,2}/\d{4})",
    re.I,
)


def _vacancy_date(text: str) -> str | None:
    """When the post is free: a labelled date first, else a date in the sentences that announce the post
    as vacant, created or to be filled (not the history of the service further down). A vague one ("d'ici
    à la fin du 3e trimestre", "création de poste") is none."""
    for match in _VACANCY_LABEL.finditer(text):
        # "1er trimestre 2025 (création de la société au 1er janvier 2025)": the date said, not another one
        rest = match.group("rest").split("(")[0].strip()
        iso = parse_date(rest) if rest else parse_date(match.group("next"))
        if iso:
            return iso
    opening = re.split(r"(?<=[.;])\s+|\n", "\n".join(text.splitlines()[:6]))
    about_the_post = "\n".join(
        sentence for sentence in opening if re.search(r"\b(?:emplois?|postes?)\b", sentence, re.I)
    )
    for match in _VACANT.finditer(about_the_post):
        for date in _VACANT_FROM.finditer(re.sub(r"\([^()]*\)", "", match.group("rest"))):
            iso = parse_date(date.group("date"))
            if iso:
                return iso
    return None


# Lines that say where the job is, read before the rest (an address to apply to is not the job's place).
_PLACE_LINE = re.compile(
    r"^(?:localisation|lieu d['’](?:affectation|exercice)|r[ée]sidence administrative)|s['’]exerce\b|\b(?:situ[ée]"
    r"|localis[ée]|bas[ée]|implant[ée])e?s?\b",
    re.I,
)


def _place(lines: list[str], intro: list[str], sections: dict[str, list[str]]):
    """Where the job is: a line saying so ("Localisation géographique : 35, rue de la Gare, 75019 Paris", "Basé à
    Epinal"), else the announcement's first lines; never the address applications go to."""
    elsewhere = {
        line
        for heading, body in sections.items()
        if any(word in plain_words(heading) for word in ("candidature", "contact", "renseignement", "modalites"))
        for line in body
    }
    candidates = []
    for index, line in enumerate(lines):
        if line in elsewhere or not _PLACE_LINE.search(line):
            continue
        candidates.append(line)
        if index + 1 < len(lines) and len(line) < 40:  # "Localisation géographique" then the place on its own line
            candidates.append(lines[index + 1])
    for line in candidates + intro[:6]:
        found = locate(line)
        if found:
            return found
    return None


def _names(employer: str | None) -> list[str]:
    """How a line may name the employer: its name, and its acronym ("… (DINUM)" -> "DINUM")."""
    if not employer:
        return []
    acronym = re.search(r"\(([A-Z][A-Za-z-]+)\)", employer)
    return [re.sub(r"\s*\([^()]*\)", "", employer).lower(), *([acronym.group(1)] if acronym else [])]


def _application_place(lines: list[str], region: str | None, employer: str | None):
    """The address applications go to, when it is the employer's own ("à la DINUM, 20, avenue de Ségur, 75007
    Paris") or in the région the notice names (the DREAL Normandie's address); not the ministry's address in
    Paris for a post in Grand Est."""
    names = _names(employer)
    for line in lines:
        found = locate(line) if find_postal_town(line) else None
        if not found:
            continue
        if (region and found.region == region) or any(name in line or name in line.lower() for name in names):
            return found
    return None


_DEADLINE_MARKER = re.compile(
    r"(?:au plus tard(?: le)?|avant le|jusqu['’]au|date limite[^:.]{0,60}?(?::|est fix[ée]e au|au)?)\s*"
    r"(?P<rest>[^;\n]{0,60})",
    re.I,
)
_DELAY = re.compile(
    r"d[ée]lai\s+(?:de\s+|d['’])(?P<number>[\w\s-]{1,40}?)\s+(?P<unit>jours?|semaines?|mois)\b"
    r"(?P<rest>[^.;]{0,160})",
    re.I,
)
_APPLICATION_WORDS = re.compile(r"candidat|dossier|d[ée]p[ôo]t|transmis|adress", re.I)


def _deadline(text: str, published: str | None) -> str | None:
    """An explicit date ("au plus tard le 3 juillet 2026") in a sentence about applying, else
    "dans un délai de trente jours à compter de la publication" counted from the publication date."""
    for match in _DEADLINE_MARKER.finditer(text):
        sentence_start = max(text.rfind(". ", 0, match.start()), text.rfind("\n", 0, match.start())) + 1
        about_applying = _APPLICATION_WORDS.search(text, sentence_start, match.end())
        if about_applying or _APPLICATION_WORDS.search(match.group("rest")):
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
        unit = plain_words(match.group("unit"))
        if unit.startswith("mois"):
            return add_to_date(published, months=number)
        return add_to_date(published, days=number * (7 if unit.startswith("semaine") else 1))
    return None


_CONTACT_NAME = re.compile(
    r"^(?:(?:M\.|Mme|Mlle|Monsieur|Madame)\s+)?"
    r"(?P<name>[A-ZÀ-Ý][\w'’.-]*(?:\s+(?:de\s+|d['’]|du\s+|le\s+)?[A-ZÀ-Ý][\w'’.-]*){1,3})"
    r"\s*(?:,|\(|\s[-–]\s)\s*(?P<rest>.*)$"
)
_CONTACT_DETAILS = re.compile(
    r"\s*(?:[-–,(:]\s*)*"
    r"(?:t[ée]l[ée]phone|t[ée]l\b\.?|courriel|m[ée]l\b|e-?mail|adresse [ée]lectronique|portable)\b.*$",
    re.I,
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
    contact_lines = [
        line
        for heading, body in sections.items()
        if any(w in plain_words(heading) for w in _CONTACT_HEADINGS)
        for line in body
    ]
    if not contact_lines:
        # No "Personnes à contacter" heading: lines with a phone number that are not a postal address.
        contact_lines = [line for line in lines if find_phones(line) and not find_postal_town(line)]
    return [contact for contact in map(_contact, contact_lines) if contact]


_ABOUT_THE_POST = re.compile(r"\b(?:postes?|emplois?|candidat|ouverte?s?|peuvent|accessibles?|recrut)", re.I)


def _category(profile: str | None, text: str) -> str | None:
    """The post's category, from the profile or a sentence about the post ("poste de catégorie A", "ouvert aux
    fonctionnaires de catégorie A"), not from "223 agents, majoritairement de catégorie A"."""
    found = normalize_category(profile)
    if found:
        return found
    for sentence in re.split(r"(?<=[.;])\s+|\n", text):
        if "atégorie" in sentence and _ABOUT_THE_POST.search(sentence):
            found = normalize_category(sentence)
            if found:
                return found
    return None


def _capitalised(text: str | None) -> str | None:
    return text[0].upper() + text[1:] if text else None


_HOSPITAL = re.compile(r"\b(?:centres? hospitaliers?|groupe hospitalier|CHU|h[ôo]pital|EHPAD)\b", re.I)


def _versant(title: str, opening: str, employer: str | None) -> str:
    """The State's, unless the notice is about the hospital or territorial civil service (or a hospital hires)."""
    named = re.search(r"fonction publique (?:hospitali|territorial)\w*", f"{title}\n{opening}", re.I)
    if named:
        return normalize_versant(named.group(0))
    return "Hospitalière" if employer and _HOSPITAL.search(employer) else "État"


def notice_offer(notice: Notice, ministry: str | None = None) -> OfferItem:
    """Every field of an offer from a vacancy notice; ``ministry`` is the table of contents' heading."""
    lines = notice.text.splitlines()
    intro, sections = _sections(lines)
    announced = announcement(notice.title, lines)
    post, employer = announced.post, announced.employer
    ministry = ministry or notice.ministry or _capitalised(announced.ministry)
    opening = "\n".join(lines[:6])
    named_region = find_region(notice.title) or find_region(announced.place_hint) or find_region(employer)
    place = _place(lines, intro, sections) or _application_place(lines, named_region, employer)
    department = (
        place.department
        if place
        else find_department(employer) or find_department(notice.title) or find_department(f"({announced.place_hint})")
    )
    if named_region and department and region_of_department(department) != named_region:
        # The only place given is elsewhere (a ministry's address in Paris for a post in a région): not the post's.
        place = department = None
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
        title=post or notice.title,
        employer=employer or ministry,
        organisation=ministry,
        versant=_versant(notice.title, opening, employer),
        category=_category(profile, notice.text),
        location=place.town if place else None,
        department=department,
        region=region,
        published_on=notice.published_on,
        deadline=_deadline(notice.text, notice.published_on),
        vacancy_date=_vacancy_date(notice.text),
        # No heading says "missions" ("Contexte", "I. - Contexte institutionnel"): the whole text says what the job is.
        missions=_joined_sections(sections, _MISSION_HEADINGS) or notice.text or None,
        profile=profile,
        contacts=_contacts(sections, lines),
        apply_url=f"mailto:{emails[0]}" if emails else None,
        raw={key: value for key, value in raw.items() if value not in (None, "")},
    )
