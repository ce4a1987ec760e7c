"""French text as match keys: case, accents, inclusive writing and inflection folded away.

The same function turns offer text and subscription keywords into token lists,
so whatever is folded on one side is folded on the other.

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

import re
import unicodedata

# Characters that mean something before accents go: the typographic apostrophe,
# ligatures, the inclusive-writing middle dot (a point, once folded) and bullets
# (a line break).
_SPECIAL = (("’", "'"), ("‘", "'"), ("ʼ", "'"), ("œ", "oe"), ("æ", "ae"), ("ß", "ss"), ("·", "."), ("‧", "."), ("⋅", "."), ("•", "\n"), ("▪", "\n"), ("◦", "\n"))

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
_SKIPPED = STOP_WORDS | {f"{word}'" for word in ("l", "d", "j", "n", "m", "t", "s", "c", "qu", "jusqu", "lorsqu", "puisqu")}


def fold(text: str) -> str:
    """Lower case, ASCII only: accents off, ligatures spelt out, one kind of apostrophe.
    What is not Latin script (quotes, dashes, emoji) is dropped."""
    text = text.lower()
    if text.isascii():
        return text
    for char, replacement in _SPECIAL:
        if char in text:
            text = text.replace(char, replacement)
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
