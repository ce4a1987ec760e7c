"""An offer's ``raw`` (every label and value its page has) as stored: apart from the offers table,
without the copies, compressed. Readers get back exactly the dict the spider gave.

``offer_raw.raw`` is either plain JSON text (what migration m007 moved out of ``offers``, and any raw
too small to gain anything), or a blob: ``FORMAT`` then zlib, with a preset dictionary of the labels
boards use, of the JSON where

- a value equal to one of the offer's columns is ``{"\\u0000c": column}`` (the missions section and the
  missions column were the same text twice);
- a value equal to a column but for its whitespace is ``{"\\u0000w": [column, [[run, spaces], ...]]}``:
  the column's text with the whitespace runs that differ put back (a JSON-LD description of the
  missions, a third copy);
- a long value is ``{"\\u0000t": id}``, its text once in ``raw_texts`` however many offers carry it (an
  employer's "Qui sommes-nous ?" on each of its offers).

A page cannot put a NUL in a label, so the markers cannot clash with what a page says.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterable

from sqlite_utils import Database

from storage.rows import CONTENT_FIELDS, JSON_FIELDS, KEY_FIELDS, chunks, from_row

# The offer's fields that are columns of the offers table (raw is in offer_raw).
OFFER_COLUMNS = tuple(name for name in CONTENT_FIELDS if name != "raw")
# The columns raw may refer to instead of repeating them: the offer's text, set with raw and only with it.
REFERABLE_COLUMNS = (*KEY_FIELDS, *(name for name in OFFER_COLUMNS if name not in JSON_FIELDS))
# What a query of offers joins to read their raw (``offer_raw.raw``).
RAW_JOIN = "left join offer_raw on offer_raw.offer_id = offers.id"

FORMAT = b"\x01"
# Texts at least this long are stored once in raw_texts.
SHARED_TEXT = 256
# Column values shorter than this are not worth a reference; near copies are looked for from _NEAR_COPY.
_SHORTEST_REFERENCE = 4
_NEAR_COPY = 64
_COLUMN, _WHITESPACE, _TEXT = "\x00c", "\x00w", "\x00t"
_RUNS = re.compile(r"\s+")

# The labels boards put in raw, so that a small raw compresses as well as a large one: zlib's preset
# dictionary. Frozen with FORMAT: another dictionary is another format byte, and both stay readable.
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


def _text_id(text: str) -> int:
    """A shared text's key: 63 bits of its SHA-1 (a clash is checked for, never trusted)."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()[:8], "big") >> 1


def _whitespace_patch(text: str, column: str) -> list | None:
    """How ``text`` differs from ``column`` when only their whitespace does, else None."""
    if text.split() != column.split():
        return None
    runs, column_runs = _runs(text), _runs(column)
    return [[index, run] for index, (run, other) in enumerate(zip(runs, column_runs)) if run != other]


def _runs(text: str) -> list[str]:
    """The whitespace before the first word, between words, and after the last."""
    words = _RUNS.split(text)
    runs = _RUNS.findall(text)
    if words and words[0] != "":
        runs.insert(0, "")
    if words and words[-1] != "" or not runs:
        runs.append("")
    return runs


def _apply_patch(column: str, patch: list) -> str:
    words = column.split()
    runs = _runs(column)
    for index, run in patch:
        runs[index] = run
    return runs[0] + "".join(word + run for word, run in zip(words, runs[1:]))


class _Encoder:
    def __init__(self, row: dict, columns: Iterable[str]):
        self.row = row
        self.by_value: dict[str, str] = {}
        self.by_words: dict[str, str] = {}
        for name in columns:
            value = row.get(name)
            if isinstance(value, str) and len(value) >= _SHORTEST_REFERENCE:
                self.by_value.setdefault(value, name)
                if len(value) >= _NEAR_COPY:
                    self.by_words.setdefault(" ".join(value.split()), name)
        self.texts: dict[int, str] = {}

    def encode(self, value):
        if isinstance(value, dict):
            return {key: self.encode(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.encode(item) for item in value]
        if not isinstance(value, str) or len(value) < _SHORTEST_REFERENCE:
            return value
        column = self.by_value.get(value)
        if column:
            return {_COLUMN: column}
        if len(value) >= _NEAR_COPY and self.by_words:
            column = self.by_words.get(" ".join(value.split()))
            if column:
                return {_WHITESPACE: [column, _whitespace_patch(value, self.row[column])]}
        if len(value) >= SHARED_TEXT:
            text_id = _text_id(value)
            if self.texts.setdefault(text_id, value) == value:  # else two texts, one id: keep it here
                return {_TEXT: text_id}
        return value


def encode_raw(raw: dict | None, row: dict, columns: Iterable[str]) -> tuple[str | bytes | None, dict[int, str]]:
    """``raw`` as stored beside ``row`` (the offer's stored columns), and the shared texts it refers to
    (to store with :func:`store_texts`). None for an empty raw: no row in offer_raw."""
    if not raw:
        return None, {}
    encoder = _Encoder(row, columns)
    encoded = json.dumps(encoder.encode(raw), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    compressor = zlib.compressobj(6, zdict=_DICTIONARY_V1)
    return FORMAT + compressor.compress(encoded) + compressor.flush(), encoder.texts


def store_texts(db: Database, texts: dict[int, str]) -> set[int]:
    """Store shared texts not stored yet; the ids of those that clash with another text (never seen
    in practice; the caller keeps such a text in the offer's own raw)."""
    if not texts:
        return set()
    ids = list(texts)
    stored = {}
    for chunk in chunks(ids):
        cursor = db.conn.execute(f"select id, text from raw_texts where id in ({','.join('?' * len(chunk))})", chunk)
        stored.update((text_id, _decode_text(text)) for text_id, text in cursor)
    clashes = {text_id for text_id, text in stored.items() if text != texts[text_id]}
    db.conn.executemany(
        "insert into raw_texts (id, text) values (?, ?)",
        [(text_id, _encode_text(text)) for text_id, text in texts.items() if text_id not in stored],
    )
    return clashes


def encode_raw_stored(db: Database, raw: dict | None, row: dict, columns: Iterable[str]) -> str | bytes | None:
    """:func:`encode_raw`, its shared texts stored (a text whose id clashes stays in the raw)."""
    encoded, texts = encode_raw(raw, row, columns)
    if store_texts(db, texts):
        return json.dumps(raw, ensure_ascii=False, sort_keys=True)  # plain JSON: refers to nothing
    return encoded


def _encode_text(text: str) -> str | bytes:
    packed = zlib.compress(text.encode("utf-8"), 6)
    return FORMAT + packed if len(packed) + 1 < len(text.encode("utf-8")) else text


def _decode_text(stored) -> str:
    if isinstance(stored, bytes):
        return zlib.decompress(stored[1:]).decode("utf-8")
    return stored


def decode_raws(db: Database, rows: list[dict]) -> None:
    """Turn each row's stored ``raw`` (as read from offer_raw beside the offer's columns) back into
    the dict the spider gave, in place; {} when there is none."""
    encoded = []
    for row in rows:
        stored = row.get("raw")
        if stored is None:
            row["raw"] = {}
        elif isinstance(stored, str):
            row["raw"] = json.loads(stored)
        else:
            decompressor = zlib.decompressobj(zdict=_DICTIONARY_V1)
            row["raw"] = json.loads(decompressor.decompress(stored[1:]) + decompressor.flush())
            encoded.append(row)
    if not encoded:
        return
    wanted: set[int] = set()
    for row in encoded:
        _collect_texts(row["raw"], wanted)
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


def _collect_texts(value, found: set[int]) -> None:
    if isinstance(value, dict):
        if len(value) == 1 and _TEXT in value:
            found.add(value[_TEXT])
            return
        for item in value.values():
            _collect_texts(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_texts(item, found)


def _resolve(value, row: dict, texts: dict[int, str]):
    if isinstance(value, dict):
        if len(value) == 1:
            (key, reference), *_ = value.items()
            if key == _COLUMN:
                return row[reference]
            if key == _WHITESPACE:
                column, patch = reference
                return _apply_patch(row[column], patch)
            if key == _TEXT:
                return texts[reference]
        return {key: _resolve(item, row, texts) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, row, texts) for item in value]
    return value
