"""Official careers pages configured only in veille.toml (``[[sources.site]]``).

The end-to-end site is the handmade DITP recruitment page (tests/fixtures/modernisation)
configured as a plain site, plus in-test pages for CSS hints and document links.
"""

import json
import subprocess
import sys

import pytest

from crawler.config import ConfigError, parse_config
from storage import open_db
from storage.offers import get_offer
from tests.conftest import FIXTURES, REPO, run_veille

SITE_TOML = """database = "{db}"
[http]
delay = 0
[sources.passerelles]
base_url = "{passerelles}"
[sources.hellowork]
base_url = "{hellowork}"
[sources.choisirleservicepublic]
base_url = "{csp}"

[[sources.site]]
name = "ditp-recrutement"
start_urls = ["{site}/nous-rejoindre"]
offer_link_pattern = "/offres/"
employer = "DITP"
{extra}
"""


def scrapy(*args, config, cwd=REPO):
    env = {"VEILLE_CONFIG": str(config), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def sites(replay_site):
    sites = {
        name: replay_site(name) for name in ("modernisation", "choisirleservicepublic", "passerelles", "hellowork")
    }
    # As a configured site, the DITP page is crawled where it is served: its absolute
    # links to its own real host become site-relative (only the DITP spider maps them).
    page = (FIXTURES / "modernisation" / "nous-rejoindre-handmade.html").read_bytes()
    sites["modernisation"].add("/nous-rejoindre", page.replace(b"https://www.modernisation.gouv.fr/", b"/"))
    return sites


def site_config(tmp_path, sites, extra=""):
    config = tmp_path / "veille.toml"
    config.write_text(
        SITE_TOML.format(
            db=tmp_path / "veille.db",
            site=sites["modernisation"].url,
            passerelles=sites["passerelles"].url,
            hellowork=sites["hellowork"].url,
            csp=sites["choisirleservicepublic"].url,
            extra=extra,
        ),
        encoding="utf-8",
    )
    return config


def last_run(tmp_path):
    db = open_db(tmp_path / "veille.db")
    return db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]


def test_scrapy_list_shows_configured_sites(tmp_path, sites):
    result = scrapy("list", config=site_config(tmp_path, sites))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["choisirleservicepublic", "dinum", "ditp-recrutement", "jorf", "modernisation"]


def test_a_site_configured_only_in_toml_is_crawled_end_to_end(tmp_path, sites):
    config = site_config(tmp_path, sites)
    result = run_veille("--config", str(config), "crawl", "ditp-recrutement")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].split()[:5] == ["ditp-recrutement", "ok", "7", "5", "5"]
    db, run = last_run(tmp_path)
    assert (run["source"], run["status"], json.loads(run["errors"])) == ("ditp-recrutement", "ok", {})
    voix = get_offer(db, "ditp-recrutement", "chef-du-pole-voix-de-lusager-hf")  # JSON-LD page
    assert (voix["title"], voix["contract"], voix["published_on"]) == (
        "Chef du Pôle Voix de l'Usager H/F",
        "CDI",
        "2025-07-26",
    )
    etatlin = get_offer(db, "ditp-recrutement", "chef-de-projets-innovation-et-transformation-publique-hf")  # DSFR page
    assert (etatlin["deadline"], etatlin["department"]) == ("2025-05-22", "44")
    assert get_offer(db, "ditp-recrutement", "2024-17971")["raw"]["board"] == "passerelles"
    assert get_offer(db, "ditp-recrutement", "DEF_15-00064919")["raw"]["board"] == "choisirleservicepublic"
    assert sites["modernisation"].requested("/nous-rejoindre/questions-frequentes") == []


def test_scrapy_crawl_runs_a_configured_site_too(tmp_path, sites):
    result = scrapy("crawl", "ditp-recrutement", "-s", "AUTOTHROTTLE_ENABLED=0", config=site_config(tmp_path, sites))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    db, run = last_run(tmp_path)
    assert (run["status"], run["items"]) == ("ok", 5)


def test_css_hints_win_and_documents_become_offers(tmp_path, replay_site):
    site = replay_site()
    site.add(
        "/emploi",
        """<!doctype html><html><body><div id="content"><table class="jobs">
        <tr><td><a class="job" href="/emploi/offre-12">Chargé de mission innovation</a></td></tr>
        <tr><td><a class="job" href="/files/2025-07/fiche-de-poste-designer.pdf">
          Designer de services (fiche de poste)</a></td></tr>
        </table></div></body></html>""",
    )
    site.add(
        "/emploi/offre-12",
        """<!doctype html><html><body><div class="titre-offre">Chargé de mission innovation</div>
        <div class="lieu">Lyon (69)</div><div class="date">Publiée le 3 mars 2026</div>
        <div class="texte">Animer le laboratoire d'innovation de la préfecture.</div></body></html>""",
    )
    config = tmp_path / "veille.toml"
    config.write_text(
        f"""database = "{tmp_path / "veille.db"}"
[[sources.site]]
name = "prefecture"
start_urls = ["{site.url}/emploi"]
offer_link_pattern = "/emploi/"
employer = "Préfecture du Rhône"
[sources.site.css]
offer_links = "a.job"
title = ".titre-offre"
location = ".lieu"
published_on = ".date"
missions = ".texte"
""",
        encoding="utf-8",
    )
    result = run_veille("--config", str(config), "crawl", "prefecture", env={"VEILLE_DB": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    db, run = last_run(tmp_path)
    assert (run["status"], run["items"]) == ("ok", 2)
    offer = get_offer(db, "prefecture", "offre-12")
    assert (offer["title"], offer["location"], offer["department"], offer["published_on"]) == (
        "Chargé de mission innovation",
        "Lyon (69)",
        "69",
        "2026-03-03",
    )
    assert (offer["employer"], offer["missions"]) == (
        "Préfecture du Rhône",
        "Animer le laboratoire d'innovation de la préfecture.",
    )
    document = next(row for row in db["offers"].rows if row["url"].endswith(".pdf"))
    assert document["title"] == "Designer de services (fiche de poste)"
    assert site.requested("/files/") == []  # a document is not fetched


def test_a_listing_without_offer_links_fails_unless_it_says_so(tmp_path, replay_site):
    site = replay_site()
    site.add("/emploi", "<!doctype html><html><body><main><h1>Emploi</h1><p>Nouvelle page</p></main></body></html>")
    config = tmp_path / "veille.toml"
    config.write_text(
        f'database = "{tmp_path / "veille.db"}"\n[[sources.site]]\nname = "mairie"\nstart_urls = '
        f'["{site.url}/emploi"]\noffer_link_pattern = "/offre-"\n',
        encoding="utf-8",
    )
    result = run_veille("--config", str(config), "crawl", "mairie", env={"VEILLE_DB": ""})
    assert result.returncode == 1
    db, run = last_run(tmp_path)
    assert json.loads(run["errors"]) == {"layout_changed": 1}
    site.add(
        "/emploi",
        "<!doctype html><html><body><main><h1>Emploi</h1><p>Aucune offre pour le moment.</p></main></body></html>",
    )
    result = run_veille("--config", str(config), "crawl", "mairie", env={"VEILLE_DB": ""})
    assert result.returncode == 0
    assert last_run(tmp_path)[1]["status"] == "ok"


BAD_SITES = [
    (
        'name = "dinum"\nstart_urls = ["https://x.fr/"]\noffer_link_pattern = "/o/"',
        "sources.site: 'dinum' is the name of a built-in source; choose another name",
    ),
    (
        'name = "Mairie de Lyon"\nstart_urls = ["https://x.fr/"]\noffer_link_pattern = "/o/"',
        "sources.site[0].name: String should match pattern",
    ),
    (
        'name = "lyon"\nstart_urls = ["https://x.fr/"]\noffer_link_pattern = "(/o/"',
        "sources.site[0].offer_link_pattern: not a regular expression: missing ), unterminated subpattern",
    ),
    (
        'name = "lyon"\nstart_urls = []\noffer_link_pattern = "/o/"',
        "sources.site[0].start_urls: List should have at least 1 item",
    ),
    ('name = "lyon"\nstart_urls = ["https://x.fr/"]', "sources.site[0].offer_link_pattern: required key is missing"),
    (
        'name = "lyon"\nstart_urls = ["https://x.fr/"]\noffer_link_pattern = "/o/"\ncss = { title = "h1[[" }',
        "sources.site[0].css.title: not a CSS selector",
    ),
]


@pytest.mark.parametrize("site, message", BAD_SITES)
def test_a_bad_site_is_one_config_error_line_and_exit_2(tmp_path, site, message):
    config = tmp_path / "veille.toml"
    config.write_text(f"[[sources.site]]\n{site}\n", encoding="utf-8")
    result = run_veille("--config", str(config), "crawl")
    assert result.returncode == 2
    assert result.stderr.startswith(f"veille: config error: {config}: {message}"), result.stderr
    assert "Traceback" not in result.stderr
    listed = scrapy("list", config=config)
    assert listed.returncode == 2 and message in listed.stderr and "Traceback" not in listed.stderr


def test_two_sites_with_one_name():
    site = {"name": "lyon", "start_urls": ["https://x.fr/"], "offer_link_pattern": "/o/"}
    with pytest.raises(ConfigError, match=r"sources.site: 'lyon' is configured twice"):
        parse_config({"sources": {"site": [site, site]}})


def test_the_documented_site_examples_are_valid_config():
    import re
    import tomllib

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [block] = [block for block in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[[sources.site]]" in block]
    readme_site = parse_config(tomllib.loads(block)).sources.site[0]
    assert (readme_site.name, readme_site.css.offer_links) == ("ademe", "article.offre h3 a")
    example = (REPO / "veille.example.toml").read_text(encoding="utf-8")
    commented = example[example.index("# [[sources.site]]") :].split("\n\n")[0]
    uncommented = "\n".join(line.removeprefix("# ") for line in commented.splitlines())
    example_site = parse_config(tomllib.loads(uncommented)).sources.site[0]
    assert example_site.name == "ademe" and example_site.css.next_page == "a.pager-next"
