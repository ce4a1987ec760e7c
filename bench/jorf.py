"""How much does reading a JORFSIMPLE maintenance archive cost, compared with merely unpacking and parsing it?

The archive (~13 MB, the size of DILA's larger evening maintenance deliveries)
is built here from the files of tests/fixtures/jorf, issue after issue shaped
like the real one of 13 June 2026: its real table of contents (ids renumbered),
101 texts of which the 7 vacancy notices it lists (handmade), the real 600 KB
arrêté in every third issue, and the real nomination text, filled with prose,
for the rest.

- veille: ``read_archive`` (one streaming pass, only notices parsed) + every
  notice turned into a validated offer and stored with its job in batches of
  ``VEILLE_STORE_BATCH`` (``store_batch``), as the spider's pipelines do;
- baseline: a bare ``tarfile`` stream of the same bytes with ``lxml.etree``
  parsing every XML member.

Both are timed here, interleaved, best of several rounds. Peak memory is the
growth of the resident set over the run, counted from before the archive is
loaded (so the archive's own bytes count), each measured in a fresh process.
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.items import validate_offer
from crawler.jorf.archive import read_archive
from crawler.jorf.notice import notice_offer
from crawler.pipelines import store_batch
from crawler.settings import VEILLE_STORE_BATCH
from storage import open_db
from tests.fixtures.jorf import build_handmade as handmade

FIXTURES = ROOT / "tests" / "fixtures" / "jorf"
TARGET_RATIO, TARGET_MEMORY = 1.5, 3.0
ARCHIVE_SIZE = 13 * 1024 * 1024
NOTICES = [
    "JORFTEXT000054246502",
    "JORFTEXT000054246518",
    "JORFTEXT000054246539",
    "JORFTEXT000054246543",
    "JORFTEXT000054246548",
    "JORFTEXT000054246558",
    "JORFTEXT000054246574",
]


def _renumber(xml: bytes, old: str, new: str) -> bytes:
    return xml.replace(old.encode(), new.encode())


def build_maintenance_archive(target: int = ARCHIVE_SIZE) -> tuple[bytes, int, int]:
    """(archive, issues, XML files). Each issue is shaped like the real one of 13 June 2026: its
    real table of contents (ids renumbered) and 101 texts, 7 of them the vacancy notices it lists
    (the handmade ones), the others the real nomination text with a few KB of prose, and in every
    third issue the real 600 KB arrêté. Issues are added until the archive reaches ``target`` bytes."""
    container = (FIXTURES / "JORFCONT000054245240.xml").read_bytes()
    large = (FIXTURES / "JORFTEXT000054245373.xml").read_bytes()
    short = (FIXTURES / "JORFTEXT000054246001.xml").read_bytes()
    notices = [(FIXTURES / f"{text_id}-handmade.xml").read_bytes() for text_id in NOTICES]
    # Prose for the other texts: words of the notices drawn at random (seeded), which gzip compresses
    # about as well as real French text; slices of one text would compress far too well.
    words = " ".join(
        paragraph for notice in [handmade.OCCITANIE, *handmade.VACANCIES] for paragraph in notice["paragraphs"]
    ).split()

    def renumbered(xml: bytes, text_id: str, issue: int, offset: int = 0) -> bytes:
        new_id = f"JORFTEXT{int(text_id[8:]) + issue * 10_000 + offset:012d}"
        return _renumber(
            _renumber(xml, text_id, new_id), "JORFCONT000054245240", f"JORFCONT{54245240 + issue * 10_000:012d}"
        )

    def issue_files(issue: int) -> tuple[bytes, list[bytes]]:
        texts = [renumbered(notice, text_id, issue) for text_id, notice in zip(NOTICES, notices)]
        others = 101 - len(texts)
        if issue % 3 == 0:
            texts.append(renumbered(large, "JORFTEXT000054245373", issue))
            others -= 1
        for number in range(others):
            prose = " ".join(random.Random(issue * 1000 + number).choices(words, k=450))
            body = short.replace(
                "la maréchale des logis Daïmy SAID est nommée régisseuse suppléante".encode(), escape(prose).encode()
            )
            texts.append(renumbered(body, "JORFTEXT000054246001", issue, offset=number * 3))
        return _renumber(container, "JORFCONT000054245240", f"JORFCONT{54245240 + issue * 10_000:012d}"), texts

    sample_container, sample_texts = issue_files(1)
    per_issue = len(handmade.build_archive("20260612-205512", [sample_container], sample_texts))
    count = max(1, round(target / per_issue))
    containers, texts = [], []
    for issue in range(1, count + 1):
        container_xml, issue_texts = issue_files(issue)
        containers.append(container_xml)
        texts.extend(issue_texts)
    return handmade.build_archive("20260612-205512", containers, texts), count, len(containers) + len(texts)


def veille(body: bytes, db) -> int:
    """What the spider and its pipelines do with an archive: read it, make each notice an offer,
    validate it and store the offers with their jobs a batch at a time, as StoragePipeline does
    (an archive's notices come faster than VEILLE_STORE_DELAY, so batches are full)."""
    stored, waiting = 0, []
    for notice, ministry in read_archive(body).notices():
        waiting.append(validate_offer(notice_offer(notice, ministry)))
        if len(waiting) == VEILLE_STORE_BATCH:
            stored += _stored(db, waiting)
            waiting = []
    return stored + _stored(db, waiting)


def _stored(db, items: list[dict]) -> int:
    outcomes = store_batch(db, items, run_id=None, thresholds=None) if items else []
    failed = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    if failed:
        raise failed[0]
    return len(outcomes)


def bare(body: bytes) -> int:
    parsed = 0
    with tarfile.open(fileobj=io.BytesIO(body), mode="r|gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".xml"):
                etree.fromstring(tar.extractfile(member).read())
                parsed += 1
    return parsed


def _memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process. Not ru_maxrss: Linux carries it over from the
    parent process across fork and exec."""
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(field + ":"))


def measure_memory(which: str, path: str) -> None:
    """Run in a fresh process: print the peak RSS growth (KB) of one run, archive bytes included."""
    db = open_db(Path(tempfile.mkdtemp()) / "bench.db") if which == "veille" else None
    before = _memory_kb("VmRSS")
    body = Path(path).read_bytes()
    veille(body, db) if which == "veille" else bare(body)
    print(max(0, _memory_kb("VmHWM") - before))


def peak_growth(which: str, path: Path) -> int:
    output = subprocess.run(
        [sys.executable, __file__, "--memory", which, str(path)], capture_output=True, text=True, check=True
    )
    return int(output.stdout.split()[-1]) * 1024


def main() -> None:
    archive, issues, members = build_maintenance_archive()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        unpacked = sum(member.size for member in tar.getmembers())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "JORFSIMPLE_20260612-205512.tar.gz"
        path.write_bytes(archive)
        assert veille(archive, open_db(Path(tmp) / "check.db")) == issues * len(NOTICES)
        assert bare(archive) == members
        ours, baseline = [], []
        for round_number in range(3):
            db = open_db(Path(tmp) / f"bench-{round_number}.db")  # every notice new: the costlier case
            started = time.perf_counter()
            veille(archive, db)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            bare(archive)
            baseline.append(time.perf_counter() - started)
        ours_memory, baseline_memory = peak_growth("veille", path), peak_growth("bare", path)
    mb = 1024 * 1024
    print(
        f"archive: {len(archive) / mb:.1f} MB ({unpacked / mb:.0f} MB of XML), {issues} issues, {members} XML files, "
        f"{issues * len(NOTICES)} vacancy notices"
    )
    print(f"veille (read_archive + offers + storage): {min(ours):.2f} s, peak memory +{ours_memory / mb:.0f} MB")
    print(
        f"bare tarfile + lxml.etree parse:          {min(baseline):.2f} s, peak memory +{baseline_memory / mb:.0f} MB"
    )
    print(f"jorf memory: {ours_memory / len(archive):.2f} x archive size (target <= {TARGET_MEMORY})")
    print(f"jorf ratio: {min(ours) / min(baseline):.2f} (target <= {TARGET_RATIO})")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--memory":
        measure_memory(sys.argv[2], sys.argv[3])
    else:
        main()
