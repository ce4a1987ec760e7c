"""The offer item: one shape for every source, and its validation.

Spiders yield :class:`OfferItem`; the validation pipeline checks it with
:func:`validate_offer` (pydantic validates the dataclass from its annotations,
so the shape is written down exactly once). Validation also cleans what no page
should give: characters that are no text (NUL, controls) go, texts are bounded
(a 1 MB title is cut at a word), an apply link that is no link is dropped (not
the offer), and ``raw`` is bounded in depth, length and size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import TypedDict

from storage.places import DEPARTMENT_CODE

Versant = Literal["État", "Territoriale", "Hospitalière"]
Category = Literal["A+", "A", "B", "C"]

# The longest text kept in a field: names and short facts, and the offer's texts (missions, profile).
SHORT_TEXT = 500
LONG_TEXT = 20_000
MAX_URL = 2048
# ``raw``: the longest text, the most entries of a list or table, the deepest nesting kept.
RAW_TEXT, RAW_ITEMS, RAW_DEPTH = 20_000, 200, 8
MAX_CONTACTS = 50

EMAIL = re.compile(r"^[^@\s<>\[\]]+@[^@\s<>\[\]]+\.[A-Za-z]{2,}$")
URL = re.compile(r"^(https?://|mailto:)\S+$")
# What no text has: C0 and C1 controls but tab and line feed, lone surrogates (SQLite cannot store
# them), the replacement character (bytes that were not text) and noncharacters.
_NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]")


def clean_text(value, limit: int):
    """A text as it is stored: without characters no text has, and cut at a word (ending with "…")
    when longer than ``limit``. Anything that is not a string passes through."""
    if not isinstance(value, str):
        return value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _NOT_TEXT.search(value):
        value = _NOT_TEXT.sub("", value)
    if len(value) > limit:
        cut = value.rfind(" ", limit // 2, limit - 1)
        value = value[: cut if cut > 0 else limit - 1].rstrip() + "…"
    return value


def _bounded(value, depth: int = 0):
    """``raw`` as it is stored: its texts cleaned and bounded, its lists and tables cut to
    ``RAW_ITEMS`` entries, nothing deeper than ``RAW_DEPTH``."""
    if isinstance(value, str):
        return clean_text(value, RAW_TEXT)
    if isinstance(value, dict):
        if depth >= RAW_DEPTH:
            return None
        return {
            clean_text(str(key), SHORT_TEXT): _bounded(item, depth + 1) for key, item in list(value.items())[:RAW_ITEMS]
        }
    if isinstance(value, (list, tuple)):
        return [_bounded(item, depth + 1) for item in value[:RAW_ITEMS]] if depth < RAW_DEPTH else None
    return value


def _link_or_none(value):
    """A link (to apply, to the offer's origin) that is no link (a script, a page anchor, a relative
    path, too long) is dropped, not the offer; parsers resolve what they can (crawler.parsing.link_url)."""
    if isinstance(value, str) and URL.match(value.strip()) and len(value.strip()) <= MAX_URL:
        return value.strip()
    return None


def _iso_date(value: str) -> str:
    dt.date.fromisoformat(value)  # raises ValueError on 2026-02-30 or dd/mm/yyyy
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected YYYY-MM-DD")
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date)]
# Constraints first: pydantic applies a before-validator written after them first (written before, it
# would skip them).
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    BeforeValidator(lambda value: clean_text(value, SHORT_TEXT)),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    BeforeValidator(lambda value: clean_text(value, LONG_TEXT)),
]
Url = Annotated[str, StringConstraints(pattern=URL.pattern, max_length=MAX_URL)]
Link = Annotated[str | None, BeforeValidator(_link_or_none)]
Raw = Annotated[dict[str, Any], BeforeValidator(_bounded)]
DepartmentCode = Annotated[str, StringConstraints(pattern=DEPARTMENT_CODE.pattern)]
Email = Annotated[str, StringConstraints(pattern=EMAIL.pattern)]


class Contact(TypedDict, total=False):
    name: Text
    role: Text
    email: Email
    phone: Text
    text: Text


@dataclass
class OfferItem:
    __pydantic_config__ = ConfigDict(extra="forbid")

    source: Text
    source_id: Text
    url: Url
    title: Text
    employer: Text | None = None
    # The ministry or parent organisation, when the page names one beside the employer.
    organisation: Text | None = None
    # The kind of employer a board gives instead of its name ("Conseils départementaux", "Communes").
    employer_kind: Text | None = None
    versant: Versant | None = None
    category: Category | None = None
    contract: Text | None = None
    location: Text | None = None
    department: DepartmentCode | None = None
    region: Text | None = None
    remote: Text | None = None
    # What the offer says it pays, as worded (JSON-LD baseSalary, CSP « Rémunération »).
    salary: Text | None = None
    published_on: IsoDate | None = None
    deadline: IsoDate | None = None
    vacancy_date: IsoDate | None = None
    domain: Text | None = None
    missions: LongText | None = None
    profile: LongText | None = None
    contacts: Annotated[list[Contact], BeforeValidator(lambda value: value[:MAX_CONTACTS])] = field(
        default_factory=list
    )
    apply_url: Link = None
    # The offer on the board it was copied from (an emploi-territorial.fr offer mirrored on CSP).
    origin_url: Link = None
    # The source's own label -> value pairs, nothing thrown away (but bounded).
    raw: Raw = field(default_factory=dict)


OFFER_FIELDS = tuple(f.name for f in dataclasses.fields(OfferItem))
_offer_adapter = TypeAdapter(OfferItem)


class InvalidOffer(ValueError):
    """An item that does not have the offer shape; ``reason`` is short and stable for counting."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


# Fields compared by the downgrade guard: what a page shows of an offer (not its key nor its raw labels).
_SHOWN_FIELDS = tuple(name for name in OFFER_FIELDS if name not in ("source", "source_id", "url", "raw"))
# A new version missing this share of the fields the stored one has (and at least DOWNGRADE_MIN of
# them) comes from a broken page, not from an edited offer: offers are edited a field or two at a time.
DOWNGRADE_SHARE = 1 / 4
DOWNGRADE_MIN = 3


def _filled(value) -> bool:
    return value not in (None, "", [], {})


def _text_length(offer: dict) -> int:
    return sum(len(offer.get(name) or "") for name in ("missions", "profile"))


def downgrade(stored: dict, new: dict) -> str | None:
    """Why ``new`` must not replace the ``stored`` version of an offer, or None: it lost at least
    ``DOWNGRADE_MIN`` of the fields the stored one shows, and either ``DOWNGRADE_SHARE`` of them
    or most of its text (missions and profile: what the offer is)."""
    had = [name for name in _SHOWN_FIELDS if _filled(stored.get(name))]
    lost = [name for name in had if not _filled(new.get(name))]
    lost_text = _text_length(new) * 2 < _text_length(stored)
    if len(lost) >= DOWNGRADE_MIN and (len(lost) >= len(had) * DOWNGRADE_SHARE or lost_text):
        text = " and most of its text" if lost_text else ""
        return (
            f"the offer page lost {len(lost)} of its {len(had)} fields ({', '.join(lost)}){text}: the stored version "
            "is kept"
        )
    return None


def validate_offer(item: OfferItem | dict) -> dict:
    """The item as a plain dict, or :class:`InvalidOffer` naming the first bad field."""
    data = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else dict(item)
    try:
        validated = _offer_adapter.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"]] or ["item"]
        raise InvalidOffer(f"invalid {location[0]}", f"{'.'.join(location)}: {first['msg']}") from None
    return dataclasses.asdict(validated)
