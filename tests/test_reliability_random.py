"""A randomized campaign (issue 13): nothing lost, nothing leaked, whatever the site serves and
however often a dispatch is killed. Seeded and bounded: ``VEILLE_RANDOM_SEED`` (13) and
``VEILLE_RANDOM_ITERATIONS`` (50) change it.

The recorded CSP site is replayed on loopback; its listing shows a few more offers at every
iteration (newest first), so every iteration has new offers to store and to alert. At each
iteration a few offer pages (and now and then the listing) are mutated at random: damaged
(a maintenance page, another offer's page, 100,000 nested divs, random bytes, a page half
empty, a body cut short, a 503) or merely odd (NUL and control bytes, a 1 MB title, a
``javascript:`` apply link, a mislabelled charset). The real spider crawls them, a full crawl
now and then (tests/crawl_server.py: one Scrapy process for every crawl). Then a dispatch
(``python -c``: the real dispatch in its own process) is killed with SIGKILL at a random
message, on a real SMTP server or a webhook, before or after the message was transferred;
sometimes a second one is killed too; then a dispatch finishes. Channels carry secrets: tokens
in webhook paths, from ``${ENV}``, one webhook that refuses every connection.

After every iteration: the database is intact, no stored offer lost a field (but an apply
link an odd page lacks) nor took a damaged page's content, no secret is in any table. At the
end, the site whole again: every expected alert (a job: an alert lists its offers' links)
arrived on every channel at least once, and at most once more for each kill that caught a
message holding it; nothing is in any output.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import lxml.html
import pytest

from alerts.dispatch import dispatch
from cli.demo.replay import Route
from crawler.boards.csp import search_path
from crawler.config import load_config
from storage import open_db
from storage.raw import RAW_JOIN, decode_raws
from tests.alerts_support import free_port
from tests.conftest import FIXTURES, FROZEN_NOW, REPO, TEST_SETTINGS, everything_stored, run_veille, write_config
from tests.fixtures.choisirleservicepublic.build_handmade import pagination

SEED = int(os.environ.get("VEILLE_RANDOM_SEED", "13"))
ITERATIONS = int(os.environ.get("VEILLE_RANDOM_ITERATIONS", "50"))

CSP = "choisirleservicepublic"
KEYWORD = "chargé de recrutement"
PAGE_1, PAGE_2 = search_path(KEYWORD), search_path(KEYWORD, page=2)
SUBSCRIPTIONS = ("rh", "recrutement", "veille")
# Secrets: webhook tokens (in the environment), one for each subscription and one for a dead channel.
TOKENS = {name: f"whk{index}-7Qm9nZXJT{index}ZWNyZXQ-{SEED}" for index, name in enumerate((*SUBSCRIPTIONS, "dead"))}
STAGES = ("smtp DATA", "smtp RCPT", "webhook")
REFERENCE = re.compile(r"reference-([A-Za-z0-9_-]+?)/")
NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")
ESCAPED_CONTROL = re.compile(r"\\u00(?:0[0-8b-f]|1[0-9a-f]|7f|[89][0-9a-f])|\\ufffd", re.IGNORECASE)
MAINTENANCE = (
    b"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Choisir le service public</title></head>"
    b"<body><main role='main'><h1>Site en maintenance</h1><p>Merci de revenir plus tard.</p></main></body></html>"
)


# -- the site ------------------------------------------------------------------------------------


def all_cards() -> tuple[str, list[str]]:
    """The recorded listing's head, and its 26 cards in listing order (both pages)."""
    page_1 = (FIXTURES / CSP / "list-page.html").read_text(encoding="utf-8")
    page_2 = (FIXTURES / CSP / "list-page-2-handmade.html").read_text(encoding="utf-8")
    head = page_1[: page_1.index('<ul class="fr-grid-row fr-grid-row--gutters">')]
    cards = []
    for page in (page_1, page_2):
        for item in lxml.html.fromstring(page).xpath(
            "//li[contains(@class, 'item')][.//*[contains(@class, 'fr-card--offer')]]"
        ):
            cards.append(lxml.html.tostring(item, encoding="unicode"))
    return head, cards


def listing(head: str, cards: list[str], shown: int) -> dict[str, bytes]:
    """The listing pages when the site lists the newest ``shown`` offers (the last cards first)."""
    visible = cards[len(cards) - shown :]
    first, rest = visible[:20], visible[20:]

    def page(items, number, last):
        nav = pagination(number, last) if last > 1 else ""
        return f'{head}<ul class="fr-grid-row fr-grid-row--gutters">{"".join(items)}</ul>{nav}</body></html>'.encode()

    pages = {PAGE_1: page(first, 1, 2 if rest else 1)}
    if rest:
        pages[PAGE_2] = page(rest, 2, 2)
    return pages


def damaged(rng: random.Random, body: bytes, other: bytes) -> tuple[str, Route]:
    """A page that is not the offer, or not whole: it must never replace what is stored."""
    kind = rng.choice(["maintenance", "other offer", "nested", "random bytes", "half empty", "cut short", "503"])
    main = body.index(b">", body.index(b"<main")) + 1
    if kind == "maintenance":
        return kind, Route(MAINTENANCE)
    if kind == "other offer":
        return kind, Route(other)
    if kind == "nested":
        return kind, Route(body[:main] + b"<div>" * 100_000 + b"</div>" * 100_000 + body[main:])
    if kind == "random bytes":
        at = rng.randrange(len(body))
        return kind, Route(body[:at] + rng.randbytes(4096) + body[at:])
    if kind == "half empty":
        page = re.sub(rb'<input type="hidden" name="content_[^>]*>', b"", body)
        page = re.sub(rb'<script type="application/ld\+json">.*?</script>', b"", page, flags=re.S)
        start = page.find(b"col-left")
        stop = page.find(b'<div class="strate strate-cards-list')
        stop = stop if stop > 0 else page.find(b"</main>")
        if 0 < start < stop:
            page = page[: page.rindex(b"<div", 0, start)] + page[stop:]
        return kind, Route(page)
    if kind == "cut short":
        return kind, Route(body, cut_at=len(body) // 2)
    return kind, Route(b"<html><body>Service Unavailable</body></html>", status=503)


def odd(rng: random.Random, body: bytes) -> tuple[str, Route]:
    """A page whose offer must be stored, cleaned and bounded."""
    kind = rng.choice(["nul bytes", "huge title", "javascript link", "latin-1 label"])
    if kind == "nul bytes":
        return kind, Route(re.sub(rb"(<h1[^>]*>\s*\S+)", lambda match: match.group(1) + b"\x00\x01", body, count=1))
    if kind == "huge title":
        return kind, Route(re.sub(rb"(<h1[^>]*>)", rb"\1" + b"CHARGE DE RECRUTEMENT " * 50_000, body, count=1))
    if kind == "javascript link":
        return kind, Route(
            re.sub(rb'(buttons-wrapper.*?href=")[^"]*', rb"\1javascript:void(0)", body, count=1, flags=re.S)
        )
    return kind, Route(body, content_type="text/html; charset=iso-8859-1")


# -- what is stored -------------------------------------------------------------------------------


def filled(offer: dict) -> set[str]:
    shown = ("title", "employer", "organisation", "versant", "category", "contract", "location", "department", "region")
    shown += ("remote", "published_on", "deadline", "vacancy_date", "domain", "missions", "profile", "contacts")
    return {name for name in (*shown, "apply_url") if offer.get(name) not in (None, "", "[]")}


def snapshot(db) -> dict[str, dict]:
    """Every offer's row, its raw as the JSON text veille wrote before raw moved apart and compressed
    (storage/raw.py gives it back exactly)."""
    rows = db.execute_returning_dicts(f"select offers.*, offer_raw.raw as raw from offers {RAW_JOIN}")
    decode_raws(db, rows)
    for row in rows:
        row["raw"] = json.dumps(row["raw"], ensure_ascii=False, sort_keys=True)
    return {row["source_id"]: row for row in rows}


def assert_no_secret(text: str, where: str) -> None:
    for token in TOKENS.values():
        assert token not in text, f"a token in {where}"


def check_offers(db, before: dict[str, dict], untouchable: dict[str, str], iteration: int) -> dict[str, dict]:
    """What holds after every crawl; returns the new snapshot."""
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("pragma foreign_key_check").fetchall() == []
    now = snapshot(db)
    for ref, offer in now.items():
        where = f"iteration {iteration}, offer {ref}"
        assert f"reference-{ref}/" in offer["url"], where  # never another offer's page
        assert offer["title"] != "Site en maintenance" and len(offer["title"]) <= 500, where
        for name in ("title", "employer", "location", "missions", "profile", "raw"):
            assert not NOT_TEXT.search(offer[name] or ""), (where, name)
        assert not ESCAPED_CONTROL.search(offer["raw"]), where  # JSON writes control characters as \u00XX
        old = before.get(ref)
        if old is None:
            continue
        if ref in untouchable:  # its page was damaged in this crawl: the stored offer is as it was
            assert offer["content_hash"] == old["content_hash"], (where, untouchable[ref])
        assert filled(old) - filled(offer) <= {"apply_url"}, (where, filled(old) - filled(offer))
    return now


# -- dispatching ----------------------------------------------------------------------------------

DISPATCH = (
    "import datetime as dt, sys; from alerts.dispatch import dispatch; from crawler.config import load_config; "
    "from storage import open_db; config = load_config(sys.argv[1]); "
    "dispatch(open_db(config.database_path), config, now=dt.datetime.fromisoformat(sys.argv[2]))"
)


def received(smtp, sink) -> dict[tuple[str, int], set[str]]:
    """Every message a server took, as (channel, its number) -> the offer references it lists. A webhook
    answering an error did not take the message it was sent (it is sent again: not a duplicate)."""
    messages = {}
    for number, message in enumerate(smtp.messages):
        messages[(str(message["To"]), number)] = set(REFERENCE.findall(message.get_body(("plain",)).get_content()))
    posts = [request for request in sink.requests if request["method"] == "POST"]
    for number, request in enumerate(posts):
        if request["status"] < 300:
            messages[(request["path"], number)] = set(REFERENCE.findall(json.loads(request["body"])["message"]))
    return messages


class Campaign:
    def __init__(self, rng, config, env, smtp, sink, outputs):
        self.rng, self.config, self.env, self.smtp, self.sink = rng, config, env, smtp, sink
        self.outputs = outputs
        self.kills = 0
        # The messages a kill caught once transferred: (channel, the offer references it listed).
        self.caught: list[tuple[str, set[str]]] = []

    def dispatch_maybe_killed(self, now: dt.datetime) -> None:
        """A dispatch in its own process; SIGKILLed at a random message, or let finish."""
        target = self.rng.choice([*STAGES, None])
        ahead = self.rng.randrange(0, 3)
        if target and target.startswith("smtp"):
            self.smtp.hold_after(len(self.smtp.messages) + ahead, target.split()[1])
            holding = self.smtp.holding
        elif target:
            self.sink.hold_after(sum(1 for r in self.sink.requests if r["method"] == "POST") + ahead)
            holding = self.sink.holding
        process = subprocess.Popen(
            [sys.executable, "-c", DISPATCH, str(self.config), now.isoformat()],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        try:
            while process.poll() is None and time.monotonic() < deadline:
                if target and holding.wait(0.01):
                    process.send_signal(signal.SIGKILL)
                    process.wait(10)
                    self.kills += 1
                    if target != "smtp RCPT":  # the message was transferred: it may arrive again
                        self.caught.append(self.in_flight(target))
                    break
        finally:
            self.smtp.release()
            self.sink.release()
            if process.poll() is None:
                process.kill()
            out, err = process.communicate(timeout=30)
            self.outputs.append(out + err)
            assert "Traceback" not in err or process.returncode == -signal.SIGKILL, err[-3000:]

    def in_flight(self, target: str) -> tuple[str, set[str]]:
        """The message being sent when the dispatch was killed: the last one its server received."""
        messages = received(self.smtp, self.sink)
        if target.startswith("smtp"):
            key = (str(self.smtp.messages[-1]["To"]), len(self.smtp.messages) - 1)
        else:
            posts = [request for request in self.sink.requests if request["method"] == "POST"]
            key = (posts[-1]["path"], len(posts) - 1)
        return key[0], messages[key]


@pytest.fixture
def campaign(tmp_path, replay_site, smtp_server, webhook_sink, monkeypatch):
    site = replay_site(CSP)
    smtp = smtp_server()
    db_path = tmp_path / "veille.db"
    hook = webhook_sink.url.removeprefix("http://")
    env = {f"VEILLE_HOOK_{name.upper()}": f"json://{hook}/hooks/{TOKENS[name]}" for name in SUBSCRIPTIONS}
    env["VEILLE_HOOK_DEAD"] = f"json://127.0.0.1:{free_port()}/hooks/{TOKENS['dead']}"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VEILLE_NOW", FROZEN_NOW.isoformat())
    subscriptions = [
        {
            "name": name,
            "keywords": ["title:recrutement"],
            "channels": [smtp.url(to=f"{name}@example.org"), f"${{VEILLE_HOOK_{name.upper()}}}"]
            + (["${VEILLE_HOOK_DEAD}"] if name == "veille" else []),
        }
        for name in SUBSCRIPTIONS
    ]
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(db_path),
            "http": {"delay": 0, "retries": 0, "timeout": 20},
            "sources": {CSP: {"base_url": site.url, "keywords": [KEYWORD]}},
            "alerts": {"max_attempts": 40, "retry_base": 60, "retry_max": 600},
            "subscriptions": subscriptions,
        },
    )
    return site, smtp, webhook_sink, config, db_path


@pytest.mark.long
def test_nothing_lost_nothing_leaked_whatever_the_pages_and_the_kills(campaign, tmp_path):
    site, smtp, sink, config_path, db_path = campaign
    rng = random.Random(SEED)
    env = {**os.environ, "VEILLE_CONFIG": str(config_path), "VEILLE_DB": ""}
    outputs: list[str] = []
    head, cards = all_cards()
    offer_routes = {path: routes[0] for path, routes in site.routes.items() if path.startswith("/offre-emploi/")}
    bodies = {path: route.body for path, route in offer_routes.items()}
    crawler = subprocess.Popen(
        [sys.executable, "tests/crawl_server.py", CSP, *(f"{k}={v}" for k, v in TEST_SETTINGS.items())]
        + ["LOG_LEVEL=WARNING", "RETRY_TIMES=0"],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "crawls.log").open("w"),  # a file: a pipe nobody reads would fill and block
        text=True,
    )
    config = load_config(config_path)
    db = open_db(db_path)
    dispatch(db, config, now=FROZEN_NOW)  # the subscriptions start before the first crawl
    campaign = Campaign(rng, config_path, env, smtp, sink, outputs)
    stored: dict[str, dict] = {}

    def crawl(full: bool) -> None:
        crawler.stdin.write("crawl full\n" if full else "crawl\n")
        crawler.stdin.flush()
        answer = crawler.stdout.readline()
        assert answer.startswith("done "), (tmp_path / "crawls.log").read_text()[-3000:]

    try:
        for iteration in range(ITERATIONS):
            now = FROZEN_NOW + dt.timedelta(minutes=10 * (iteration + 1))
            shown = 6 + round(20 * iteration / max(1, ITERATIONS - 1))
            pages = listing(head, cards, shown)
            if rng.random() < 0.1:  # the next link renamed: a layout change, nothing closes
                pages[PAGE_1] = pages[PAGE_1].replace(b"fr-pagination__link--next", b"fr-pagination__link--suivant")
            site.routes.pop(PAGE_2, None)
            for path, body in pages.items():
                site.add(path, body)
            for path, route in offer_routes.items():
                site.routes[path] = [route]
            untouchable = {}
            for path in rng.sample(sorted(offer_routes), rng.randrange(0, 5)):
                other = bodies[rng.choice([p for p in bodies if p != path])]
                kind, route = damaged(rng, bodies[path], other) if rng.random() < 0.6 else odd(rng, bodies[path])
                site.routes[path] = [route]
                if kind in ("maintenance", "other offer", "nested", "random bytes", "half empty", "cut short", "503"):
                    untouchable[REFERENCE.search(path).group(1)] = kind
            crawl(full=rng.random() < 0.3)
            stored = check_offers(db, stored, untouchable, iteration)
            assert_no_secret(everything_stored(db_path), f"the database, iteration {iteration}")

            campaign.dispatch_maybe_killed(now)
            if rng.random() < 0.3:
                campaign.dispatch_maybe_killed(now)
            sink.statuses = rng.choice([[], [], [], [500], [(429, {"Retry-After": "120"})]])
            dispatch(db, config, now=now)
            sink.statuses = []

        # The site whole again: everything is read, and every alert due goes out.
        for path, body in listing(head, cards, len(cards)).items():
            site.add(path, body)
        for path, route in offer_routes.items():
            site.routes[path] = [route]
        crawl(full=False)
        crawl(full=True)
        stored = check_offers(db, stored, {}, ITERATIONS)
        for hours in (1, 2, 3):
            dispatch(db, config, now=FROZEN_NOW + dt.timedelta(days=1, hours=hours))
    finally:
        outputs.append(crawler.communicate(timeout=60)[0])
        outputs.append((tmp_path / "crawls.log").read_text())

    # Every open offer whose title says "recrutement" was alerted to every subscription, on both channels, as
    # part of its job (an alert is about a job, which lists its offers' links): every such job at least once,
    # and at most once more for each kill that caught a message holding it.
    expected = {
        ref
        for ref, offer in stored.items()
        if "recrutement" in offer["title"].lower() and (offer["deadline"] or "9999") > FROZEN_NOW.date().isoformat()
    }
    assert len(expected) >= 15
    job_of = dict(db.execute("select source_id, job_id from job_offers").fetchall())

    def by_job(messages) -> collections.Counter:
        """(channel, job) -> how many of ``messages`` (channel, references) list the job."""
        counted: collections.Counter = collections.Counter()
        for channel, refs in messages:
            for job in {job_of[ref] for ref in refs if ref in job_of}:
                counted[(channel, job)] += 1
        return counted

    counts = by_job((channel, refs) for (channel, _), refs in received(smtp, sink).items())
    caught = by_job(campaign.caught)
    channels = [f"{name}@example.org" for name in SUBSCRIPTIONS] + [f"/hooks/{TOKENS[name]}" for name in SUBSCRIPTIONS]
    for channel in channels:
        for job in {job_of[ref] for ref in expected}:
            assert 1 <= counts[(channel, job)] <= 1 + caught[(channel, job)], (channel, job, counts[(channel, job)])
    # Kills only land when there is something to send: not at every iteration.
    assert campaign.kills >= min(5, ITERATIONS // 5), campaign.kills
    assert campaign.caught  # some kills did catch a transferred message

    status = run_veille("--config", str(config_path), "status", env={"VEILLE_DB": ""})
    outputs.append(status.stdout + status.stderr)
    assert "/hooks/****" in status.stdout
    for output in outputs:
        assert_no_secret(output, "an output")
    assert_no_secret(everything_stored(db_path), "the database")
