"""How grouping stores an offer (tables from migration m005_jobs): its member row in
``job_offers``, its evidence keys in ``job_keys``, its title blocks in ``job_blocks``, and the
batch of jobs, members and keys a placement writes at once (storage/jobs.py places offers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlite_utils import Database

from storage.grouping import Profile, day_number, key_hash, stored_keys, strong_lookups
from storage.lifecycle import MISSED_COMPLETE_CRAWLS

MEMBER_COLUMNS = "id, job_id, source, source_id, board, reference, title, employers, department, regions, day, deadline"
# Where a row of MEMBER_COLUMNS holds what grouping looks at before it makes the row a Member.
SOURCE, BOARD, REFERENCE, TITLE, DAY, DEADLINE = (
    MEMBER_COLUMNS.split(", ").index(name) for name in ("source", "board", "reference", "title", "day", "deadline")
)


@dataclass(slots=True)
class Member:
    id: int
    job_id: int
    source: str
    source_id: str
    profile: Profile
    # Only for offers placed in this batch: whether they are open, and the offer, without asking the database.
    open_now: bool | None = None
    offer: dict | None = None

    @property
    def label(self) -> str:
        return f"{self.source}:{self.source_id}"


def member_from_row(row) -> Member:
    """A stored member (a row of MEMBER_COLUMNS), as grouping compares it. Its profile has none of the keys a
    new offer's has: those are in job_keys and job_blocks."""
    member_id, job_id, source, source_id, board, reference, title, employers, department, regions, day, deadline = row
    return Member(
        member_id,
        job_id,
        source,
        source_id,
        Profile(
            board,
            reference,
            title,
            _names(employers),
            department,
            _regions(regions),
            day,
            deadline,
            _NO_KEYS,
            _NO_KEYS,
            _NO_KEYS,
            _NO_BLOCKS,
        ),
    )


_NO_KEYS: frozenset = frozenset()
_NO_BLOCKS: tuple = ()
# The same few employers and regions on many members: one tuple and one set each, split once (whose strings
# keep their hashes, for storage.grouping.employer_score's cache).
_EMPLOYERS: dict[str, tuple[str, ...]] = {}
_REGIONS: dict[str, frozenset[str]] = {}


def _split_once(cache: dict, joined: str, make, most: int):
    """``make(joined.split("|"))``, made once while ``cache`` holds fewer than ``most`` of them."""
    found = cache.get(joined)
    if found is None:
        if len(cache) > most:
            cache.clear()
        found = cache[joined] = make(joined.split("|"))
    return found


def _names(employers: str | None) -> tuple[str, ...]:
    return _split_once(_EMPLOYERS, employers, tuple, 50_000) if employers else ()


def _regions(regions: str | None) -> frozenset[str]:
    return _split_once(_REGIONS, regions, frozenset, 10_000) if regions else _NO_KEYS


def member_values(member: Member, reason: str, joined_at: str) -> tuple:
    p = member.profile
    return (
        member.id,
        member.source,
        member.source_id,
        member.job_id,
        p.board,
        p.reference,
        p.title,
        "|".join(p.employers),
        p.department,
        "|".join(sorted(p.regions)),
        p.day,
        p.deadline,
        reason,
        joined_at,
    )


INSERT_MEMBER = (
    "insert into job_offers (id, source, source_id, job_id, board, reference, title, employers, department, regions, "
    "day, deadline, reason, joined_at) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_KEY = "insert or ignore into job_keys (key, member) values (?, ?)"
INSERT_BLOCK = (
    "insert or replace into job_blocks (key, department, board, day, member, source, deadline) "
    "values (?, ?, ?, ?, ?, ?, ?)"
)


def update_member(db: Database, member_id: int, p: Profile) -> None:
    db.conn.execute(
        "update job_offers set board = ?, reference = ?, title = ?, employers = ?, department = ?, regions = ?, day = "
        "?, deadline = ? where id = ?",
        [
            p.board,
            p.reference,
            p.title,
            "|".join(p.employers),
            p.department,
            "|".join(sorted(p.regions)),
            p.day,
            p.deadline,
            member_id,
        ],
    )


class NameIds:
    """The small integer id of each board and source name (job_names), given to a name the first time it is
    stored: job_blocks holds a byte or two for each where a 64-bit hash of the name took eight."""

    def __init__(self, db: Database):
        self.conn = db.conn
        self.ids: dict[str, int] = dict(db.conn.execute("select name, id from job_names"))

    def __call__(self, name: str) -> int:
        found = self.ids.get(name)
        if found is None:
            found = self.conn.execute("insert into job_names (name) values (?)", [name]).lastrowid
            self.ids[name] = found
        return found

    def known(self, name: str) -> int | None:
        """The name's id, None when no offer was stored under it."""
        return self.ids.get(name)


@dataclass(slots=True)
class Hashes:
    """A profile's keys, hashed once: what to look up (with what it means), what to store."""

    lookups: dict[int, str]
    evidence: list[int]
    blocks: list[int]
    board: int
    source: int
    deadline: int | None

    @classmethod
    def of(cls, p: Profile, source: str, names: NameIds) -> Hashes:
        meanings = strong_lookups(p)
        lookups = {key: key_hash(key) for key in meanings}
        return cls(
            {lookups[key]: meaning for key, meaning in meanings.items()},
            [lookups.get(key) or key_hash(key) for key in stored_keys(p)],
            p.blocks,
            names(p.board),
            names(source),
            day_number(p.deadline) if p.deadline else None,
        )

    def key_rows(self, member_id: int) -> list[tuple[int, int]]:
        return [(key, member_id) for key in self.evidence]

    def block_rows(self, member_id: int, day: int, department: str | None) -> list[tuple]:
        return [(key, department or "", self.board, day, member_id, self.source, self.deadline) for key in self.blocks]


def store_keys(db: Database, member_id: int, p: Profile, source: str) -> None:
    hashes = Hashes.of(p, source, NameIds(db))
    db.conn.executemany(INSERT_KEY, hashes.key_rows(member_id))
    db.conn.executemany(INSERT_BLOCK, hashes.block_rows(member_id, p.day, p.department))
    note_boards(db, {hashes.board: (p.board, hashes.deadline is not None)})


def note_boards(db: Database, boards: dict[int, tuple[str, bool]]) -> None:
    db.conn.executemany(
        "insert into job_boards (board, name, deadlines) values (?, ?, ?) on conflict (board) do update set deadlines "
        "= max(deadlines, excluded.deadlines)",
        [(board, name, int(deadlines)) for board, (name, deadlines) in boards.items()],
    )


# -- placing new offers ---------------------------------------------------------------------------------


@dataclass
class Batch:
    """Ids, positions and rows handed out while placing one batch of new offers."""

    next_member: int
    next_job: int
    next_position: int
    names: NameIds
    # Sources whose offers may be closed otherwise than by their deadline (missing, superseded).
    closable_sources: set[str] = field(default_factory=set)
    # The boards of stored offers (hashed): whether any of their offers has a deadline.
    boards: dict[int, bool] = field(default_factory=dict)
    new_boards: dict[int, tuple[str, bool]] = field(default_factory=dict)
    existing_jobs: set[int] = field(default_factory=set)
    new_jobs: dict[int, tuple] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)  # existing job -> new position
    members: list[tuple] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)
    blocks: list[tuple] = field(default_factory=list)
    placed: dict[int, list[Member]] = field(default_factory=lambda: defaultdict(list))  # job -> members of this batch
    closed_cache: dict[tuple, bool] = field(default_factory=dict)
    # The stored members compared whose job may have closed by a day (storage.jobs._may_be_closed), by day.
    may_have_closed: dict = field(default_factory=dict)
    # Titles as written (storage.grouping.title_as_written) of the members compared, by member id.
    written_titles: dict[int, str] = field(default_factory=dict)

    def position(self) -> int:
        self.next_position += 1
        return self.next_position

    def new_job(self, created_at: str, reposted_from: int | None) -> int:
        self.next_job += 1
        self.new_jobs[self.next_job] = (self.next_job, self.position(), created_at, reposted_from)
        return self.next_job

    def bump(self, job_id: int) -> None:
        """The job changed (an offer joined): it goes to the end of the alert queue."""
        position = self.position()
        if job_id in self.new_jobs:
            row = self.new_jobs[job_id]
            self.new_jobs[job_id] = (job_id, position, row[2], row[3])
        else:
            self.positions[job_id] = position


def open_batch(db: Database) -> Batch:
    member, job, position = db.conn.execute(
        "select (select coalesce(max(id), 0) from job_offers), (select coalesce(max(id), 0) from jobs), (select "
        "coalesce(max(position), 0) from jobs)"
    ).fetchone()
    closable = {source for (source,) in db.conn.execute("select distinct source from superseded_offers")}
    closable |= {
        source
        for (source,) in db.conn.execute(
            f"select source from runs where complete = 1 group by source having count(*) >= {MISSED_COMPLETE_CRAWLS}"
        )
    }
    boards = {board: bool(deadlines) for board, deadlines in db.conn.execute("select board, deadlines from job_boards")}
    return Batch(member, job, position, NameIds(db), closable_sources=closable, boards=boards)


def write_batch(db: Database, batch: Batch) -> None:
    conn = db.conn
    if batch.new_jobs:
        conn.executemany(
            "insert into jobs (id, position, created_at, reposted_from) values (?, ?, ?, ?)",
            list(batch.new_jobs.values()),
        )
    if batch.positions:
        conn.executemany(
            "update jobs set position = ? where id = ?",
            [(position, job_id) for job_id, position in batch.positions.items()],
        )
    conn.executemany(INSERT_MEMBER, batch.members)
    conn.executemany(INSERT_KEY, batch.keys)
    conn.executemany(INSERT_BLOCK, batch.blocks)
    if batch.new_boards:
        note_boards(db, batch.new_boards)


def bump_position(db: Database, job_id: int) -> None:
    db.conn.execute("update jobs set position = (select max(position) + 1 from jobs) where id = ?", [job_id])
