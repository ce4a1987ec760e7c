"""An offer's ``raw`` (every label and value its page has) as stored: apart from the offers table,
without the copies, compressed. Readers get back exactly the dict the spider gave.

``offer_raw.raw`` is either plain JSON text (what migration m012 moved out of ``offers``, until
storage/upkeep.py converts it), or a blob: a format byte then zlib, with a preset dictionary of the labels
boards use and the shape their raws have, of the JSON where a string

- equal to one of the offer's columns is ``COLUMN`` + the column's name (the missions section and the
  missions column were the same text twice);
- equal to a column but for its whitespace is ``[PATCH, column, [[run, spaces], ...]]``: the column's
  text with the whitespace runs that differ put back (a JSON-LD description of the missions, a third copy);
- long and repeating none of the offer's own text is ``TEXT`` + the id of its one copy in ``raw_texts``,
  however many offers carry it (an employer's "Qui sommes-nous ?" on each of its offers);
- that happens to start with one of these marks (private-use characters) is ``ESCAPE`` + itself.

A long text that repeats the offer's own text (a JO notice's whole text, its HTML and each of its sections,
the missions column made of some of them) stays in the JSON, and the blob is compressed against the
offer's columns as well (format 3: zlib's dictionary ends with them): zlib stores each copy as references
to the text it repeats, in the columns or earlier in the JSON. storage/raw_format.py fixes the formats.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zlib
from functools import lru_cache

from sqlite_utils import Database

from storage.raw_format import (
    COLUMN,
    CONTEXT_COLUMNS,
    DICTIONARIES,
    ESCAPE,
    FORMAT_V2,
    FORMAT_V3,
    MARKS,
    PATCH,
    TEXT,
    context,
)
from storage.rows import CONTENT_FIELDS, JSON_FIELDS, KEY_FIELDS, chunks, dict_rows, from_row

log = logging.getLogger(__name__)

# The offer's fields that are columns of the offers table (raw is in offer_raw).
OFFER_COLUMNS = tuple(name for name in CONTENT_FIELDS if name != "raw")
# The columns raw may refer to instead of repeating them: the offer's text, set with raw and only with it.
REFERABLE_COLUMNS = (*KEY_FIELDS, *(name for name in OFFER_COLUMNS if name not in JSON_FIELDS))
# What a query of offers joins to read their raw (``offer_raw.raw``).
RAW_JOIN = "left join offer_raw on offer_raw.offer_id = offers.id"

# A long text of raw_texts, compressed (no dictionary).
TEXT_FORMAT = b"\x01"
# Texts at least this long are stored once in raw_texts, unless they repeat the offer's own text.
SHARED_TEXT = 128
# Whether a long text repeats another: any of three pieces of it this long (a quarter, half and three
# quarters through it) found in the other.
_SAMPLE = 32
# Column values shorter than this are not worth a reference; near copies are looked for from _NEAR_COPY.
_SHORTEST_REFERENCE = 4
_NEAR_COPY = 64
_RUNS = re.compile(r"\s+")


def inflated(blob: bytes, row: dict | None = None) -> bytes:
    """The JSON of a raw blob, with the dictionary of its format (and the columns of ``row``, the offer's
    stored row, that format 3 names)."""
    if blob[:1] == FORMAT_V3:
        decompressor = zlib.decompressobj(zdict=DICTIONARIES[FORMAT_V2] + context(row, blob[1]))
        packed = blob[2:]
    else:
        decompressor = zlib.decompressobj(zdict=DICTIONARIES[blob[:1]])
        packed = blob[1:]
    return decompressor.decompress(packed) + decompressor.flush()


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
    """A long text in an encoded raw: stored in raw_texts once its id there is known, or kept in the
    JSON (no id) when it repeats the offer's own text."""

    __slots__ = ("text", "digest", "id")

    def __init__(self, text: str):
        self.text, self.digest, self.id = text, None, None


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
        self.long: list[_Shared] = []
        self.tree = self._encode(raw)
        self.shared, self.context = self._long_texts_apart()

    def _encode(self, value):
        if isinstance(value, dict):
            return {key: self._encode(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._encode(item) for item in value]
        if not isinstance(value, str):
            return value
        if value.startswith(MARKS):
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
            self.long.append(shared)
            return shared
        return value

    def _long_texts_apart(self) -> tuple[list[_Shared], int]:
        """The long texts that go to raw_texts, and the mask of the columns (CONTEXT_COLUMNS) the blob is
        compressed against (0: none, format 2). A long text that repeats one of those columns, or another
        long text of this raw, stays in the JSON: compressed with what it repeats, it costs little more
        than a reference, and no other offer has it (a JO notice's text, its HTML and sections)."""
        if not self.long:
            return [], 0
        texts = list(dict.fromkeys(text.text for text in self.long))
        every_text = "\0".join(texts)
        columns = [self.row.get(name) for name in CONTEXT_COLUMNS]
        column_text = "\0".join(value for value in columns if isinstance(value, str))
        repeating, in_columns, start = set(), False, 0
        for text in texts:
            end = start + len(text)
            samples = [text[at : at + _SAMPLE] for at in (len(text) // 4, len(text) // 2, len(text) * 3 // 4)]
            if any(sample in column_text for sample in samples):
                repeating.add(text)
                in_columns = True
            elif any(every_text.find(sample, 0, start) >= 0 or every_text.find(sample, end) >= 0 for sample in samples):
                repeating.add(text)
            start = end + 1
        shared = [text for text in self.long if text.text not in repeating]
        for text in shared:
            text.digest = _digest(text.text)
        if not in_columns:
            return shared, 0
        return shared, sum(1 << bit for bit, value in enumerate(columns) if isinstance(value, str) and value)

    def packed(self) -> bytes:
        encoded = _ENCODE_TREE(self.tree).encode("utf-8")
        if not self.context:
            compressor = _primed_compressor().copy()
            return FORMAT_V2 + compressor.compress(encoded) + compressor.flush()
        compressor = zlib.compressobj(6, zdict=DICTIONARIES[FORMAT_V2] + context(self.row, self.context))
        return FORMAT_V3 + bytes([self.context]) + compressor.compress(encoded) + compressor.flush()


@lru_cache(maxsize=1)
def _primed_compressor():
    """A compressor given format 2's dictionary once, copied for each raw compressed without the offer's columns:
    priming one costs more than compressing a small raw (a copy makes the same bytes)."""
    return zlib.compressobj(6, zdict=DICTIONARIES[FORMAT_V2])


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


def _stored_json(stored: str | bytes, row: dict):
    """The JSON of a stored raw (plain text or a blob), its marks still in it; None when a blob cannot be
    read: a format-3 raw is compressed against the offer's columns, and one changed outside veille (by hand)
    leaves it unreadable."""
    if isinstance(stored, str):
        return json.loads(stored)
    try:
        return json.loads(inflated(stored, row))
    except zlib.error:
        return None


def decode_raws(db: Database, rows: list[dict]) -> set[int]:
    """Turn each row's stored ``raw`` (read from offer_raw beside the offer's columns) back into the
    dict the spider gave, in place; {} when there is none. Returns the ids of the offers whose raw could not
    be read: those are read without it (a warning says so), never with another text."""
    encoded, unreadable = [], set()
    for row in rows:
        stored, row["raw"] = row.get("raw"), {}
        if stored is None:
            continue
        decoded = _stored_json(stored, row)
        if decoded is None:
            log.warning("offer %s: raw unreadable (a column changed outside veille), read without it", row["id"])
            unreadable.add(row["id"])
            continue
        row["raw"] = decoded
        if isinstance(stored, bytes):
            encoded.append(row)
    if not encoded:
        return unreadable
    wanted: set[int] = set()
    for row in encoded:
        _text_ids(row["raw"], wanted)
    texts = {}
    for chunk in chunks(list(wanted)):
        cursor = db.conn.execute(f"select id, text from raw_texts where id in ({','.join('?' * len(chunk))})", chunk)
        texts.update((text_id, _decode_text(text)) for text_id, text in cursor)
    for row in encoded:
        row["raw"] = _resolve(row["raw"], row, texts)
    return unreadable


def referenced_texts(db: Database) -> set[int]:
    """The ids of the shared texts (raw_texts) that a stored raw refers to; every text's when a raw cannot be
    read (which it refers to cannot be told: none may be removed)."""
    found: set[int] = set()
    cursor = db.conn.execute("select offers.*, offer_raw.raw as raw from offer_raw join offers on offers.id = offer_id")
    for row in dict_rows(cursor):
        decoded = _stored_json(row["raw"], row)
        if decoded is None:
            return {text_id for (text_id,) in db.conn.execute("select id from raw_texts")}
        _text_ids(decoded, found)
    return found


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
        if not value.startswith(MARKS):
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
