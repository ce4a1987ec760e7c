"""The veille command as a user runs it (subprocesses, a real database, loopback only)."""

import json

import pytest

from storage import open_db
from tests.conftest import parse_table, run_veille, write_config


@pytest.fixture
def crawled(tmp_path, replay_site):
    """A config pointing at the CSP replay site, and the result of `veille crawl` on it."""
    site = replay_site("choisirleservicepublic")
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0},
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]}},
        },
    )
    result = run_veille("--config", str(config), "crawl", "choisirleservicepublic")
    return config, result


def test_crawl_prints_a_summary_and_exits_0(crawled):
    config, result = crawled
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("choisirleservicepublic"))
    assert line.split()[:6] == ["choisirleservicepublic", "ok", "28", "26", "26", "0"]


def test_http_settings_of_the_config_reach_scrapy(tmp_path, replay_site):
    """[http] delay = 0 must beat settings.py's DOWNLOAD_DELAY = 1."""
    site = replay_site("choisirleservicepublic")
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "http": {"delay": 0},
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]}},
        },
    )
    result = run_veille("--config", str(config), "-v", "crawl", "choisirleservicepublic")
    assert result.returncode == 0
    overridden = result.stderr[result.stderr.index("Overridden settings:") :]
    overridden = overridden[: overridden.index("}")]
    assert "'AUTOTHROTTLE_START_DELAY': 0.1" in overridden  # derived from [http] delay
    assert "'DOWNLOAD_DELAY'" not in overridden  # back to Scrapy's default 0


def test_crawl_takes_scrapy_settings_as_scrapy_crawl_does(tmp_path, replay_site):
    """`veille crawl -s NAME=VALUE` sets a Scrapy setting for the crawl, above veille.toml."""
    site = replay_site("choisirleservicepublic")
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "contact": "ops@example.org",
            "http": {"delay": 0},
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]}},
        },
    )
    result = run_veille(
        "--config", str(config), "crawl", "choisirleservicepublic", "-s", "USER_AGENT=bench-agent/1", "--set", "X="
    )
    assert result.returncode == 0, result.stderr
    assert site.user_agents == {"bench-agent/1"}  # not the User-Agent veille.toml's contact makes


@pytest.mark.parametrize("setting", ["DOWNLOAD_DELAY", "=0", "A B=1"])
def test_a_setting_that_is_not_name_value_is_a_usage_error(tmp_path, setting):
    result = run_veille("crawl", "-s", setting, env={"VEILLE_DB": str(tmp_path / "v.db")})
    assert result.returncode == 2
    assert f"{setting!r} is not NAME=VALUE" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "v.db").exists()


def test_crawl_exit_code_is_1_when_a_source_fails(tmp_path, replay_site):
    site = replay_site()
    site.add("/nos-offres/filtres/mot-cles/x/", "<html><body>new design</body></html>")
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "http": {"delay": 0},
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["x"]}},
        },
    )
    result = run_veille("--config", str(config), "crawl", "choisirleservicepublic")
    assert result.returncode == 1
    assert "layout_changed 1" in result.stdout


def test_unknown_source_is_a_usage_error(tmp_path):
    result = run_veille("crawl", "nosuchsource", env={"VEILLE_DB": str(tmp_path / "v.db")})
    assert result.returncode == 2
    assert "unknown source nosuchsource; sources: choisirleservicepublic, dinum, jorf, modernisation" in result.stderr
    assert "Traceback" not in result.stderr


def test_offers_table_search_and_json(crawled):
    config, _ = crawled
    table = run_veille("--config", str(config), "offers", "--search", "MOBILITE")
    assert table.returncode == 0
    assert "CHARGE DE RECRUTEMENT ET DE LA MOBILITE" in table.stdout
    assert table.stdout.strip().endswith("1 offers")
    lines = run_veille("--config", str(config), "offers", "--json", "--since", "2026-10-02").stdout.splitlines()
    offers = [json.loads(line) for line in lines]
    assert {o["published_on"] for o in offers} >= {"2026-10-02", "2026-10-06"}
    assert all(o["published_on"] >= "2026-10-02" for o in offers)
    assert all(isinstance(o["raw"], dict) for o in offers)


def test_offers_rejects_a_bad_date_clearly(crawled):
    config, _ = crawled
    result = run_veille("--config", str(config), "offers", "--since", "last week")
    assert result.returncode == 2
    assert "'last week' is not a date like 2026-11-24" in result.stderr


def test_status_shows_the_last_run(crawled):
    config, _ = crawled
    result = run_veille("--config", str(config), "status")
    assert result.returncode == 0
    cells = next(row for row in parse_table(result.stdout) if row["source"] == "choisirleservicepublic")
    assert (cells["result"], cells["offers"], cells["new"], cells["stored"], cells["errors"], cells["health"]) == (
        "ok",
        "26",
        "26",
        "26",
        "-",
        "ok",
    )


def test_status_on_an_empty_database(tmp_path):
    open_db(tmp_path / "new.db")
    result = run_veille("status", env={"VEILLE_DB": str(tmp_path / "new.db")}, cwd=tmp_path)
    assert result.returncode == 0
    assert "No crawl yet" in result.stdout


def test_demo_works_offline(tmp_path):
    result = run_veille("demo", "--keep", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert (
        "Replaying recorded pages of choisirleservicepublic, dinum, hellowork, jorf, modernisation, passerelles on "
        "127.0.0.1" in result.stderr
    )
    assert "CHARGE DE RECRUTEMENT ET DE LA MOBILITE" in result.stdout
    assert "Chargé de mission transformation et innovation publique" in result.stdout
    crawled = ("choisirleservicepublic", "dinum", "jorf", "modernisation")
    runs = {
        line.split()[0]: line.split()[1]
        for line in result.stdout.splitlines()
        if line.split()[:1] and line.split()[0] in crawled and len(line.split()) > 5
    }
    assert runs == {name: "ok" for name in crawled}  # boards (hellowork, passerelles) are served, not crawled
    assert "Chef du Pôle Voix de l'Usager H/F" in result.stdout and "Designer UX/UI senior" in result.stdout
    assert (tmp_path / "demo" / "demo.db").exists()


def test_help_lists_the_commands():
    result = run_veille("--help")
    for command in ("crawl", "offers", "status", "demo"):
        assert f"  {command} " in result.stdout


def test_scrapy_crawl_with_a_bad_since_is_a_usage_error(scrapy_crawl, tmp_path):
    config = write_config(tmp_path / "veille.toml", {"database": str(tmp_path / "v.db")})
    result = scrapy_crawl("dinum", config, args={"since": "last week"})
    assert result.returncode == 2
    assert "since: 'last week' is not a date like 2026-11-24" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "v.db").exists()  # nothing started


def test_offers_of_an_unknown_source_is_a_usage_error(crawled):
    config, _ = crawled
    result = run_veille("--config", str(config), "offers", "--source", "csp")
    assert result.returncode == 2
    assert "unknown source csp; sources: choisirleservicepublic, dinum, jorf, modernisation" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_json_for_monitoring(crawled):
    config, _ = crawled
    result = run_veille("--config", str(config), "status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    csp = next(item for item in report["sources"] if item["source"] == "choisirleservicepublic")
    assert (csp["last_run"]["status"], csp["last_run"]["items"], csp["stored"], csp["health"]["state"]) == (
        "ok",
        26,
        26,
        "ok",
    )
    assert csp["last_run"]["errors"] == {} and csp["next_run"].endswith("+00:00")
    assert report["alerts"] == [] and report["interrupted_sends"] == 0


def test_demo_removes_its_directory_unless_kept(tmp_path):
    result = run_veille("demo", env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "CHARGE DE RECRUTEMENT ET DE LA MOBILITE" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_subscriptions_show_each_channel_by_scheme_and_host(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-password")
    long_webhook = "json://hooks.example.org:8443/services/veille/a-rather-long-path-for-alerts?method=POST"
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "subscriptions": [
                {
                    "name": "tp",
                    "keywords": ["transformation publique"],
                    "channels": [
                        "mailtos://veille:${SMTP_PASSWORD}@smtp.example.org?to=someone.with.a.long.name@example.org",
                        long_webhook,
                    ],
                }
            ],
        },
    )
    open_db(tmp_path / "v.db")
    result = run_veille("--config", str(config), "subscriptions")
    assert result.returncode == 0, result.stderr
    assert "mailtos://veille:****@smtp.example.org/" in result.stdout
    assert "json://hooks.example.org:8443/services/veille/a-rather-long…" in result.stdout
    assert "s3cret" not in result.stdout


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("VEILLE_STORE_BATCH=abc", "expected a whole number"),
        ("VEILLE_STORE_DELAY=soon", "expected a number"),
        ("ROBOTSTXT_OBEY=maybe", "expected 0 or 1"),
    ],
)
def test_a_setting_scrapy_could_not_read_is_a_usage_error(tmp_path, setting, expected):
    """Scrapy would only fail mid-crawl, with a traceback, on `getint("abc")`."""
    result = run_veille("crawl", "-s", setting, env={"VEILLE_DB": str(tmp_path / "v.db")})
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "v.db").exists()
