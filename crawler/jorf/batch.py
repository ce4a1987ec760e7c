"""An archive or a PISTE issue being read, as the archive ledger (``storage.archives``) will be told of it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Batch:
    """An archive (or a PISTE issue) being read: it is settled in the ledger once every
    part of it is read and every offer found in it has been stored or dropped."""

    name: str
    kind: str
    date: str | None
    url: str | None
    size: int | None = None
    open_parts: int = 1
    pending_items: int = 0
    texts_seen: int = 0
    notices_found: int = 0
    errors: list[str] = field(default_factory=list)
    # Notices the validation dropped: the archive is read again every run until they are stored.
    dropped: list[str] = field(default_factory=list)
    settled: bool = False

    @property
    def done(self) -> bool:
        """Every part read, every offer stored or dropped."""
        return self.open_parts <= 0 and self.pending_items <= 0
