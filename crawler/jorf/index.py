"""DILA's JORFSIMPLE index: a plain Apache listing; the archives' names are their delivery times."""

from __future__ import annotations

import re

ARCHIVE_NAME = re.compile(r"JORFSIMPLE_(?P<date>\d{8})-(?P<time>\d{6})\.tar\.gz")
# Maintenance archives weigh up to ~18 MB; that size is expected, not worth a warning.
ARCHIVE_WARNSIZE = 48 * 1024 * 1024


def archive_names(hrefs) -> list[str]:
    """The ``JORFSIMPLE_*.tar.gz`` archives an index links to, oldest first (name order is time order)."""
    names = set()
    for href in hrefs:
        name = href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if ARCHIVE_NAME.fullmatch(name):
            names.add(name)
    return sorted(names)


def archive_date(name: str) -> str:
    day = ARCHIVE_NAME.search(name).group("date")
    return f"{day[:4]}-{day[4:6]}-{day[6:]}"


def archives_to_read(names: list[str], start: str, settled: set[str]) -> tuple[list[str], list[str]]:
    """The archives delivered since ``start`` that are not settled, and those delivered before it."""
    todo = [name for name in names if archive_date(name) >= start and name not in settled]
    older = [name for name in names if archive_date(name) < start]
    return todo, older
