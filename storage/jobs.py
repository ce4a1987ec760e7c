"""Jobs: one post, however many boards publish it (tables from migration m005_jobs).

Every stored offer belongs to exactly one job (``job_offers``). A new offer is
placed when it is stored, in the same transaction (:func:`place_offers`, called
by ``storage.offers.upsert_offers``): it joins the job of an offer it has strong
evidence with, else the job of the most similar offer (crawler.grouping), else
a job of its own. Only offers sharing a key in ``job_keys`` (a reference, a URL,
a cited notice, a title block) are ever compared.

A similar offer that arrives after the job it resembles has closed is a
*re-post*: a new job, linked to the old one (``jobs.reposted_from``).

Hand corrections: :func:`split_offer` gives an offer a job of its own and
remembers that it is apart from the offers it left (``job_decisions``), so no
automatic grouping puts them together again; :func:`merge_jobs` joins two jobs.

``jobs.position`` is what alerts follow (alerts.units.JobUnits): it is handed
out from one counter, in the write transaction, whenever a job is created or an
offer joins it, so it grows in commit order and a dispatch never skips a job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlite_utils import Database

from crawler.grouping import (
    Comparison,
    Profile,
    Rules,
    cited_issue_match,
    compare,
    key_hash,
    profile,
    stored_keys,
    strong_lookups,
    text_overlap,
    text_shingles,
)
from storage.db import write_transaction
from storage.lifecycle import closed_reason_sql, describe_closed, open_jobs, today

# A title block with more offers than this in its date range is too common to tell offers apart.
MAX_BLOCK = 200
_CHUNK = 900
APART, TOGETHER = "apart", "together"


class UnknownOffer(LookupError):
    """An offer or job reference that names nothing stored."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _chunks(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- members: an offer as grouping stores it -------------------------------------------------------------

_MEMBER_COLUMNS = "id, job_id, source, source_id, board, reference, title, employers, department, regions, day"


@dataclass
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


def _member(row) -> Member:
    member_id, job_id, source, source_id, board, reference, title, employers, department, regions, day = row
    return Member(
        member_id,
        job_id,
        source,
        source_id,
        Profile(
            board=board,
            reference=reference,
            title=title,
            employers=tuple(employers.split("|")) if employers else (),
            department=department,
            regions=frozenset(regions.split("|")) if regions else frozenset(),
            day=day,
            deadline=None,
        ),
    )


def _members(db: Database, ids) -> dict[int, Member]:
    found = {}
    for chunk in _chunks(sorted(ids)):
        for row in db.conn.execute(f"select {_MEMBER_COLUMNS} from job_offers where id in ({','.join('?' * len(chunk))})", chunk):
            found[row[0]] = _member(row)
    return found


def _member_values(member: Member, reason: str, joined_at: str) -> tuple:
    p = member.profile
    return (member.id, member.source, member.source_id, member.job_id, p.board, p.reference, p.title, "|".join(p.employers),
            p.department, "|".join(sorted(p.regions)), p.day, reason, joined_at)  # fmt: skip


_INSERT_MEMBER = (
    "insert into job_offers (id, source, source_id, job_id, board, reference, title, employers, department, regions, day, reason, joined_at) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _key_rows(member_id: int, p: Profile) -> list[tuple[int, int, int]]:
    evidence, blocks = stored_keys(p)
    return [(key_hash(key), 0, member_id) for key in evidence] + [(key_hash(key), p.day, member_id) for key in blocks]


# -- placing new offers ---------------------------------------------------------------------------------


@dataclass
class _Batch:
    """Ids, positions and rows handed out while placing one batch of new offers."""

    next_member: int
    next_job: int
    next_position: int
    existing_jobs: set[int] = field(default_factory=set)
    new_jobs: list[tuple] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)  # existing job -> new position
    members: list[tuple] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)
    placed: dict[int, list[Member]] = field(default_factory=lambda: defaultdict(list))  # job -> members of this batch
    closed_cache: dict[int, bool] = field(default_factory=dict)

    def position(self) -> int:
        self.next_position += 1
        return self.next_position

    def new_job(self, created_at: str, reposted_from: int | None) -> int:
        self.next_job += 1
        self.new_jobs.append((self.next_job, self.position(), created_at, reposted_from))
        return self.next_job

    def bump(self, job_id: int) -> None:
        """The job changed (an offer joined): it goes to the end of the alert queue."""
        position = self.position()
        for index, row in enumerate(self.new_jobs):
            if row[0] == job_id:
                self.new_jobs[index] = (row[0], position, row[2], row[3])
                return
        self.positions[job_id] = position


def _batch(db: Database) -> _Batch:
    member, job, position = db.conn.execute(
        "select (select coalesce(max(id), 0) from job_offers), (select coalesce(max(id), 0) from jobs), (select coalesce(max(position), 0) from jobs)"
    ).fetchone()
    return _Batch(member, job, position)


def _is_open(offer: dict, on: dt.date) -> bool:
    return not offer.get("deadline") or offer["deadline"] >= on.isoformat()


def place_offers(db: Database, offers: list[tuple[dict, str]], *, rules: Rules | None = None, on: dt.date | None = None) -> dict[tuple[str, str], int]:
    """Give each new offer (offer dict, time first seen) a job; returns the job of each.

    Runs inside the caller's write transaction; the offers' rows are already
    stored. ``on`` is the day that decides what is closed (re-posts); by default
    each offer's first-seen day."""
    rules = rules or Rules()
    if not offers:
        return {}
    with write_transaction(db):
        placed = _already_placed(db, offers)
        offers = [(offer, seen_at) for offer, seen_at in offers if (offer["source"], offer["source_id"]) not in placed]
        if not offers:
            return placed
        batch = _batch(db)
        profiles = [profile(offer, seen_at) for offer, seen_at in offers]
        strong, blocks = _stored_candidates(db, profiles, rules)
        wanted = {member for hits in strong for member, _ in hits} | {member for hits in blocks for member in hits}
        stored = _members(db, wanted)
        batch.existing_jobs = {member.job_id for member in stored.values()}
        local_evidence: dict[int, list[Member]] = defaultdict(list)
        local_blocks: dict[int, list[Member]] = defaultdict(list)
        for index, ((offer, seen_at), p) in enumerate(zip(offers, profiles)):
            as_of = on or dt.date.fromisoformat(seen_at[:10])
            p.deadline = offer.get("deadline")
            strong_hits = [(stored[member], meaning) for member, meaning in strong[index] if member in stored]
            block_hits = [stored[member] for member in blocks[index] if member in stored]
            for key, meaning in strong_lookups(p).items():
                strong_hits += [(member, meaning) for member in local_evidence.get(key_hash(key), [])]
            for key in p.blocks:
                block_hits += [member for member in local_blocks.get(key_hash(f"blk|{key}"), []) if abs(member.profile.day - p.day) <= _reach(rules)]
            if offer["source"] == "jorf":
                strong_hits += _replaced_notices(db, offer["source_id"])
            job_id, reason = _decide(db, batch, offer, p, strong_hits, block_hits, rules, as_of, seen_at)
            member = Member(batch.next_member + 1, job_id, offer["source"], offer["source_id"], p, open_now=_is_open(offer, as_of), offer=offer)
            batch.next_member += 1
            batch.placed[job_id].append(member)
            batch.members.append(_member_values(member, reason, seen_at))
            rows = _key_rows(member.id, p)
            batch.keys.extend(rows)
            evidence, block_keys = stored_keys(p)
            for key in evidence:
                local_evidence[key_hash(key)].append(member)
            for key in block_keys:
                local_blocks[key_hash(key)].append(member)
            placed[(offer["source"], offer["source_id"])] = job_id
        _write(db, batch)
    return placed


def _already_placed(db: Database, offers: list[tuple[dict, str]]) -> dict[tuple[str, str], int]:
    """New offers that have a job already: their row was deleted by hand and stored again. They keep
    their job; what grouping knows of them follows their content."""
    found = {}
    for chunk in _chunks(offers, 400):
        where = " or ".join("(source = ? and source_id = ?)" for _ in chunk)
        params = [value for offer, _ in chunk for value in (offer["source"], offer["source_id"])]
        for member_id, source, source_id, job_id, day in db.conn.execute(f"select id, source, source_id, job_id, day from job_offers where {where}", params):
            found[(source, source_id)] = (member_id, job_id, day)
    for offer, seen_at in offers:
        key = (offer["source"], offer["source_id"])
        if key in found:
            member_id, _, day = found[key]
            p = profile(offer, seen_at)
            _update_member(db, member_id, p)
            db.conn.executemany("insert or ignore into job_keys (key, day, member) values (?, ?, ?)", _key_rows(member_id, p))
    return {key: job_id for key, (_, job_id, _) in found.items()}


def _update_member(db: Database, member_id: int, p: Profile) -> None:
    db.conn.execute(
        "update job_offers set board = ?, reference = ?, title = ?, employers = ?, department = ?, regions = ?, day = ? where id = ?",
        [p.board, p.reference, p.title, "|".join(p.employers), p.department, "|".join(sorted(p.regions)), p.day, member_id],
    )


def _reach(rules: Rules) -> int:
    return max(rules.date_window_days, rules.repost_window_days)


def _stored_candidates(db: Database, profiles: list[Profile], rules: Rules) -> tuple[list[list[tuple[int, str]]], list[list[int]]]:
    """For each profile, the stored members it has evidence with, and those sharing a title block in its date range."""
    by_hash: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for index, p in enumerate(profiles):
        for key, meaning in strong_lookups(p).items():
            by_hash[key_hash(key)].append((index, meaning))
    strong: list[list[tuple[int, str]]] = [[] for _ in profiles]
    hashes = list(by_hash)
    for chunk in _chunks(hashes):
        for key, member in db.conn.execute(f"select key, member from job_keys where key in ({','.join('?' * len(chunk))})", chunk):
            for index, meaning in by_hash[key]:
                strong[index].append((member, meaning))

    block_hashes: dict[int, list[int]] = defaultdict(list)
    for index, p in enumerate(profiles):
        for key in p.blocks:
            block_hashes[key_hash(f"blk|{key}")].append(index)
    blocks: list[list[int]] = [[] for _ in profiles]
    if block_hashes:
        reach = _reach(rules)
        low = min(p.day for p in profiles) - reach
        high = max(p.day for p in profiles) + reach
        found: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for chunk in _chunks(list(block_hashes)):
            rows = db.conn.execute(
                f"select key, day, member from job_keys where key in ({','.join('?' * len(chunk))}) and day between ? and ?", [*chunk, low, high]
            )
            for key, day, member in rows:
                found[key].append((day, member))
        for key, rows in found.items():
            for index in block_hashes[key]:
                day = profiles[index].day
                near = [member for member_day, member in rows if abs(member_day - day) <= reach]
                if len(near) <= MAX_BLOCK:
                    blocks[index].extend(near)
    return strong, blocks


def _replaced_notices(db: Database, source_id: str) -> list[tuple[Member, str]]:
    """The earlier notices this JO notice replaces (recorded in superseded_offers)."""
    rows = db.conn.execute(
        f"select {', '.join('m.' + name for name in _MEMBER_COLUMNS.split(', '))} from superseded_offers s "
        "join job_offers m on m.source = s.source and m.source_id = s.source_id "
        "where s.source = 'jorf' and s.superseded_by = ? and s.relation = 'replaced'",
        [source_id],
    )
    return [(_member(row), "replaces the notice") for row in rows]


def _offer_texts(db: Database, member: Member) -> dict:
    if member.offer is not None:
        return member.offer
    row = db.conn.execute("select missions, profile from offers where source = ? and source_id = ?", [member.source, member.source_id]).fetchone()
    return {"missions": row[0], "profile": row[1]} if row else {}


def _job_closed(db: Database, batch: _Batch, job_id: int, as_of: dt.date) -> bool:
    key = (job_id, as_of)
    if key not in batch.closed_cache:
        open_here = any(member.open_now for member in batch.placed.get(job_id, []))
        open_stored = job_id in batch.existing_jobs and job_id in open_jobs(db, [job_id], on=as_of)
        batch.closed_cache[key] = not (open_here or open_stored)
    return batch.closed_cache[key]


def _decide(db, batch: _Batch, offer: dict, p: Profile, strong_hits, block_hits, rules: Rules, as_of: dt.date, seen_at: str) -> tuple[int, str]:
    """The job a new offer joins (an existing one, or a new one) and why."""
    strong = [(member, meaning) for member, meaning in strong_hits if "JO issue" not in meaning]
    if strong:
        member, meaning = min(strong, key=lambda hit: hit[0].id)
        batch.bump(member.job_id)
        return member.job_id, f"{meaning} as {member.label}"
    scored: list[tuple[float, Member, Comparison]] = []
    for member, meaning in strong_hits:  # a JO issue cited: titles and places decide
        comparison = cited_issue_match(p, member.profile, rules)
        if comparison.same_job:
            scored.append((comparison.score + 100, member, comparison))
    seen, shingles = set(), None
    for member in block_hits:
        if member.id in seen:
            continue
        seen.add(member.id)
        comparison = compare(p, member.profile, rules)
        if comparison.ask_texts:
            shingles = shingles if shingles is not None else text_shingles(offer)
            overlap = text_overlap(shingles, text_shingles(_offer_texts(db, member)))
            if overlap >= rules.text_threshold:
                comparison.same_job = True
                comparison.reason += f", texts {overlap:.0%} alike"
                scored.append((comparison.score, member, comparison))
        elif comparison.similar:
            scored.append((comparison.score, member, comparison))
    scored.sort(key=lambda item: (-item[0], item[1].id))
    arrives_open = _is_open(offer, as_of)
    repost_of = None
    for _, member, comparison in scored:
        closed = arrives_open and _job_closed(db, batch, member.job_id, as_of)
        if comparison.same_job and not closed:
            batch.bump(member.job_id)
            return member.job_id, f"{comparison.reason} with {member.label}"
        later = 0 <= p.day - member.profile.day <= rules.repost_window_days
        if repost_of is None and closed and later:
            repost_of = (member, comparison)
    if repost_of:
        member, comparison = repost_of
        return batch.new_job(seen_at, member.job_id), f"re-post of job {member.job_id} (closed): {comparison.reason} with {member.label}"
    return batch.new_job(seen_at, None), "first offer of the job"


def _write(db: Database, batch: _Batch) -> None:
    conn = db.conn
    if batch.new_jobs:
        conn.executemany("insert into jobs (id, position, created_at, reposted_from) values (?, ?, ?, ?)", batch.new_jobs)
    if batch.positions:
        conn.executemany("update jobs set position = ? where id = ?", [(position, job_id) for job_id, position in batch.positions.items()])
    conn.executemany(_INSERT_MEMBER, batch.members)
    conn.executemany("insert or ignore into job_keys (key, day, member) values (?, ?, ?)", batch.keys)


def refresh_offers(db: Database, changed: list[tuple[dict, dict]], *, on: dt.date | None = None) -> None:
    """Offers whose content changed (old, new): their keys follow the new content, and a
    job one of them reopens (its deadline moved past today) is matched again by alerts.
    An offer never changes job by itself: grouping happens when it is first stored."""
    if not changed:
        return
    day = (on or today()).isoformat()
    with write_transaction(db):
        rows = {}
        for old, new in changed:
            found = db.conn.execute("select id, job_id, day from job_offers where source = ? and source_id = ?", [new["source"], new["source_id"]]).fetchone()
            if found is None:
                continue
            member_id, job_id, stored_day = found
            before, after = profile(old), profile(new)
            # Without a publication date, an offer keeps the day it was first seen.
            before.day = before.day if old.get("published_on") else stored_day
            after.day = after.day if new.get("published_on") else stored_day
            old_rows, new_rows = set(_key_rows(member_id, before)), set(_key_rows(member_id, after))
            if old_rows != new_rows:
                db.conn.executemany("delete from job_keys where key = ? and day = ? and member = ?", list(old_rows - new_rows))
                db.conn.executemany("insert or ignore into job_keys (key, day, member) values (?, ?, ?)", list(new_rows - old_rows))
            _update_member(db, member_id, after)
            if old.get("deadline") and old["deadline"] < day and _is_open(new, dt.date.fromisoformat(day)):
                rows[job_id] = True
        for job_id in rows:
            _bump_stored(db, job_id)


def _bump_stored(db: Database, job_id: int) -> None:
    db.conn.execute("update jobs set position = (select max(position) + 1 from jobs) where id = ?", [job_id])


def group_existing_offers(db: Database, rules: Rules | None = None, batch_size: int = 1000) -> int:
    """Place every stored offer that has no job yet, oldest first, as if each were being
    stored now but judged on the day it was first seen. Returns how many were placed."""
    from storage.offers import from_row

    count = 0
    while True:
        cursor = db.conn.execute(
            "select offers.* from offers left join job_offers m on m.source = offers.source and m.source_id = offers.source_id "
            f"where m.id is null order by offers.rowid limit {int(batch_size)}"
        )
        columns = [description[0] for description in cursor.description]
        rows = [from_row(dict(zip(columns, values))) for values in cursor]
        if not rows:
            return count
        place_offers(db, [(offer, offer["first_seen"]) for offer in rows], rules=rules)
        count += len(rows)


# -- hand corrections ----------------------------------------------------------------------------------

_JOB_REFERENCE = re.compile(r"^(?:#|job:)?(\d+)$")


def parse_offer_reference(text: str) -> tuple[str, str]:
    """``source:source_id`` -> (source, source_id); ValueError for anything else."""
    source, sep, source_id = text.strip().partition(":")
    if not sep or not source or not source_id:
        raise ValueError(f"{text!r} is not an offer: write SOURCE:SOURCE_ID (e.g. choisirleservicepublic:MEF_2024-17971), as `veille offers --json` shows them")
    return source, source_id


def member_of(db: Database, source: str, source_id: str) -> Member:
    row = db.conn.execute(f"select {_MEMBER_COLUMNS} from job_offers where source = ? and source_id = ?", [source, source_id]).fetchone()
    if row is None:
        raise UnknownOffer(f"no stored offer {source}:{source_id}")
    return _member(row)


def resolve_job(db: Database, text: str) -> int:
    """A job named by its number (``12``, ``#12``, ``job:12``) or by one of its offers (``source:source_id``)."""
    match = _JOB_REFERENCE.match(text.strip())
    if match:
        job = db.conn.execute("select id, merged_into from jobs where id = ?", [int(match.group(1))]).fetchone()
        if job is None:
            raise UnknownOffer(f"no job {match.group(1)}")
        return job[1] or job[0]
    source, source_id = parse_offer_reference(text)
    return member_of(db, source, source_id).job_id


def _job_members(db: Database, job_id: int) -> list[Member]:
    return [_member(row) for row in db.conn.execute(f"select {_MEMBER_COLUMNS} from job_offers where job_id = ? order by id", [job_id])]


def _decide_pairs(db: Database, left: list[Member], right: list[Member], decision: str) -> None:
    now = _now()
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
    for chunk in _chunks(pairs, 400):
        where = " or ".join("(member_a = ? and member_b = ?)" for _ in chunk)
        if db.conn.execute(f"select 1 from job_decisions where decision = 'apart' and ({where}) limit 1", [v for pair in chunk for v in pair]).fetchone():
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
        batch = _batch(db)
        new_job = batch.new_job(_now(), None)
        db.conn.executemany("insert into jobs (id, position, created_at, reposted_from) values (?, ?, ?, ?)", batch.new_jobs)
        db.conn.execute("update job_offers set job_id = ?, reason = ? where id = ?", [new_job, f"split from job {member.job_id} by hand", member.id])
        _decide_pairs(db, [member], others, APART)
    return member.job_id, new_job


def merge_jobs(db: Database, keep: int, other: int, *, reason: str = "merged by hand", by_hand: bool = True) -> int:
    """Move every offer of job ``other`` into job ``keep``. By hand, it overrides earlier
    splits between them; automatically, a split wins and nothing is merged (returns
    ``other``). Alerts already sent for either job count for the merged one."""
    from alerts.outbox import merge_units
    from alerts.units import job_key

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
        db.conn.execute("update job_offers set job_id = ?, reason = ? where job_id = ?", [keep, f"{reason} (from job {other})", other])
        db.conn.execute("update jobs set merged_into = ? where id = ?", [keep, other])
        db.conn.execute("update jobs set merged_into = ? where merged_into = ?", [keep, other])
        reposted = db.conn.execute("select reposted_from from jobs where id = ?", [keep]).fetchone()[0]
        if reposted is None:
            db.conn.execute("update jobs set reposted_from = (select reposted_from from jobs where id = ?) where id = ?", [other, keep])
        db.conn.execute("update jobs set reposted_from = ? where reposted_from = ?", [keep, other])
        db.conn.execute("update jobs set reposted_from = null where id = ? and reposted_from = ?", [keep, keep])
        merge_units(db, job_key(other), job_key(keep))
        _bump_stored(db, keep)
    return keep


def link_replacement(db: Database, source: str, earlier: str, later: str) -> None:
    """A notice replacing an earlier one is the same job: merge the later one's job into the earlier's."""
    try:
        first, second = member_of(db, source, earlier), member_of(db, source, later)
    except UnknownOffer:
        return
    if first.job_id != second.job_id:
        merge_jobs(db, first.job_id, second.job_id, reason=f"replaces the notice {source}:{earlier}", by_hand=False)


# -- reading ---------------------------------------------------------------------------------------------


def annotate_offers(db: Database, offers: list[dict], *, on: dt.date | None = None) -> list[dict]:
    """Each offer with ``status`` (open / closed: why), ``job_id`` and ``also_on`` (the
    other boards its job is published on)."""
    if not offers:
        return offers
    day = (on or today()).isoformat()
    keys = [(offer["source"], offer["source_id"]) for offer in offers]
    info: dict[tuple[str, str], tuple] = {}
    for chunk in _chunks(keys, 400):
        where = " or ".join("(offers.source = ? and offers.source_id = ?)" for _ in chunk)
        rows = db.conn.execute(
            f"select offers.source, offers.source_id, m.job_id, m.board, {closed_reason_sql('offers', '?')} "
            f"from offers left join job_offers m on m.source = offers.source and m.source_id = offers.source_id where {where}",
            [day, *[value for key in chunk for value in key]],
        )
        for source, source_id, job_id, board, reason in rows:
            info[(source, source_id)] = (job_id, board, reason)
    jobs = sorted({job_id for job_id, _, _ in info.values() if job_id is not None})
    boards: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for chunk in _chunks(jobs):
        for job_id, source, source_id, board in db.conn.execute(
            f"select job_id, source, source_id, board from job_offers where job_id in ({','.join('?' * len(chunk))}) order by id", chunk
        ):
            boards[job_id].append((source, source_id, board))
    for offer in offers:
        job_id, board, reason = info.get((offer["source"], offer["source_id"]), (None, None, None))
        offer["job_id"] = job_id
        offer["closed_reason"] = reason
        offer["status"] = describe_closed(reason, offer)
        mates = [other for other in boards.get(job_id, []) if (other[0], other[1]) != (offer["source"], offer["source_id"])]
        # Another board, or another source that lists it on the same board (the DITP linking to CSP).
        offer["also_on"] = sorted({mate_board if mate_board != board else mate_source for mate_source, _, mate_board in mates})
    return offers


def job_offers(db: Database, job_id: int, *, on: dt.date | None = None) -> list[dict]:
    """The offers of a job, oldest member first, each with its status and why it is in the job."""
    from storage.offers import from_row

    cursor = db.conn.execute(
        f"select offers.*, m.board as _board, m.reason as _reason, m.joined_at as _joined_at, {closed_reason_sql('offers', '?')} as _closed "
        "from job_offers m join offers on offers.source = m.source and offers.source_id = m.source_id where m.job_id = ? order by m.id",
        [(on or today()).isoformat(), job_id],
    )
    columns = [description[0] for description in cursor.description]
    found = []
    for values in cursor:
        row = dict(zip(columns, values))
        extra = {name.lstrip("_"): row.pop(name) for name in ("_board", "_reason", "_joined_at", "_closed")}
        offer = from_row(row)
        offer.update(board=extra["board"], reason=extra["reason"], joined_at=extra["joined_at"], closed_reason=extra["closed"])
        offer["status"] = describe_closed(extra["closed"], offer)
        found.append(offer)
    return found


def get_job(db: Database, job_id: int) -> dict | None:
    row = db.conn.execute("select id, position, created_at, reposted_from, merged_into from jobs where id = ?", [job_id]).fetchone()
    if row is None:
        return None
    job = dict(zip(("id", "position", "created_at", "reposted_from", "merged_into"), row))
    job["reposts"] = [job_id for (job_id,) in db.conn.execute("select id from jobs where reposted_from = ? order by id", [job_id])]
    return job


def list_jobs(db: Database, *, include_closed: bool = False, limit: int | None = None, on: dt.date | None = None) -> list[dict]:
    """Jobs, newest first: their offers and whether any is open."""
    day = (on or today()).isoformat()
    cursor = db.conn.execute(
        f"""select m.job_id, offers.source, offers.source_id, m.board, offers.title, offers.employer, offers.location, offers.department,
  offers.published_on, offers.first_seen, offers.deadline, {closed_reason_sql('offers', '?')} as closed
from job_offers m join offers on offers.source = m.source and offers.source_id = m.source_id order by m.job_id, m.id""",
        [day],
    )
    jobs: dict[int, dict] = {}
    for job_id, source, source_id, board, title, employer, location, department, published, first_seen, deadline, closed in cursor:
        job = jobs.setdefault(job_id, {"id": job_id, "offers": [], "open": False})
        job["offers"].append(
            {"source": source, "source_id": source_id, "board": board, "title": title, "employer": employer, "location": location,
             "department": department, "published_on": published, "first_seen": first_seen, "deadline": deadline, "closed_reason": closed}
        )  # fmt: skip
        job["open"] = job["open"] or closed is None
    found = [job for job in jobs.values() if include_closed or job["open"]]
    for job in found:
        job["published_on"] = min(offer["published_on"] or offer["first_seen"][:10] for offer in job["offers"])
    found.sort(key=lambda job: (job["published_on"], job["id"]), reverse=True)
    return found[:limit] if limit else found
