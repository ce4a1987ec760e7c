"""The offer item: one shape for every source, and its validation.

Spiders yield :class:`OfferItem`; the validation pipeline checks it with
:func:`validate_offer` (pydantic validates the dataclass from its annotations,
so the shape is written down exactly once).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
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

EMAIL = re.compile(r"^[^@\s<>\[\]]+@[^@\s<>\[\]]+\.[A-Za-z]{2,}$")


def _iso_date(value: str) -> str:
    dt.date.fromisoformat(value)  # raises ValueError on 2026-02-30 or dd/mm/yyyy
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected YYYY-MM-DD")
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Url = Annotated[str, StringConstraints(pattern=r"^(https?://|mailto:)\S+$")]
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
    versant: Versant | None = None
    category: Category | None = None
    contract: Text | None = None
    location: Text | None = None
    department: DepartmentCode | None = None
    region: Text | None = None
    remote: Text | None = None
    published_on: IsoDate | None = None
    deadline: IsoDate | None = None
    vacancy_date: IsoDate | None = None
    domain: Text | None = None
    missions: Text | None = None
    profile: Text | None = None
    contacts: list[Contact] = field(default_factory=list)
    apply_url: Url | None = None
    # The source's own label -> value pairs, nothing thrown away.
    raw: dict[str, Any] = field(default_factory=dict)


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


def downgrade(stored: dict, new: dict) -> str | None:
    """Why ``new`` must not replace the ``stored`` version of an offer (it lost most of what the stored
    one shows), or None."""
    had = [name for name in _SHOWN_FIELDS if _filled(stored.get(name))]
    lost = [name for name in had if not _filled(new.get(name))]
    if len(lost) >= DOWNGRADE_MIN and len(lost) >= len(had) * DOWNGRADE_SHARE:
        return (
            f"the offer page lost {len(lost)} of its {len(had)} fields ({', '.join(lost)}): the stored version is kept"
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
