"""French text as veille compares it: one folding of case and accents, inflection
and gender forms, dates and numbers written in words, the civil service's words.

Everything that turns French text into keys lives here, at the bottom layer, so
that parsing, grouping and matching fold text the same way: whatever is folded
on one side is folded on the other.

Why a *minimal* stemmer (J. Savoy's, the one behind Lucene's
FrenchMinimalStemmer, adapted to accent-free tokens) and not Snowball: users
must be able to predict why an offer matched. The minimal stemmer only removes
plural and feminine endings (transformation/transformations,
numérique/numériques, chargé/chargée/chargés, usager/usagers,
territorial/territoriaux), which is what French inflection means for job
titles. Snowball French is more aggressive and less regular where it matters
here: it stems "usager" and "usagers", "public" and "publics" differently, and
on accent-stripped input it stems "chargee" to "charge" but "chargé" to
"charg".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from storage.clock import PARIS, UTC

# Characters that mean something before accents go: the typographic apostrophe,
# ligatures, the inclusive-writing middle dot (a point, once folded) and bullets
# (a line break).
_SPECIAL = (
    ("’", "'"),
    ("‘", "'"),
    ("ʼ", "'"),
    ("œ", "oe"),
    ("æ", "ae"),
    ("ß", "ss"),
    ("·", "."),
    ("‧", "."),
    ("⋅", "."),
    ("•", "\n"),
    ("▪", "\n"),
    ("◦", "\n"),
)

# Inclusive-writing suffixes after a point, brackets, a slash or a hyphen:
# chargé·e·s, chargé(e)s, chargé-e, chef-fe, directeur-rice, développeur.euse, chef(fe), expert·es,
# un·e. The base word is kept; its stem covers the other forms. Runs on folded
# text and starts with the marker, so that the regex engine only stops at markers.
_SUFFIX = r"(?:e|es|s|se|ses|euse|euses|rice|rices|ice|ices|ere|eres|ne|nes|le|les|te|tes|fe|ffe|fes|ffes|x)"
_INCLUSIVE_SUFFIX = re.compile(
    rf"[.(/-](?<=[a-z][.(/-])(?:(?<=[.(/])\s?{_SUFFIX}\)?s?|(?<=-)(?:e|es|fe|ffe|fes|ffes|rice|rices|trice|trices|ere|eres|euse|euses|ne|nes)\b)(?:[.(/]\s?{_SUFFIX}\)?s?)*(?![a-z0-9])"
)
# A word, with the apostrophe of an elision (l', d', qu'), or what ends a
# sentence, a list item or a line: a phrase never spans two of them, so they
# become a break key that no keyword contains.
_SCAN = re.compile(r"[a-z0-9]+'?|[.;:!?](?=\s)|[\r\n|]")
BREAK = "|"

# Articles and the commonest prepositions are dropped from both sides so that
# "design de services" matches "design des services" and "design du service";
# so are elided words.
STOP_WORDS = frozenset({"de", "des", "du", "la", "le", "les", "un", "une", "au", "aux"})
_SKIPPED = STOP_WORDS | {
    f"{word}'" for word in ("l", "d", "j", "n", "m", "t", "s", "c", "qu", "jusqu", "lorsqu", "puisqu")
}


_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")


def strip_accents(text: str) -> str:
    """Accents off, case and every other character kept: "Défense – Île" -> "Defense – Ile"."""
    if text.isascii():
        return text
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))


def fold(text: str) -> str:
    """Lower case, ASCII only: accents off, ligatures spelt out, one kind of apostrophe.
    What is not Latin script (quotes, dashes, emoji) is dropped."""
    text = text.lower()
    if text.isascii():
        return text
    for char, replacement in _SPECIAL:
        if char in text:
            text = text.replace(char, replacement)
    # Accents are combining marks once decomposed: not ASCII, so dropped with the rest.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _stem(word: str) -> str:
    if len(word) < 4 or word.isdigit():
        return word
    if word.endswith("x"):
        # territoriaux -> territorial; deux -> deu is harmless (both sides agree).
        return word[:-2] + "l" if word.endswith("aux") and len(word) > 4 else word[:-1]
    if word.endswith("s"):
        word = word[:-1]
    if len(word) < 5:
        return word
    if word.endswith("r"):
        word = word[:-1]
    # Up to two: "chargee" (chargée once folded) -> "charg", like "charge" and "charge(s)".
    for _ in range(2):
        if word.endswith("e") and len(word) > 3:
            word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2]:
        word = word[:-1]  # cheffe -> cheff -> chef
    return word


_BREAKS = {char: BREAK for char in ".;:!?\r\n|"}
_STEMS: dict[str, str] = dict(_BREAKS)


def stem(word: str) -> str:
    """Savoy's minimal French stemmer on a folded word: plural, then feminine endings."""
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) > 500_000:
            _STEMS.clear()
            _STEMS.update(_BREAKS)
        found = _STEMS[word] = _stem(word.rstrip("'"))
    return found


def tokens(text: str | None) -> list[str]:
    """Match keys of ``text`` in order: folded, inclusive suffixes removed, elisions and
    articles dropped, stemmed, with a break (``|``) between sentences and lines."""
    if not text:
        return []
    text = fold(text)
    if "." in text or "(" in text or "/" in text or "-" in text:  # where an inclusive suffix can start
        text = _INCLUSIVE_SUFFIX.sub("", text)
    stems = _STEMS
    keys = [stems.get(word) or stem(word) for word in _SCAN.findall(text) if word not in _SKIPPED]
    # Breaks only matter between words.
    while keys and keys[-1] == BREAK:
        keys.pop()
    while keys and keys[0] == BREAK:
        keys.pop(0)
    return keys


def masculine(stem: str) -> str:
    """Feminine and masculine job nouns to one stem, on :func:`stem`'s output: developpeu(s) ->
    developp, directric/directeu -> direct, ingenieur/ingenieu -> ingeni, conseiller (conseillère)
    -> conseil, designeus -> design."""
    if len(stem) < 5:
        return stem
    if stem.endswith("eur"):
        stem = stem[:-1]
    if stem.endswith("eus"):
        return stem[:-3]
    if stem.endswith("eu"):
        return stem[:-2]
    if stem.endswith("tric"):
        return stem[:-3]
    if stem.endswith("er") and len(stem) > 5:
        stem = stem[:-2]
        return stem[:-1] if stem[-1] == stem[-2] else stem
    return stem


_NOT_IN_LABEL_KEY = re.compile(r"[^\w' ]")


@lru_cache(maxsize=4096)  # a board's pages repeat the same few dozen labels
def label_key(text: str | None) -> str:
    """A label as a stable key: accents, case, curly apostrophes, punctuation and a trailing colon ignored."""
    plain = strip_accents(text or "").lower().replace("’", "'")
    return " ".join(_NOT_IN_LABEL_KEY.sub(" ", plain).split())


# -- dates and numbers written in French ---------------------------------------------------

FRENCH_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
_FRENCH_DATE = re.compile(
    r"\b(?P<day>\d{1,2})(?:er)?\s+(?P<month>" + "|".join(FRENCH_MONTHS) + r")\s+(?P<year>\d{4})\b", re.IGNORECASE
)
_NUMERIC_DATE = re.compile(r"\b(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})\b")
_ISO_DATE = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")  # also "2026-03-02T10:00"


def _date(year: str, month: str | int, day: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``.

    Understands "02 octobre 2026", "1er octobre 2021", "01/11/2026" (French order)
    and ISO dates; None when there is no valid date.
    """
    if not text:
        return None
    plain = strip_accents(text)
    found = []
    for pattern in (_ISO_DATE, _NUMERIC_DATE, _FRENCH_DATE):
        match = pattern.search(plain)
        if match:
            month = match.group("month")
            month = FRENCH_MONTHS.get(month.lower(), month) if not month.isdigit() else month
            iso = _date(match.group("year"), month, match.group("day"))
            if iso:
                found.append((match.start(), iso))
    return min(found)[1] if found else None


_DAY_MONTH = re.compile(r"\b(?P<day>\d{1,2})(?:er)?\s+(?P<month>" + "|".join(FRENCH_MONTHS) + r")\b", re.IGNORECASE)


def parse_date_after(text: str | None, after: str | None) -> str | None:
    """Like :func:`parse_date`, and a day without a year ("3 janvier") becomes its first
    occurrence on or after the ISO date ``after`` (an offer's publication date)."""
    full = parse_date(text)
    if full or not text or not after:
        return full
    match = _DAY_MONTH.search(strip_accents(text))
    if not match:
        return None
    reference = dt.date.fromisoformat(after)
    month = FRENCH_MONTHS[match.group("month").lower()]
    for year in (reference.year, reference.year + 1):
        candidate = _date(str(year), month, match.group("day"))
        if candidate and candidate >= after:
            return candidate
    return None


# -- numbers and dates written in words ----------------------------------------------------

_NUMBER_WORDS = {
    "zero": 0,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "vingts": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
}


def french_number(text: str | None) -> int | None:
    """ "trente" -> 30, "quarante-cinq" -> 45, "soixante et onze" -> 71, "quatre-vingt-dix" -> 90,
    "deux cents" -> 200, "30" -> 30; None when it is not a number."""
    if not text:
        return None
    words = re.sub(r"[-\s]+", " ", strip_accents(text).lower()).split()
    if not words:
        return None
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    total = current = 0
    previous = None
    for word in words:
        if word == "et":
            continue
        if word in ("cent", "cents"):
            current = max(current, 1) * 100
        elif word == "mille":
            total += max(current, 1) * 1000
            current = 0
        elif word in ("vingt", "vingts") and previous == "quatre":
            current += 80 - 4  # "quatre-vingt": the 4 already added becomes 80
        elif word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        else:
            return None
        previous = word
    return total + current


def add_to_date(iso: str, *, days: int = 0, months: int = 0) -> str:
    """An ISO date moved by whole months (clamped to the month's last day), then days."""
    date = dt.date.fromisoformat(iso)
    if months:
        month_index = date.month - 1 + months
        year, month = date.year + month_index // 12, month_index % 12 + 1
        next_month = dt.date(year + month // 12, month % 12 + 1, 1)
        date = date.replace(year=year, month=month, day=min(date.day, (next_month - dt.timedelta(days=1)).day))
    return (date + dt.timedelta(days=days)).isoformat()


# Each month's name as French writes it (accents included), January first.
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_date(iso: str | None) -> str:
    """ "2025-05-22" -> "22 mai 2025", "2021-10-01" -> "1er octobre 2021"."""
    if not iso:
        return ""
    try:
        day = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{'1er' if day.day == 1 else day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def french_score(value: float) -> str:
    """A score as French writes it, to two decimals: 0.87 -> "0,87"."""
    return f"{value:.2f}".replace(".", ",")


def french_moment(moment: str | None) -> str:
    """A stored UTC moment as Paris wall-clock time in French: "24 novembre 2026 à 08h05"."""
    if not moment:
        return ""
    local = dt.datetime.fromisoformat(moment)
    local = (local if local.tzinfo else local.replace(tzinfo=UTC)).astimezone(PARIS)
    return f"{french_date(local.date().isoformat())} à {local:%Hh%M}"


# -- the civil service's words ---------------------------------------------------------------


def normalize_versant(text: str | None) -> str | None:
    """ "Fonction Publique de l'Etat" -> "État", "…Territoriale" -> "Territoriale", ..."""
    if not text:
        return None
    plain = fold(text)
    if "territorial" in plain:
        return "Territoriale"
    if "hospital" in plain:
        return "Hospitalière"
    if "etat" in plain:
        return "État"
    return None


_CATEGORY = re.compile(r"\bcat[ée]gorie\s*(A\+|A|B|C)(?![\w+])|^\s*(A\+|A|B|C)\s*$", re.IGNORECASE)


def normalize_category(text: str | None) -> str | None:
    """ "Catégorie A (cadre)" -> "A", "Catégorie A+" -> "A+"."""
    if not text:
        return None
    match = _CATEGORY.search(text)
    if not match:
        return None
    return (match.group(1) or match.group(2)).upper()


# -- words as the text writes them ---------------------------------------------------------------

# A written word, with its inclusive-writing suffixes (chargé·e·s, chargé(e)s, développeur.euse) and
# elision (d'innovation): each is folded by tokens() alone into zero, one or more keys.
_WRITTEN_WORD = re.compile(r"[\w'’]+(?:[·‧⋅.(/-][^\W\d_]{1,5}(?![^\W\d_])\)?s?)*")


def find_words(text: str | None, keys: list[str]) -> str | None:
    """The words of ``text`` whose match keys are ``keys``, in order, as the text writes them
    (articles between them included): ``find_words("Design des Services", ["design", "servic"])``
    is "Design des Services". None when they are not there."""
    if not text or not keys:
        return None
    found: list[tuple[str, int, int]] = []
    for match in _WRITTEN_WORD.finditer(text):
        found.extend((key, match.start(), match.end()) for key in _word_keys(match.group()))
    for start in range(len(found) - len(keys) + 1):
        if all(found[start + offset][0] == key for offset, key in enumerate(keys)):
            written = text[found[start][1] : found[start + len(keys) - 1][2]]
            return _ELIDED_START.sub("", written)
    return None


_ELIDED_START = re.compile(r"^(?:[ldjmntsc]|qu)['’](?=\w)", re.I)


def _word_keys(word: str) -> list[str]:
    return [key for key in tokens(word) if key != BREAK]
