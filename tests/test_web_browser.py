"""A job seeker's whole journey in a real browser (Debian's headless Chromium driven by Playwright)
against the real server and a real SMTP server on loopback, with real crawls of recorded pages:

subscribe → confirmation mail → click → a crawl → the alert arrives with its links and headers →
« pas pertinente » recorded → one-click unsubscribe → the next crawl sends nothing.

It also takes the README's screenshots (docs/screenshots/): run it with
``VEILLE_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/test_web_browser.py`` to
write them there; otherwise they go to a temporary directory.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import run_veille, write_config
from tests.web_support import SECRET, links_in

CHROMIUM = Path("/usr/bin/chromium")
# Chromium's own flags for a quiet, sandbox-free headless run in CI: no network of its own, no first-run UI.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A few days after the recorded CSP offers were published (30 September - 6 October 2026).
NOW = dt.datetime(2026, 10, 7, 8, 0, tzinfo=dt.UTC)
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture
def browser(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile for each test
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            locale="fr-FR",
            viewport={"width": 1000, "height": 900},
        )
        yield context
        context.close()


def shots_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("VEILLE_SCREENSHOTS") or tmp_path / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target


def fits(page) -> bool:
    """Nothing wider than the window: no horizontal scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_subscribe_confirm_alert_feedback_unsubscribe_in_a_browser(
    tmp_path, frozen_clock, replay_site, web_site, browser
):
    frozen_clock(NOW)
    shots = shots_dir(tmp_path)
    csp = replay_site("choisirleservicepublic")
    site = web_site()

    def config(max_pages: int) -> Path:
        return write_config(
            tmp_path / "veille.toml",
            {
                "database": str(site.db_path),
                "http": {"delay": 0, "retries": 0, "timeout": 30},
                "sources": {
                    "choisirleservicepublic": {
                        "base_url": csp.url,
                        "keywords": ["chargé de recrutement"],
                        "max_pages": max_pages,
                    }
                },
                "web": {
                    "base_url": site.url,
                    "smtp_url": f"smtp://127.0.0.1:{site.smtp.port}",
                    "sender": "veille@example.org",
                },
            },
        )

    def crawl(max_pages: int, *options: str):
        result = run_veille(
            "--config",
            str(config(max_pages)),
            "run",
            "choisirleservicepublic",
            *options,
            env={"VEILLE_SECRET_KEY": SECRET},
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result

    page = browser.new_page()

    # Subscribe: what to watch, and why the address is asked for.
    page.goto(f"{site.url}/abonnement")
    assert "Votre adresse ne sert qu'à vous envoyer les offres que vous demandez" in page.content()
    page.fill("#email", "camille@example.org")
    page.uncheck("#profil")
    page.fill("#mots_cles", "chargé de recrutement")
    page.check("#rythme-immediat")
    page.screenshot(path=str(shots / "subscribe.png"))
    page.click("button[type=submit]")
    assert page.inner_text("h1") == "Vérifiez votre messagerie"

    # The confirmation mail, and nothing else until its link is followed and confirmed.
    site.smtp.wait_for(1)
    [confirmation] = site.smtp.messages
    [confirm_url] = set(links_in(confirmation.get_body(("plain",)).get_content(), f"{site.url}/confirmer/"))
    page.goto(confirm_url)
    page.click("button[type=submit]")
    assert page.inner_text("h1") == "Alerte activée"

    # A crawl of the recorded pages (first listing page only), then the alert.
    crawl(max_pages=1)
    site.smtp.wait_for(2)
    assert len(site.smtp.messages) == 2
    alert = site.smtp.messages[1]
    assert alert["To"] == "camille@example.org"
    assert re.fullmatch(r"veille · \d+ nouvelles offres · votre alerte", alert["Subject"])
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert alert["Auto-Submitted"] == "auto-generated"
    unsubscribe_url = re.match(r"<([^>]+)>", alert["List-Unsubscribe"]).group(1)
    html = alert.get_body(("html",)).get_content()
    text = alert.get_body(("plain",)).get_content()
    assert "Chargé de recrutement" in text or "Chargé(e) de recrutement" in text or "recrutement" in text.lower()
    hrefs = {url.replace("&amp;", "&") for url in re.findall(r'href="([^"]+)"', html)}
    assert hrefs and all(url in text for url in hrefs)

    # The alert as a phone shows it: nothing wider than the screen.
    (tmp_path / "alert.html").write_text(html, encoding="utf-8")
    mail = browser.new_page()
    mail.set_viewport_size(PHONE)
    mail.goto((tmp_path / "alert.html").as_uri())
    assert fits(mail)
    mail.screenshot(path=str(shots / "alert-phone.png"))

    # « pas pertinente » on the first offer, from the mail.
    not_relevant = mail.locator("a", has_text="pas pertinente").first.get_attribute("href")
    page.goto(not_relevant)
    page.click("button[type=submit]")
    assert page.inner_text("h1") == "Merci"
    feedback = site.db().execute_returning_dicts("select subscription, verdict from alert_feedback")
    assert feedback == [{"subscription": "web:1", "verdict": "not_relevant"}]

    # The pages: offers (phone and desktop), a job, the management page.
    page.goto(f"{site.url}/")
    assert page.locator("article.job").count() >= 5
    page.screenshot(path=str(shots / "offers.png"))
    phone = browser.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{site.url}/?q=recrutement")
    assert fits(phone)
    phone.screenshot(path=str(shots / "offers-phone.png"))
    page.click("article.job h2 a >> nth=0")
    assert page.url.startswith(f"{site.url}/offres/")
    page.screenshot(path=str(shots / "job.png"))
    manage_url = mail.locator("a", has_text="Gérer mon alerte").get_attribute("href")
    page.goto(manage_url)
    assert page.inner_text("h1") == "Gérer mon alerte"
    page.screenshot(path=str(shots / "manage.png"))

    # One-click unsubscribe, as a mail client does it (RFC 8058): one POST, no page, no cookie.
    answer = httpx.post(
        unsubscribe_url,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert site.db().execute("select count(*) from web_subscriptions").fetchone()[0] == 0

    # The next crawl finds new offers (the whole listing: its second page too) and sends nothing.
    before = site.db().execute("select count(*) from offers").fetchone()[0]
    crawl(10, "--full")
    assert site.db().execute("select count(*) from offers").fetchone()[0] > before
    assert len(site.smtp.messages) == 2


def test_the_demos_alert_in_a_browser(tmp_path, browser):
    """The README's screenshot of the demo's alert (docs/screenshots/demo-alert.png), on the README's day:
    the saved .html as a mail client shows it, every job of the message there, nothing wider than the window."""
    import email
    import email.policy

    from tests.test_demo import README_NOW

    shots = shots_dir(tmp_path)
    kept = tmp_path / "demo"
    result = run_veille("demo", "--keep", str(kept), env={"VEILLE_NOW": README_NOW}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    saved = email.message_from_bytes((kept / "alerte.eml").read_bytes(), policy=email.policy.default)
    count = int(saved["Subject"].split(" · ")[1].split()[0])
    page = browser.new_page()
    page.set_viewport_size({"width": 760, "height": 1100})
    page.goto((kept / "alerte.html").as_uri())
    assert fits(page)
    text = page.inner_text("body")
    assert f"{count} nouvelles offres pour « transformation publique »" in text
    assert text.count("Pourquoi : pertinence") == count
    page.screenshot(path=str(shots / "demo-alert.png"))
