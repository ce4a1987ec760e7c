"""Recorded pages with their dates moved, so that the demo looks the same whatever the day it runs.

A recording is a capture of a site on one day: every date of every page of it (publication,
deadline, vacancy, start, a JO issue's date, DILA's archive names and listing, the XML inside
the archives, JSON-LD, CSP's hidden inputs) is moved by the same number of days, so what the
pages say of each other stays true (a deadline after its publication, one offer on two boards).
The bytes served change; the recorded files never do.

What is not a date of the page keeps its digits: identifiers and references (a CSP reference,
a NOR, a JORFTEXT id, a JO issue number), bare years ("feuille de route 2024-2027"), asset
version stamps, and a legal text's date, which is part of its name ("loi n° 2018-727 du 10 août
2018").
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
import tarfile
from dataclasses import dataclass

from storage.french import FRENCH_MONTHS, MONTH_NAMES, strip_accents

# The newest recorded offer lands this many days (at least) before the day the demo runs.
DAYS_AGO = 3
_YEAR = r"(?:19[89]\d|20\d\d)"  # 2999-01-01, the JO's "no end" date, is not a date to move

# A month's name as pages spell it: accented letters plain, as HTML entities or as JSON escapes.
_SPELLINGS = {"é": ("é", "&eacute;", "&#233;", "\\u00e9", "e"), "û": ("û", "&ucirc;", "&#251;", "\\u00fb", "u")}


def _month_pattern(name: str) -> str:
    return "".join(
        "(?:" + "|".join(re.escape(form) for form in _SPELLINGS[char]) + ")" if char in _SPELLINGS else char
        for char in name
    )


_MONTH = "(?:" + "|".join(_month_pattern(name) for name in MONTH_NAMES) + ")"
_SPACE = r"(?:\s|&nbsp;|&#160;|\\u00a0)+"
# The texts whose date is part of their name ("décret n° 2019-1594 du 31 décembre 2019").
_LEGAL_TEXT = r"(?:loi|d[ée]cret|ordonnance|arr[êe]t[ée]|circulaire|directive|r[èe]glement|d[ée]cision)"
_DAY = r"(?P<day>\d{1,2})(?P<first>er|<sup>er</sup>)?"

_DATES = re.compile(
    "|".join(
        [
            # A legal text's date is its name: kept as written.
            rf"(?P<legal>\b{_LEGAL_TEXT}s?(?:\s+organique)?\s+n[°o]\s*[\d-]+\s+du\s+\d{{1,2}}(?:er)?{_SPACE}{_MONTH}"
            rf"{_SPACE}\d{{4}})",
            rf"(?<![\w/])(?P<iso>(?P<iy>{_YEAR})-(?P<im>\d\d)-(?P<id>\d\d))(?!\d)",
            rf"(?<![\d/])(?P<stamp>(?P<sy>{_YEAR})(?P<sm>\d\d)(?P<sd>\d\d))(?=-\d{{6}}(?!\d))",
            rf"(?<![\w/.])(?P<nd>\d{{1,2}})(?P<sep>/|\\/|\.)(?P<nm>\d{{1,2}})(?P=sep)(?P<ny>{_YEAR})(?!\d)",
            rf"(?<![\w.])(?P<words>{_DAY}(?P<space>{_SPACE})(?P<month>{_MONTH})(?P<space2>{_SPACE})(?P<year>{_YEAR}))"
            r"(?!\d)",
            rf"(?<![\w;])(?P<mmonth>{_MONTH})(?P<mspace>{_SPACE})(?P<myear>{_YEAR})(?!\d)",
            # A day without a year ("Début : 3 janvier"): the recording's own year around it.
            rf"(?<![\w.])(?P<yearless>(?P<yday>\d{{1,2}})(?P<yfirst>er|<sup>er</sup>)?(?P<yspace>{_SPACE})"
            rf"(?P<ymonth>{_MONTH}))(?![\w&;\\])(?!{_SPACE}\d)",
            rf"(?P<eli>/eli/jo/(?P<ey>{_YEAR})/(?P<em>\d{{1,2}})/(?P<ed>\d{{1,2}})/)",
        ]
    ),
    re.IGNORECASE,
)
# CSP's offer pages say when an offer was published in three hidden inputs (day, month, year).
_SPLIT_DATE = re.compile(r'id="(?P<name>content_\w+?)_(?P<part>day|month|year)"\s+value="(?P<value>\d+)"')


def _plain(written: str) -> str:
    for forms in _SPELLINGS.values():
        for form in forms[:4]:
            written = written.replace(form, forms[4])
    return strip_accents(written).lower()


def _month_number(written: str) -> int:
    return FRENCH_MONTHS[_plain(written)]


def _spelled_like(name: str, written: str) -> str:
    """The month ``name`` (accents included) spelt as ``written`` spells its own: accents as entities or
    JSON escapes, or none at all ("aout"), and its case."""
    own = MONTH_NAMES[_month_number(written) - 1]
    plain = own != _plain(own) and written.lower() == _plain(written)
    for char, forms in _SPELLINGS.items():
        encoded = next((form for form in forms[1:4] if form in written), None)
        name = name.replace(char, forms[4] if plain else encoded or char)
    if written.isupper():
        return name.upper()
    if written[:1].isupper():
        return name[:1].upper() + name[1:]
    return name


def _padded(number: int, padded: bool) -> str:
    return f"{number:02d}" if padded else str(number)


@dataclass(frozen=True)
class DateShift:
    """Every date of a recording moved by ``days``; ``around``, the recording's day (its newest offer's),
    tells the year of a date written without one."""

    days: int
    around: dt.date | None = None

    @classmethod
    def to_recent(cls, newest: dt.date, today: dt.date) -> DateShift:
        """The shift that puts ``newest`` (the recording's newest offer) 3 to 9 days before ``today``: whole
        weeks, so that each date keeps its weekday (the JO is never published on a Monday)."""
        return cls((today - dt.timedelta(days=DAYS_AGO) - newest).days // 7 * 7, newest)

    def date(self, day: dt.date) -> dt.date:
        return day + dt.timedelta(days=self.days)

    def _moved(self, year: str, month: str | int, day: str | int) -> dt.date | None:
        try:
            return self.date(dt.date(int(year), int(month), int(day)))
        except ValueError:
            return None  # not a date after all (a 31 June): left as written

    def _replace(self, match: re.Match) -> str:
        found = match.group(0)
        if match.group("legal"):
            return found
        if match.group("iso"):
            moved = self._moved(match["iy"], match["im"], match["id"])
            return moved.isoformat() if moved else found
        if match.group("stamp"):
            moved = self._moved(match["sy"], match["sm"], match["sd"])
            return moved.strftime("%Y%m%d") if moved else found
        if match.group("nd"):
            moved = self._moved(match["ny"], match["nm"], match["nd"])
            if not moved:
                return found
            sep, padded = match["sep"], len(match["nd"]) == len(match["nm"]) == 2
            return f"{_padded(moved.day, padded)}{sep}{_padded(moved.month, padded)}{sep}{moved.year}"
        if match.group("words"):
            moved = self._moved(match["year"], _month_number(match["month"]), match["day"])
            if not moved:
                return found
            if match["day"].startswith("0"):  # "06 octobre 2026": CSP pads its days
                day = f"{moved.day:02d}"
            else:
                day = f"{moved.day}{match['first'] or 'er'}" if moved.day == 1 else str(moved.day)
            month = _spelled_like(MONTH_NAMES[moved.month - 1], match["month"])
            return f"{day}{match['space']}{month}{match['space2']}{moved.year}"
        if match.group("mmonth"):
            # A month without a day ("Début : janvier 2022"): where the middle of the month lands.
            moved = self._moved(match["myear"], _month_number(match["mmonth"]), 15)
            month = _spelled_like(MONTH_NAMES[moved.month - 1], match["mmonth"])
            return f"{month}{match['mspace']}{moved.year}"
        if match.group("yearless"):
            return self._yearless(match)
        moved = self._moved(match["ey"], match["em"], match["ed"])
        return f"/eli/jo/{moved.year}/{moved.month}/{moved.day}/" if moved else found

    def _yearless(self, match: re.Match) -> str:
        """ "3 janvier": its occurrence nearest the recording's day, moved, written without a year again."""
        month = _month_number(match["ymonth"])
        if self.around is None:
            return match.group(0)
        candidates = [
            self._moved(year, month, match["yday"]) for year in range(self.around.year - 1, self.around.year + 2)
        ]
        candidates = [day for day in candidates if day]
        if not candidates:
            return match.group(0)
        moved = min(candidates, key=lambda day: abs((day - self.date(self.around)).days))
        day = f"{moved.day}{match['yfirst'] or 'er'}" if moved.day == 1 else str(moved.day)
        if match["yday"].startswith("0"):
            day = f"{moved.day:02d}"
        return f"{day}{match['yspace']}{_spelled_like(MONTH_NAMES[moved.month - 1], match['ymonth'])}"

    def text(self, text: str) -> str:
        """Every date written in ``text`` moved, each written as it was (zero-padded or not, "1er", the
        month's case and accents)."""
        if not self.days:
            return text
        return _split_dates(_DATES.sub(self._replace, text), self)

    def body(self, body: bytes, name: str) -> bytes:
        """A served file with its dates moved: a page, an XML text, or a tar.gz archive of them."""
        if not self.days:
            return body
        if name.endswith((".tar.gz", ".tgz")):
            return self.archive(body)
        if name.endswith((".html", ".htm", ".xml", ".txt", ".json")):
            return self.text(body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return body

    def archive(self, body: bytes) -> bytes:
        """A tar.gz with its member names, times and texts moved (rewritten deterministically)."""
        out = io.BytesIO()
        with (
            tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as source,
            gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed,
            tarfile.open(fileobj=packed, mode="w", format=tarfile.GNU_FORMAT) as target,
        ):
            for member in source:
                moved = tarfile.TarInfo(self.text(member.name))
                moved.mode, moved.uid, moved.gid = member.mode, member.uid, member.gid
                moved.uname, moved.gname, moved.type = member.uname, member.gname, member.type
                moved.mtime = int(member.mtime) + self.days * 86400
                if member.isfile():
                    data = self.body(source.extractfile(member).read(), member.name)
                    moved.size = len(data)
                    target.addfile(moved, io.BytesIO(data))
                else:
                    target.addfile(moved)
        return out.getvalue()


def _split_dates(text: str, shift: DateShift) -> str:
    """CSP's day, month and year inputs of one date, moved together."""
    parts: dict[str, dict[str, str]] = {}
    for match in _SPLIT_DATE.finditer(text):
        parts.setdefault(match["name"], {})[match["part"]] = match["value"]
    moved = {}
    for name, values in parts.items():
        if values.keys() == {"day", "month", "year"}:
            day = shift._moved(values["year"], values["month"], values["day"])
            if day:
                moved[name] = {"day": f"{day.day:02d}", "month": f"{day.month:02d}", "year": str(day.year)}
    if not moved:
        return text

    def replace(match: re.Match) -> str:
        values = moved.get(match["name"])
        if not values:
            return match.group(0)
        return match.group(0)[: match.start("value") - match.start()] + values[match["part"]] + '"'

    return _SPLIT_DATE.sub(replace, text)
