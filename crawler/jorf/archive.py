"""A JORFSIMPLE archive (a tar.gz of XML files) read in one streaming pass into its vacancy notices."""

from __future__ import annotations

import html
import io
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from crawler.jorf.texts import Notice, parse_texte
from crawler.jorf.toc import is_fallback_notice, notice_kind, parse_container, vacancy_entries


class BadArchive(Exception):
    """An archive that cannot be read as a JORFSIMPLE delivery (truncated, no table of contents, bad XML)."""


class NoTableOfContents(BadArchive):
    """A readable archive without any JORFCONT: DILA changed how it delivers, not a broken download."""


@dataclass
class ArchiveContents:
    texts_seen: int
    chosen: list[tuple[str, str | None]]  # the notices' text ids, oldest first, with their ministry heading
    held: dict[str, bytes]  # the chosen texts' XML, released as they are parsed
    missing: list[str] = field(default_factory=list)  # listed as vacancies, absent from the archive
    broken: list[str] = field(default_factory=list)  # chosen texts that could not be parsed

    def notices(self) -> Iterator[tuple[Notice, str | None]]:
        """Each notice, parsed when asked for (a text that is not XML goes to ``broken``)."""
        for text_id, ministry in self.chosen:
            data = self.held.pop(text_id, None)
            if data is None:
                continue
            try:
                yield parse_texte(data), ministry
            except (etree.XMLSyntaxError, ValueError) as error:
                self.broken.append(f"{text_id}: bad XML: {error}")


_HEAD_BYTES = 4096
_HEAD_FIELD = re.compile(rb"<(NATURE|TITREFULL|DATE_PUBLI|NUM_SEQUENCE)>([^<]*)</\1>")


def read_archive(body: bytes, include_concours: bool = False) -> ArchiveContents:
    """Which texts of a JORFSIMPLE archive are vacancy notices, in one streaming pass.

    Only the head of each text is looked at (NATURE, TITREFULL…) and only the texts
    that may be notices are kept; tables of contents are reduced to what decides.
    A 13 MB maintenance archive unpacks to ~100 MB of XML, nearly all of it irrelevant.
    """
    chosen: dict[str, str | None] = {}  # by the tables of contents
    placed: set[str] = set()  # texts whose table of contents has a vacancy section
    heads: dict[str, dict[str, str]] = {}
    held: dict[str, bytes] = {}
    containers = texts_seen = 0
    try:
        # "r|*": a stream, gzip or not (a server may already have decoded it); the wrapper folder is ignored.
        with tarfile.open(fileobj=io.BytesIO(body), mode="r|*") as tar:
            while (member := tar.next()) is not None:
                # A stream keeps every member's header otherwise: ~1 KB each, twice the archive's size.
                tar.members.clear()
                filename = member.name.rsplit("/", 1)[-1]
                if not member.isfile() or not filename.endswith(".xml"):
                    continue
                if filename.startswith("JORFCONT"):
                    try:
                        issue = parse_container(tar.extractfile(member).read())
                    except (etree.XMLSyntaxError, ValueError) as error:
                        raise BadArchive(f"{member.name}: bad XML: {error}") from None
                    containers += 1
                    if issue.has_vacancy_section:
                        placed.update(entry.text_id for entry in issue.entries)
                        entries = vacancy_entries(issue, include_concours)
                        chosen.update((entry.text_id, entry.section_ministry) for entry in entries)
                elif filename.startswith("JORFTEXT"):
                    texts_seen += 1
                    handle = tar.extractfile(member)
                    head = handle.read(_HEAD_BYTES)
                    fields = {
                        name.decode(): html.unescape(value.decode("utf-8", "replace"))
                        for name, value in _HEAD_FIELD.findall(head)
                    }
                    if "TITREFULL" not in fields or fields.get("NATURE") == "AVIS" or notice_kind(fields["TITREFULL"]):
                        text_id = filename[: -len(".xml")]
                        held[text_id] = head + handle.read()
                        heads[text_id] = fields
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise BadArchive(f"not a readable tar.gz: {error}") from None
    if not containers:
        raise NoTableOfContents("no JORFCONT (issue table of contents) in the archive")

    for text_id, fields in heads.items():
        if text_id in chosen or text_id in placed:
            continue
        if is_fallback_notice(fields.get("NATURE"), fields.get("TITREFULL"), include_concours):
            chosen[text_id] = None  # no table of contents with a vacancy section decided for it
    missing = [text_id for text_id in chosen if text_id not in held]

    def publication_order(text_id: str):
        fields = heads[text_id]
        sequence = fields.get("NUM_SEQUENCE", "")
        return fields.get("DATE_PUBLI", ""), int(sequence) if sequence.isdigit() else 0, text_id

    order = sorted((text_id for text_id in chosen if text_id in held), key=publication_order)
    return ArchiveContents(
        texts_seen,
        [(text_id, chosen[text_id]) for text_id in order],
        {text_id: held[text_id] for text_id in order},
        missing,
    )
