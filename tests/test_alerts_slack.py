"""Slack alerts through apprise's real Slack plugin, its webhook base redirected to a
loopback HTTP sink: the JSON payload Slack would get, and a 500 answered by one retry."""

import datetime as dt

import pytest
from apprise.plugins.slack import NotifySlack

from alerts.dispatch import dispatch
from crawler.config import parse_config
from tests.alerts_support import offer, store

T0 = dt.datetime(2026, 10, 2, 10, 0, tzinfo=dt.UTC)
SLACK = "slack://T0VEILLE1/B0VEILLE2/abcdefghijklmnopqrstuvwx/#offres"


@pytest.fixture
def slack(webhook_sink, monkeypatch):
    # The plugin posts to f"{webhook_url}/{token_a}/{token_b}/{token_c}"; webhook_url is
    # its class attribute for hooks.slack.com. Pointing it at the sink redirects the
    # real plugin, payload building and HTTP call included.
    monkeypatch.setattr(NotifySlack, "webhook_url", f"{webhook_sink.url}/services")
    return webhook_sink


def config_for(url: str):
    return parse_config(
        {
            "alerts": {"retry_base": 60},
            "subscriptions": [
                {"name": "transformation publique", "keywords": ["transformation publique"], "channels": [url]}
            ],
        }
    )


def test_slack_gets_readable_mrkdwn_with_links_and_inert_offer_text(fresh_db, slack):
    config = config_for(SLACK)
    dispatch(fresh_db, config, now=T0)
    store(
        fresh_db,
        offer(
            "2024-17971",
            "Chef de projets innovation et transformation publique H/F",
            deadline="2099-05-22",
            apply_url="https://candidature.example.org/apply?ref=1&src=2",
        ),
        offer("2026-1", "Transformation publique <!channel> <https://evil.example|cliquez> *gras* & co"),
    )
    report = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=1)).subscriptions[0]
    assert (report.sent, report.messages) == (2, 1)

    [request] = slack.requests
    assert request["path"] == "/services/T0VEILLE1/B0VEILLE2/abcdefghijklmnopqrstuvwx"
    payload = slack.json_bodies()[0]
    assert payload["channel"] == "#offres"
    # Block Kit: a header, the message as one mrkdwn section, a footer.
    [attachment] = payload["attachments"]
    header, section, footer = attachment["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "veille · 2 nouvelles offres · transformation publique", "emoji": True},
    }
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert footer["type"] == "context"
    text = section["text"]["text"]
    assert "*2 nouvelles offres pour « transformation publique »*" in text
    assert (
        "<https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2024-17971/|Chef de projets innovation et "
        "transformation publique H/F>" in text
    )
    assert "<https://candidature.example.org/apply?ref=1&amp;src=2|Postuler>" in text
    assert "Date limite : 22 mai 2099" in text
    assert "_Pourquoi : « transformation publique » dans titre_" in text
    # Offer text cannot ping a channel, make a link or close one.
    assert "<!channel>" not in text and "<https://evil.example" not in text
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example" in text and "&amp; co" in text


def test_slack_answering_500_then_200_gets_the_message_once(fresh_db, slack):
    config = config_for(SLACK)
    dispatch(fresh_db, config, now=T0)
    store(fresh_db, offer("n-1", "Chef de projet transformation publique"))
    slack.statuses = [500]
    first = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=1)).subscriptions[0]
    assert first.sent == 0 and first.failures and "500" in first.failures[0].error
    second = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=2)).subscriptions[0]
    assert second.sent == 1
    dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=30))
    assert [request["status"] for request in slack.requests] == [500, 200]
    assert fresh_db.execute("select status, attempts from alert_outbox").fetchall() == [("sent", 2)]


def test_a_long_alert_is_split_into_messages_slack_accepts(fresh_db, slack):
    """A Block Kit section holds 3,000 characters: more jobs go in more messages, each job once."""
    config = config_for(SLACK)
    dispatch(fresh_db, config, now=T0)
    store(
        fresh_db,
        *[
            offer(f"n-{i}", f"Poste {i} de chef de projet transformation publique", missions="x " * 200)
            for i in range(12)
        ],
    )
    report = dispatch(fresh_db, config, now=T0 + dt.timedelta(minutes=1)).subscriptions[0]
    sections = [payload["attachments"][0]["blocks"][1]["text"]["text"] for payload in slack.json_bodies()]
    assert report.sent == 12 and len(sections) > 1
    assert all(len(text) <= 3000 for text in sections)
    assert sorted(sum(f"Poste {i} " in text for text in sections) for i in range(12)) == [1] * 12
