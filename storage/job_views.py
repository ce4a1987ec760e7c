"""Reading jobs: each offer's status and job, a job's offers, the list of jobs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlite_utils import Database

from storage.clock import paris_day, paris_today
from storage.lifecycle import closed_reason_sql, describe_closed
from storage.rows import chunks, dict_rows, from_row


def annotate_offers(db: Database, offers: list[dict], *, on: dt.date | None = None) -> list[dict]:
    """Each offer with ``status`` (open / closed: why), ``job_id`` and ``also_on`` (the
    other boards its job is published on)."""
    if not offers:
        return offers
    day = (on or paris_today()).isoformat()
    keys = [(offer["source"], offer["source_id"]) for offer in offers]
    info: dict[tuple[str, str], tuple] = {}
    for chunk in chunks(keys, 400):
        where = " or ".join("(offers.source = ? and offers.source_id = ?)" for _ in chunk)
        rows = db.conn.execute(
            f"select offers.source, offers.source_id, m.job_id, m.board, {closed_reason_sql('offers', '?')} "
            "from offers left join job_offers m on m.source = offers.source and m.source_id = offers.source_id where "
            f"{where}",
            [day, *[value for key in chunk for value in key]],
        )
        for source, source_id, job_id, board, reason in rows:
            info[(source, source_id)] = (job_id, board, reason)
    jobs = sorted({job_id for job_id, _, _ in info.values() if job_id is not None})
    boards: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for chunk in chunks(jobs):
        for job_id, source, source_id, board in db.conn.execute(
            f"select job_id, source, source_id, board from job_offers where job_id in ({','.join('?' * len(chunk))}) "
            "order by id",
            chunk,
        ):
            boards[job_id].append((source, source_id, board))
    for offer in offers:
        job_id, board, reason = info.get((offer["source"], offer["source_id"]), (None, None, None))
        offer["job_id"] = job_id
        offer["closed_reason"] = reason
        offer["status"] = describe_closed(reason, offer)
        mates = [
            other for other in boards.get(job_id, []) if (other[0], other[1]) != (offer["source"], offer["source_id"])
        ]
        # Another board, or another source that lists it on the same board (the DITP linking to CSP).
        offer["also_on"] = sorted(
            {mate_board if mate_board != board else mate_source for mate_source, _, mate_board in mates}
        )
    return offers


def job_offers(db: Database, job_id: int, *, on: dt.date | None = None) -> list[dict]:
    """The offers of a job, oldest member first, each with its status and why it is in the job."""
    cursor = db.conn.execute(
        "select offers.*, m.board as _board, m.reason as _reason, m.joined_at as _joined_at, "
        f"{closed_reason_sql('offers', '?')} as _closed "
        "from job_offers m join offers on offers.source = m.source and offers.source_id = m.source_id where m.job_id "
        "= ? order by m.id",
        [(on or paris_today()).isoformat(), job_id],
    )
    columns = [description[0] for description in cursor.description]
    found = []
    for values in cursor:
        row = dict(zip(columns, values))
        extra = {name.lstrip("_"): row.pop(name) for name in ("_board", "_reason", "_joined_at", "_closed")}
        offer = from_row(row)
        offer.update(
            board=extra["board"], reason=extra["reason"], joined_at=extra["joined_at"], closed_reason=extra["closed"]
        )
        offer["status"] = describe_closed(extra["closed"], offer)
        found.append(offer)
    return found


def get_job(db: Database, job_id: int) -> dict | None:
    row = db.conn.execute(
        "select id, position, created_at, reposted_from, merged_into from jobs where id = ?", [job_id]
    ).fetchone()
    if row is None:
        return None
    job = dict(zip(("id", "position", "created_at", "reposted_from", "merged_into"), row))
    job["reposts"] = [
        job_id for (job_id,) in db.conn.execute("select id from jobs where reposted_from = ? order by id", [job_id])
    ]
    return job


def list_jobs(
    db: Database, *, include_closed: bool = False, limit: int | None = None, on: dt.date | None = None
) -> list[dict]:
    """Jobs, newest first: their offers and whether any is open."""
    day = (on or paris_today()).isoformat()
    cursor = db.conn.execute(
        f"""select m.job_id, offers.source, offers.source_id, m.board, offers.title, offers.employer, offers.location,
  offers.department, offers.published_on, offers.first_seen, offers.deadline,
  {closed_reason_sql("offers", "?")} as closed
from job_offers m join offers on offers.source = m.source and offers.source_id = m.source_id order by m.job_id, m.id""",
        [day],
    )
    jobs: dict[int, dict] = {}
    for (
        job_id,
        source,
        source_id,
        board,
        title,
        employer,
        location,
        department,
        published,
        first_seen,
        deadline,
        closed,
    ) in cursor:
        job = jobs.setdefault(job_id, {"id": job_id, "offers": [], "open": False})
        job["offers"].append(
            {
                "source": source,
                "source_id": source_id,
                "board": board,
                "title": title,
                "employer": employer,
                "location": location,
                "department": department,
                "published_on": published,
                "first_seen": first_seen,
                "deadline": deadline,
                "closed_reason": closed,
            }
        )
        job["open"] = job["open"] or closed is None
    found = [job for job in jobs.values() if include_closed or job["open"]]
    for job in found:
        job["published_on"] = min(
            offer["published_on"] or paris_day(offer["first_seen"]).isoformat() for offer in job["offers"]
        )
    found.sort(key=lambda job: (job["published_on"], job["id"]), reverse=True)
    return found[:limit] if limit else found


# -- what alerts follow: jobs by position (alerts.units.JobUnits) -------------------------------------------


def highest_position(db: Database) -> int:
    return db.execute("select coalesce(max(position), 0) from jobs").fetchone()[0]


def jobs_between(db: Database, after: int, through: int) -> list[tuple[int, int]]:
    """(job, position) of the jobs whose position is after ``after``, up to ``through``, lowest first."""
    return db.execute(
        "select id, position from jobs where position > ? and position <= ? and merged_into is null order by position",
        [after, through],
    ).fetchall()


def jobs_newest_first(db: Database) -> list[tuple[int, int]]:
    """(job, position) of every job not merged into another, highest position first."""
    return db.execute("select id, position from jobs where merged_into is null order by position desc").fetchall()


def offers_by_job(db: Database, job_ids: list[int], today: dt.date) -> dict[int, list[dict]]:
    """Each job's offers, open ones first, each with ``_closed`` (why it is closed, or None)."""
    found: dict[int, list[dict]] = {job_id: [] for job_id in job_ids}
    for chunk in chunks(job_ids, 500):
        cursor = db.execute(
            f"select m.job_id as _job, {closed_reason_sql('offers', '?')} as _closed, offers.* from job_offers m "
            "join offers on offers.source = m.source and offers.source_id = m.source_id "
            f"where m.job_id in ({','.join('?' * len(chunk))}) order by m.id",
            [today.isoformat(), *chunk],
        )
        for row in dict_rows(cursor):
            job_id, closed = row.pop("_job"), row.pop("_closed")
            offer = from_row(row)
            offer["_closed"] = closed
            found[job_id].append(offer)
    for offers in found.values():
        offers.sort(key=lambda offer: offer["_closed"] is not None)
    return found
