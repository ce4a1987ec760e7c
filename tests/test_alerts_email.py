"""E-mail alerts through apprise's real mailto:// plugin to a real SMTP server on 127.0.0.1
(aiosmtpd): the MIME message as a mail client gets it, and nothing lost when SMTP is down."""

import datetime as dt
import re

from alerts.dispatch import dispatch
from crawler.config import parse_config
from tests.alerts_support import offer, store

T0 = dt.datetime(2026, 10, 2, 10, 0, tzinfo=dt.UTC)

HOSTILE_TITLE = 'Chef de projet transformation publique <script>alert("x")</script> & <b>co</b>'


def config_for(url: str, name: str = "transformation publique"):
    return parse_config(
        {
            "alerts": {"retry_base": 60},
            "subscriptions": [{"name": name, "keywords": ["transformation publique"], "channels": [url]}],
        }
    )


def parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


def test_one_mail_with_plain_and_html_parts_listing_every_new_offer(fresh_db, smtp_server):
    server = smtp_server()
    config = config_for(server.url(to="alice@example.org"))
    dispatch(fresh_db, config, now=T0)
    store(
        fresh_db,
        offer(
            "2024-17971",
            "Chef de projets innovation et transformation publique H/F",
            employer="Direction interministérielle de la transformation publique (DITP)",
            location="Nantes",
            department="44",
            deadline="2099-05-22",
            apply_url="https://candidature.example.org/apply?ref=2024-17971&src=veille",
        ),
        offer("2026-1", HOSTILE_TITLE, employer="Préfecture <img src=x onerror=alert(1)>", deadline="2099-10-01"),
        offer("2026-2", "Chargée de mission transformations publiques"),
    )
    report = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=5)).subscriptions[0]
    assert (report.sent, report.messages) == (3, 1)

    [message] = server.messages
    assert message["Subject"] == "veille · 3 nouvelles offres · transformation publique"
    assert message["To"] == "alice@example.org"
    assert message["From"].endswith("<veille@example.org>") or message["From"] == "veille@example.org"
    assert message.get_content_type() == "multipart/alternative"
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    html, text = body["text/html"], body["text/plain"]

    # HTML: offer text escaped, links clickable.
    assert "<script" not in html and "<img" not in html and "<b>co" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in html
    assert '<a href="https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2024-17971/"' in html
    assert '<a href="https://candidature.example.org/apply?ref=2024-17971&amp;src=veille">' in html
    assert "Direction interministérielle de la transformation publique (DITP) · Nantes (44)" in html
    assert "Date limite : 22 mai 2099" in html and "Date limite : 1er octobre 2099" in html

    # Plain text: the same offers, with their URLs written out.
    assert "Chef de projets innovation et transformation publique H/F" in text
    assert "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2024-17971/" in text
    assert "https://candidature.example.org/apply?ref=2024-17971&src=veille" in text
    assert "Chargée de mission transformations publiques" in text
    assert "Date limite : 22 mai 2099" in text
    assert re.search(r"Pourquoi : « transformation publique » dans titre", text)


def test_smtp_down_for_the_first_dispatch_loses_nothing_and_sends_once_later(fresh_db, smtp_server):
    server = smtp_server(running=False)  # nothing listens on its port yet
    config = config_for(server.url())
    dispatch(fresh_db, config, now=T0)
    store(
        fresh_db,
        offer("n-1", "Chef de projet transformation publique"),
        offer("n-2", "Transformation publique : chargé de mission"),
    )

    first = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=1)).subscriptions[0]
    assert first.sent == 0 and first.failures and first.pending == 2
    assert "127.0.0.1" in first.failures[0].error or "Connection" in first.failures[0].error

    server.start()
    # Too early for the retry (backoff 60 s): nothing is sent, nothing is lost.
    assert dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=1, seconds=30)).subscriptions[0].sent == 0
    second = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=2)).subscriptions[0]
    assert (second.sent, second.messages, second.failures) == (2, 1, [])
    third = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=10)).subscriptions[0]
    assert third.sent == 0
    assert len(server.messages) == 1
    assert server.messages[0]["Subject"] == "veille · 2 nouvelles offres · transformation publique"


def test_singular_subject_and_text_only_mail(fresh_db, smtp_server):
    server = smtp_server()
    config = config_for(server.url(format="text"), name="design")
    dispatch(fresh_db, config, now=T0)
    store(fresh_db, offer("n-1", "Designer transformation publique"))
    dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=1))
    [message] = server.messages
    assert message["Subject"] == "veille · 1 nouvelle offre · design"
    assert message.get_content_type() == "text/plain"
    assert (
        "Voir l'offre sur Choisir le service public : https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-n-1/"
        in message.get_content()
    )
