"""Jobs: one post, however many boards publish it (tables from migration m005_jobs).

Every stored offer belongs to exactly one job (``job_offers``). A new offer is
placed when it is stored, in the same transaction (:func:`place_offers`, called
by ``storage.offers.store_offers``, what a crawl stores offers with): it joins the job of an offer it has strong
evidence with, else the job of the most similar offer (storage.grouping), else
a job of its own. Only offers sharing a key are ever compared: ``job_keys``
holds the evidence keys (references, URLs, cited notices), ``job_blocks`` the
title blocks (storage.grouping.blocking_keys) with each offer's day, board and
deadline, so that the database hands back only the offers worth scoring.

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
from collections import defaultdict
from itertools import chain

from sqlite_utils import Database

from storage.clock import paris_day, paris_today
from storage.db import write_transaction
from storage.grouping import (
    NEVER_TWICE,
    Comparison,
    Profile,
    Thresholds,
    alike_titles,
    cited_issue_match,
    compare,
    departments_may_agree,
    profile,
    published_twice,
    text_overlap,
    text_shingles,
    title_as_written,
)
from storage.job_candidates import MAX_BLOCK, StoredMembers, nearest_members, stored_candidates
from storage.job_members import (
    BOARD,
    DEADLINE,
    INSERT_BLOCK,
    INSERT_KEY,
    MEMBER_COLUMNS,
    SOURCE,
    TITLE,
    Batch,
    Hashes,
    Member,
    NameIds,
    bump_position,
    member_from_row,
    member_values,
    note_boards,
    open_batch,
    store_keys,
    update_member,
    write_batch,
)
from storage.lifecycle import open_jobs
from storage.raw import RAW_JOIN, decoded_offers
from storage.rows import chunks

FIRST_OFFER = "first offer of the job"


def _is_open(offer: dict, on: dt.date) -> bool:
    return not offer.get("deadline") or offer["deadline"] >= on.isoformat()


def place_offers(
    db: Database, offers: list[tuple[dict, str]], *, thresholds: Thresholds | None = None, on: dt.date | None = None
) -> dict[tuple[str, str], int]:
    """Give each new offer (offer dict, time first seen) a job; returns the job of each.

    Runs inside the caller's write transaction; the offers' rows are already
    stored. ``on`` is the day that decides what is closed (re-posts); by default
    the Paris day each offer was first seen."""
    thresholds = thresholds or Thresholds()
    if not offers:
        return {}
    with write_transaction(db):
        placed = _already_placed(db, offers)
        offers = [(offer, seen_at) for offer, seen_at in offers if (offer["source"], offer["source_id"]) not in placed]
        if not offers:
            return placed
        batch = open_batch(db)
        profiles = [profile(offer, seen_at) for offer, seen_at in offers]
        hashes = [Hashes.of(p, offer["source"], batch.names) for p, (offer, _) in zip(profiles, offers)]
        as_of = [on or paris_day(seen_at) for _, seen_at in offers]
        strong, blocks = stored_candidates(db, batch, profiles, hashes, as_of, thresholds)
        stored = StoredMembers(
            db, {member for hits in strong for member, _ in hits} | {member for hits in blocks for member in hits}
        )
        batch.existing_jobs = stored.jobs
        local_evidence: dict[int, list[Member]] = {}
        # This batch's offers by block, and those that may be closed apart.
        local_blocks: dict[int, list[Member]] = {}
        local_closable: dict[int, list[Member]] = {}
        back, ahead, window = (
            max(thresholds.date_window_days, thresholds.repost_window_days),
            thresholds.date_window_days,
            thresholds.date_window_days,
        )
        for (offer, seen_at), p, keys, day, strong_found, blocks_found in zip(
            offers, profiles, hashes, as_of, strong, blocks
        ):
            strong_hits = [(stored[member], meaning) for member, meaning in strong_found] if strong_found else []
            stored_hits = set(blocks_found) if blocks_found else ()
            block_hits: list[Member] = []  # this batch's offers sharing a block
            if local_evidence:
                for key, meaning in keys.lookups.items():
                    if key in local_evidence:
                        strong_hits += [(member, meaning) for member in local_evidence[key]]
            for key in keys.blocks:
                if key in local_blocks:
                    local = local_blocks[key]
                    if len(local) <= MAX_BLOCK:
                        # Other boards' offers of the date window; this board's of the same day (published twice?).
                        block_hits += [
                            member
                            for member in local
                            if (
                                abs(member.profile.day - p.day) <= window
                                if member.profile.board != p.board
                                else member.profile.day == p.day and p.board not in NEVER_TWICE
                            )
                            and departments_may_agree(member.profile, p)
                        ]
                if key in local_closable:
                    block_hits += [
                        member
                        for member in local_closable[key]
                        if p.day - back <= member.profile.day <= p.day + ahead
                        and departments_may_agree(member.profile, p)
                    ]
            nearest_stored, nearest_local = nearest_members(stored, stored_hits, block_hits, p.day)
            if offer["source"] == "jorf":
                strong_hits += _replaced_notices(db, offer["source_id"])
            if strong_hits or nearest_stored or nearest_local:
                job_id, reason = _decide(
                    db, batch, offer, p, strong_hits, (stored, nearest_stored, nearest_local), thresholds, day, seen_at
                )
            else:
                job_id, reason = batch.new_job(seen_at, None), FIRST_OFFER
            batch.next_member += 1
            member = Member(
                batch.next_member,
                job_id,
                offer["source"],
                offer["source_id"],
                p,
                open_now=_is_open(offer, day),
                offer=offer,
            )
            batch.placed[job_id].append(member)
            batch.members.append(member_values(member, reason, seen_at))
            batch.keys.extend(keys.key_rows(member.id))
            batch.blocks.extend(keys.block_rows(member.id, p.day, p.department))
            has_deadline = keys.deadline is not None
            if keys.board not in batch.boards or (has_deadline and not batch.boards[keys.board]):
                _, noted = batch.new_boards.get(keys.board, (p.board, False))
                batch.new_boards[keys.board] = (p.board, noted or has_deadline)
            for key in keys.evidence:
                local_evidence.setdefault(key, []).append(member)
            may_close = not member.open_now or member.source in batch.closable_sources
            for key in keys.blocks:
                local_blocks.setdefault(key, []).append(member)
                if may_close:
                    local_closable.setdefault(key, []).append(member)
            placed[(offer["source"], offer["source_id"])] = job_id
        write_batch(db, batch)
    return placed


def _already_placed(db: Database, offers: list[tuple[dict, str]]) -> dict[tuple[str, str], int]:
    """New offers that have a job already: their row was deleted by hand and stored again. They keep
    their job; what grouping knows of them follows their content."""
    found = {}
    by_source: dict[str, list[str]] = defaultdict(list)
    for offer, _ in offers:
        by_source[offer["source"]].append(offer["source_id"])
    for source, ids in by_source.items():
        for chunk in chunks(ids):
            rows = db.conn.execute(
                "select id, source_id, job_id from job_offers where source = ? and source_id in "
                f"({','.join('?' * len(chunk))})",
                [source, *chunk],
            )
            for member_id, source_id, job_id in rows:
                found[(source, source_id)] = (member_id, job_id)
    for offer, seen_at in offers:
        key = (offer["source"], offer["source_id"])
        if key in found:
            p = profile(offer, seen_at)
            update_member(db, found[key][0], p)
            store_keys(db, found[key][0], p, offer["source"])
    return {key: job_id for key, (_, job_id) in found.items()}


def _replaced_notices(db: Database, source_id: str) -> list[tuple[Member, str]]:
    """The earlier notices this JO notice replaces (recorded in superseded_offers)."""
    rows = db.conn.execute(
        f"select {', '.join('m.' + name for name in MEMBER_COLUMNS.split(', '))} from superseded_offers s "
        "join job_offers m on m.source = s.source and m.source_id = s.source_id "
        "where s.source = 'jorf' and s.superseded_by = ? and s.relation = 'replaced'",
        [source_id],
    )
    return [(member_from_row(row), "replaces the notice") for row in rows]


def _stored_title(db: Database, member: Member) -> str | None:
    if member.offer is not None:
        return member.offer.get("title")
    row = db.conn.execute(
        "select title from offers where source = ? and source_id = ?", [member.source, member.source_id]
    ).fetchone()
    return row[0] if row else None


def _written_title(db: Database, batch: Batch, member: Member) -> str:
    """A member's title as written, read once a batch: many new offers may be compared with it."""
    written = batch.written_titles.get(member.id)
    if written is None:
        written = batch.written_titles[member.id] = title_as_written(_stored_title(db, member))
    return written


def _offer_texts(db: Database, member: Member) -> dict:
    if member.offer is not None:
        return member.offer
    row = db.conn.execute(
        "select missions, profile from offers where source = ? and source_id = ?", [member.source, member.source_id]
    ).fetchone()
    return {"missions": row[0], "profile": row[1]} if row else {}


def _job_closed(db: Database, batch: Batch, job_id: int, as_of: dt.date) -> bool:
    key = (job_id, as_of)
    if key not in batch.closed_cache:
        open_here = any(member.open_now for member in batch.placed.get(job_id, []))
        open_stored = job_id in batch.existing_jobs and job_id in open_jobs(db, [job_id], on=as_of)
        batch.closed_cache[key] = not (open_here or open_stored)
    return batch.closed_cache[key]


def _may_be_closed(batch: Batch, member: Member, as_of: dt.date) -> bool:
    """Whether an offer's job may be closed: only then is the database asked (see _job_closed)."""
    if member.open_now is not None:
        return not member.open_now
    return _deadline_passed_or_closable(batch, member.profile.deadline, member.source, as_of)


def _deadline_passed_or_closable(batch: Batch, deadline: str | None, source: str, as_of: dt.date) -> bool:
    return bool(deadline and deadline < as_of.isoformat()) or source in batch.closable_sources


def _stored_may_be_closed(batch: Batch, stored: StoredMembers, as_of: dt.date) -> set[int]:
    """The stored members read for this batch whose job may be closed (:func:`_may_be_closed`, on their rows),
    found once a day of the batch: many new offers are compared with the same members."""
    found = batch.may_have_closed.get(as_of)
    if found is None:
        found = batch.may_have_closed[as_of] = {
            member_id
            for member_id, row in stored.rows.items()
            if _deadline_passed_or_closable(batch, row[DEADLINE], row[SOURCE], as_of)
        }
    return found


def _scored_when_none_closed(p: Profile, other: Profile) -> bool:
    """When no job compared may have closed there is no re-post to look for, and an offer of the same board that
    is only alike decides nothing (two references of one board are one job only when published twice): only
    another board's offers and this board's published twice are scored (a first crawl, or before deadlines
    pass)."""
    return other.board != p.board or (other.reference != p.reference and published_twice(p, other))


def _decide(
    db,
    batch: Batch,
    offer: dict,
    p: Profile,
    strong_hits,
    block_hits: tuple[StoredMembers, list[int], list[Member]],
    thresholds: Thresholds,
    as_of: dt.date,
    seen_at: str,
) -> tuple[int, str]:
    """The job a new offer joins (an existing one, or a new one) and why. ``block_hits``: the offers sharing a
    title block (job_candidates.nearest_members): stored ones by id, made Members only when scored."""
    strong = [(member, meaning) for member, meaning in strong_hits if "JO issue" not in meaning]
    if strong:
        member, meaning = min(strong, key=lambda hit: hit[0].id)
        batch.bump(member.job_id)
        return member.job_id, f"{meaning} as {member.label}"
    same: list[tuple[float, Member, Comparison]] = []
    earlier: list[tuple[float, Member, Comparison]] = []  # alike, published before: a re-post if their job closed
    for member, _ in strong_hits:  # a JO issue cited: titles and places decide
        comparison = cited_issue_match(p, member.profile, thresholds)
        if comparison.same_job:
            same.append((comparison.score + 100, member, comparison))
    stored, stored_ids, local = block_hits
    rows = stored.rows
    arrives_open = _is_open(offer, as_of)
    compared_hits = (member for member, _ in strong_hits)
    if not (
        arrives_open
        and (
            not _stored_may_be_closed(batch, stored, as_of).isdisjoint(stored_ids)
            or any(_may_be_closed(batch, member, as_of) for member in chain(local, compared_hits))
        )
    ):
        local = [member for member in local if _scored_when_none_closed(p, member.profile)]
        # Another board's on its row; published twice needs the same normalised title.
        stored_ids = [
            member_id
            for member_id in stored_ids
            if rows[member_id][BOARD] != p.board
            or (rows[member_id][TITLE] == p.title and _scored_when_none_closed(p, stored[member_id].profile))
        ]
    titles = [rows[member_id][TITLE] for member_id in stored_ids] + [member.profile.title for member in local]
    shingles = None
    for index, title_score in alike_titles(p.title, titles, thresholds):
        member = stored[stored_ids[index]] if index < len(stored_ids) else local[index - len(stored_ids)]
        comparison = compare(p, member.profile, thresholds, title_score)
        if comparison is None:
            continue
        if comparison.published_twice and title_as_written(offer["title"]) != _written_title(db, batch, member):
            # "Chef de projet 2" and "Chef de projet 3": one word apart as written, two postings.
            comparison.same_job = comparison.published_twice = False
            comparison.reason = f"titles differ as written, two references on {p.board}"
        if comparison.ask_texts:
            shingles = shingles if shingles is not None else text_shingles(offer)
            overlap = text_overlap(shingles, text_shingles(_offer_texts(db, member)))
            if overlap >= thresholds.text_threshold:
                comparison.same_job = True
                comparison.reason += f", texts {overlap:.0%} alike"
        if comparison.same_job:
            same.append((comparison.score, member, comparison))
        elif comparison.similar and 0 <= p.day - member.profile.day <= thresholds.repost_window_days:
            earlier.append((comparison.score, member, comparison))
    same.sort(key=lambda item: (-item[0], item[1].id))
    for score, member, comparison in same:
        if arrives_open and _may_be_closed(batch, member, as_of) and _job_closed(db, batch, member.job_id, as_of):
            if p.day >= member.profile.day:
                earlier.append((score, member, comparison))
            continue
        batch.bump(member.job_id)
        return member.job_id, f"{comparison.reason} with {member.label}"
    if arrives_open:
        earlier.sort(key=lambda item: (-item[0], -item[1].profile.day, item[1].id))
        for _, member, comparison in earlier[:3]:
            if _may_be_closed(batch, member, as_of) and _job_closed(db, batch, member.job_id, as_of):
                return batch.new_job(
                    seen_at, member.job_id
                ), f"re-post of job {member.job_id} (closed): {comparison.reason} with {member.label}"
    return batch.new_job(seen_at, None), FIRST_OFFER


def refresh_offers(db: Database, changed: list[tuple[dict, dict]], *, on: dt.date | None = None) -> None:
    """Offers whose content changed (old, new): their keys follow the new content, and a
    job one of them reopens (its deadline moved past today) is matched again by alerts.
    An offer never changes job by itself: grouping happens when it is first stored."""
    if not changed:
        return
    day = (on or paris_today()).isoformat()
    with write_transaction(db):
        reopened = set()
        names = NameIds(db)
        for old, new in changed:
            found = db.conn.execute(
                "select id, job_id, day from job_offers where source = ? and source_id = ?",
                [new["source"], new["source_id"]],
            ).fetchone()
            if found is None:
                continue
            member_id, job_id, stored_day = found
            before, after = profile(old), profile(new)
            # Without a publication date, an offer keeps the day it was first seen.
            before.day = before.day if old.get("published_on") else stored_day
            after.day = after.day if new.get("published_on") else stored_day
            old_hashes, new_hashes = Hashes.of(before, old["source"], names), Hashes.of(after, new["source"], names)
            gone_keys = set(old_hashes.key_rows(member_id)) - set(new_hashes.key_rows(member_id))
            db.conn.executemany("delete from job_keys where key = ? and member = ?", list(gone_keys))
            db.conn.executemany(
                "delete from job_blocks where key = ? and department = ? and board = ? and day = ? and member = ?",
                [row[:5] for row in old_hashes.block_rows(member_id, before.day, before.department)],
            )
            db.conn.executemany(INSERT_KEY, new_hashes.key_rows(member_id))
            db.conn.executemany(INSERT_BLOCK, new_hashes.block_rows(member_id, after.day, after.department))
            note_boards(db, {new_hashes.board: (after.board, new_hashes.deadline is not None)})
            update_member(db, member_id, after)
            if old.get("deadline") and old["deadline"] < day and _is_open(new, dt.date.fromisoformat(day)):
                reopened.add(job_id)
        for job_id in reopened:
            bump_position(db, job_id)


def group_ungrouped(db: Database, thresholds: Thresholds | None = None) -> int:
    """Place the offers stored without a job (by ``upsert_offers`` alone, not ``store_offers``)."""
    missing = db.conn.execute("select (select count(*) from offers) - (select count(*) from job_offers)").fetchone()[0]
    return group_existing_offers(db, thresholds) if missing > 0 else 0


def group_existing_offers(db: Database, thresholds: Thresholds | None = None, batch_size: int = 1000) -> int:
    """Place every stored offer that has no job yet, oldest first, as if each were being
    stored now but judged on the day it was first seen. Returns how many were placed.

    One transaction: each page of the grouping tables is written once, not once a batch (a
    run cut short places everything again from the start)."""
    with write_transaction(db):
        return _group_existing_offers(db, thresholds, batch_size)


def _group_existing_offers(db: Database, thresholds: Thresholds | None, batch_size: int) -> int:
    count, after = 0, 0
    while True:
        cursor = db.conn.execute(
            "select offers.rowid as _rowid, offers.*, offer_raw.raw as raw from offers left join job_offers m "
            f"on m.source = offers.source and m.source_id = offers.source_id {RAW_JOIN} "
            f"where offers.rowid > ? and m.id is null order by offers.rowid limit {int(batch_size)}",
            [after],
        )
        columns = [description[0] for description in cursor.description]
        rows = [dict(zip(columns, values)) for values in cursor]
        if not rows:
            return count
        after = rows[-1].pop("_rowid")
        offers = decoded_offers(db, [{key: value for key, value in row.items() if key != "_rowid"} for row in rows])
        place_offers(db, [(offer, offer["first_seen"]) for offer in offers], thresholds=thresholds)
        count += len(offers)
