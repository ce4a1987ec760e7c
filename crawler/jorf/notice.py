"""A vacancy notice as an offer: the post, employer and place from its title and first sentence, the
dates, deadline and contacts from its text, and (read by :mod:`crawler.jorf.superseding`) the earlier
notice it cancels or replaces.

Notices have no markup beyond paragraphs: headings are short lines without final
punctuation (:func:`_sections`), and every field is read from wording the JO's
notices share ("Avis de vacance d'un emploi de …", "sera vacant à compter du …",
"dans un délai de trente jours à compter de la publication").
"""

from __future__ import annotations

import re

from crawler.items import OfferItem
from crawler.jorf.superseding import earlier_notice_reference
from crawler.jorf.texts import Notice
from crawler.jorf.toc import plain_words
from crawler.parsing import clean, find_emails, find_phones
from storage.french import add_to_date, french_number, normalize_category, normalize_versant, parse_date
from storage.places import department_from_postcode, find_postal_town, find_region, region_of_department

SOURCE = "jorf"
LEGIFRANCE_TEXT = "https://www.legifrance.gouv.fr/jorf/id/{}"

_TITLE_HEAD = re.compile(r"^avis\s+(?:de|d['’])\s*(?:vacance|recrutement)s?\s+", re.I)
_ARTICLE = re.compile(r"^(?:d['’]une?\b|de\s+la\b|de\s+l['’]|des\b|du\b|de\b|d['’])\s*", re.I)
_JOB_NOUN = re.compile(r"^(?:emplois?|postes?)\b\s*", re.I)
_WORKING_TIME = re.compile(r"\s*,?\s*[àa] temps (?:complet|plein|partiel|non complet)\s*,?\s*", re.I)
_LOCATIVE = re.compile(r"\s(?:au|aux|à la|à l['’]|auprès (?:du|de la|de l['’]|des))\s", re.I)
_ORGANISATION = re.compile(
    r"^(?:secr[ée]tariat|direction|service|d[ée]l[ée]gation|pr[ée]fecture|minist[èe]re|agence|institut|inspection"
    r"|cabinet|mission|bureau|office|conseil|commissariat|centre|[ée]cole|[ée]tablissement|haut|cour|tribunal"
    r"|[ée]tat-major|sgar"
    r"|administration|universit[ée]|rectorat|acad[ée]mie|caisse|ambassade|d[ée]partement|p[ôo]le)\b",
    re.I,
)
# "directeur adjoint de la direction départementale …": the post, then the service it heads.
_OF_SERVICE = re.compile(
    r"\s(?:de la|du|de l['’])\s"
    r"(?=(?:direction|d[ée]l[ée]gation|secr[ée]tariat|agence|inspection|pr[ée]fecture)\b)",
    re.I,
)
_SENTENCE_POST = re.compile(
    r"^(?:un|une|l['’]|le|les|deux|trois|quatre|cinq)\s*(?:emplois?|postes?)\s+(?:de\s+|d['’])(?P<post>.+?)\s+"
    r"(?:sera|est|seront|sont)\s+(?:susceptibles?\s+d['’][êe]tre\s+)?(?:d[ée]clar[ée]s?\s+)?vacant",
    re.I,
)
_SGAR = re.compile(
    r"^secr[ée]tariat g[ée]n[ée]ral pour les affaires r[ée]gionales(?:\s*\(SGAR\))?"
    r"\s*(?:(?:de la r[ée]gion|de la|de|du|d['’])\s*(?P<rest>.+))?$",
    re.I,
)


def _split_post(text: str) -> tuple[str | None, str | None, str | None]:
    """ "chargé de mission … au secrétariat général …" -> (post, employer, place hint)."""
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


_SENTENCE_GOES_ON = re.compile(r",?\s(?:[àa] compter|[àa] partir|sera|est|sont|seront|dont|pour|afin)\b|[;.](?:\s|$)")


def _employer_in_sentence(sentence: str) -> str | None:
    for match in _LOCATIVE.finditer(sentence):
        after = sentence[match.end() :]
        if _ORGANISATION.match(after):
            return _SENTENCE_GOES_ON.split(after, maxsplit=1)[0]
    return None


def _employer_name(text: str | None) -> str | None:
    """ "secrétariat général pour les affaires régionales d'Occitanie" -> "SGAR Occitanie"; others capitalised."""
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


_VACANT = re.compile(r"\bvacan(?:t|te|ts|tes)\b(?P<rest>[^.;]{0,160})", re.I)
_VACANT_FROM = re.compile(
    r"(?:[àa] compter du|[àa] partir du|d[èe]s le|[àa] la date du|\ble|\bau)\s+"
    r"(?P<date>\d{1,2}(?:er)?\s+\w+\s+\d{4}|\d{1,2}/\d{1,2}/\d{4})",
    re.I,
)


def _vacancy_date(text: str) -> str | None:
    """ "sera vacant à compter du 1er octobre 2021", "est vacant à la direction … à compter du …"."""
    for match in _VACANT.finditer(text):
        for date in _VACANT_FROM.finditer(match.group("rest")):
            iso = parse_date(date.group("date"))
            if iso:
                return iso
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
