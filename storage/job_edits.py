"""Hand corrections of jobs: a wrong merge split, a missed merge made, a replacing JO notice
joined to the job of the notice it replaces.

:func:`split_offer` gives an offer a job of its own and remembers that it is apart from
the offers it left (``job_decisions``), so no automatic grouping puts them together
again; :func:`merge_jobs` joins two jobs, and alerts already sent for either count for
both.
"""

from __future__ import annotations

import re

from sqlite_utils import Database

from storage.clock import now_iso
from storage.db import write_transaction
from storage.job_members import MEMBER_COLUMNS, Member, bump_position, member_from_row, open_batch
from storage.outbox import job_key, merge_units
from storage.rows import chunks

APART, TOGETHER = "apart", "together"


class UnknownOffer(LookupError):
    """An offer or job reference that names nothing stored."""


_JOB_REFERENCE = re.compile(r"^(?:#|job:)?(\d+)$")


def parse_offer_reference(text: str) -> tuple[str, str]:
    """``source:source_id`` -> (source, source_id); ValueError for anything else."""
    source, sep, source_id = text.strip().partition(":")
    if not sep or not source or not source_id:
        raise ValueError(
            f"{text!r} is not an offer: write SOURCE:SOURCE_ID (e.g. choisirleservicepublic:MEF_2024-17971), as "
            "`veille offers --json` shows them"
        )
    return source, source_id


def member_of(db: Database, source: str, source_id: str) -> Member:
    row = db.conn.execute(
        f"select {MEMBER_COLUMNS} from job_offers where source = ? and source_id = ?", [source, source_id]
    ).fetchone()
    if row is None:
        raise UnknownOffer(f"no stored offer {source}:{source_id}")
    return member_from_row(row)


def resolve_job(db: Database, text: str) -> int:
    """A job named by its number (``12``, ``#12``, ``job:12``) or by one of its offers (``source:source_id``)."""
    match = _JOB_REFERENCE.match(text.strip())
    if match and int(match.group(1)) >= 2**63:  # beyond SQLite's integers: no such job
        raise UnknownOffer(f"no job {match.group(1)}")
    if match:
        job = db.conn.execute("select id, merged_into from jobs where id = ?", [int(match.group(1))]).fetchone()
        if job is None:
            raise UnknownOffer(f"no job {match.group(1)}")
        return job[1] or job[0]
    source, source_id = parse_offer_reference(text)
    return member_of(db, source, source_id).job_id


def _job_members(db: Database, job_id: int) -> list[Member]:
    return [
        member_from_row(row)
        for row in db.conn.execute(f"select {MEMBER_COLUMNS} from job_offers where job_id = ? order by id", [job_id])
    ]


def _decide_pairs(db: Database, left: list[Member], right: list[Member], decision: str) -> None:
    now = now_iso()
    rows = [(min(a.id, b.id), max(a.id, b.id), decision, now) for a in left for b in right if a.id != b.id]
    db.conn.executemany(
        "insert into job_decisions (member_a, member_b, decision, decided_at) values (?, ?, ?, ?) "
        "on conflict (member_a, member_b) do update set decision = excluded.decision, decided_at = excluded.decided_at",
        rows,
    )


def kept_apart(db: Database, left: list[Member], right: list[Member]) -> bool:
    """Whether a hand split keeps any offer of ``left`` apart from any of ``right``."""
    ids_left, ids_right = {m.id for m in left}, {m.id for m in right}
    pairs = [(min(a, b), max(a, b)) for a in ids_left for b in ids_right if a != b]
    for chunk in chunks(pairs, 400):
        where = " or ".join("(member_a = ? and member_b = ?)" for _ in chunk)
        if db.conn.execute(
            f"select 1 from job_decisions where decision = 'apart' and ({where}) limit 1",
            [v for pair in chunk for v in pair],
        ).fetchone():
            return True
    return False


def split_offer(db: Database, source: str, source_id: str) -> tuple[int, int]:
    """Take an offer out of its job into a job of its own, and remember that it is not
    the same job as the offers it leaves. Returns (old job, new job)."""
    with write_transaction(db):
        member = member_of(db, source, source_id)
        others = [m for m in _job_members(db, member.job_id) if m.id != member.id]
        if not others:
            raise ValueError(f"{source}:{source_id} is the only offer of job {member.job_id}: nothing to split")
        batch = open_batch(db)
        new_job = batch.new_job(now_iso(), None)
        db.conn.executemany(
            "insert into jobs (id, position, created_at, reposted_from) values (?, ?, ?, ?)",
            list(batch.new_jobs.values()),
        )
        db.conn.execute(
            "update job_offers set job_id = ?, reason = ? where id = ?",
            [new_job, f"split from job {member.job_id} by hand", member.id],
        )
        _decide_pairs(db, [member], others, APART)
    return member.job_id, new_job


def merge_jobs(db: Database, keep: int, other: int, *, reason: str = "merged by hand", by_hand: bool = True) -> int:
    """Move every offer of job ``other`` into job ``keep``. By hand, it overrides earlier
    splits between them; automatically, a split wins and nothing is merged (returns
    ``other``). Alerts already sent for either job count for the merged one."""
    if keep == other:
        raise ValueError(f"both name job {keep}")
    with write_transaction(db):
        left, right = _job_members(db, keep), _job_members(db, other)
        if not left or not right:
            raise UnknownOffer(f"no job {keep if not left else other} with offers")
        if by_hand:
            _decide_pairs(db, left, right, TOGETHER)
        elif kept_apart(db, left, right):
            return other
        db.conn.execute(
            "update job_offers set job_id = ?, reason = ? where job_id = ?",
            [keep, f"{reason} (from job {other})", other],
        )
        db.conn.execute("update jobs set merged_into = ? where id = ?", [keep, other])
        db.conn.execute("update jobs set merged_into = ? where merged_into = ?", [keep, other])
        reposted = db.conn.execute("select reposted_from from jobs where id = ?", [keep]).fetchone()[0]
        if reposted is None:
            db.conn.execute(
                "update jobs set reposted_from = (select reposted_from from jobs where id = ?) where id = ?",
                [other, keep],
            )
        db.conn.execute("update jobs set reposted_from = ? where reposted_from = ?", [keep, other])
        db.conn.execute("update jobs set reposted_from = null where id = ? and reposted_from = ?", [keep, keep])
        merge_units(db, job_key(other), job_key(keep))
        bump_position(db, keep)
    return keep


def link_replacement(db: Database, source: str, earlier: str, later: str) -> None:
    """A notice replacing an earlier one is the same job: merge the later one's job into the earlier's."""
    try:
        first, second = member_of(db, source, earlier), member_of(db, source, later)
    except UnknownOffer:
        return
    if first.job_id != second.job_id:
        merge_jobs(db, first.job_id, second.job_id, reason=f"replaces the notice {source}:{earlier}", by_hand=False)
