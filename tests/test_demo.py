"""``veille demo`` on any day: the recorded pages replayed with their dates moved (cli/demo/timeshift.py),
then the whole pipeline: crawl, jobs, relevance, the default profile's alert over SMTP, the web pages.

The demo runs as a user runs it (a subprocess); its clock is frozen with VEILLE_NOW, except in one test
that runs it on the real clock and one that runs it a year ahead of it.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from alerts.relevance import load_model
from cli.demo import date_shift, demo_config, manifests, read_manifest
from cli.demo.replay import ReplaySite
from cli.demo.timeshift import DateShift
from storage import open_db
from storage.clock import PARIS
from tests.alerts_support import free_port
from tests.conftest import FIXTURES, REPO, run_veille

# A Wednesday well after every recording: the demo's frozen day.
DEMO_NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)
DEMO_TODAY = dt.date(2027, 3, 10)
# The sites that link to each other, moved together (cli/demo/sites/*/replay.toml [dates]).
BOARDS = ("choisirleservicepublic", "modernisation", "passerelles", "hellowork")


# -- the dates, in every format the recorded pages write them ---------------------------------------------


@pytest.mark.parametrize(
    ("written", "moved"),
    [
        # CSP: listing cards, deadlines, vacancy, JSON-LD (escaped slashes)
        ("En ligne depuis le 06 octobre 2026", "En ligne depuis le 15 décembre 2026"),
        ("Date limite de candidature : 05/11/2026", "Date limite de candidature : 14/01/2027"),
        ("Vacant &agrave; partir du 01/10/2026", "Vacant &agrave; partir du 10/12/2026"),
        ('"datePosted":"02\\/10\\/2026"', '"datePosted":"11\\/12\\/2026"'),
        # DINUM: French words, "1er", a month without a day
        (
            "Cette offre a été publiée le <span>13 janvier 2022</span>",
            "Cette offre a été publiée le <span>24 mars 2022</span>",
        ),
        ("<span>1er février 2021</span>", "<span>12 avril 2021</span>"),
        ("<span>23 janvier 2021</span>", "<span>3 avril 2021</span>"),
        ("Début : </strong><span>Janvier 2022</span>", "Début : </strong><span>Mars 2022</span>"),
        # HelloWork and the DITP: JSON-LD timestamps, French words
        ('"datePosted": "2025-07-26T09:12:44+02:00"', '"datePosted": "2025-10-04T09:12:44+02:00"'),
        ("Publié le 26 juillet 2025", "Publié le 4 octobre 2025"),
        # The JO: issue dates, ISO fields, DILA's archive names and listing, ELI paths
        (
            "<ORIGINE_PUBLI>JORF n°0137 du 13 juin 2026</ORIGINE_PUBLI>",
            "<ORIGINE_PUBLI>JORF n°0137 du 22 août 2026</ORIGINE_PUBLI>",
        ),
        ("<DATE_PUBLI>2026-06-13</DATE_PUBLI>", "<DATE_PUBLI>2026-08-22</DATE_PUBLI>"),
        ("JORFSIMPLE_20260612-205512.tar.gz", "JORFSIMPLE_20260821-205512.tar.gz"),
        ('<td align="right">2026-06-12 20:55</td>', '<td align="right">2026-08-21 20:55</td>'),
        ("/eli/jo/2026/6/13/0137", "/eli/jo/2026/8/22/0137"),
        ("au plus tard le 3 juillet 2026 par courriel", "au plus tard le 11 septembre 2026 par courriel"),
        # Accents as entities or JSON escapes, or none, and the case, kept
        ("le 3 ao&ucirc;t 2026", "le 12 octobre 2026"),
        ("le 30 septembre 2026", "le 9 d\u00e9cembre 2026"),
        ("le 1er d\\u00e9cembre 2025", "le 9 f\\u00e9vrier 2026"),
        ("le 1er decembre 2025", "le 9 fevrier 2026"),
        ("LE 3 JUIN 2026", "LE 12 AOÛT 2026"),
    ],
)
def test_each_date_moves_written_as_it_was(written, moved):
    assert DateShift(70).text(written) == moved


@pytest.mark.parametrize(
    "kept",
    [
        # A legal text's date is its name; identifiers, references and bare years are not dates of the page.
        "déploiement de la loi n° 2018-727 du 10 août 2018 pour un État au service d'une société de confiance",
        '<LIEN_TXT titretxt="LOI n° 2026-491 du 12 juin 2026 visant à reconnaître la responsabilité de l\'Etat"/>',
        "Vu le décret n° 2019-1594 du 31 décembre 2019 relatif aux emplois de direction",
        "/offre-emploi/charge-de-recrutement-hf---champigny-sur-marne-reference-O094261002000713/",
        "une-chargee-ou-un-charge-de-recrutement-reference-2026-2427859/",
        '"value": "DITP-SEU-2025-07"',
        "La feuille de route 2024-2027 d’Etat’LIN",
        "<DATE_DEBUT>2999-01-01</DATE_DEBUT>",
        "<ID>JORFTEXT000054246502</ID> <NOR>PRMG2616011V</NOR> <NUM_PARUTION>0137</NUM_PARUTION>",
        "/wp-content/uploads/pdf-offers/pdf-2026-2244655/1791011754/x.pdf?ver=1773068870",
    ],
)
def test_what_is_not_a_date_of_the_page_is_kept(kept):
    assert DateShift(70).text(kept) == kept


def test_a_day_without_a_year_moves_from_the_recordings_year():
    # DINUM's "Début : 3 janvier" on an offer published 30 November 2021 (the recording's newest: 13 January 2022).
    shift = DateShift(70, around=dt.date(2022, 1, 13))
    assert (
        shift.text("<strong>Début : </strong><span>3 janvier</span>") == "<strong>Début : </strong><span>14 mars</span>"
    )
    assert shift.text("Marseille, le 1er mars et mai") == "Marseille, le 10 mai et mai"
    assert DateShift(70).text("<span>3 janvier</span>") == "<span>3 janvier</span>"  # no year to read it in


def test_csp_split_publication_date_moves_as_one_date():
    page = (FIXTURES / "choisirleservicepublic" / "offer-state.html").read_text(encoding="utf-8")
    moved = DateShift(70).text(page)
    for name, (day, month, year) in {
        "content_startPublicationDate": ("11", "12", "2026"),  # 02/10/2026 on the recorded page
        "content_modificationDate": ("12", "12", "2026"),  # 03/10/2026
    }.items():
        for part, value in (("day", day), ("month", month), ("year", year)):
            assert f'id="{name}_{part}" value="{value}"' in moved


def test_the_shift_puts_the_newest_offer_a_few_days_ago_on_its_weekday():
    newest = dt.date(2026, 10, 6)
    for today in (dt.date(2026, 12, 4), dt.date(2027, 3, 10), dt.date(2026, 6, 15), dt.date(2031, 1, 1)):
        moved = DateShift.to_recent(newest, today).date(newest)
        assert 3 <= (today - moved).days <= 9 and moved.weekday() == newest.weekday(), today


def test_an_archive_keeps_its_notices_with_their_dates_moved():
    from crawler.jorf.archive import read_archive

    recorded = (FIXTURES / "jorf" / "demo" / "JORFSIMPLE_20260612-002012-handmade.tar.gz").read_bytes()
    shift = DateShift(70)

    def dates(body: bytes) -> dict[str, tuple]:
        return {notice.text_id: (notice.published_on, notice.jo_title) for notice, _ in read_archive(body).notices()}

    before, after = dates(recorded), dates(shift.archive(recorded))
    assert set(before) == set(after) and len(before) == 7
    for text_id, (published, _) in before.items():
        assert after[text_id][0] == (dt.date.fromisoformat(published) + dt.timedelta(days=70)).isoformat()
        assert after[text_id][1] == "JORF n°0137 du 22 août 2026"


# -- the crawl of the moved sites stores what the recorded ones give, dates moved --------------------------


def crawl_every_site(directory: Path, *, today: dt.date | None) -> dict[tuple[str, str], dict]:
    """`veille crawl --since 2000-01-01` of every recorded site (dates moved for ``today``, or as recorded):
    the stored offers by (source, source id)."""
    sites = {}
    directory.mkdir()
    try:
        for source, manifest in manifests().items():
            site = ReplaySite()
            site.load_manifest(manifest, date_shift(read_manifest(manifest), today) if today else None)
            sites[source] = site.start()
        config = directory / "veille.toml"
        config.write_text(demo_config({name: site.url for name, site in sites.items()}, directory / "v.db"), "utf-8")
        result = run_veille("--config", str(config), "crawl", "--since", "2000-01-01", timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        listed = run_veille("--config", str(config), "offers", "--json")
        offers = [json.loads(line) for line in listed.stdout.splitlines()]
        ports = {site.url: f"replay:{name}" for name, site in sites.items()}
        for offer in offers:
            for name in ("url", "apply_url", "origin_url"):
                for url, label in ports.items():
                    offer[name] = (offer.get(name) or "").replace(url, label)
        return {(offer["source"], offer["source_id"]): offer for offer in offers}
    finally:
        for site in sites.values():
            site.stop()


def months_after(start: str, end: str | None, *, add: int = 0):
    """With ``end``: how many whole months after ``start`` it is (same day of the month), else None.
    With ``add``: ``start`` that many months later."""
    day = dt.date.fromisoformat(start)
    if end is None:
        month = day.month - 1 + add
        return day.replace(year=day.year + month // 12, month=month % 12 + 1).isoformat()
    later = dt.date.fromisoformat(end)
    months = (later.year - day.year) * 12 + later.month - day.month
    return months if later.day == day.day and 0 < months < 12 else None


def test_every_stored_date_is_the_recorded_one_moved_and_nothing_else_changes(tmp_path, frozen_clock):
    frozen_clock(DEMO_NOW)
    recorded = crawl_every_site(tmp_path / "recorded", today=None)
    moved = crawl_every_site(tmp_path / "moved", today=DEMO_TODAY)
    assert set(moved) == set(recorded) and len(recorded) == 153
    amounts = {source: date_shift(read_manifest(manifest), DEMO_TODAY).days for source, manifest in manifests().items()}
    assert len({amounts[source] for source in BOARDS}) == 1  # one recording, one amount
    dated = 0
    for key, offer in recorded.items():
        days = dt.timedelta(days=amounts[offer["source"]])
        for name in ("published_on", "deadline", "vacancy_date"):
            if offer[name]:
                dated += 1
                expected = {(dt.date.fromisoformat(offer[name]) + days).isoformat()}
                months = months_after(offer["published_on"], offer[name]) if offer["published_on"] else None
                if name == "deadline" and offer["source"] == "jorf" and months:
                    # "dans un délai d'un mois à compter de la publication": a month after the moved day.
                    expected.add(months_after(moved[key]["published_on"], None, add=months))
                assert moved[key][name] in expected, (key, name)
            else:
                assert moved[key][name] is None, (key, name)
        for name in ("title", "employer", "organisation", "location", "department", "category", "contract", "url"):
            assert moved[key][name] == offer[name], (key, name)
    assert dated > 150
    # Each site's newest offer was published 3 to 9 days before the demo's day.
    for source in ("choisirleservicepublic", "dinum", "jorf"):
        newest = max(
            offer["published_on"] for offer in moved.values() if offer["source"] == source and offer["published_on"]
        )
        assert 3 <= (DEMO_TODAY - dt.date.fromisoformat(newest)).days <= 9, source


# -- the demo, as a user runs it -----------------------------------------------------------------------------


def check_the_alert(directory: Path, stdout: str, today: dt.date) -> list[str]:
    """The alert arrived, was saved, is printed, and lists open, recently published, relevant jobs only (a job's
    relevance is its best offer's, at least the model's threshold): their titles."""
    saved = email.message_from_bytes((directory / "alerte.eml").read_bytes(), policy=email.policy.default)
    assert saved["To"] == "vous@example.org" and saved["Subject"].startswith("veille · ")
    assert saved["Subject"].endswith(" nouvelles offres · transformation publique")
    assert (directory / "alerte.html").read_text(encoding="utf-8").startswith("<")
    assert f"Subject: {saved['Subject']}" in stdout
    db = open_db(directory / "demo.db")
    threshold = load_model().threshold
    sent = [key for (key,) in db.execute("select distinct unit from alert_outbox where status = 'sent'")]
    assert sent and saved["Subject"].split(" · ")[1].startswith(f"{len(sent)} ")
    titles = []
    for key in sent:
        offers = db.execute(
            "select o.title, o.published_on, o.deadline, o.relevance, o.status from job_offers m join offers o on "
            "o.source = m.source and o.source_id = m.source_id where m.job_id = ?",
            [int(key.removeprefix("job:"))],
        ).fetchall()
        assert any(status == "open" for *_, status in offers), (key, offers)
        assert max(relevance or 0 for *_, relevance, _ in offers) >= threshold, (key, offers)
        for title, published, deadline, _, status in offers:
            if status == "open":
                assert deadline is None or deadline >= today.isoformat(), (title, deadline)
                assert published is None or (today - dt.date.fromisoformat(published)).days <= 60, (title, published)
        titles.append(offers[0][0])
    return titles


def test_the_demo_on_a_frozen_day_shows_the_whole_pipeline(tmp_path):
    kept = tmp_path / "demo"
    result = run_veille("demo", "--keep", str(kept), env={"VEILLE_NOW": DEMO_NOW.isoformat()}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Dates moved:" in out and "before today (2027-03-10)" in out and "the recorded files unchanged" in out
    runs = {
        line.split()[0]: line.split()[1] for line in out.splitlines() if line.split()[:1] and len(line.split()) == 7
    }
    assert {
        name: runs.get(name) for name in ("choisirleservicepublic", "dinum", "jorf", "modernisation")
    } == dict.fromkeys(("choisirleservicepublic", "dinum", "jorf", "modernisation"), "ok")
    assert "Jobs: 153 offers are 149 jobs" in out
    assert "The most relevant open jobs:" in out and "pertinence 1,00 :" in out
    titles = check_the_alert(kept, out, DEMO_TODAY)
    # Target offer 003 (tests/fixtures/target-offers): a job users want found, published 47 days ago here.
    assert "Chargé-e de mission « observatoire de la qualité des démarches en ligne »" in titles
    text = email.message_from_bytes((kept / "alerte.eml").read_bytes(), policy=email.policy.default)
    assert (
        "Chargé-e de mission « observatoire de la qualité des démarches en ligne »"
        in text.get_body(("plain",)).get_content()
    )
    assert "Pourquoi : pertinence " in out.split("Subject:")[1]
    assert f"Try: veille --config {kept / 'veille.toml'}" in out
    assert "Traceback" not in result.stderr


def test_the_demo_on_the_real_clock(tmp_path):
    kept = tmp_path / "demo"
    env = {key: value for key, value in os.environ.items() if key != "VEILLE_NOW"}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--keep", str(kept)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert check_the_alert(kept, result.stdout, dt.datetime.now(PARIS).date())


def test_a_year_ahead_the_alert_still_lists_open_jobs_only(tmp_path):
    ahead = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=365)
    kept = tmp_path / "demo"
    result = run_veille("demo", "--keep", str(kept), env={"VEILLE_NOW": ahead.isoformat()}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    titles = check_the_alert(kept, result.stdout, ahead.astimezone(PARIS).date())
    assert "Chargé-e de mission « observatoire de la qualité des démarches en ligne »" in titles


def test_without_keep_the_demo_says_its_alert_is_removed_with_its_directory(tmp_path):
    result = run_veille("demo", env={"TMPDIR": str(tmp_path), "VEILLE_NOW": DEMO_NOW.isoformat()}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "alerte.eml" in result.stdout and "removed with the demo's directory" in result.stdout
    assert "Subject: veille · " in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_demo_web_serves_the_pages_on_the_demo_database_until_ctrl_c(tmp_path):
    port = free_port()
    env = {**os.environ, "VEILLE_NOW": DEMO_NOW.isoformat(), "TMPDIR": str(tmp_path)}
    env.pop("VEILLE_SECRET_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "demo", "--web", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", params={"pertinentes": "oui", "tri": "pertinence"})
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert page is not None and page.status_code == 200, process.poll()
        assert "Chargé-e de mission « observatoire de la qualité des démarches en ligne »" in page.text
        assert "pertinence 1,00" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    assert f"veille web: http://127.0.0.1:{port}/" in out
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # Ctrl-C: the demo's directory removed all the same


def test_demo_web_on_a_busy_port_is_a_user_mistake(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_veille("demo", "--web", "--port", str(port), env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 2
    assert f"port {port} of 127.0.0.1 is in use: choose another with --port" in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


# -- the README shows what the demo prints ------------------------------------------------------------------

README_NOW = "2026-12-04T08:00:00+00:00"  # the day of the README's demo output


def comparable(line: str, tmp: Path | None = None) -> str:
    """A line of the demo's output without what changes from one run to the next: the temporary directory,
    ports, and job numbers (jobs are numbered in the order concurrent crawls store them)."""
    if tmp is not None:
        line = re.sub(re.escape(str(tmp)) + r"/veille-demo-[^/]+/", "/tmp/veille-demo-…/", line)
    line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line)
    line = re.sub(r'(veille feedback "[^"]+" )\d+', r"\1JOB", line)
    return re.sub(r"^ *\d+(?=  )", "JOB", line).rstrip()


def test_the_readme_shows_what_the_demo_prints(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    top = readme[readme.index("## Try it: `veille demo`") : readme.index("## Set up and run")]
    assert "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/veille demo" in top
    assert f"VEILLE_NOW={README_NOW} .venv/bin/veille demo" in top
    assert "![The demo's alert, as a mail client shows it](docs/screenshots/demo-alert.png)" in top
    assert (REPO / "docs" / "screenshots" / "demo-alert.png").exists()
    shown = re.search(r"```text\n(.*?)```", top, re.S).group(1).splitlines()
    result = run_veille("demo", env={"VEILLE_NOW": README_NOW, "TMPDIR": str(tmp_path)}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = [comparable(line, tmp_path) for line in result.stdout.splitlines()]
    # Each run of lines between « […] » is printed as it is, in that order.
    position = 0
    for line in shown:
        if line == "[…]":
            continue
        found = printed.index(comparable(line), position)
        assert found >= position, line
        position = found + 1
