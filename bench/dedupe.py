"""Job grouping: how right it is on the labelled set, and how fast it is on the crawl's own path.

1. Precision and recall on tests/fixtures/dedupe/pairs.toml, printed for each kind of pair apart:
   ``independent`` (two texts published independently: real cards, pages, notices), ``handmade``
   (a handmade page or copy on one side) and ``same-page`` (one real page read by two spiders). The
   offers are stored in publication order through storage.offers.store_offers, as a crawl stores them.
   Target: precision 1.0, recall >= 0.9 (tests/test_dedupe_labels.py asserts the same).

2. Speed, on the crawl's store path: 20,000 generated offers (``--count``) that pass
   crawler.items.validate_offer, made from the real titles of the corpora (beta.gouv.fr posts, CSP cards
   and page, DINUM, JORF and DITP offers), each a job published on one to three boards days apart, in
   perturbed copies (case, accents, H/F, gender forms, an employer suffix, acronym or full name), over five
   years. Each is stored the way the spider's pipeline stores it: ``store_offers(db, [offer])``, one offer,
   one transaction, grouping included.

   The baseline runs in the same process on the same stream: the same upsert (``upsert_offers``, one offer
   a transaction) and the same scorer (storage.grouping.compare) over naive blocking on the exact
   normalised title (an indexed table of the offers stored so far), what a first attempt at grouping would
   do: cheap on a small database, but every post titled "Directeur de projet" is compared with every
   other, whatever its place or date. Both recalls on the generated copies are printed. Ratio = veille's
   time / the baseline's; target <= 1.0 at 20,000 offers (veille's blocking costs no more than the naive
   one). Peak memory is this process's VmHWM (/proc/self/status), target <= 500 MB.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.items import validate_offer
from storage import open_db
from storage.db import write_transaction
from storage.grouping import Profile, Thresholds, compare, profile
from storage.offers import store_offers, upsert_offers
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

COUNT = 20_000
TARGET_RATIO, TARGET_MB = 1.0, 500
KINDS = ("independent", "handmade", "same-page")
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
    bases = []
    for offer in offers:
        base = {key: offer[key] for key in ("title", "employer", "organisation", "contract") if offer.get(key)}
        missions = (offer.get("missions") or "")[:400].strip()
        bases.append(base | ({"missions": missions} if missions else {}))
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


def _date(days: int) -> str:
    import datetime as dt

    return (dt.date(2000, 1, 1) + dt.timedelta(days=days)).isoformat()


def make_offers(count: int, seed: int = 11) -> list[dict]:
    """``count`` valid offers in publication order (as crawls store them): jobs of real titles at real
    employers, each published on one to three boards a few days apart."""
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
        boards = rng.sample(BOARDS, rng.choice([1, 1, 2, 2, 3]))
        jobs.append((START + rng.randrange(5 * 365), len(jobs), base, hirer, rng.choice(departments), boards))
        copies_made += len(boards)
    copies = []
    for day, job, base, hirer, department, boards in jobs:
        for copy, board in enumerate(boards):
            copies.append((day + (rng.randrange(8) if copy else 0), job, copy, base, hirer, department, board))
    copies.sort(key=lambda item: item[:3])
    offers = []
    for day, job, copy, base, hirer, department, board in copies[:count]:
        employer = hirer
        if employer in ACRONYMS and rng.random() < 0.5:
            employer = rng.choice(ACRONYMS[employer])
        offers.append(
            validate_offer(
                {
                    **base,
                    "source": board,
                    "source_id": f"{job}-{copy}",
                    "url": f"https://{board}.example.org/offre/{job}-{copy}",
                    "title": _perturb_title(base["title"], employer, rng),
                    "employer": employer,
                    "department": department,
                    "published_on": _date(day),
                }
            )
        )
    return offers


def seen_at(offer: dict) -> str:
    return f"{offer['published_on']}T08:00:00+00:00"


def veille(db, offers: list[dict]) -> float:
    """What the spider's pipeline does for each offer: store_offers(db, [offer]), grouping included."""
    thresholds = Thresholds()
    started = time.perf_counter()
    for offer in offers:
        store_offers(db, [offer], seen_at=seen_at(offer), thresholds=thresholds)
    return time.perf_counter() - started


_NAIVE_SCHEMA = """create table naive (title text not null, job integer not null, board text, reference text,
employers text, department text, regions text, day integer, deadline text, source_id text);
create index naive_title on naive (title)"""


def naive_exact_title(db, offers: list[dict]) -> float:
    """The baseline: the same upsert, one offer a transaction, and the same scorer over the offers stored
    with the exact same normalised title."""
    db.conn.executescript(_NAIVE_SCHEMA)
    thresholds, next_job = Thresholds(), 0
    started = time.perf_counter()
    for offer in offers:
        upsert_offers(db, [offer], seen_at=seen_at(offer))
        new = profile(offer, seen_at(offer))
        with write_transaction(db):
            job = None
            rows = db.conn.execute("select * from naive where title = ?", [new.title]).fetchall()
            for title, stored_job, board, reference, employers, department, regions, day, deadline, _ in rows:
                stored = Profile(
                    board, reference, title, tuple(employers.split("|")) if employers else (), department,
                    frozenset(regions.split("|")) if regions else frozenset(), day, deadline,
                )  # fmt: skip
                comparison = compare(new, stored, thresholds)
                if comparison is not None and comparison.same_job:
                    job = stored_job
                    break
            if job is None:
                next_job += 1
                job = next_job
            db.conn.execute(
                "insert into naive values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [new.title, job, new.board, new.reference, "|".join(new.employers), new.department,
                 "|".join(sorted(new.regions)), new.day, new.deadline, offer["source_id"]],
            )  # fmt: skip
    return time.perf_counter() - started


def copies_recall(pairs: list[tuple[str, int]]) -> float:
    """Of the pairs of copies of one generated job (source_id "<job>-<copy>"), the share put in one job."""
    jobs_of: dict[str, list[int]] = {}
    for source_id, job_id in pairs:
        jobs_of.setdefault(source_id.split("-")[0], []).append(job_id)
    total = together = 0
    for jobs in jobs_of.values():
        for index, job in enumerate(jobs):
            total += index
            together += sum(1 for other in jobs[:index] if other == job)
    return together / total if total else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=COUNT, help=f"generated offers (default {COUNT:,})")
    count = parser.parse_args().count
    with tempfile.TemporaryDirectory() as directory:
        db = open_db(Path(directory) / "labels.db")
        jobs = group_labelled_set(db)
        overall = score_labelled_set(jobs)
        print(f"labelled set: {overall['pairs']} pairs ({overall['same']} the same job)")
        for kind in KINDS:
            result = score_labelled_set(jobs, kind=kind)
            print(
                f"  {kind:12s} {result['pairs']:3d} pairs ({result['same']:2d} the same job): "
                f"precision {result['precision']:.2f}, recall {result['recall']:.2f}"
            )
        for pair in overall["wrong"]:
            verdict = "same job" if pair["same"] else "not the same job"
            print(f"  wrong ({pair['kind']}): {pair['a']} / {pair['b']} ({verdict}: {pair['reason']})")

        offers = make_offers(count)
        ours_db = open_db(Path(directory) / "veille.db")
        ours = veille(ours_db, offers)
        peak = _memory_mb()
        ours_recall = copies_recall(ours_db.execute("select source_id, job_id from job_offers").fetchall())
        naive_db = open_db(Path(directory) / "naive.db")
        baseline = naive_exact_title(naive_db, offers)
        naive_recall = copies_recall(naive_db.execute("select source_id, job from naive").fetchall())
    print(
        f"store path, {len(offers):,} valid offers, one store_offers([offer]) each as the pipeline does: "
        f"{ours:.1f} s ({ours / len(offers) * 1000:.2f} ms an offer), peak {peak:.0f} MB"
    )
    print(
        f"baseline, the same upserts and scorer over exact-title blocking: {baseline:.1f} s "
        f"({baseline / len(offers) * 1000:.2f} ms an offer)"
    )
    print(
        f"copies of one generated job put together: recall {ours_recall:.3f} with veille's blocking, "
        f"{naive_recall:.3f} with exact titles (generated jobs may share title and employer: no precision here)"
    )
    independent = score_labelled_set(jobs, kind="independent")
    print(
        f"dedupe ratio: {ours / baseline:.2f} of exact-title blocking's time (target <= {TARGET_RATIO:.1f}, "
        f"<= {TARGET_MB} MB: here {peak:.0f} MB; copies recall {ours_recall:.2f} vs {naive_recall:.2f}; labelled "
        f"independent pairs precision {independent['precision']:.2f}, recall {independent['recall']:.2f})"
    )


if __name__ == "__main__":
    main()
