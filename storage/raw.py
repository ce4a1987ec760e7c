"""An offer's ``raw`` (every label and value its page has) as stored: apart from the offers table,
without the copies, compressed. Readers get back exactly the dict the spider gave.

``offer_raw.raw`` is either plain JSON text (what migration m012 moved out of ``offers``, until
storage/upkeep.py converts it), or a blob: a format byte then zlib, with a preset dictionary of the labels
boards use and the shape their raws have, of the JSON where a string

- equal to one of the offer's columns is ``COLUMN`` + the column's name (the missions section and the
  missions column were the same text twice);
- equal to a column but for its whitespace is ``[PATCH, column, [[run, spaces], ...]]``: the column's
  text with the whitespace runs that differ put back (a JSON-LD description of the missions, a third copy);
- long is ``TEXT`` + the id of its one copy in ``raw_texts``, however many offers carry it (an employer's
  "Qui sommes-nous ?" on each of its offers);
- that happens to start with one of these marks (private-use characters) is ``ESCAPE`` + itself.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from functools import lru_cache

from sqlite_utils import Database

from storage.rows import CONTENT_FIELDS, JSON_FIELDS, KEY_FIELDS, chunks, from_row

# The offer's fields that are columns of the offers table (raw is in offer_raw).
OFFER_COLUMNS = tuple(name for name in CONTENT_FIELDS if name != "raw")
# The columns raw may refer to instead of repeating them: the offer's text, set with raw and only with it.
REFERABLE_COLUMNS = (*KEY_FIELDS, *(name for name in OFFER_COLUMNS if name not in JSON_FIELDS))
# What a query of offers joins to read their raw (``offer_raw.raw``).
RAW_JOIN = "left join offer_raw on offer_raw.offer_id = offers.id"

# The format of a raw blob: its first byte, which says the zlib dictionary it was compressed with. Readers
# read every format; raw is written in the last one.
FORMAT_V1, FORMAT_V2 = b"\x01", b"\x02"
FORMAT = FORMAT_V2
# A long text of raw_texts, compressed (no dictionary).
TEXT_FORMAT = b"\x01"
# Marks: Unicode private-use characters, three UTF-8 bytes each (JSON would spell a control character in six).
COLUMN, TEXT, PATCH, ESCAPE = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKS = (COLUMN, TEXT, PATCH, ESCAPE)
# Texts at least this long are stored once in raw_texts.
SHARED_TEXT = 128
# Column values shorter than this are not worth a reference; near copies are looked for from _NEAR_COPY.
_SHORTEST_REFERENCE = 4
_NEAR_COPY = 64
_RUNS = re.compile(r"\s+")

# What raw holds, so that a small raw compresses as well as a large one: zlib's preset dictionary. Frozen
# with FORMAT: another dictionary is another format byte, and both stay readable.
_DICTIONARY_V1 = json.dumps(
    {
        "page_name": "",
        "content_categorie": "Catégorie A (cadre)",
        "content_versant": "Fonction Publique de l'Etat",
        "content_dept": "",
        "content_reg": "",
        "content_metier": "",
        "content_domaine": "",
        "content_entite": "",
        "content_ref": "",
        "content_startPublicationDate_day": "",
        "content_startPublicationDate_month": "",
        "content_startPublicationDate_year": "",
        "content_modificationDate_day": "",
        "content_modificationDate_month": "",
        "content_modificationDate_year": "",
        "Fonction publique": "Fonction publique de l'État",
        "Employeur": "",
        "Localisation": "",
        "Nature de l’emploi": "Emploi ouvert aux titulaires et aux contractuels",
        "Expérience souhaitée": "",
        "Rémunération - Fourchette indicative pour les contractuels": "Non renseignée",
        "Rémunération - Fourchette indicative pour les fonctionnaires": "Non renseignée",
        "Catégorie": "",
        "Management": "",
        "Télétravail possible": "",
        "Date limite de candidature": "",
        "Candidature": "Postuler par mail: mailto:",
        "Vos missions en quelques mots": "",
        "Profil recherché": "",
        "Documents à transmettre": "Pour postuler à cette offre, l'envoi du CV est obligatoire",
        "Personnes à contacter": "",
        "Qui sommes-nous ?": "",
        "Descriptif du service": "",
        "Informations complémentaires": "",
        "Conditions particulières d’exercice": "",
        "Statut du poste": "Vacant à partir du ",
        "Métier de référence": "",
        "board": "",
        "listing_card": {
            "url": "",
            "source_id": "",
            "title": "",
            "domain": "",
            "location": "",
            "department": "",
            "versant": "",
            "employer": "",
            "published_on": "",
            "organisation": "",
        },
        "json_ld": {
            "@context": "https://schema.org/",
            "@type": "JobPosting",
            "title": "",
            "addressLocality": "",
            "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressCountry": "France"}},
            "hiringOrganization": "",
            "baseSalary": "",
            "experienceRequirements": "",
            "Description": "",
            "description": "",
            "skills": "",
            "datePosted": "",
            "validThrough": "",
            "employmentType": "",
            "industry": "",
            "educationRequirements": "",
        },
    },
    ensure_ascii=False,
    separators=(",", ":"),
).encode("utf-8")

_DICTIONARY_V1 += "".join(
    f'"{COLUMN}{name}"'
    for name in (
        *("source", "source_id", "url", "title", "employer", "organisation", "versant", "category", "contract"),
        *("location", "department", "region", "remote", "published_on", "deadline", "vacancy_date", "domain"),
        *("missions", "profile", "apply_url"),
    )
).encode("utf-8")


def _shape(tree: dict) -> bytes:
    return json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Version 2 adds the shape an encoded raw has on each board, taken from the real recorded pages: its labels in
# page order, the columns it refers to, the values every offer of the board repeats (what one raw shares with
# all the others of its board), the most frequent board last (nearest, cheapest to refer to). Frozen with
# FORMAT_V2, as version 1 is with FORMAT_V1.
_C = COLUMN
_DICTIONARY_V2 = (
    _DICTIONARY_V1
    + _shape(
        {
            "ID": _C + "source_id",
            "NATURE": "AVIS",
            "JORFCONT": "JORFCONT",
            "TITREFULL": "Avis de vacance d'emploi",
            "MINISTERE": _C + "organisation",
            "poste": _C + "title",
            "texte": TEXT,
            "html": TEXT,
            "annonce": TEXT,
        }
    )
    + _shape(
        {
            "Référence": _C + "source_id",
            "Date de début de publication": "",
            "Date limite d'envoi des candidatures": "",
            "Documents requis pour postuler": "Cv et lettre de motivation",
            "Directions et Services": _C + "employer",
            "Domaine et métier": _C + "domain",
            "Intitulé du poste": _C + "title",
            "Versant": "Fonction publique de l'Etat",
            "Catégorie": "Catégorie A (cadre)",
            "Statut du poste": "Vacant",
            "Nature de l'emploi": _C + "contract",
            "Descriptif de l'employeur": TEXT,
            "Description du poste": _C + "missions",
            "Description du profil recherché": _C + "profile",
            "Temps Plein": "Oui",
            "Compétences": TEXT,
            "Niveau d'études min. souhaité": "",
            "Niveau d'expérience min. requis": "Confirmé",
            "Télétravail possible": "Oui",
            "Management": "Non",
            "Localisation du poste": "France, ",
            "Lieu d'affectation": _C + "location",
            "Date de vacance de l'emploi": "",
            "sections": ["Détail de l'offre", "Informations générales", "Description du poste"],
            "board": "passerelles",
            "listing_card": {"title": _C + "title", "description": "Offre publiée sur Passerelles."},
        }
    )
    + _shape(
        {
            "page_name": _C + "title",
            "content_categorie": "Catégorie A (cadre)",
            "content_versant": "Fonction Publique de l'Etat",
            "content_dept": _C + "location",
            "content_reg": _C + "region",
            "content_metier": "",
            "content_domaine": _C + "domain",
            "content_entite": _C + "employer",
            "content_ref": _C + "source_id",
            "content_startPublicationDate_day": "",
            "content_startPublicationDate_month": "",
            "content_startPublicationDate_year": "2026",
            "content_modificationDate_day": "",
            "content_modificationDate_month": "",
            "content_modificationDate_year": "2026",
            "Fonction publique": "Fonction publique de l'État",
            "Employeur": _C + "employer",
            "Localisation": _C + "location",
            "logo": "",
            "Nature de l’emploi": _C + "contract",
            "Expérience souhaitée": "Débutant",
            "Rémunération - Fourchette indicative pour les contractuels": "Non renseignée",
            "Rémunération - Fourchette indicative pour les fonctionnaires": "Non renseignée",
            "Catégorie": "Catégorie A (cadre)",
            "Management": "Non",
            "Télétravail possible": "Oui",
            "Candidature": "Postuler par mail: mailto:?subject= - ",
            "Vos missions en quelques mots": _C + "missions",
            "Profil recherché": _C + "profile",
            "Documents à transmettre": "Pour postuler à cette offre, l'envoi du CV est obligatoire",
            "Personnes à contacter": "",
            "Qui sommes-nous ?": TEXT,
            "Descriptif du service": TEXT,
            "Informations complémentaires": TEXT,
            "Conditions particulières d’exercice": TEXT,
            "Statut du poste": "Vacant à partir du ",
            "Métier de référence": "",
            "json_ld": {
                "@context": "https://schema.org/",
                "@type": "JobPosting",
                "title": _C + "title",
                "addressLocality": ", France",
                "jobLocation": {
                    "@type": "Place",
                    "address": {
                        "@type": "PostalAddress",
                        "streetAddress": ", France",
                        "addressLocality": ", France",
                        "addressRegion": _C + "region",
                        "addressCountry": "France",
                        "postalCode": "",
                    },
                },
                "hiringOrganization": _C + "employer",
                "baseSalary": "Non renseigné",
                "experienceRequirements": "Débutant",
                "Description": [PATCH, "missions", []],
                "skills": "",
                "datePosted": "",
                "industry": _C + "domain",
                "educationRequirements": "",
            },
            "listing_card": {
                "url": _C + "url",
                "source_id": _C + "source_id",
                "title": _C + "title",
                "domain": _C + "domain",
                "location": _C + "location",
                "department": _C + "department",
                "versant": _C + "versant",
                "employer": _C + "employer",
                "published_on": _C + "published_on",
                "logo": "",
            },
        }
    )
)
_DICTIONARIES = {FORMAT_V1: _DICTIONARY_V1, FORMAT_V2: _DICTIONARY_V2}


def inflated(blob: bytes) -> bytes:
    """The JSON of a raw blob, with the dictionary of its format."""
    decompressor = zlib.decompressobj(zdict=_DICTIONARIES[blob[:1]])
    return decompressor.decompress(blob[1:]) + decompressor.flush()


def _digest(text: str) -> int:
    """A shared text's digest, to find its copy: 63 bits of its SHA-1 (the texts are compared too)."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()[:8], "big") >> 1


def _runs(text: str) -> list[str]:
    """The whitespace before the first word, between words, and after the last."""
    words = _RUNS.split(text)
    runs = _RUNS.findall(text)
    if words and words[0] != "":
        runs.insert(0, "")
    if words and words[-1] != "" or not runs:
        runs.append("")
    return runs


def _whitespace_patch(text: str, column: str) -> list:
    """Where ``text``'s whitespace differs from ``column``'s (their words are the same)."""
    return [[index, run] for index, (run, other) in enumerate(zip(_runs(text), _runs(column))) if run != other]


def _apply_patch(column: str, patch: list) -> str:
    words, runs = column.split(), _runs(column)
    for index, run in patch:
        runs[index] = run
    return runs[0] + "".join(word + run for word, run in zip(words, runs[1:]))


class _Shared:
    """A long text in an encoded raw, until its id in raw_texts is known."""

    __slots__ = ("text", "digest", "id")

    def __init__(self, text: str):
        self.text, self.digest, self.id = text, _digest(text), None


class _Encoding:
    """One offer's raw on its way to offer_raw."""

    def __init__(self, raw: dict, row: dict):
        self.row = row
        self.by_value: dict[str, str] = {}
        self.by_words: dict[str, str] = {}
        for name in REFERABLE_COLUMNS:
            value = row.get(name)
            if isinstance(value, str) and len(value) >= _SHORTEST_REFERENCE:
                self.by_value.setdefault(value, name)
                if len(value) >= _NEAR_COPY:
                    self.by_words.setdefault(" ".join(value.split()), name)
        self.shared: list[_Shared] = []
        self.tree = self._encode(raw)

    def _encode(self, value):
        if isinstance(value, dict):
            return {key: self._encode(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._encode(item) for item in value]
        if not isinstance(value, str):
            return value
        if value.startswith(_MARKS):
            return ESCAPE + value
        if len(value) < _SHORTEST_REFERENCE:
            return value
        column = self.by_value.get(value)
        if column:
            return COLUMN + column
        if len(value) >= _NEAR_COPY and self.by_words:
            column = self.by_words.get(" ".join(value.split()))
            if column:
                return [PATCH, column, _whitespace_patch(value, self.row[column])]
        if len(value) >= SHARED_TEXT:
            shared = _Shared(value)
            self.shared.append(shared)
            return shared
        return value

    def packed(self) -> bytes:
        encoded = _ENCODE_TREE(self.tree)
        compressor = _primed_compressor().copy()
        return FORMAT + compressor.compress(encoded.encode("utf-8")) + compressor.flush()


@lru_cache(maxsize=1)
def _primed_compressor():
    """A compressor given FORMAT's dictionary once, copied for each raw: priming one costs more than
    compressing a small raw (a copy makes the same bytes)."""
    return zlib.compressobj(6, zdict=_DICTIONARIES[FORMAT])


def _shared_reference(value):
    if isinstance(value, _Shared):
        return TEXT + str(value.id) if value.id is not None else value.text
    raise TypeError(f"{type(value).__name__} in raw")


_ENCODE_TREE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_shared_reference).encode


def packed_alone(raw: dict, row: dict) -> bytes:
    """``raw`` encoded and compressed as :func:`encode_raws` stores it, its long texts left in it (no database):
    what encoding costs, for bench/storage.py."""
    return _Encoding(raw, row).packed()


def encode_raws(db: Database, raws: list[tuple[dict | None, dict]]) -> list[bytes | None]:
    """Each (raw, row) as stored in offer_raw beside ``row``, the offer's stored columns (None: nothing
    to store), its long texts found in raw_texts, or added to it."""
    encodings = [_Encoding(raw, row) if raw else None for raw, row in raws]
    shared = [text for encoding in encodings if encoding for text in encoding.shared]
    if shared:
        _identify(db, shared)
    return [encoding.packed() if encoding else None for encoding in encodings]


def _identify(db: Database, shared: list[_Shared]) -> None:
    """Give each shared text the id of its copy in raw_texts, storing the texts not there yet. A text
    whose digest is another's (never seen) keeps no id: it stays in the offer's raw."""
    by_digest: dict[int, list[_Shared]] = {}
    for text in shared:
        by_digest.setdefault(text.digest, []).append(text)
    digests = list(by_digest)
    for chunk in chunks(digests):
        cursor = db.conn.execute(
            f"select digest, id, text from raw_texts where digest in ({','.join('?' * len(chunk))})", chunk
        )
        for digest, text_id, stored in cursor:
            stored = _decode_text(stored)
            for text in by_digest[digest]:
                if text.text == stored:
                    text.id = text_id
    for digest, texts in by_digest.items():
        if texts[0].id is None and all(text.text == texts[0].text for text in texts):
            cursor = db.conn.execute(
                "insert or ignore into raw_texts (digest, text) values (?, ?)", [digest, _encode_text(texts[0].text)]
            )
            if cursor.rowcount:
                for text in texts:
                    text.id = cursor.lastrowid


def _encode_text(text: str) -> str | bytes:
    packed = zlib.compress(text.encode("utf-8"), 6)
    return TEXT_FORMAT + packed if len(packed) + 1 < len(text.encode("utf-8")) else text


def _decode_text(stored) -> str:
    return zlib.decompress(stored[1:]).decode("utf-8") if isinstance(stored, bytes) else stored


def decode_raws(db: Database, rows: list[dict]) -> None:
    """Turn each row's stored ``raw`` (read from offer_raw beside the offer's columns) back into the
    dict the spider gave, in place; {} when there is none."""
    encoded = []
    for row in rows:
        stored = row.get("raw")
        if stored is None:
            row["raw"] = {}
        elif isinstance(stored, str):
            row["raw"] = json.loads(stored)
        else:
            row["raw"] = json.loads(inflated(stored))
            encoded.append(row)
    if not encoded:
        return
    wanted: set[int] = set()
    for row in encoded:
        _text_ids(row["raw"], wanted)
    texts = {}
    for chunk in chunks(list(wanted)):
        cursor = db.conn.execute(f"select id, text from raw_texts where id in ({','.join('?' * len(chunk))})", chunk)
        texts.update((text_id, _decode_text(text)) for text_id, text in cursor)
    for row in encoded:
        row["raw"] = _resolve(row["raw"], row, texts)


def decoded_offers(db: Database, rows: list[dict]) -> list[dict]:
    """Offers from rows of ``offers.*`` and ``offer_raw.raw as raw``: raw and JSON columns decoded."""
    decode_raws(db, rows)
    return [from_row(row) for row in rows]


def _text_ids(value, found: set[int]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _text_ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _text_ids(item, found)
    elif isinstance(value, str) and value.startswith(TEXT):
        found.add(int(value[1:]))


def _resolve(value, row: dict, texts: dict[int, str]):
    if isinstance(value, str):
        if not value.startswith(_MARKS):
            return value
        mark, rest = value[0], value[1:]
        if mark == COLUMN:
            return row[rest]
        if mark == TEXT:
            return texts[int(rest)]
        return rest  # ESCAPE
    if isinstance(value, dict):
        return {key: _resolve(item, row, texts) for key, item in value.items()}
    if isinstance(value, list):
        if len(value) == 3 and value[0] == PATCH:
            return _apply_patch(row[value[1]], value[2])
        return [_resolve(item, row, texts) for item in value]
    return value
