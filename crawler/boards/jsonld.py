"""schema.org ``JobPosting`` in a page's JSON-LD, as offer fields.

Any page can carry one: HelloWork copies, CSP, careers pages built on a CMS
with an SEO plug-in. Real ones bend the schema (dates as dd/mm/yyyy, the
organisation as a bare string, "Description" capitalised, ``employmentType``
a list), so every field is read leniently and the whole object is kept in
``raw["json_ld"]``.
"""

from __future__ import annotations

from crawler.parsing import clean, fragment_text, load_json_ld, salary_from_json_ld
from storage.french import parse_date
from storage.places import department_code, department_from_postcode, locate

# schema.org employmentType values, in the words French offers use.
EMPLOYMENT_TYPES = {
    "FULL_TIME": "Temps plein",
    "PART_TIME": "Temps partiel",
    "CONTRACTOR": "Indépendant",
    "TEMPORARY": "Temporaire",
    "INTERN": "Stage",
    "VOLUNTEER": "Bénévolat",
    "PER_DIEM": "Vacation",
    "OTHER": "Autre",
}


def _is_job_posting(item: dict) -> bool:
    kind = item.get("@type")
    return "JobPosting" in (kind if isinstance(kind, list) else [kind])


def job_posting(response) -> dict | None:
    """The page's first JSON-LD ``JobPosting``, or None."""
    blocks = response.xpath("//script[@type='application/ld+json']/text()").getall()
    return next((item for item in load_json_ld(blocks) if _is_job_posting(item)), None)


def _name(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("legalName")
    return clean(value) if isinstance(value, str) else None


def text_of(value) -> str | None:
    """A schema.org text value (a string, a list of them, an object with a description or name) as text."""
    if isinstance(value, list):
        value = "\n".join(str(part) for part in value if part)
    if isinstance(value, dict):
        value = value.get("description") or value.get("name")
    return fragment_text(value) if isinstance(value, str) else None


def _place(posting: dict) -> tuple[str | None, str | None, str | None]:
    """(location text, département code, region) of ``jobLocation``."""
    places = posting.get("jobLocation")
    place = (places[0] if places else None) if isinstance(places, list) else places
    address = place.get("address") if isinstance(place, dict) else None
    if isinstance(address, str):
        located = locate(address)
        return clean(address), located.department if located else None, None
    address = address if isinstance(address, dict) else {}
    locality = clean(address.get("addressLocality") or posting.get("addressLocality"))
    postcode = clean(str(address.get("postalCode") or ""))
    street = clean(address.get("streetAddress"))
    parts = [part for part in (street, " ".join(p for p in (postcode, locality) if p and p != street)) if part]
    location = ", ".join(dict.fromkeys(parts)) or None
    department = (
        department_from_postcode(postcode, locality)
        or department_code(postcode)
        or department_code(locality)
        or department_code(street)
    )
    return location, department, clean(address.get("addressRegion"))


def _employment_type(value) -> str | None:
    values = value if isinstance(value, list) else [value]
    words = [EMPLOYMENT_TYPES.get(str(v).upper(), clean(str(v))) for v in values if v]
    return ", ".join(word for word in words if word) or None


def _identifier(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("@id")
    return clean(str(value)) if value not in (None, "") else None


def offer_fields(posting: dict) -> dict:
    """The offer fields a ``JobPosting`` gives (only those it has), and the posting in ``raw``."""
    location, department, region = _place(posting)
    remote = "Oui" if str(posting.get("jobLocationType", "")).upper() == "TELECOMMUTE" else None
    fields = {
        "source_id": _identifier(posting.get("identifier")),
        "title": clean(posting.get("title")) if isinstance(posting.get("title"), str) else None,
        "employer": _name(posting.get("hiringOrganization")),
        "location": location,
        "department": department,
        "region": region,
        "remote": remote,
        "salary": salary_from_json_ld(posting.get("baseSalary")),
        "contract": _employment_type(posting.get("employmentType")),
        "published_on": parse_date(str(posting.get("datePosted") or "")),
        "deadline": parse_date(str(posting.get("validThrough") or "")),
        "domain": text_of(posting.get("industry")) or text_of(posting.get("occupationalCategory")),
        "missions": text_of(
            posting.get("description") or posting.get("Description") or posting.get("responsibilities")
        ),
        # The posting's profile: not ``skills`` (keywords a board adds) nor ``experienceRequirements`` (a
        # number of months, "no requirements"), kept in raw.
        "profile": text_of(posting.get("qualifications")),
    }
    found = {name: value for name, value in fields.items() if value}
    found["raw"] = {"json_ld": posting}
    return found
