"""End to end: the real ``scrapy crawl jorf`` against a DILA index and archives served on 127.0.0.1.

The archives are built here from the fixtures, as DILA builds them (timestamp
wrapper folder, one folder per issue); see tests/fixtures/jorf/PROVENANCE.md.
"""

import datetime as dt
import json

import pytest

from storage import open_db
from storage.archives import get_archive, recent_archives
from storage.clock import paris_day
from storage.offers import get_offer, versions_of
from storage.superseded import superseded
from tests.conftest import FIXTURES, run_veille, write_config
from tests.fixtures.jorf import build_handmade as handmade

JORF = FIXTURES / "jorf"
INDEX = "/OPENDATA/JORFSIMPLE/"
OCCITANIE = "JORFTEXT000043946125"
SEVEN = [
    "JORFTEXT000054246502",
    "JORFTEXT000054246518",
    "JORFTEXT000054246539",
    "JORFTEXT000054246543",
    "JORFTEXT000054246548",
    "JORFTEXT000054246558",
    "JORFTEXT000054246574",
]


def read(name: str) -> bytes:
    return (JORF / name).read_bytes()


def occitanie_issue(timestamp: str, text: bytes | None = None) -> bytes:
    return handmade.build_archive(
        timestamp, [read("JORFCONT000043945510-handmade.xml")], [text or read(f"{OCCITANIE}-handmade.xml")]
    )


def real_issue(timestamp: str, container: bytes | None = None) -> bytes:
    texts = [read(f"{text_id}-handmade.xml") for text_id in SEVEN]
    texts += [
        read("JORFTEXT000054246584-handmade.xml"),
        read("JORFTEXT000054245350-handmade.xml"),
        read("JORFTEXT000054246001.xml"),
    ]
    return handmade.build_archive(timestamp, [container or read("JORFCONT000054245240.xml")], texts)


def with_eli(text: bytes) -> bytes:
    """The evening re-send of a text: the same notice with an ELI backfilled."""
    return text.replace(
        b"<ANCIEN_ID/>",
        b"<ID_ELI>https://www.legifrance.gouv.fr/eli/avis/2021/8/18/INTA2124731V/jo/texte</ID_ELI>\n<ANCIEN_ID/>",
        1,
    )


def maintenance(timestamp: str) -> bytes:
    """An evening archive re-sending two notices, one with an ELI backfill, with their tables of contents."""
    containers = [read("JORFCONT000043945510-handmade.xml"), read("JORFCONT000054245240.xml")]
    return handmade.build_archive(
        timestamp, containers, [with_eli(read(f"{OCCITANIE}-handmade.xml")), read("JORFTEXT000054246502-handmade.xml")]
    )


def index_page(names) -> str:
    """An Apache listing like DILA's, newest first (the spider must not rely on the order)."""
    rows = "".join(
        f'<tr><td valign="top"><img src="/icons/compressed.gif" alt="[   ]"></td><td><a href="{name}">{name}</a></td>'
        f'<td align="right">{name[11:15]}-{name[15:17]}-{name[17:19]} 00:20  </td><td align="right">4.2M</td></tr>\n'
        for name in sorted(names, reverse=True)
    )
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html><head><title>Index of '
        "/OPENDATA/JORFSIMPLE</title></head>"
        '<body><h1>Index of /OPENDATA/JORFSIMPLE</h1><table><tr><th><a href="?C=N;O=D">Name</a></th></tr>'
        '<tr><td><a href="/OPENDATA/">Parent Directory</a></td></tr>\n'
        "<tr><td><a "
        'href="Freemium_jorf_simple_20250713-140000.tar.gz">Freemium_jorf_simple_20250713-140000.tar.gz</a></td></tr>\n'
        f"{rows}</table></body></html>"
    )


@pytest.fixture
def jorf(tmp_path, replay_site, scrapy_crawl):
    """A DILA replay, a config pointing at it, ``serve(archives)`` and ``crawl(**options)``."""
    site = replay_site()
    db_path = tmp_path / "veille.db"
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(db_path),
            "contact": "mailto:veille-tests@example.org",
            "sources": {"jorf": {"index_url": site.url + INDEX}},
        },
    )

    def serve(archives: dict[str, bytes], index: str | bytes | None = None):
        for name, body in archives.items():
            site.add(f"{INDEX}{name}.tar.gz", body, content_type="application/x-gzip")
        names = [f"{name}.tar.gz" for name in site_archives(site)]
        site.add(INDEX, index if index is not None else index_page(names))

    def crawl(traceback_expected: bool = False, **options):
        result = scrapy_crawl("jorf", config, **options)
        assert traceback_expected or "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(db_path)
        return result, db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    crawl.site, crawl.serve, crawl.config, crawl.db_path = site, serve, config, db_path
    return crawl


def site_archives(site) -> list[str]:
    return sorted(path[len(INDEX) : -len(".tar.gz")] for path in site.routes if path.endswith(".tar.gz"))


def errors(run) -> dict:
    return json.loads(run["errors"])


def archive_requests(site, since: int = 0) -> list[str]:
    return [path[len(INDEX) :] for path in site.requested()[since:] if path.endswith(".tar.gz")]


STANDARD = {
    "JORFSIMPLE_20260611-001512": lambda: occitanie_issue("20260611-001512"),
    "JORFSIMPLE_20260612-002012": lambda: real_issue("20260612-002012"),
    "JORFSIMPLE_20260612-205512": lambda: maintenance("20260612-205512"),
}


def serve_standard(jorf, real_index: bool = True):
    jorf.serve(
        {name: build() for name, build in STANDARD.items()}, index=read("dila-index.html") if real_index else None
    )


def test_index_to_archives_to_offers(jorf):
    serve_standard(jorf)
    result, db, run = jorf(args={"since": "2026-06-01"})
    assert result.returncode == 0
    assert (run["status"], run["pages"], run["items"], run["new"], run["unchanged"]) == ("ok", 4, 10, 8, 2)
    assert errors(run) == {}
    assert db["offers"].count == 8
    assert {row["source_id"] for row in db["offers"].rows} == {OCCITANIE, *SEVEN}
    offer = get_offer(db, "jorf", OCCITANIE)
    assert (offer["employer"], offer["deadline"], offer["url"]) == (
        "SGAR Occitanie",
        "2021-09-17",
        "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000043946125",
    )
    # In delivery order, one at a time; the stock and the sorting links are never fetched.
    assert archive_requests(jorf.site) == [f"{name}.tar.gz" for name in STANDARD]
    assert jorf.site.requested() == ["/robots.txt", INDEX, *(f"{INDEX}{name}.tar.gz" for name in STANDARD)]
    ledger = {row["name"]: row for row in recent_archives(db)}
    assert {name: (row["status"], row["texts_seen"], row["notices_found"]) for name, row in ledger.items()} == {
        "JORFSIMPLE_20260611-001512.tar.gz": ("processed", 1, 1),
        "JORFSIMPLE_20260612-002012.tar.gz": ("processed", 10, 7),
        "JORFSIMPLE_20260612-205512.tar.gz": ("processed", 2, 2),
    }
    assert ledger["JORFSIMPLE_20260612-002012.tar.gz"]["size"] == len(STANDARD["JORFSIMPLE_20260612-002012"]())
    assert jorf.site.user_agents == {
        "veille/0.1.0 (public-sector job offer watcher; contact: mailto:veille-tests@example.org)"
    }


def test_second_run_downloads_nothing_but_the_index(jorf):
    serve_standard(jorf)
    jorf(args={"since": "2026-06-01"})
    before = len(jorf.site.requested())
    result, db, run = jorf()
    assert jorf.site.requested()[before:] == ["/robots.txt", INDEX]
    assert (run["status"], run["pages"], run["items"], run["new"]) == ("ok", 1, 0, 0)
    assert db["offers"].count == 8


def test_a_resent_text_adds_no_offer_and_no_version(jorf):
    """The maintenance archive re-sends 004 with an ELI backfill, and a 2026 notice unchanged."""
    serve_standard(jorf)
    result, db, run = jorf(args={"since": "2026-06-01"})
    assert (run["new"], run["updated"], run["unchanged"]) == (8, 0, 2)
    assert versions_of(db, "jorf", OCCITANIE) == [] and versions_of(db, "jorf", "JORFTEXT000054246502") == []
    offer = get_offer(db, "jorf", OCCITANIE)
    assert offer["first_run_id"] == offer["last_run_id"] == run["id"]


def test_first_run_reads_only_the_last_days_and_since_reaches_further(jorf, frozen_clock):
    today = paris_day(frozen_clock())
    name = lambda days, time="002012": f"JORFSIMPLE_{today - dt.timedelta(days=days):%Y%m%d}-{time}"  # noqa: E731
    old, recent, latest = name(40), name(10), name(0)
    jorf.serve(
        {
            old: real_issue("20260612-002012"),
            recent: occitanie_issue("20260611-001512"),
            latest: maintenance("20260612-205512"),
        }
    )
    result, db, run = jorf()  # first_run_days = 30 by default
    assert archive_requests(jorf.site) == [f"{recent}.tar.gz", f"{latest}.tar.gz"]
    assert get_archive(db, f"{old}.tar.gz") is None
    # A later run starts where the first one did: the 40-day-old archive is still not read, a new one is.
    evening = name(0, "213012")
    jorf.serve({evening: maintenance("20260612-213012")})
    before = len(jorf.site.requested())
    result, db, run = jorf()
    assert archive_requests(jorf.site, before) == [f"{evening}.tar.gz"]
    before = len(jorf.site.requested())
    result, db, run = jorf(args={"since": (today - dt.timedelta(days=45)).isoformat()})
    assert archive_requests(jorf.site, before) == [f"{old}.tar.gz"]
    assert (run["status"], run["new"], run["unchanged"]) == (
        "ok",
        6,
        1,
    )  # one of its notices came with a maintenance archive
    assert db["offers"].count == 8


def test_full_reads_the_processed_archives_again(jorf):
    serve_standard(jorf)
    jorf(args={"since": "2026-06-01"})
    before = len(jorf.site.requested())
    result, db, run = jorf(args={"full": "1"})
    assert archive_requests(jorf.site, before) == [f"{name}.tar.gz" for name in STANDARD]
    assert (run["status"], run["new"], run["unchanged"]) == ("ok", 0, 10)
    assert get_archive(db, "JORFSIMPLE_20260611-001512.tar.gz")["attempts"] == 2


def test_broken_archives_are_counted_the_others_processed_and_retried_next_run(jorf):
    good_2021, good_2026 = occitanie_issue("20260611-001512"), real_issue("20260613-003512")
    truncated = real_issue("20260612-100000")
    no_container = handmade.build_archive("20260612-120000", [], [read(f"{text_id}-handmade.xml") for text_id in SEVEN])
    bad_xml = real_issue("20260612-140000", container=read("JORFCONT000054245240.xml")[:-300])
    jorf.serve(
        {
            "JORFSIMPLE_20260611-001512": good_2021,
            "JORFSIMPLE_20260612-100000": truncated[: len(truncated) // 2],
            "JORFSIMPLE_20260612-120000": no_container,
            "JORFSIMPLE_20260612-140000": bad_xml,
            "JORFSIMPLE_20260613-003512": good_2026,
        }
    )
    result, db, run = jorf(args={"since": "2026-06-01"})
    # An archive without table of contents is how a new delivery format would look: a layout change.
    assert errors(run) == {"bad_archive": 2, "layout_changed": 1}
    assert run["status"] == "failed" and run["reason"] == "finished"
    assert db["offers"].count == 8  # the two good archives around the broken ones
    messages = sorted(sample["message"] for sample in json.loads(run["error_samples"]))
    assert messages[0].startswith("JORFSIMPLE_20260612-100000.tar.gz: not a readable tar.gz")
    assert messages[1].startswith("JORFSIMPLE_20260612-120000.tar.gz: no JORFCONT")
    assert messages[2].startswith("JORFSIMPLE_20260612-140000.tar.gz: ") and "bad XML" in messages[2]
    statuses = {row["name"][11:26]: (row["status"], row["attempts"]) for row in recent_archives(db)}
    assert statuses == {
        "20260611-001512": ("processed", 1),
        "20260612-100000": ("error", 1),
        "20260612-120000": ("error", 1),
        "20260612-140000": ("error", 1),
        "20260613-003512": ("processed", 1),
    }

    before = len(jorf.site.requested())
    result, db, run = jorf()
    broken = [
        "JORFSIMPLE_20260612-100000.tar.gz",
        "JORFSIMPLE_20260612-120000.tar.gz",
        "JORFSIMPLE_20260612-140000.tar.gz",
    ]
    assert archive_requests(jorf.site, before) == broken
    assert errors(run) == {"bad_archive": 2, "layout_changed": 1}
    assert get_archive(db, broken[0])["attempts"] == 2

    jorf.serve({"JORFSIMPLE_20260612-100000": truncated})  # DILA re-published it whole
    before = len(jorf.site.requested())
    result, db, run = jorf()
    assert archive_requests(jorf.site, before) == broken
    assert errors(run) == {"bad_archive": 1, "layout_changed": 1}
    assert get_archive(db, broken[0])["status"] == "processed"
    assert (run["new"], run["unchanged"]) == (0, 7)


def test_a_failed_download_is_counted_and_retried_next_run(jorf):
    serve_standard(jorf)
    jorf.site.add(f"{INDEX}JORFSIMPLE_20260612-002012.tar.gz", "Service Unavailable", status=503)
    result, db, run = jorf(args={"since": "2026-06-01"}, settings={"RETRY_TIMES": 0})
    assert errors(run) == {"http_5xx": 1}
    assert db["offers"].count == 2  # 004 and the re-sent 2026 notice
    assert get_archive(db, "JORFSIMPLE_20260612-002012.tar.gz")["status"] == "error"
    assert get_archive(db, "JORFSIMPLE_20260612-205512.tar.gz")["status"] == "processed"
    jorf.serve({"JORFSIMPLE_20260612-002012": real_issue("20260612-002012")})
    before = len(jorf.site.requested())
    result, db, run = jorf()
    assert archive_requests(jorf.site, before) == ["JORFSIMPLE_20260612-002012.tar.gz"]
    assert (run["status"], run["new"]) == ("ok", 6)


def test_an_archive_is_processed_only_once_its_notices_are_stored(jorf):
    """A notice the database refuses (here a trigger; in life a full disk) leaves its archive unprocessed."""
    serve_standard(jorf)
    db = open_db(jorf.db_path)
    db.execute(
        "create trigger refuse_one before insert on offers when new.source_id = 'JORFTEXT000054246548' "
        "begin select raise(abort, 'disk I/O error'); end"
    )
    result, db, run = jorf(
        args={"since": "2026-06-01"}, traceback_expected=True
    )  # Scrapy logs the pipeline's exception
    assert errors(run) == {"item_error": 1}
    assert db["offers"].count == 7
    assert get_archive(db, "JORFSIMPLE_20260612-002012.tar.gz")["status"] == "error"
    assert get_archive(db, "JORFSIMPLE_20260611-001512.tar.gz")["status"] == "processed"
    db.execute("drop trigger refuse_one")
    before = len(jorf.site.requested())
    result, db, run = jorf()
    assert archive_requests(jorf.site, before) == ["JORFSIMPLE_20260612-002012.tar.gz"]
    assert (run["status"], run["new"]) == ("ok", 1)
    assert get_offer(db, "jorf", "JORFTEXT000054246548")


def test_an_index_without_archives_is_a_layout_error(jorf):
    jorf.serve(
        {},
        index="<html><head><title>Index of /OPENDATA/JORFSIMPLE</title></head><body><h1>Maintenance</h1></body></html>",
    )
    result, db, run = jorf()
    assert errors(run) == {"layout_changed": 1}
    assert run["status"] == "failed"


def replacement_issue(timestamp: str) -> bytes:
    """JO n°0203 du 1er septembre 2021 (handmade): a notice replacing 004, and one withdrawing a 2026 notice."""
    replacing, withdrawing = "JORFTEXT000044012345", "JORFTEXT000044012399"
    replacement = handmade.texte_xml(
        **{
            **handmade.OCCITANIE,
            "text_id": replacing,
            "number": "0203",
            "sequence": 88,
            "date": "2021-09-01",
            "container_id": "JORFCONT000044012000",
            "paragraphs": [
                "Le présent avis annule et remplace l'avis de vacance d'emploi publié au Journal officiel n° 191 du "
                "18 août 2021 (texte n° 99).",
                *handmade.OCCITANIE_BODY,
            ],
        }
    )
    withdrawal_title = "Avis d'annulation de l'avis de vacance d'un emploi d'expert de haut niveau"
    withdrawal = handmade.texte_xml(
        text_id=withdrawing,
        nature="AVIS",
        number="0203",
        sequence=89,
        nor="PRMG2124999V",
        date="2021-09-01",
        container_id="JORFCONT000044012000",
        title=withdrawal_title,
        ministry=handmade.PM,
        paragraphs=[
            "L'avis de vacance d'un emploi d'expert de haut niveau publié au Journal officiel n° 137 du 13 juin 2026 "
            "(texte n° 93) est annulé."
        ],
    )
    container = handmade.container_xml(
        container_id="JORFCONT000044012000",
        number="0203",
        date="2021-09-01",
        sections=[
            (handmade.INTERIOR, [(replacing, handmade.OCCITANIE_TITLE)]),
            (handmade.PM, [(withdrawing, withdrawal_title)]),
        ],
    )
    return handmade.build_archive(timestamp, [container.encode()], [replacement.encode(), withdrawal.encode()])


def test_notices_that_replace_or_cancel_mark_the_earlier_offer(jorf):
    serve_standard(jorf)
    jorf(args={"since": "2026-06-01"})
    jorf.serve({"JORFSIMPLE_20260613-003512": replacement_issue("20260613-003512")})
    result, db, run = jorf()
    assert (run["status"], run["new"]) == ("ok", 1)  # the replacing notice; the withdrawal is no offer
    assert get_offer(db, "jorf", "JORFTEXT000044012399") is None
    [replaced] = superseded(db, "jorf", OCCITANIE)
    assert (replaced["superseded_by"], replaced["relation"]) == ("JORFTEXT000044012345", "replaced")
    assert replaced["evidence"].startswith("Le présent avis annule et remplace")
    [cancelled] = superseded(db, "jorf", "JORFTEXT000054246502")
    assert (cancelled["superseded_by"], cancelled["relation"]) == ("JORFTEXT000044012399", "cancelled")
    assert get_archive(db, "JORFSIMPLE_20260613-003512.tar.gz")["notices_found"] == 2
    # The earlier offers themselves are untouched, so re-reading them never undoes the link.
    assert versions_of(db, "jorf", OCCITANIE) == []


def test_veille_crawl_jorf_since_and_status_show_the_ledger(jorf):
    serve_standard(jorf)
    result = run_veille("--config", str(jorf.config), "crawl", "jorf", "--since", "2026-06-01")
    assert result.returncode == 0, result.stderr
    assert next(line for line in result.stdout.splitlines() if line.startswith("jorf")).split()[:6] == [
        "jorf",
        "ok",
        "4",
        "10",
        "8",
        "0",
    ]
    status = run_veille("--config", str(jorf.config), "status")
    assert status.returncode == 0
    assert "jorf archives (3 processed); latest 3:" in status.stdout
    row = next(line for line in status.stdout.splitlines() if line.startswith("JORFSIMPLE_20260612-002012.tar.gz"))
    parts = row.split()
    assert (parts[1], parts[3], parts[4], parts[5]) == ("processed", "KB", "10", "7")


def test_veille_crawl_rejects_a_bad_since_date(jorf):
    result = run_veille("--config", str(jorf.config), "crawl", "jorf", "--since", "yesterday")
    assert result.returncode == 2
    assert "'yesterday' is not a date like 2026-11-24" in result.stderr
    assert jorf.site.requested() == []


def test_tables_of_contents_without_any_text_file_are_a_layout_error(jorf):
    """Vacancies listed, not stored, and no JORFTEXT at all in the archive: texts moved somewhere we do not look."""
    jorf.serve(
        {
            "JORFSIMPLE_20260613-003512": handmade.build_archive(
                "20260613-003512", [read("JORFCONT000054245240.xml")], []
            )
        }
    )
    result, db, run = jorf(args={"since": "2026-06-01"})
    assert errors(run) == {"layout_changed": 1}
    assert "7 vacancies listed but no JORFTEXT file" in json.loads(run["error_samples"])[0]["message"]


def test_since_reaches_every_source(tmp_path, replay_site):
    site = replay_site("choisirleservicepublic")
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "http": {"delay": 0},
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]}},
        },
    )
    result = run_veille("--config", str(config), "crawl", "choisirleservicepublic", "--since", "2026-06-01")
    assert result.returncode == 0, result.stderr
    run = open_db(tmp_path / "v.db").execute_returning_dicts("select * from runs")[0]
    # Every offer but the one published on 28 April 2026.
    assert (run["status"], run["new"], json.loads(run["options"])["since"]) == ("ok", 25, "2026-06-01")


def test_a_notice_dropped_by_validation_leaves_its_archive_unprocessed_and_is_retried_until_stored(jorf):
    """Nothing lost: the dropped notice's archive is not marked processed (the next run would read nothing
    of it), it is read again and the error counted every run, past the attempts a broken archive gets, and
    the notice is stored once it can be."""
    # A notice whose id has a stray space (a DILA data error): its Légifrance link is no URL, validation drops it.
    # (The id in a comment only names its file in the archive; XML readers skip comments.)
    broken_text = (
        read(f"{SEVEN[0]}-handmade.xml")
        .replace(b"<ID>JORFTEXT000054246502</ID>", b"<ID>JORFTEXT 54246502</ID>")
        .replace(b"<TEXTE>", b"<!-- <ID>JORFTEXT000054246502</ID> -->\n<TEXTE>", 1)
    )
    texts = [broken_text, *(read(f"{text_id}-handmade.xml") for text_id in SEVEN[1:])]
    broken = handmade.build_archive("20260613-003512", [read("JORFCONT000054245240.xml")], texts)
    jorf.serve({"JORFSIMPLE_20260613-003512": broken})
    result, db, run = jorf(args={"since": "2026-06-01"})
    assert errors(run) == {"invalid_item": 1} and run["status"] == "failed"
    assert db["offers"].count == 6  # the other notices of the archive are stored
    archive = get_archive(db, "JORFSIMPLE_20260613-003512.tar.gz")
    assert archive["status"] == "error" and "dropped" in archive["last_error"]

    for _attempt in range(2, 7):  # more runs than a broken archive is tried: still not given up
        before = len(jorf.site.requested())
        result, db, run = jorf()
        assert archive_requests(jorf.site, before) == ["JORFSIMPLE_20260613-003512.tar.gz"]
        assert errors(run) == {"invalid_item": 1}
    assert get_archive(db, "JORFSIMPLE_20260613-003512.tar.gz")["status"] == "error"
    assert get_archive(db, "JORFSIMPLE_20260613-003512.tar.gz")["attempts"] == 6

    jorf.serve({"JORFSIMPLE_20260613-003512": real_issue("20260613-003512")})  # DILA corrected the text
    result, db, run = jorf()
    assert run["status"] == "ok" and run["new"] == 1
    assert get_archive(db, "JORFSIMPLE_20260613-003512.tar.gz")["status"] == "processed"
    assert get_offer(db, "jorf", SEVEN[0]) is not None
