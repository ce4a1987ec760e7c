"""The optional PISTE (Légifrance API) mode, against a loopback fake of the API.

The fake answers the OAuth token endpoint and ``consult/lastNJo``,
``consult/jorfCont`` and ``consult/jorf`` in the shapes of the API's Swagger
definitions (``GetJorfContResponse``, ``FullConteneur``/``Tms``/``LienTxt``,
``ConsultJorfResponse``), built from the same fixtures as the DILA archives, so
both modes must give the same offers.
"""

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from lxml import etree

from crawler.items import validate_offer
from crawler.jorf.archive import read_archive
from crawler.jorf.notice import notice_offer
from storage import open_db
from storage.archives import recent_archives
from storage.offers import get_offer
from tests.conftest import FIXTURES, write_config
from tests.fixtures.jorf import build_handmade as handmade

JORF = FIXTURES / "jorf"
API = "/dila/legifrance/lf-engine-app"
TOKEN = "/api/oauth/token"
CLIENT_ID, CLIENT_SECRET = "veille-client", "s3cr3t-from-env"
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
CONTAINERS = ["JORFCONT000043945510-handmade.xml", "JORFCONT000054245240.xml"]
TEXTS = [
    f"{text_id}-handmade.xml" for text_id in [OCCITANIE, *SEVEN, "JORFTEXT000054246584", "JORFTEXT000054245350"]
] + ["JORFTEXT000054246001.xml"]


def paris_midnight_ms(date: str) -> int:
    # The fixtures' dates are in summer: Paris is UTC+2.
    day = dt.date.fromisoformat(date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone(dt.timedelta(hours=2))).timestamp() * 1000)


def api_text(xml: bytes) -> dict:
    """A ``ConsultJorfResponse`` for a JORFSIMPLE text."""
    root = etree.fromstring(xml)
    origin = root.find("ORIGINE_PUBLI")
    contents = root.findall("STRUCT//BLOC_TEXTUEL/CONTENU")
    return {
        "cid": root.findtext("ID"),
        "id": root.findtext("ID"),
        "title": root.findtext("TITREFULL"),
        "nature": root.findtext("NATURE"),
        "nor": root.findtext("NOR"),
        "dateParution": paris_midnight_ms(root.findtext("DATE_PUBLI")),
        "dateTexte": paris_midnight_ms(root.findtext("DATE_TEXTE")),
        "numParution": root.findtext("NUM_PARUTION"),
        "textNumber": root.findtext("NUM_SEQUENCE"),
        "jorfText": origin.text,
        "idConteneur": origin.get("id"),
        "articles": [
            {"content": (c.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in c)}
            for c in contents
        ],
        "sections": [],
    }


def api_container(xml: bytes, texts: dict[str, dict]) -> dict:
    """A ``FullConteneur`` for a JORFSIMPLE table of contents; liens carry nature and ministry as the API's do."""
    root = etree.fromstring(xml)

    def section(tm) -> dict:
        return {
            "titre": tm.findtext("TITRE_TM"),
            "niv": int(tm.get("niv")),
            "tms": [section(child) for child in tm.findall("TM")],
            "liensTxt": [
                {
                    "id": link.get("idtxt"),
                    "titre": link.get("titretxt"),
                    "nature": texts.get(link.get("idtxt"), {}).get("nature"),
                    "ministere": texts.get(link.get("idtxt"), {}).get("ministere"),
                }
                for link in tm.findall("LIEN_TXT")
            ],
        }

    return {
        "id": root.findtext("ID"),
        "titre": root.findtext("TITRE"),
        "num": root.findtext("NUM"),
        "datePubli": paris_midnight_ms(root.findtext("DATE_PUBLI")),
        "nature": "JO",
        "structure": {"tms": [section(tm) for tm in root.find("STRUCTURE_TXT").findall("TM")], "liens": []},
    }


class FakePiste:
    """OAuth client credentials and the JORF consult endpoints, on 127.0.0.1."""

    def __init__(self, expires_in: int = 3600, revoke_after: int | None = None, refuse_all: bool = False):
        self.expires_in = expires_in
        self.revoke_after = revoke_after  # the first token is revoked after this many calls
        self.refuse_all = refuse_all
        self.uses: dict[str, int] = {}
        self.refused: list[tuple[str, dict]] = []
        self.texts = {}
        for name in TEXTS:
            text = api_text((JORF / name).read_bytes())
            text["ministere"] = etree.fromstring((JORF / name).read_bytes()).findtext("MINISTERE")
            self.texts[text["cid"]] = text
        self.containers = [api_container((JORF / name).read_bytes(), self.texts) for name in CONTAINERS]
        self.log: list[tuple[float, str, dict, dict]] = []  # (time, path, body, headers)
        self.tokens: set[str] = set()
        self.failures: dict[str, list[tuple[int, dict]]] = {}  # path -> answers to give first
        self.lock = threading.Lock()

    def answer(self, path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        with self.lock:
            self.log.append((time.monotonic(), path, body, headers))
            if self.failures.get(path):
                status, extra = self.failures[path].pop(0)
                return status, extra, {"error": "quota"}
        if path == TOKEN:
            if body.get("grant_type") != "client_credentials" or (body.get("client_id"), body.get("client_secret")) != (
                CLIENT_ID,
                CLIENT_SECRET,
            ):
                return 401, {}, {"error": "invalid_client"}
            token = f"token-{len(self.tokens) + 1}"
            self.tokens.add(token)
            return (
                200,
                {},
                {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in, "scope": "openid"},
            )
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            self.uses[token] = self.uses.get(token, 0) + 1
            revoked = token == "token-1" and self.revoke_after is not None and self.uses[token] > self.revoke_after
        if token not in self.tokens or revoked or self.refuse_all:
            self.refused.append((path, body))
            return 401, {}, {"error": "invalid_token"}
        if path == f"{API}/consult/lastNJo":
            listed = [
                {key: c[key] for key in ("id", "titre", "num", "datePubli", "nature")}
                for c in reversed(self.containers)
            ]
            return 200, {}, {"containers": listed[: body["nbElement"]], "totalNbResult": len(listed)}
        if path == f"{API}/consult/jorfCont":
            found = [c for c in self.containers if c["id"] == body.get("id")]
            return 200, {}, {"items": [{"joCont": c} for c in found], "totalNbResult": len(found)}
        if path == f"{API}/consult/jorf":
            text = self.texts.get(body.get("textCid"))
            return (200, {}, text) if text else (404, {}, {"error": "not found"})
        return 404, {}, {"error": "no such endpoint"}

    def calls(self, path: str) -> list[dict]:
        return [body for _, called, body, _ in self.log if called == path]

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, headers: dict, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    body = {key: values[0] for key, values in parse_qs(raw).items()}
                else:
                    body = json.loads(raw or "{}")
                self._send(*fake.answer(self.path, body, dict(self.headers)))

            def do_GET(self):  # noqa: N802 - robots.txt
                with fake.lock:
                    fake.log.append((time.monotonic(), self.path, {}, dict(self.headers)))
                self._send(404, {}, {"error": "not found"})

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def piste(tmp_path, scrapy_crawl, monkeypatch):
    fakes = []

    def crawl(
        expires_in: int = 3600,
        credentials: bool = True,
        index_url: str | None = None,
        fake: FakePiste | None = None,
        **options,
    ):
        if fake is None:
            fake = FakePiste(expires_in).__enter__()
            fakes.append(fake)
        monkeypatch.setenv("PISTE_SECRET", CLIENT_SECRET)
        api = {"token_url": fake.url + TOKEN, "api_url": fake.url + API}
        if credentials:
            api.update(client_id=CLIENT_ID, client_secret="${PISTE_SECRET}")
        jorf = {"piste": api}
        if index_url:
            jorf["index_url"] = index_url
        config = write_config(
            tmp_path / "veille.toml", {"database": str(tmp_path / "veille.db"), "sources": {"jorf": jorf}}
        )
        result = scrapy_crawl("jorf", config, **options)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        assert CLIENT_SECRET not in result.stderr
        db = open_db(tmp_path / "veille.db")
        return fake, db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    yield crawl
    for fake in fakes:
        fake.__exit__()


def dila_offers() -> dict[str, dict]:
    offers = {}
    for container, texts in ((CONTAINERS[0], [OCCITANIE]), (CONTAINERS[1], SEVEN)):
        archive = handmade.build_archive(
            "20260613-003512",
            [(JORF / container).read_bytes()],
            [(JORF / f"{t}-handmade.xml").read_bytes() for t in texts],
        )
        for notice, ministry in read_archive(archive).notices():
            offers[notice.text_id] = validate_offer(notice_offer(notice, ministry))
    return offers


def test_piste_mode_gives_the_same_offers_as_the_archives(piste):
    fake, db, run = piste(args={"since": "2021-01-01"})
    assert (run["status"], run["new"]) == ("ok", 8)
    assert json.loads(run["errors"]) == {}
    expected = dila_offers()
    stored = {row["source_id"]: row for row in db.execute_returning_dicts("select * from offers")}
    assert set(stored) == set(expected)
    for text_id, offer in expected.items():
        row = stored[text_id]
        for name in (
            "title",
            "employer",
            "organisation",
            "region",
            "department",
            "location",
            "published_on",
            "vacancy_date",
            "deadline",
            "category",
            "missions",
            "profile",
            "apply_url",
            "url",
        ):
            assert row[name] == offer[name], (text_id, name)
        assert json.loads(row["contacts"]) == offer["contacts"]
        raw = get_offer(db, "jorf", text_id)["raw"]  # raw is stored apart, compressed (storage/raw.py)
        for key in (
            "NOR",
            "NATURE",
            "NUM_PARUTION",
            "NUM_SEQUENCE",
            "DATE_PUBLI",
            "ORIGINE_PUBLI",
            "JORFCONT",
            "TITREFULL",
            "poste",
            "texte",
        ):
            assert raw[key] == offer["raw"][key], (text_id, key)


def test_piste_calls_token_then_last_issues_then_each_issue_then_only_the_vacancies(piste):
    fake, db, run = piste(args={"since": "2021-01-01"})
    [token_call] = fake.calls(TOKEN)
    assert token_call == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "openid",
    }
    [last] = fake.calls(f"{API}/consult/lastNJo")
    assert 1 <= last["nbElement"] < 2500
    assert [call["id"] for call in fake.calls(f"{API}/consult/jorfCont")] == [
        "JORFCONT000043945510",
        "JORFCONT000054245240",
    ]  # oldest first
    assert sorted(call["textCid"] for call in fake.calls(f"{API}/consult/jorf")) == sorted([OCCITANIE, *SEVEN])
    api_calls = [headers for _, path, _, headers in fake.log if path.startswith(API)]
    assert api_calls and all(headers["Authorization"] == "Bearer token-1" for headers in api_calls)
    ledger = {
        row["name"]: (row["kind"], row["status"], row["date"], row["texts_seen"], row["notices_found"])
        for row in recent_archives(db)
    }
    assert ledger == {
        "JORFCONT000054245240": ("piste_issue", "processed", "2026-06-13", 101, 7),
        "JORFCONT000043945510": ("piste_issue", "processed", "2021-08-18", 1, 1),
    }


def test_second_piste_run_asks_only_for_the_latest_issues(piste):
    fake, db, run = piste(args={"since": "2021-01-01"})
    before = len(fake.log)
    fake, db, run = piste(fake=fake)
    assert [path for _, path, _, _ in fake.log[before:] if path != "/robots.txt"] == [TOKEN, f"{API}/consult/lastNJo"]
    assert (run["status"], run["items"]) == ("ok", 0)


def test_429_is_waited_out_then_the_crawl_goes_on(piste):
    fake = FakePiste().__enter__()
    try:
        fake.failures[f"{API}/consult/jorf"] = [(429, {"Retry-After": "1"})]
        fake, db, run = piste(fake=fake, args={"since": "2021-01-01"})
        assert (run["status"], run["new"]) == ("ok", 8)
        first, second = [
            when for when, path, body, _ in fake.log if path == f"{API}/consult/jorf" and body["textCid"] == OCCITANIE
        ]
        assert second - first >= 0.9
    finally:
        fake.__exit__()


def test_a_refused_token_is_renewed_once_and_the_call_made_again(piste):
    fake = FakePiste(revoke_after=4).__enter__()
    try:
        fake, db, run = piste(fake=fake, args={"since": "2021-01-01"})
        assert (run["status"], run["new"]) == ("ok", 8)
        assert json.loads(run["errors"]) == {}
        answered = [body for _, path, body, headers in fake.log if path == f"{API}/consult/jorf"]
        assert sorted({body["textCid"] for body in answered}) == sorted([OCCITANIE, *SEVEN])
        # The calls refused with the revoked token are made again with one new token.
        assert len(fake.calls(TOKEN)) == 2
        refused = [body["textCid"] for path, body in fake.refused]
        assert refused and all(path == f"{API}/consult/jorf" for path, _ in fake.refused)
        again = [
            body["textCid"]
            for _, path, body, headers in fake.log
            if path == f"{API}/consult/jorf" and headers["Authorization"] == "Bearer token-2"
        ]
        assert sorted(again) == sorted(refused)
    finally:
        fake.__exit__()


def test_a_token_that_is_always_refused_is_an_error_not_a_loop(piste):
    fake = FakePiste(refuse_all=True).__enter__()
    try:
        fake, db, run = piste(fake=fake, args={"since": "2021-01-01"})
        assert json.loads(run["errors"]) == {"http_4xx": 1}
        assert [path for _, path, _, _ in fake.log if path != "/robots.txt"] == [
            TOKEN,
            f"{API}/consult/lastNJo",
            TOKEN,
            f"{API}/consult/lastNJo",
        ]
    finally:
        fake.__exit__()


def test_refused_credentials_are_an_error_and_nothing_else_is_asked(piste):
    fake = FakePiste().__enter__()
    try:
        fake.failures[TOKEN] = [(401, {})]
        fake, db, run = piste(fake=fake)
        assert json.loads(run["errors"]) == {"http_4xx": 1}
        assert run["status"] == "failed"
        assert [path for _, path, _, _ in fake.log if path != "/robots.txt"] == [TOKEN]
    finally:
        fake.__exit__()


def test_without_credentials_nothing_of_piste_runs(piste, replay_site):
    site = replay_site()
    site.add("/OPENDATA/JORFSIMPLE/", (JORF / "dila-index.html").read_bytes())
    site.add(
        "/OPENDATA/JORFSIMPLE/JORFSIMPLE_20260612-002012.tar.gz",
        handmade.build_archive(
            "20260612-002012",
            [(JORF / CONTAINERS[1]).read_bytes()],
            [(JORF / f"{t}-handmade.xml").read_bytes() for t in SEVEN],
        ),
        content_type="application/gzip",
    )
    site.add(
        "/OPENDATA/JORFSIMPLE/JORFSIMPLE_20260612-205512.tar.gz",
        handmade.build_archive(
            "20260612-205512",
            [(JORF / CONTAINERS[0]).read_bytes()],
            [(JORF / f"{OCCITANIE}-handmade.xml").read_bytes()],
        ),
        content_type="application/gzip",
    )
    fake, db, run = piste(credentials=False, index_url=site.url + "/OPENDATA/JORFSIMPLE/", args={"since": "2026-06-12"})
    assert fake.log == []  # not even robots.txt: the API's hosts are never contacted
    assert site.requested("/OPENDATA/") == [
        "/OPENDATA/JORFSIMPLE/",
        "/OPENDATA/JORFSIMPLE/JORFSIMPLE_20260612-002012.tar.gz",
        "/OPENDATA/JORFSIMPLE/JORFSIMPLE_20260612-205512.tar.gz",
    ]
    assert json.loads(run["options"])["mode"] == "dila"
    assert (run["status"], run["new"]) == ("ok", 8)
