"""Which stored offers a new offer is compared with (storage/jobs.py places offers): those it shares
evidence keys with (``job_keys``), and those sharing one of its title blocks (``job_blocks``) within
the date windows, the nearest in time first; read in a few queries a batch, and turned into
:class:`~storage.job_members.Member` objects only when scored.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict

from sqlite_utils import Database

from storage.grouping import NEVER_TWICE, Profile, Thresholds, day_number
from storage.job_members import DAY, MEMBER_COLUMNS, Batch, Hashes, Member, member_from_row
from storage.rows import padded_chunks

# A title block with more offers than this in its date range is too common to tell offers apart.
MAX_BLOCK = 200
# At most this many offers sharing a block with a new offer are scored, the nearest in time first.
MAX_COMPARED = 100
# A (block, département) that no offer has (départements are codes): what pads a list of pairs.
_NO_PAIR = (0, "-")


def stored_candidates(
    db: Database,
    batch: Batch,
    profiles: list[Profile],
    hashes: list[Hashes],
    as_of: list[dt.date],
    thresholds: Thresholds,
):
    """For each new offer: the stored offers it has evidence with, (member, what it means), and
    the stored offers worth scoring among those sharing one of its title blocks."""
    by_hash: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for index, keys in enumerate(hashes):
        for key, meaning in keys.lookups.items():
            by_hash[key].append((index, meaning))
    strong: list[list[tuple[int, str]]] = [[] for _ in profiles]
    for chunk in padded_chunks(list(by_hash)):
        for key, member in db.conn.execute(
            f"select key, member from job_keys where key in ({','.join('?' * len(chunk))})", chunk
        ):
            for index, meaning in by_hash[key]:
                strong[index].append((member, meaning))

    blocks: list[list[int]] = [[] for _ in profiles]
    by_board: dict[int, list[int]] = defaultdict(list)
    for index, keys in enumerate(hashes):
        by_board[keys.board].append(index)
    back, ahead, window = (
        max(thresholds.date_window_days, thresholds.repost_window_days),
        thresholds.date_window_days,
        thresholds.date_window_days,
    )
    closable = [known for source in batch.closable_sources if (known := batch.names.known(source))]
    closable_set = set(closable)
    columns = "b.key, b.department, b.board, b.day, b.member, b.source, b.deadline"
    for board, indexes in by_board.items():
        # What to look up: (block, département) for offers placed in one, with the offers placed in
        # none (''); an offer placed nowhere may be the same job as an offer of any département.
        wanted: set[tuple[int, str]] = set()
        anywhere: set[int] = set()
        for index in indexes:
            department = profiles[index].department
            for key in hashes[index].blocks:
                if department:
                    wanted.add((key, department))
                    wanted.add((key, ""))
                else:
                    anywhere.add(key)
        wanted = {(key, department) for key, department in wanted if key not in anywhere}
        if not wanted and not anywhere:
            continue
        first, last = min(profiles[i].day for i in indexes), max(profiles[i].day for i in indexes)
        low, high = first - back, last + ahead
        latest = max(day_number(as_of[i].isoformat()) for i in indexes)
        conditions = []
        others = any(other != board for other in batch.boards)
        twice = board in batch.boards and profiles[indexes[0]].board not in NEVER_TWICE
        if others and twice:
            # Every board's offers of the date window: another board's, the same job? this board's of the same
            # day, one post published twice? (the loop below keeps those); one range, not three.
            conditions.append(("", "b.day between ? and ?", [first - window, last + window]))
        elif others:
            # Other boards' offers of the date window: the same job? (Re-posts are looked for on the same board.)
            conditions.append(("", "b.board < ? and b.day between ? and ?", [board, first - window, last + window]))
            conditions.append(("", "b.board > ? and b.day between ? and ?", [board, first - window, last + window]))
        elif twice:
            # This board's offers of the same days: one post published twice under two references?
            conditions.append(("", "b.board = ? and b.day between ? and ?", [board, first, last]))
        if batch.boards.get(board):
            # This board's offers whose deadline passed within the re-post window: their job may have closed.
            conditions.append(
                (
                    "indexed by job_blocks_deadline",
                    "b.board = ? and b.deadline between ? and ? and b.day between ? and ?",
                    [board, low, latest - 1, low, high],
                )
            )
        if closable:
            # Sources whose offers close by absence or by a later notice.
            conditions.append(
                ("", f"b.source in ({','.join('?' * len(closable))}) and b.day between ? and ?", [*closable, low, high])
            )
        found: dict[int, dict[int, tuple]] = defaultdict(dict)
        # (block, département) pairs with more than MAX_BLOCK offers under one condition: too common whatever the
        # others add, so counted in SQLite and never read (a common block would be read again every batch).
        overfull: set[tuple[int, str]] = set()
        for hint, condition, params in conditions:
            for chunk in padded_chunks(sorted(wanted - overfull), 256, _NO_PAIR):
                values = [value for pair in chunk for value in pair] + params
                joined = (
                    f"from wanted cross join job_blocks b {hint} on b.key = wanted.key and "
                    f"b.department = wanted.department where {condition}"
                )
                common = f"with wanted (key, department) as (values {','.join(['(?, ?)'] * len(chunk))}) "
                overfull.update(
                    db.conn.execute(
                        f"{common} select b.key, b.department {joined} group by b.key, b.department "
                        f"having count(*) > {MAX_BLOCK}",
                        values,
                    )
                )
                # (Of the same length: one compiled query.)
                chunk = [pair if pair not in overfull else _NO_PAIR for pair in chunk]
                if all(pair == _NO_PAIR for pair in chunk):
                    continue
                sql = (
                    f"with wanted (key, department) as (values {','.join(['(?, ?)'] * len(chunk))}) "
                    f"select {columns} {joined}"
                )
                for row in db.conn.execute(sql, [value for pair in chunk for value in pair] + params):
                    found[row[0]][row[4]] = row
            for chunk in padded_chunks(sorted(anywhere)):
                marks = ",".join("?" * len(chunk))
                sql = f"select {columns} from job_blocks b {hint} where b.key in ({marks}) and {condition}"
                for row in db.conn.execute(sql, [*chunk, *params]):
                    found[row[0]][row[4]] = row
        today_numbers = {index: day_number(as_of[index].isoformat()) for index in indexes}
        by_department: dict[tuple[int, str], list[tuple]] = defaultdict(list)
        for key, rows in found.items():
            for row in rows.values():
                by_department[key, row[1]].append(row)
        # Offers of a batch often share a block, a day and a département: each block's rows are filtered once.
        filtered: dict[tuple, list[int]] = {}
        for index in indexes:
            p = profiles[index]
            day_here, today_number, hits, department = p.day, today_numbers[index], blocks[index], p.department
            for key in hashes[index].blocks:
                cache_key = (key, department or "", day_here, today_number, p.board)
                kept = filtered.get(cache_key)
                if kept is None and department and ((key, department) in overfull or (key, "") in overfull):
                    kept = filtered[cache_key] = []  # too common to tell offers apart
                elif kept is None:
                    kept = filtered[cache_key] = _block_hits(
                        by_department.get((key, department), []) + by_department.get((key, ""), [])
                        if department
                        else list(found.get(key, {}).values()),
                        board,
                        p,
                        today_number,
                        (back, ahead, window),
                        closable_set,
                    )
                hits.extend(kept)
    return strong, blocks


def _block_hits(candidates: list[tuple], board: int, p: Profile, today_number: int, windows, closable) -> list[int]:
    """The stored offers of one block worth scoring against ``p`` (an offer of ``board``)."""
    if len(candidates) > MAX_BLOCK:
        return []  # too common to tell offers apart
    back, ahead, window = windows
    day_here, twice = p.day, p.board not in NEVER_TWICE
    hits = []
    for _, _, row_board, day, member, source, deadline in candidates:
        if row_board != board:
            if -window <= day - day_here <= window:
                hits.append(member)
        elif (day == day_here and twice) or (
            -back <= day - day_here <= ahead
            and ((deadline is not None and deadline < today_number) or source in closable)
        ):
            hits.append(member)
    return hits


class StoredMembers:
    """Stored members by id, read in one query; each row turned into a Member only when scored (most rows
    are ruled out on a few of their columns: see storage.jobs._decide)."""

    def __init__(self, db: Database, ids: set[int]):
        self.rows = {}
        for chunk in padded_chunks(sorted(ids)):
            for row in db.conn.execute(
                f"select {MEMBER_COLUMNS} from job_offers where id in ({','.join('?' * len(chunk))})", chunk
            ):
                self.rows[row[0]] = row
        self.jobs = {row[1] for row in self.rows.values()}
        self.members: dict[int, Member] = {}

    def __getitem__(self, member_id: int) -> Member:
        member = self.members.get(member_id)
        if member is None:
            member = self.members[member_id] = member_from_row(self.rows[member_id])
        return member


def nearest_members(stored: StoredMembers, stored_ids, local: list[Member], day: int) -> tuple[list[int], list[Member]]:
    """The offers sharing a block worth scoring: at most MAX_COMPARED, the nearest in time first (what _decide
    keeps), chosen on the stored rows' days; the stored ones as ids (Members only once scored), this batch's
    as Members."""
    local_by_id = {member.id: member for member in local}
    if len(stored_ids) + len(local_by_id) <= MAX_COMPARED:
        return list(stored_ids), list(local_by_id.values())
    ranked = [(abs(stored.rows[member_id][DAY] - day), member_id) for member_id in stored_ids]
    ranked += [(abs(member.profile.day - day), member.id) for member in local_by_id.values()]
    nearest = [member_id for _, member_id in heapq.nsmallest(MAX_COMPARED, ranked)]
    return (
        [member_id for member_id in nearest if member_id not in local_by_id],
        [local_by_id[member_id] for member_id in nearest if member_id in local_by_id],
    )
