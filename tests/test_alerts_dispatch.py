"""Dispatch on a real SQLite file, sending through apprise to a loopback HTTP sink
(json:// webhooks): new-only matching, backfill, one message per dispatch, retries
with backoff, failure after N attempts, digests, dry runs."""

import datetime as dt

import pytest

from alerts.dispatch import MAX_PER_MESSAGE, dispatch, next_due
from crawler.config import parse_config
from storage import clock, outbox
from storage.clock import PARIS
from tests.alerts_support import offer, store

T0 = dt.datetime(2026, 10, 2, 10, 0, tzinfo=dt.UTC)


def at(minutes: float = 0, *, hours: float = 0, days: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes, hours=hours, days=days)


def config_for(*channels, mode="immediate", keywords=("transformation publique",), **alerts):
    return parse_config(
        {
            "alerts": {"max_attempts": 3, "retry_base": 60, "retry_max": 3600, **alerts},
            "subscriptions": [{"name": "tp", "keywords": list(keywords), "channels": list(channels), "mode": mode}],
        }
    )


def hook(sink, path="/hook"):
    return f"json://127.0.0.1:{sink.url.rsplit(':', 1)[1]}{path}"


def outbox_rows(db):
    return db.execute_returning_dicts(
        "select subscription, unit, channel, status, attempts, next_attempt_at, last_error from alert_outbox order by "
        "id"
    )


def test_a_new_subscription_starts_now_and_gets_one_message_per_dispatch(fresh_db, webhook_sink):
    store(fresh_db, offer("old-1", "Chef de projet transformation publique"))
    config = config_for(hook(webhook_sink))
    first = dispatch(fresh_db, config, now=at(0))
    assert first.subscriptions[0].matched == 0 and webhook_sink.requests == []  # no back catalogue

    store(
        fresh_db,
        offer("new-1", "Chargée de mission transformation publique"),
        offer("new-2", "Chef de projets innovation et transformations publiques"),
        offer("new-3", "Chargé de recrutement"),
    )
    second = dispatch(fresh_db, config, now=at(5))
    report = second.subscriptions[0]
    assert (report.matched, report.sent, report.messages) == (2, 2, 1)
    [payload] = webhook_sink.json_bodies()
    assert payload["title"] == "veille · 2 nouvelles offres · tp"
    assert "Chargée de mission transformation publique" in payload["message"]
    assert "Chef de projets innovation et transformations publiques" in payload["message"]
    assert "recrutement" not in payload["message"]
    assert "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-new-1/" in payload["message"]

    third = dispatch(fresh_db, config, now=at(10))
    assert third.subscriptions[0].matched == 0 and len(webhook_sink.requests) == 1
    assert {row["status"] for row in outbox_rows(fresh_db)} == {"sent"}


def test_backfill_sends_the_open_back_catalogue_once(fresh_db, webhook_sink):
    store(
        fresh_db,
        offer("old-1", "Chef de projet transformation publique"),
        offer("old-2", "Designer transformation publique", deadline="2026-09-30"),  # closed before T0
    )
    config = config_for(hook(webhook_sink))
    report = dispatch(fresh_db, config, now=at(0), backfill=True).subscriptions[0]
    assert (report.matched, report.sent) == (1, 1)
    assert (
        "old-1" in webhook_sink.json_bodies()[0]["message"] and "old-2" not in webhook_sink.json_bodies()[0]["message"]
    )
    again = dispatch(fresh_db, config, now=at(1), backfill=True).subscriptions[0]
    assert again.sent == 0 and len(webhook_sink.requests) == 1


def test_dry_run_writes_and_sends_nothing(fresh_db, webhook_sink):
    store(fresh_db, offer("old-1", "Chef de projet transformation publique"))
    config = config_for(hook(webhook_sink))
    report = dispatch(fresh_db, config, now=at(0), dry_run=True, backfill=True)
    assert report.subscriptions[0].would_send == ["job:1"]
    assert webhook_sink.requests == []
    assert fresh_db.execute("select count(*) from alert_subscriptions").fetchone()[0] == 0
    assert outbox_rows(fresh_db) == []


def test_a_failing_channel_is_retried_with_backoff_and_never_blocks_the_other(fresh_db, webhook_sink):
    down, up = hook(webhook_sink, "/down"), hook(webhook_sink, "/up")
    config = config_for(down, up)
    dispatch(fresh_db, config, now=at(0))
    store(fresh_db, offer("n-1", "Chef de projet transformation publique"))
    webhook_sink.statuses = [500]  # the first request (to /down) fails
    report = dispatch(fresh_db, config, now=at(1)).subscriptions[0]
    assert [request["path"] for request in webhook_sink.requests] == ["/down", "/up"]
    assert report.sent == 1 and len(report.failures) == 1
    rows = {row["channel"].rsplit("/", 1)[1]: row for row in outbox_rows(fresh_db)}
    assert rows["up"]["status"] == "sent"
    assert rows["down"]["status"] == "pending" and rows["down"]["attempts"] == 1
    assert rows["down"]["next_attempt_at"] == clock.iso(at(2))  # retry_base 60 s
    assert rows["down"]["last_error"]

    # Before its time, the failed channel is left alone; after it, sent once.
    dispatch(fresh_db, config, now=at(1.5))
    assert len(webhook_sink.requests) == 2
    dispatch(fresh_db, config, now=at(2))
    assert [request["path"] for request in webhook_sink.requests] == ["/down", "/up", "/down"]
    assert {row["status"] for row in outbox_rows(fresh_db)} == {"sent"}


def test_after_max_attempts_an_alert_is_failed_reported_and_can_be_retried(fresh_db, webhook_sink):
    config = config_for(hook(webhook_sink))
    dispatch(fresh_db, config, now=at(0))
    store(fresh_db, offer("n-1", "Chef de projet transformation publique"))
    webhook_sink.statuses = [500, 503, 500]
    times = [at(1), at(2), at(4)]  # backoff 60 s then 120 s
    for moment in times:
        dispatch(fresh_db, config, now=moment)
    [row] = outbox_rows(fresh_db)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert [summary["failed"] for summary in outbox.summary(fresh_db)] == [1]
    assert outbox.failed_alerts(fresh_db)[0]["unit"] == "job:1"
    assert dispatch(fresh_db, config, now=at(hours=5)).subscriptions[0].sent == 0
    assert outbox.retry_failed(fresh_db, at(hours=5)) == 1
    assert dispatch(fresh_db, config, now=at(hours=5)).subscriptions[0].sent == 1
    assert len(webhook_sink.requests) == 4


def test_backoff_doubles_up_to_the_cap():
    assert [outbox.retry_delay(n, 300, 3600).total_seconds() for n in range(1, 7)] == [300, 600, 1200, 2400, 3600, 3600]


def test_a_daily_digest_waits_for_its_time_then_sends_everything_at_once(fresh_db, webhook_sink):
    config = config_for(hook(webhook_sink), mode="daily 08:00")
    paris = lambda *args: dt.datetime(2026, 10, *args, tzinfo=PARIS)  # noqa: E731
    dispatch(fresh_db, config, now=paris(2, 9, 0))  # registered after today's 08:00
    store(fresh_db, offer("n-1", "Chef de projet transformation publique"))
    report = dispatch(fresh_db, config, now=paris(2, 12, 0)).subscriptions[0]
    assert (report.matched, report.sent, report.due, report.pending) == (1, 0, False, 1)
    assert report.next_due == paris(3, 8, 0)
    store(fresh_db, offer("n-2", "Chargé de mission transformation publique"))
    assert dispatch(fresh_db, config, now=paris(3, 7, 59)).subscriptions[0].sent == 0
    report = dispatch(fresh_db, config, now=paris(3, 8, 5)).subscriptions[0]
    assert (report.sent, report.messages) == (2, 1)
    [payload] = webhook_sink.json_bodies()
    assert payload["title"] == "veille · Résumé du jour · 2 nouvelles offres · tp"
    assert "Résumé du jour" in payload["message"]
    assert next_due(fresh_db, config, paris(3, 9, 0)) == {"tp": paris(4, 8, 0)}


def test_a_large_batch_is_split_into_numbered_messages(fresh_db, webhook_sink):
    config = config_for(hook(webhook_sink))
    dispatch(fresh_db, config, now=at(0))
    store(fresh_db, *[offer(f"n-{i}", f"Poste {i} transformation publique") for i in range(MAX_PER_MESSAGE + 5)])
    report = dispatch(fresh_db, config, now=at(1)).subscriptions[0]
    assert (report.sent, report.messages) == (MAX_PER_MESSAGE + 5, 2)
    titles = [payload["title"] for payload in webhook_sink.json_bodies()]
    assert titles == [
        f"veille · {MAX_PER_MESSAGE} nouvelles offres · tp (1/2)",
        "veille · 5 nouvelles offres · tp (2/2)",
    ]


def test_an_offer_matched_by_two_subscriptions_alerts_each_once(fresh_db, webhook_sink):
    config = parse_config(
        {
            "subscriptions": [
                {"name": "tp", "keywords": ["transformation publique"], "channels": [hook(webhook_sink, "/a")]},
                {
                    "name": "paris",
                    "keywords": ["transformation"],
                    "departements": ["75"],
                    "channels": [hook(webhook_sink, "/b")],
                },
            ]
        }
    )
    dispatch(fresh_db, config, now=at(0))
    store(
        fresh_db,
        offer("n-1", "Chef de projet transformation publique"),
        offer("n-2", "Transformation publique", department="44", location="Nantes"),
    )
    dispatch(fresh_db, config, now=at(1))
    by_path = {request["path"]: payload for request, payload in zip(webhook_sink.requests, webhook_sink.json_bodies())}
    assert by_path["/a"]["title"] == "veille · 2 nouvelles offres · tp"
    assert by_path["/b"]["title"] == "veille · 1 nouvelle offre · paris"
    # Updating a stored offer does not make it new again.
    store(fresh_db, offer("n-1", "Chef de projet transformation publique (H/F)"))
    dispatch(fresh_db, config, now=at(2))
    assert len(webhook_sink.requests) == 2


@pytest.mark.parametrize("mode", ["immediate", "weekly mon 08:00"])
def test_next_due_for_a_scheduler(fresh_db, webhook_sink, mode):
    config = config_for(hook(webhook_sink), mode=mode)
    dispatch(fresh_db, config, now=at(0))
    due = next_due(fresh_db, config, at(0))["tp"]
    if mode == "immediate":
        assert due is None  # served by the dispatch after each crawl
    else:
        assert due == dt.datetime(2026, 10, 5, 8, 0, tzinfo=PARIS)


def test_a_service_with_a_small_limit_gets_the_offers_over_several_short_messages(fresh_db, webhook_sink, monkeypatch):
    from apprise.plugins.custom_json import NotifyJSON

    monkeypatch.setattr(NotifyJSON, "body_maxlen", 1500)  # like Discord's 2,000
    config = config_for(hook(webhook_sink))
    dispatch(fresh_db, config, now=at(0))
    store(fresh_db, *[offer(f"n-{i}", f"Poste {i} de chef de projet transformation publique") for i in range(7)])
    report = dispatch(fresh_db, config, now=at(1)).subscriptions[0]
    payloads = webhook_sink.json_bodies()
    assert report.sent == 7 and report.messages == len(payloads) > 1
    assert all(len(payload["message"]) <= 1500 for payload in payloads)
    listed = [f"Poste {i} " for i in range(7)]
    assert sorted(sum(text in payload["message"] for payload in payloads) for text in listed) == [1] * 7  # each once
    assert payloads[-1]["title"].endswith(f"({len(payloads)}/{len(payloads)})")
    assert {row["status"] for row in outbox_rows(fresh_db)} == {"sent"}


def test_a_webhook_gets_each_job_as_fields(fresh_db, webhook_sink):
    config = config_for(hook(webhook_sink))
    dispatch(fresh_db, config, now=at(0))
    store(
        fresh_db,
        offer(
            "n-1",
            "Chef de projet transformation publique",
            category="A",
            versant="État",
            salary="35 000 – 42 000 € par an",
            remote="Oui",
            missions="Piloter la transformation.",
            apply_url="https://example.org/postuler",
        ),
    )
    dispatch(fresh_db, config, now=at(1))
    [payload] = webhook_sink.json_bodies()
    # apprise's fields, for consumers that read them...
    assert payload["title"] == "veille · 1 nouvelle offre · tp" and payload["type"] == "info"
    assert payload["message"].startswith("1 nouvelle offre pour « tp »")
    # ...and the jobs as data.
    [job] = payload["jobs"]
    assert job["id"].startswith("job:")
    assert {name: job[name] for name in ("title", "employer", "place", "category", "versant", "salary", "remote")} == {
        "title": "Chef de projet transformation publique",
        "employer": "Ministère de l'Intérieur",
        "place": "Paris (75)",
        "category": "A",
        "versant": "État",
        "salary": "35 000 – 42 000 € par an",
        "remote": "Oui",
    }
    assert (job["deadline"], job["published_on"], job["excerpt"]) == (
        "2099-12-31",
        "2026-10-02",
        "Piloter la transformation.",
    )
    assert job["links"] == [
        {
            "label": "Voir l'offre sur Choisir le service public",
            "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-n-1/",
        },
        {"label": "Postuler", "url": "https://example.org/postuler"},
    ]
    assert job["why"] == "« transformation publique » dans titre"
