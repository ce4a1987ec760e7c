"""An offer as a stored row and back: which columns hold JSON, the content hash."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator

from storage.migrations import LATER_OFFER_COLUMNS, OFFER_CONTENT_COLUMNS

# Columns added after the first migration; an offer's hash only counts them when they hold a value, so
# that adding one never makes every stored offer look changed.
LATER_CONTENT_FIELDS = ("salary", *LATER_OFFER_COLUMNS)
CONTENT_FIELDS = (*OFFER_CONTENT_COLUMNS, *LATER_CONTENT_FIELDS)
JSON_FIELDS = ("contacts", "raw")
KEY_FIELDS = ("source", "source_id")
# SQLite's default limit on bound parameters is 32766 on recent builds, 999 on old ones.
CHUNK = 900


# One encoder, made once (json.dumps with options makes a new one at each call).
_ENCODE_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def json_column(name: str, value) -> str:
    """A JSON field as stored: serialised with sorted keys, [] or {} for none (so that an unchanged one
    compares equal)."""
    if value is None:
        value = [] if name == "contacts" else {}
    return _ENCODE_JSON(value)


def to_row(offer: dict) -> dict:
    """The offer's stored columns (JSON fields serialised) and its content hash."""
    get = offer.get
    row = {name: offer[name] for name in KEY_FIELDS}
    for name in CONTENT_FIELDS:
        row[name] = get(name)
    for name in JSON_FIELDS:
        row[name] = json_column(name, row[name])
    # Each field's text (\x1f for none) followed by \x1e, hashed in one call: the same bytes,
    # so the same hashes, as fed one field at a time.
    text = "\x1e".join(["\x1f" if value is None else str(value) for value in map(row.get, OFFER_CONTENT_COLUMNS)])
    text += "\x1e" + "".join([f"{name}={row[name]}\x1e" for name in LATER_CONTENT_FIELDS if row[name] is not None])
    row["content_hash"] = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    return row


def from_row(row: dict) -> dict:
    """A stored row as an offer: JSON fields decoded (the table's own id left out)."""
    offer = dict(row)
    offer.pop("id", None)
    for name in JSON_FIELDS:
        if isinstance(offer.get(name), str):
            offer[name] = json.loads(offer[name])
    return offer


def dict_rows(cursor: sqlite3.Cursor) -> Iterator[dict]:
    """A query's rows as dicts, by column name."""
    columns = [description[0] for description in cursor.description]
    for values in cursor:
        yield dict(zip(columns, values))


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    """``values`` in slices small enough to bind as query parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def padded_chunks(values: list, size: int = 512, filler=None) -> Iterator[list]:
    """``values`` in slices of at most ``size`` (a power of two), each lengthened to the next power of two with
    ``filler`` (None: its own first value again, for ``in (...)`` lists, where a repeated value changes
    nothing). A query made for a slice then has one of a few lengths, compiled once and reused from the
    connection's statement cache: compiling a query of hundreds of parameters costs more than running it."""
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        length = max(8, 1 << (len(chunk) - 1).bit_length())
        chunk += [chunk[0] if filler is None else filler] * (length - len(chunk))
        yield chunk
