"""The alert e-mail a web subscriber receives, as the loopback SMTP server got it: what mailbox providers
require (RFC 8058 one-click unsubscribe, List-Id, Auto-Submitted, a sender's name, both parts), what a
reader needs (every link of the HTML part in the text part, French, phone width), and the private feed."""

import datetime as dt
import re

import feedparser

from alerts.dispatch import dispatch
from tests.alerts_support import offer, store
from tests.conftest import FROZEN_NOW
from tests.test_web_subscribe import config_for, confirm, subscribe
from tests.web_support import links_in


def alerted(site, **form):
    subscribe(site, **form)
    confirm(site)
    store(
        site.db(),
        offer(
            "e-1",
            "Chef de projet transformation publique",
            published_on="2026-06-14",
            deadline="2026-07-14",
            category="A",
            versant="État",
            remote="2 jours par semaine",
            missions="Piloter les projets de transformation des services publics avec les usagers. " * 5,
            apply_url="https://example.org/postuler?ref=1&x=2",
        ),
        offer("e-2", "Designer de services publics", published_on="2026-06-15", deadline="2026-06-20"),
    )
    dispatch(site.db(), config_for(site), now=FROZEN_NOW)
    return site.smtp.messages[-1]


def test_headers_mailbox_providers_require(frozen_clock, web_site):
    site = web_site()
    message = alerted(site)
    assert message["From"] == "Veille emploi public <veille@example.org>"
    assert message["To"] == "camille@example.org"
    assert message["Subject"] == "veille · 2 nouvelles offres · votre alerte"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert message["List-Id"] == "Veille emploi public <alerte-1.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert https.startswith(f"{site.url}/desabonnement/")
    assert mailto == "mailto:veille@example.org?subject=desabonnement%20web%3A1"
    assert message["Message-ID"].endswith("@example.org>") and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_every_link_of_the_html_part_is_in_the_text_part(frozen_clock, web_site):
    site = web_site()
    message = alerted(site)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    hrefs = [url.replace("&amp;", "&") for url in re.findall(r'href="([^"]+)"', html)]
    assert len(hrefs) >= 8  # two jobs' links and feedback links, manage, unsubscribe
    assert [url for url in hrefs if url not in text] == []
    assert "Gérer mon alerte" in html and "Se désabonner" in html
    assert f"Gérer mon alerte : {site.url}/gerer/" in text and f"Se désabonner : {site.url}/desabonnement/" in text
    # Short labels, not raw URLs, in the HTML: nothing wider than a phone.
    assert ">Voir l'offre sur Choisir le service public</a>" in html.replace("&#39;", "'")
    assert ">https://" not in html


def test_what_each_job_says(frozen_clock, web_site):
    site = web_site()
    text = alerted(site).get_body(("plain",)).get_content()
    first, second = text.split("\n- ")[1:3]
    # Newest first.
    assert first.startswith("Designer de services publics") and second.startswith("Chef de projet transformation")
    assert "Catégorie A, fonction publique de l'État · Télétravail : 2 jours par semaine" in second
    assert "Date limite : 14 juillet 2026 · publiée le 14 juin 2026" in second
    assert "Piloter les projets de transformation des services publics avec les usagers. Piloter" in second
    assert " …" in second  # two lines of missions, cut at a word
    assert "Postuler : https://example.org/postuler?ref=1&x=2" in second
    assert "Pourquoi : " in second


def test_html_is_french_and_fits_a_phone(frozen_clock, web_site):
    site = web_site()
    html = alerted(site).get_body(("html",)).get_content()
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert '<meta charset="utf-8">' in html and 'name="viewport"' in html
    assert "overflow-wrap: anywhere" in html and len(html.encode()) < 102_000
    assert "<img" not in html  # no tracking pixel


def test_soonest_deadline_first_when_asked(frozen_clock, web_site):
    site = web_site()
    text = alerted(site, tri="echeance").get_body(("plain",)).get_content()
    assert text.split("\n- ")[1].startswith("Designer de services publics")  # deadline 20 June, then 14 July


def test_old_offers_never_arrive_as_new(frozen_clock, web_site):
    site = web_site()
    subscribe(site)
    confirm(site)
    store(site.db(), offer("old", "Chef de projet transformation publique", published_on="2026-03-01"))
    report = dispatch(site.db(), config_for(site), now=FROZEN_NOW)
    assert [sub.matched for sub in report.subscriptions] == [0]  # published 106 days ago, max_age_days 60


def test_the_private_feed_lists_what_the_subscription_found(frozen_clock, web_site):
    site = web_site()
    message = alerted(site)
    manage = links_in(message.get_body(("plain",)).get_content(), f"{site.url}/gerer/")[0]
    page = site.client().get(manage)
    [feed_url] = set(links_in(page.text, f"{site.url}/flux/"))
    feed = feedparser.parse(site.client().get(feed_url).content)
    assert feed.bozo == 0 and feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == [
        "Designer de services publics",
        "Chef de projet transformation publique",
    ]
    frozen_clock(FROZEN_NOW + dt.timedelta(days=400))  # feeds do not expire with the other links
    assert site.client().get(feed_url).status_code == 200
