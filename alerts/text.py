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
from functools import lru_cache

# Inclusive-writing suffixes after a middle dot, a point, brackets, a hyphen or
# a slash: chargé·e·s, chargé(e)s, chargé-e, développeur.euse, chef(fe),
# expert·es, un·e. The base word is kept; its stem covers the other forms.
_INCLUSIVE_SUFFIX = re.compile(
    r"(?<=[^\W\d_])(?:[·•‧⋅.(/]\s?(?:e|es|s|se|ses|euse|euses|rice|rices|ice|ices|ère|ères|ere|eres|ne|nes|le|les|te|tes|fe|ffe|fes|ffes|x)\)?s?|-(?:e|es)\b)+(?![^\W_])",
    re.IGNORECASE,
)
_ELISION = re.compile(r"\b(?:[ldjnmtsc]|qu|jusqu|lorsqu|puisqu)'(?=\w)")
_TOKEN = re.compile(r"[a-z0-9]+|\n")
# A phrase never spans two sentences, list items or lines: they become a break
# that no keyword contains.
_BREAK = re.compile(r"[.;:!?](?=\s)|[\r\n•▪◦]+")
BREAK = "|"
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_COMBINING = re.compile(r"[\u0300-\u036f]")

# Articles and the commonest prepositions are dropped from both sides so that
# "design de services" matches "design des services" and "design du service".
STOP_WORDS = frozenset({"de", "des", "du", "la", "le", "les", "un", "une", "au", "aux"})


def fold(text: str) -> str:
    """Lower case, no accents, ligatures spelt out, one kind of apostrophe."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return _COMBINING.sub("", text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Savoy's minimal French stemmer on a folded word: plural, then feminine endings."""
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


def tokens(text: str | None) -> list[str]:
    """Match keys of ``text`` in order: folded, inclusive suffixes removed, elisions and
    articles dropped, stemmed."""
    if not text:
        return []
    text = _INCLUSIVE_SUFFIX.sub("", text)
    text = _BREAK.sub("\n", _ELISION.sub(" ", fold(text)))
    keys = [BREAK if word == "\n" else stem(word) for word in _TOKEN.findall(text) if word not in STOP_WORDS]
    # Breaks only matter between words.
    while keys and keys[-1] == BREAK:
        keys.pop()
    return [key for position, key in enumerate(keys) if key != BREAK or (position and keys[position - 1] != BREAK)]
