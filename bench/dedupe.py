"""Job grouping: how right it is on a labelled set, and how fast it is on 100,000 offers.

1. Precision and recall on tests/fixtures/dedupe/pairs.toml: pairs of real offers
   (the DITP, DINUM, JORF, CSP and beta.gouv.fr fixtures, and handmade copies of
   them on other boards) labelled the same job or not, each with its reason. The
   offers are stored in publication order through storage.offers.store_offers,
   as a crawl stores them. Target: precision 1.0, recall >= 0.9
   (tests/test_dedupe_labels.py asserts the same).

2. Scale: 100,000 offers made from the real titles of the corpora (beta.gouv.fr
   posts, CSP cards and page, DINUM, JORF and DITP offers), each a job published
   on one to three boards, days apart, in perturbed copies (case, accents, H/F,
   gender forms, an employer suffix, acronym or full name), over five years, so
   that every real title comes back ~150 times. Timed:
   - grouping them once stored (storage.jobs.group_existing_offers, what migration
     m005 runs on an existing database: the same placing code as a crawl's);
   - the baseline: comparing every pair with the same scorer, extrapolated from a
     random sample of pairs.
   Peak memory is this process's VmHWM (/proc/self/status). Offers are made and
   stored in batches, never all held at once. Target: <= 30 s, <= 500 MB.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage import open_db
from storage.grouping import Thresholds, compare, profile
from storage.jobs import group_existing_offers
from storage.offers import _INSERT_COLUMNS, _INSERT_SQL
from storage.rows import to_row
from tests.corpus import (
    betagouv_offers,
    csp_card_offers,
    csp_offer_page,
    dinum_offers,
    ditp_offers,
    group_labelled_set,
    jorf_offers,
    score_labelled_set,
)

COUNT = 100_000
TARGET_SECONDS, TARGET_MB = 30.0, 500
BOARDS = [
    "choisirleservicepublic",
    "modernisation",
    "hellowork",
    "dinum",
    "jorf",
    "betagouv",
    "prefecture",
    "passerelles",
]
ACRONYMS = {
    "Direction interministérielle de la transformation publique (DITP)": [
        "DITP",
        "Direction interministérielle de la transformation publique",
    ],
    "Direction interministérielle du numérique (DINUM)": ["DINUM", "Direction interministérielle du numérique"],
    "SGAR Occitanie": ["Secrétariat général pour les affaires régionales d'Occitanie"],
}
START = 7670  # 2021-01-01 as days since 2000-01-01


def _memory_mb(field: str = "VmHWM") -> float:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(field + ":")) / 1024


def real_offers() -> tuple[list[dict], list[str]]:
    """The real offers (what grouping reads, and a little text) and the real employers they name."""
    offers = [
        *betagouv_offers().values(),
        *csp_card_offers().values(),
        csp_offer_page(),
        *dinum_offers().values(),
        *jorf_offers().values(),
        *ditp_offers().values(),
    ]
    keep = ("title", "employer", "organisation", "contract")
    bases = [
        {key: offer[key] for key in keep if offer.get(key)} | {"missions": (offer.get("missions") or "")[:400]}
        for offer in offers
    ]
    return bases, sorted({offer["employer"] for offer in offers if offer.get("employer")})


def _perturb_title(title: str, employer: str | None, rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.2:
        title = title.upper()
    elif choice < 0.35:
        title = title.lower()
    if rng.random() < 0.3:
        title += rng.choice([" H/F", " (H/F)", " F/H", " - H/F"])
    if rng.random() < 0.2:
        title = title.replace("Chargé ", "Chargé(e) ").replace("chargé ", "chargé·e ").replace("Chef ", "Chef(fe) ")
    if rng.random() < 0.15 and employer:
        title += f" - {employer}"
    if rng.random() < 0.1:
        title = title.replace("é", "e").replace("è", "e")
    return title


def make_offers(count: int, seed: int = 11):
    """``count`` offers, in batches of 1,000, in publication order (as crawls store them): jobs of
    real titles at real employers, each published on one to three boards a few days apart."""
    rng = random.Random(seed)
    bases, employers = real_offers()
    departments = [f"{number:02d}" for number in range(1, 96) if number != 20] + [
        "2A",
        "2B",
        "971",
        "972",
        "973",
        "974",
    ]
    jobs, copies_made = [], 0
    while copies_made < count:
        # A real title at a real employer (its own, or another: titles recur across employers), somewhere.
        base = rng.choice(bases)
        hirer = base.get("employer") if rng.random() < 0.3 else rng.choice(employers)
        jobs.append(
            (
                START + rng.randrange(5 * 365),
                len(jobs),
                base,
                hirer,
                rng.choice(departments),
                rng.sample(BOARDS, rng.choice([1, 1, 2, 2, 3])),
            )
        )
        copies_made += len(jobs[-1][-1])
    copies = []
    for day, job, base, hirer, department, boards in jobs:
        for copy, board in enumerate(boards):
            copies.append((day + (rng.randrange(8) if copy else 0), job, copy, base, hirer, department, board))
    copies.sort(key=lambda item: item[:3])
    batch = []
    for day, job, copy, base, hirer, department, board in copies[:count]:
        employer = hirer
        if employer in ACRONYMS and rng.random() < 0.5:
            employer = rng.choice(ACRONYMS[employer])
        batch.append(
            {
                **base,
                "source": board,
                "source_id": f"{job}-{copy}",
                "url": f"https://{board}.example.org/offre/{job}-{copy}",
                "title": _perturb_title(base["title"], employer, rng),
                "employer": employer,
                "department": department,
                "published_on": _date(day),
                "contacts": [],
                "raw": {},
            }
        )
        if len(batch) == 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def _date(days: int) -> str:
    import datetime as dt

    return (dt.date(2000, 1, 1) + dt.timedelta(days=days)).isoformat()


def store_without_jobs(db, batches) -> int:
    """The offers' rows, as if stored before jobs existed (not timed)."""
    count = 0
    for batch in batches:
        rows = []
        for offer in batch:
            row = to_row(offer)
            seen = f"{offer['published_on']}T08:00:00+00:00"
            row.update(first_seen=seen, last_seen=seen, updated_at=seen, first_run_id=None, last_run_id=None)
            rows.append(tuple(row[name] for name in _INSERT_COLUMNS))
        db.conn.execute("begin")
        db.conn.executemany(_INSERT_SQL, rows)
        db.conn.execute("commit")
        count += len(rows)
    return count


def all_pairs_seconds(count: int, samples: int = 20_000) -> float:
    """What comparing every pair of ``count`` offers with the same scorer would take."""
    offers = [offer for batch in make_offers(4_000, seed=5) for offer in batch]
    profiles = [profile(offer) for offer in offers]
    rng = random.Random(3)
    pairs = [(rng.randrange(len(profiles)), rng.randrange(len(profiles))) for _ in range(samples)]
    thresholds = Thresholds()
    started = time.perf_counter()
    for left, right in pairs:
        compare(profiles[left], profiles[right], thresholds)
    per_pair = (time.perf_counter() - started) / samples
    return per_pair * count * (count - 1) / 2


def synthetic_recall(db) -> float:
    """Of the pairs of copies of one generated job (source_id "<job>-<copy>"), the share grouped as one job."""
    jobs_of: dict[str, list[int]] = {}
    for source_id, job_id in db.execute("select source_id, job_id from job_offers"):
        jobs_of.setdefault(source_id.split("-")[0], []).append(job_id)
    pairs = together = 0
    for jobs in jobs_of.values():
        for index, job in enumerate(jobs):
            pairs += index
            together += sum(1 for other in jobs[:index] if other == job)
    return together / pairs if pairs else 1.0


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        db = open_db(Path(directory) / "labels.db")
        result = score_labelled_set(group_labelled_set(db))
        print(
            f"labelled set: {result['pairs']} pairs ({result['same']} the same job, "
            f"{result['pairs'] - result['same']} not)"
        )
        for pair in result["wrong"]:
            print(
                f"  wrong: {pair['a']} / {pair['b']} ({'same job' if pair['same'] else 'not the same job'}: "
                f"{pair['reason']})"
            )
        print(f"precision: {result['precision']:.2f}  recall: {result['recall']:.2f}")

        db = open_db(Path(directory) / "scale.db")
        stored = store_without_jobs(db, make_offers(COUNT))
        rss_before = _memory_mb("VmRSS")
        started = time.perf_counter()
        grouped = group_existing_offers(db)
        seconds = time.perf_counter() - started
        peak = _memory_mb()
        jobs = db.execute("select count(*) from jobs").fetchone()[0]
        joined = db.execute(
            "select count(*) from job_offers where reason != 'first offer of the job' and reason not like 're-post%'"
        ).fetchone()[0]
        reposts = db.execute("select count(*) from jobs where reposted_from is not null").fetchone()[0]
        keys = db.execute("select (select count(*) from job_keys) + (select count(*) from job_blocks)").fetchone()[0]
        copies_recall = synthetic_recall(db)
    baseline = all_pairs_seconds(COUNT)
    print(
        f"scale: {stored:,} offers stored; grouped {grouped:,} into {jobs:,} jobs ({joined:,} offers joined another's "
        f"job, {reposts:,} re-posts linked)"
    )
    print(
        f"grouping: {seconds:.1f} s ({grouped / seconds:,.0f} offers/s), {keys:,} blocking keys; RSS before "
        f"{rss_before:.0f} MB, peak {peak:.0f} MB"
    )
    print(
        f"baseline, every pair compared with the same scorer (extrapolated): {baseline / 3600:,.1f} h = "
        f"{baseline / seconds:,.0f}x longer"
    )
    print(
        f"copies of one generated job grouped together: recall {copies_recall:.3f} (generated jobs may share title, "
        "employer, place and text: no precision here)"
    )
    print(
        f"dedupe ratio: {seconds / baseline:.6f} of comparing every pair (target: {COUNT:,} offers in <= "
        f"{TARGET_SECONDS:.0f} s and <= {TARGET_MB} MB, "
        f"here {seconds:.1f} s and {peak:.0f} MB; labelled set precision {result['precision']:.2f} (target 1.0), "
        f"recall {result['recall']:.2f} (target >= 0.9))"
    )


if __name__ == "__main__":
    main()
