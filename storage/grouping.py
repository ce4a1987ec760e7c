"""Whether two offers are the same job: what an offer is reduced to, and how two are compared.

The same post is published on several boards (the DITP's site, Passerelles,
CSP with a ``MEF_`` reference, HelloWork, the Journal officiel). Each copy words
it a little differently: "Chargée ou chargé de mission" / "Chargé(e) de mission
(H/F)", "DITP" / "Direction interministérielle de la transformation publique",
a HelloWork title ending in " - Ministère de …". This module turns an offer into
a :class:`Profile` (normalised title and employers, place, day, references,
the links it cites, blocking keys) and says how two profiles relate.

Evidence, strongest first:

- *strong*: the same reference across boards, the same offer URL, an offer URL
  one offer cites, a JO notice a board offer cites, a JO notice replacing an
  earlier one (storage/evidence.py finds them);
- *cited issue*: a board offer that names the JO issue of a notice ("Avis de
  vacances au JO : 18/08/2021"): the same job if the titles are close enough
  (``cited_title_threshold``) and the places agree;
- *score*: rapidfuzz over normalised titles and employers, with the places
  agreeing and the publication dates within ``date_window_days``. Two offers of
  one board with different references are the same job only when everything
  else is identical (:func:`published_twice`: one post published twice, once for
  civil servants, once for contract staff); otherwise the board lists two postings.

Every threshold is a :class:`Thresholds` field (``[jobs]`` in veille.toml).
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from storage.clock import paris_day
from storage.evidence import board_of, citations, reference_of, url_key
from storage.french import fold, tokens
from storage.french import masculine as masculine_stem
from storage.places import offer_regions


@dataclass(frozen=True)
class Thresholds:
    """How alike two offers must be to be one job (see README, "Jobs")."""

    # Normalised titles, 0-100 (rapidfuzz token_sort_ratio).
    title_threshold: int = 90
    # Normalised employers, 0-100, when both offers name one (an acronym and its full name are equal).
    employer_threshold: int = 85
    # Publication dates (first-seen dates when a board gives none) at most this many days apart.
    date_window_days: int = 45
    # A similar offer published this long after a job closed is a re-post, linked to it.
    repost_window_days: int = 180
    # Titles of a board offer and of a notice of the JO issue it cites.
    cited_title_threshold: int = 70
    # When the employers are worded too differently (a startup / its incubator's director), offers
    # whose titles, places and dates agree are one job if this share of the shorter text is in the other.
    text_threshold: float = 0.9


# -- titles and employers ---------------------------------------------------------------------------

_GENDER_MARK = re.compile(r"\(?\b(?:h|f|homme|femme)\s*[/-]\s*(?:h|f|homme|femme)\b\)?")
_SEGMENT_SEPARATOR = re.compile(r"(?:\s+[-|:])+\s+")
# A trailing title segment that is who hires, not what the job is ("… - Mairie de Trappes").
_EMPLOYER_WORDS = re.compile(
    r"^(?:la |le "
    r"|l')?(?:mairie|ville|commune|communaute|metropole|ministere|conseil|departement|region|c\.?c\.?a\.?s|centre|"
    r"direction|prefecture|agence|syndicat|sgar|secretariat|universite|hopital|chu|ehpad|etablissement|institut|office|caisse|"
    r"cour|tribunal|ambassade|academie|rectorat|services? du premier ministre|premier ministre)\b"
)
# Words that carry no meaning in a title once articles are gone.
_FILLER = frozenset({"ou", "et", "en", "pour", "a", "sur", "dans", "par", "avec", "chez", "aupres", "d", "l"})


_MASCULINE: dict[str, str] = {}


def _words(text: str) -> list[str]:
    words = []
    masculine = _MASCULINE
    for word in tokens(text):
        word = masculine.get(word) or masculine.setdefault(word, masculine_stem(word))
        if len(word) < 2 or word in _FILLER or word == "|":
            continue
        if words and words[-1] == word:
            continue  # "chargée ou chargé", "développeur/développeuse"
        words.append(word)
    return words


def _may_have_segments(text: str) -> bool:
    return " -" in text or " |" in text or " :" in text


def _looks_like(segment: str, names: list[str]) -> bool:
    return any(name and fuzz.partial_ratio(segment, name) >= 90 for name in names)


@lru_cache(maxsize=65536)
def title_parts(
    title: str, employer: str | None = None, organisation: str | None = None, location: str | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the words of what the job is, the employers the title names).

    Case, accents, "H/F", gender forms, punctuation and articles are folded away,
    and a trailing " - <employer or place>" is dropped from the words; when it
    names an employer ("… - Mairie d'Évry-Courcouronnes"), it is returned as one."""
    folded = fold(title.replace("\u2013", "-").replace("\u2014", "-"))  # fold() drops dashes other than "-"
    if (
        "/" in folded or "h-f" in folded or "f-h" in folded or "e-h" in folded
    ):  # the regex is slow: only when a mark may be there
        folded = _GENDER_MARK.sub(" ", folded)
    segments = (
        [segment.strip() for segment in _SEGMENT_SEPARATOR.split(folded)] if _may_have_segments(folded) else [folded]
    )
    kept, employers, names = [segments[0]], [], None
    for segment in segments[1:]:
        if _EMPLOYER_WORDS.match(segment):
            employers.append(segment)
            continue
        names = names if names is not None else [fold(name) for name in (employer, organisation, location) if name]
        if segment and not _looks_like(segment, names):
            kept.append(segment)
    words = _words(" ".join(kept)) or _words(folded)
    return tuple(words), tuple(employers)


def title_words(
    title: str, employer: str | None = None, organisation: str | None = None, location: str | None = None
) -> tuple[str, ...]:
    return title_parts(title, employer, organisation, location)[0]


# Long names and their acronyms, folded: whichever an offer uses, it becomes the acronym.
EMPLOYER_ACRONYMS = {
    "direction interministerielle de la transformation publique": "ditp",
    "direction interministerielle du numerique": "dinum",
    "secretariat general pour les affaires regionales": "sgar",
    "secretariat general aux affaires regionales": "sgar",
    "ministere de la transformation et de la fonction publiques": "mtfp",
    "ministere de la transformation et de la fonction publique": "mtfp",
    "direction generale de l'administration et de la fonction publique": "dgafp",
    "services du premier ministre": "premier ministre",
}
_ACRONYM_PATTERN = re.compile("|".join(re.escape(name) for name in sorted(EMPLOYER_ACRONYMS, key=len, reverse=True)))
# A service and the ministry it belongs to: a board may name either.
EMPLOYER_PARENTS = {
    "ditp": {"mtfp", "premier ministre"},
    "dinum": {"mtfp", "premier ministre"},
    "dgafp": {"mtfp"},
}
_PARENTHESISED_ACRONYM = re.compile(r"\s*\(([A-Z][A-Z&'.-]{1,9})\)")


@lru_cache(maxsize=65536)
def employer_key(name: str | None) -> str | None:
    """An employer as comparable words: acronyms for the long names, region and
    place words kept ("SGAR Occitanie" = "Secrétariat général pour les affaires
    régionales d'Occitanie"), articles and punctuation dropped."""
    if not name:
        return None
    acronym = _PARENTHESISED_ACRONYM.search(name)
    folded = fold(name)
    if acronym:
        # "Direction interministérielle de la transformation publique (DITP)": the acronym is the name;
        # what follows the brackets ("(DREAL) de Normandie") is kept.
        folded = fold(acronym.group(1)).replace(".", "") + " " + fold(name[acronym.end() :])
    folded = _ACRONYM_PATTERN.sub(lambda match: EMPLOYER_ACRONYMS[match.group(0)], folded)
    words = [word for word in tokens(folded) if word not in _FILLER and word != "|"]
    return " ".join(words) or None


def employer_keys(offer: dict, named: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Who hires, most precise first, each as an :func:`employer_key`: an employer the title
    names (``named``, from :func:`title_parts`: "… - Direction du budget"), the employer, the
    organisation above it (CSP's cards give a kind of employer, "Communes", and the employer
    itself in the title)."""
    if named is None:
        named = title_parts(offer["title"], offer.get("employer"), offer.get("organisation"), offer.get("location"))[1]
    keys = []
    for name in (*named, offer.get("employer"), offer.get("organisation")):
        key = employer_key(name) if name else None
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


@lru_cache(maxsize=65536)  # the same names recur in many employers' tuples
def _employer_pair_score(left: str, right: str) -> int:
    if left == right:
        return 100
    left_words, right_words = set(left.split()), set(right.split())
    small = min(left_words, right_words, key=len)
    if (left_words <= right_words or right_words <= left_words) and (
        len(small) >= 2 or " ".join(small) in EMPLOYER_PARENTS
    ):
        return 100
    score = round(fuzz.token_sort_ratio(left, right))
    if right in EMPLOYER_PARENTS.get(left, ()) or left in EMPLOYER_PARENTS.get(right, ()):
        score = max(score, 95)
    return score


@lru_cache(maxsize=65536)  # a batch scores each new offer against many stored offers of a few employers
def employer_score(a: tuple[str, ...], b: tuple[str, ...]) -> int | None:
    """How alike two employers are, 0-100; None when one offer names none.

    Equal words, one name's words all in the other's ("SGAR" in "SGAR Occitanie"
    is not enough: the smaller must have two words or be a known acronym), or a
    service and its ministry count as the same employer. Each offer is judged by
    its most precise name (the first of :func:`employer_keys`), against every name
    of the other: two services of one ministry ("DDT de la Haute-Garonne" and
    "Préfecture de la Haute-Garonne", both of the Ministère de l'Intérieur) are
    two employers, whatever ministry they share."""
    if not a or not b:
        return None
    best = 0
    for left in a:
        for right in b if left == a[0] else b[:1]:
            best = max(best, _employer_pair_score(left, right))
            if best == 100:
                return best
    return best


def title_score(a: str, b: str) -> int:
    return round(fuzz.token_sort_ratio(a, b))


# -- profiles ----------------------------------------------------------------------------------------

_EPOCH = dt.date(2000, 1, 1).toordinal()


def day_number(iso: str | None) -> int:
    """Days since 2000-01-01 of an ISO date (or datetime)."""
    return dt.date.fromisoformat(iso[:10]).toordinal() - _EPOCH if iso else 0


def key_hash(text: str) -> int:
    """A stable 64-bit number for a key (Python's own hash() changes between processes): two
    checksums side by side. A collision only makes two offers compared for nothing."""
    data = text.encode("utf-8")
    value = (zlib.crc32(data) << 32) | zlib.adler32(data)
    return value - (1 << 64) if value >= 1 << 63 else value


_MASK = (1 << 64) - 1
_WORD_HASHES: dict[str, int] = {}


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def blocking_keys(words: tuple[str, ...]) -> list[int]:
    """Keys two titles share when their words are equal or differ by one word (added,
    dropped or changed): the word set, and the word set less each word. Only offers
    sharing a key are compared, so grouping never compares every pair.

    Titles of three words or fewer that differ by a word are never 90 alike: they get the
    word set only. A key is the sum of its words' hashes, so the set less a word is one
    subtraction."""
    hashes = _WORD_HASHES
    if len(hashes) > 500_000:
        hashes.clear()
    unique = [hashes.get(word) or hashes.setdefault(word, key_hash(f"w|{word}") & _MASK) for word in set(words)]
    if not unique:
        return []
    total = sum(unique) & _MASK
    keys = [_signed(total)]
    if 4 <= len(unique) <= 10:
        keys += [_signed((total - word) & _MASK) for word in unique]
    return keys


@dataclass(slots=True)
class Profile:
    """What grouping keeps of an offer."""

    board: str
    reference: str
    title: str  # normalised title words, space-separated
    employers: tuple[str, ...]
    department: str | None
    regions: frozenset[str]
    day: int
    deadline: str | None
    # Keys this offer owns (its URL, reference, NOR, JO issue day) and keys it cites.
    owns: set[str] = field(default_factory=set)
    cites: set[str] = field(default_factory=set)
    cited_days: set[str] = field(default_factory=set)
    blocks: list[int] = field(default_factory=list)  # blocking_keys


def profile(offer: dict, seen_at: str | None = None) -> Profile:
    """An offer (a stored or validated offer dict) as grouping sees it; ``seen_at`` dates an offer
    without a publication date."""
    words, named = title_parts(offer["title"], offer.get("employer"), offer.get("organisation"), offer.get("location"))
    reference = reference_of(offer)
    owns = {f"ref:{reference}"}
    own_url = url_key(offer.get("url"))
    if own_url:
        owns.add(f"url:{own_url}")
    raw = offer.get("raw") or {}
    if offer["source"] == "jorf" and isinstance(raw, dict):
        if raw.get("NOR"):
            owns.add(f"nor:{raw['NOR']}")
        if offer.get("published_on"):
            owns.add(f"jo-day:{offer['published_on']}")
    cites, cited_days = citations(offer)
    return Profile(
        board=board_of(offer),
        reference=reference,
        title=" ".join(words),
        employers=employer_keys(offer, named),
        department=offer.get("department"),
        regions=_regions(offer.get("department"), offer.get("region"))
        if offer.get("department") or offer.get("region")
        else _NO_REGION,
        day=day_number(offer.get("published_on") or _seen_day(seen_at or offer.get("first_seen"))),
        deadline=offer.get("deadline"),
        owns=owns,
        cites=cites - owns if cites else cites,
        cited_days=cited_days,
        blocks=blocking_keys(words),
    )


_NO_REGION: frozenset[str] = frozenset()


def _seen_day(moment: str | None) -> str | None:
    """An offer without a publication date is dated by the Paris day it was first seen."""
    return paris_day(moment).isoformat() if moment else None


@lru_cache(maxsize=4096)
def _regions(department: str | None, region: str | None) -> frozenset[str]:
    return frozenset(offer_regions({"department": department, "region": region}))


# -- comparing two offers ----------------------------------------------------------------------------------


def strong_lookups(p: Profile) -> dict[str, str]:
    """Stored keys that are strong evidence against ``p``, each with what it means:
    another offer owning a key ``p`` owns or cites, or citing a key ``p`` owns."""
    lookups = {}
    for key in p.owns:
        if not key.startswith("jo-day:"):
            lookups[f"own|{key}"] = f"same {key.split(':', 1)[0]}"
        if not key.startswith("ref:") or key.startswith("ref:jorf:"):  # only JO notices are cited by reference
            lookups[f"cite|{key}"] = "cites this offer" if not key.startswith("jo-day:") else "cites this JO issue"
    for key in p.cites:
        lookups[f"own|{key}"] = "cited by this offer"
    for day in p.cited_days:
        lookups[f"own|jo-day:{day}"] = "notice of the JO issue this offer cites"
    return lookups


def stored_keys(p: Profile) -> list[str]:
    """The evidence keys an offer is stored with: what it owns and what it cites (its title
    blocks are ``p.blocks``)."""
    return (
        [f"own|{key}" for key in p.owns]
        + [f"cite|{key}" for key in p.cites]
        + [f"cite|jo-day:{day}" for day in p.cited_days]
    )


def departments_may_agree(a: Profile, b: Profile) -> bool:
    """False when the offers are in two départements: then they are never one job."""
    return not (a.department and b.department) or a.department == b.department


def places_agree(a: Profile, b: Profile) -> bool:
    if a.department and b.department:
        return a.department == b.department
    return not (a.regions and b.regions) or bool(a.regions & b.regions)


class Comparison:
    """How two offers compare by score: ``similar`` when titles, employers and places agree (dates and boards
    aside), ``same_job`` when similar, on two boards, published within the window.

    ``ask_texts``: everything agrees but the employers, the texts decide (see :func:`text_overlap`).
    ``published_twice``: two references of one board, everything else identical: one post published twice if
    the titles as written agree too (:func:`title_as_written`; the caller has them, profiles keep only
    normalised words). ``reason`` is written when first read: most comparisons are never given as one."""

    __slots__ = ("title", "employer", "similar", "same_job", "ask_texts", "published_twice", "_reason", "_pair")

    def __init__(
        self,
        title: int,
        employer: int | None,
        similar: bool,
        same_job: bool,
        reason: str | None,
        ask_texts: bool = False,
        published_twice: bool = False,
        pair: tuple[Profile, Profile, bool] | None = None,
    ):
        self.title, self.employer, self.similar, self.same_job = title, employer, similar, same_job
        self.ask_texts, self.published_twice = ask_texts, published_twice
        self._reason = reason
        self._pair = pair  # what the reason is written from, when it is not given

    @property
    def reason(self) -> str:
        if self._reason is None:
            self._reason = _score_reason(self, *self._pair)
        return self._reason

    @reason.setter
    def reason(self, value: str) -> None:
        self._reason = value

    @property
    def score(self) -> float:
        return (2 * self.title + (self.employer if self.employer is not None else 0)) / 3


def alike_titles(title: str, others: list[str], thresholds: Thresholds) -> list[tuple[int, float]]:
    """(index, score) of the ``others`` whose score with ``title`` reaches ``title_threshold``, in the order of
    ``others``: the title scores :func:`compare` makes, for many offers in one call (those below the
    threshold, most of them in a real crawl, are never compared)."""
    found = process.extract(
        title, others, scorer=fuzz.token_sort_ratio, score_cutoff=thresholds.title_threshold, limit=None
    )
    return sorted((index, score) for _, score, index in found)


def compare(a: Profile, b: Profile, thresholds: Thresholds, title_score: float | None = None) -> Comparison | None:
    """How two offers compare by score (not by strong evidence); None when their titles or places differ.
    ``title_score``: their titles' score, when :func:`alike_titles` gave it."""
    if title_score is None:
        title_score = fuzz.token_sort_ratio(a.title, b.title, score_cutoff=thresholds.title_threshold)
    title = round(title_score)
    if not title or not places_agree(a, b):
        return None
    employer = employer_score(a.employers, b.employers)
    similar = employer is not None and employer >= thresholds.employer_threshold
    one_board = a.board == b.board
    in_window = not one_board and abs(a.day - b.day) <= thresholds.date_window_days
    # A board publishing one post twice (for civil servants, for contract staff) is one job.
    twice = similar and one_board and a.reference != b.reference and published_twice(a, b)
    return Comparison(
        title,
        employer,
        similar,
        similar and (in_window or twice),
        None,
        ask_texts=in_window and not similar,
        published_twice=twice,
        pair=(a, b, twice),
    )


def _score_reason(comparison: Comparison, a: Profile, b: Profile, twice: bool) -> str:
    """Why :func:`compare` says what it says, in words (job_offers.reason)."""
    if twice:
        first, second = (reference.removeprefix(f"{a.board}:") for reference in (b.reference, a.reference))
        return (
            f"title, employer, place and dates identical: one post published twice on {a.board} "
            f"(references {first} and {second})"
        )
    employer = comparison.employer
    reason = f"title {comparison.title}, employer {employer if employer is not None else '-'}, "
    reason += f"{abs(a.day - b.day)} days apart"
    if comparison.similar and a.board == b.board and a.reference != b.reference:
        reason += f", two references on {a.board}"
    return reason


@lru_cache(maxsize=65536)
def title_as_written(title: str | None) -> str:
    """A title with only case, accents, gender marks and punctuation folded away: "Chef de projet 2" and
    "Chef de projet 3" differ here, not in the normalised words grouping scores (short words dropped)."""
    folded = _GENDER_MARK.sub(" ", fold((title or "").replace("\u2013", "-").replace("\u2014", "-")))
    return " ".join(re.findall(r"[a-z0-9]+", folded))


# Boards that never publish one post twice: each Journal officiel notice is a text of its own.
NEVER_TWICE = frozenset({"jorf"})


def published_twice(a: Profile, b: Profile) -> bool:
    """Two references of one board with everything else identical: the same normalised title, the same
    employers, the same place, published the same day with the same deadline. Anything different, and the
    board lists two postings (two posts, or one re-posted later: see re-posts in storage/jobs.py)."""
    return (
        a.board not in NEVER_TWICE
        and a.title == b.title
        and a.employers == b.employers
        and bool(a.employers)
        and a.department == b.department
        and a.regions == b.regions
        and a.day == b.day
        and a.deadline == b.deadline
    )


_SHINGLE = 5


def text_shingles(offer: dict) -> frozenset[int]:
    """The offer's missions and profile as a set of hashed 5-word runs."""
    words = [
        word
        for word in tokens(" ".join(text for text in (offer.get("missions"), offer.get("profile")) if text))
        if word != "|"
    ]
    return frozenset(hash(" ".join(words[i : i + _SHINGLE])) for i in range(len(words) - _SHINGLE + 1))


def text_overlap(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the shorter text's 5-word runs found in the other (0 when either is too short to tell)."""
    if min(len(a), len(b)) < 20:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def cited_issue_match(a: Profile, b: Profile, thresholds: Thresholds) -> Comparison:
    """A board offer and a notice of the JO issue it cites: titles close enough, places agreeing."""
    title = title_score(a.title, b.title)
    ok = title >= thresholds.cited_title_threshold and places_agree(a, b)
    return Comparison(
        title, employer_score(a.employers, b.employers), ok, ok, f"cites the JO issue of this notice, title {title}"
    )
