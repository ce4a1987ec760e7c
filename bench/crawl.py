"""A whole crawl at scale: ``veille crawl`` against a bare Scrapy spider, over the same loopback site.

The site (bench/csp_site.py) imitates choisirleservicepublic.gouv.fr with N offers (default 20,000;
``--quick``: 2,000) built from its real pages: every offer page is the real 213 KB page with another
offer's values, listings are the real card markup, 20 a page.

Two crawls of it, each in a process of its own, one after the other:

- veille: the unmodified command, ``veille crawl choisirleservicepublic --full``, with politeness off
  through Scrapy settings given as ``-s`` (see POLITENESS_OFF), into a fresh database: robots.txt, every
  listing page, every offer page parsed, validated, stored and grouped into jobs;
- bare: a plain Scrapy spider with the same settings, following the same links and reading each offer
  page's title with a CSS selector (what any spider does at least), storing nothing.

For both: pages, pages/s, CPU time per page (user + system, of the crawling process alone: the site is
served by a third process), peak RSS; for veille, database bytes per offer. Then, for information, an
everyday recrawl (no --full): how many requests veille makes when nothing is new.

Ratio = bare CPU ms per page / veille CPU ms per page (1.0: veille costs what Scrapy costs).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # before bench/, whose storage.py is not the storage package

import csp_site

TARGET = 0.9
RSS_TARGET_MB = 250
# Politeness off, for a site of our own on 127.0.0.1 (README, Benchmarks): no delay, no throttling,
# 8 requests at a time to the one host.
POLITENESS_OFF = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS": "8",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


def measured(command: list[str], log: Path, env: dict | None = None) -> dict:
    """Run ``command``; its wall time, CPU seconds and peak RSS (MB), from the kernel's accounting."""
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[:4])}… failed (exit {os.waitstatus_to_exitcode(status)}); see {log}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def veille_command() -> list[str]:
    script = Path(sys.executable).with_name("veille")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def write_config(path: Path, url: str, keywords: list[str], database: Path) -> None:
    quoted = ", ".join(f'"{keyword}"' for keyword in keywords)
    path.write_text(
        f'database = "{database}"\ncontact = "bench@example.org"\n\n[http]\ndelay = 0\n\n'
        f'[sources.choisirleservicepublic]\nbase_url = "{url}"\nkeywords = [{quoted}]\n'
        f"max_pages = {csp_site.MAX_PAGES}\n",
        encoding="utf-8",
    )


def database_facts(path: Path) -> tuple[int, int, dict]:
    """(offers, bytes of the database file once its WAL is checkpointed, the last run)."""
    conn = sqlite3.connect(path)
    conn.execute("pragma wal_checkpoint(truncate)")
    offers = conn.execute("select count(*) from offers").fetchone()[0]
    run = conn.execute("select pages, items, new, status from runs order by id desc limit 1").fetchone()
    conn.close()
    return offers, path.stat().st_size, dict(zip(("pages", "items", "new", "status"), run))


def bare_crawl(url: str, keywords: list[str]) -> None:
    """The baseline, run in its own process: a plain Scrapy spider over the same pages."""
    import re

    import scrapy
    from scrapy.crawler import CrawlerProcess

    real_site = re.compile(r"^https?://(www\.)?choisirleservicepublic\.gouv\.fr(?=/|$)")

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):
            for keyword in keywords:
                yield scrapy.Request(url + csp_site.listing_path(keyword, 1), callback=self.parse_listing)

        def parse_listing(self, response):
            for link in response.css("li.item .fr-card--offer h3 a::attr(href)").getall():
                yield scrapy.Request(real_site.sub(url, link), callback=self.parse_offer)
            next_page = response.css("a.fr-pagination__link--next::attr(href)").get()
            if next_page:
                yield scrapy.Request(real_site.sub(url, next_page), callback=self.parse_listing, dont_filter=True)

        def parse_offer(self, response):
            yield {"url": response.url, "title": response.css("h1::text").get()}

    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "CRITICAL",
            **POLITENESS_OFF,
        }
    )
    process.crawl(BareSpider)
    process.start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=20_000, help="offers on the site (default 20,000)")
    parser.add_argument("--quick", action="store_true", help="2,000 offers")
    parser.add_argument("--keep", metavar="DIR", help="keep veille's database and logs in DIR")
    arguments = parser.parse_args()
    count = 2_000 if arguments.quick else arguments.count
    keywords = csp_site.keywords_for(count)
    pages = count + -(-count // csp_site.PER_PAGE) + 1  # offers, listing pages, robots.txt

    with tempfile.TemporaryDirectory() as temporary, csp_site.ServedSite(count) as url:
        directory = Path(arguments.keep or temporary)
        directory.mkdir(parents=True, exist_ok=True)
        database = directory / "crawl.db"
        for stale in directory.glob("crawl.db*"):
            stale.unlink()
        config = directory / "veille.toml"
        write_config(config, url, keywords, database)
        settings = [argument for name, value in POLITENESS_OFF.items() for argument in ("-s", f"{name}={value}")]
        env = {key: value for key, value in os.environ.items() if key not in ("VEILLE_DB", "VEILLE_CONFIG")}

        bare = measured([sys.executable, __file__, "--bare", url, *keywords], directory / "bare.log", env=env)
        ours = measured(
            [*veille_command(), "--config", str(config), "crawl", "choisirleservicepublic", "--full", *settings],
            directory / "veille.log",
            env=env,
        )
        offers, size, run = database_facts(database)
        if offers != count or run["status"] != "ok":
            raise SystemExit(f"veille stored {offers:,} offers of {count:,} (run {run}); see {directory}")
        again = measured(
            [*veille_command(), "--config", str(config), "crawl", "choisirleservicepublic", *settings],
            directory / "recrawl.log",
            env=env,
        )
        _, _, recrawl = database_facts(database)

    print(f"site: {count:,} offers ({len(keywords)} keyword searches), {pages:,} pages, served on 127.0.0.1")
    for name, result in (("bare Scrapy spider", bare), ("veille crawl --full", ours)):
        print(
            f"{name:20} {pages / result['wall']:7.1f} pages/s  {result['cpu'] * 1000 / pages:6.2f} CPU ms/page  "
            f"peak RSS {result['rss_mb']:4.0f} MB"
            + (f"  {size / offers:,.0f} DB bytes/offer" if result is ours else "")
        )
    print(
        f"everyday recrawl (nothing new): {recrawl['pages']} requests, {again['wall']:.1f} s, "
        f"peak RSS {again['rss_mb']:.0f} MB"
    )
    ratio = (bare["cpu"] / pages) / (ours["cpu"] / pages)
    print(
        f"crawl ratio: {ratio:.2f} (target >= {TARGET}; peak RSS {ours['rss_mb']:.0f} MB, target <= "
        f"{RSS_TARGET_MB} MB at 20,000; {size / offers / 1024:.1f} KB per offer, target <= 5)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--bare":
        bare_crawl(sys.argv[2], sys.argv[3:])
    else:
        main()
