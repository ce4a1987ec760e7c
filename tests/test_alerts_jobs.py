"""Alerts follow jobs, through apprise's real mailto:// plugin to a real SMTP server on
127.0.0.1: a job is alerted once whatever the boards it shows up on later, its first alert
lists every link known then, closed jobs are never alerted, a re-post is news."""

import datetime as dt

from alerts.channels import channel_key
from alerts.dispatch import dispatch
from crawler.config import parse_config
from storage import open_db
from storage.job_edits import merge_jobs, resolve_job
from storage.job_views import get_job
from storage.migrations import migrations
from storage.offers import store_offers
from tests.conftest import store_before_jobs
from tests.test_jobs import (
    csp_copy,
    csp_offer,
    ditp_page,
    passerelles_copy,
    voix_usager,
    voix_usager_hellowork,
)

T0 = dt.datetime(2025, 4, 17, 10, 0, tzinfo=dt.UTC)


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def stamp(days: float) -> str:
    return at(days).isoformat()


def config_for(url: str):
    return parse_config(
        {
            "alerts": {"retry_base": 60},
            "subscriptions": [
                {
                    "name": "transformation publique",
                    "keywords": ["title:transformation", "title:usager"],
                    "channels": [url],
                }
            ],
        }
    )


def text_of(message) -> str:
    return next(part.get_content() for part in message.walk() if part.get_content_type() == "text/plain")


def outbox_units(db) -> list[tuple[str, str]]:
    return db.execute("select unit, status from alert_outbox order by id").fetchall()


def test_a_job_alerted_on_one_board_is_not_alerted_again_from_another(fresh_db, smtp_server):
    server = smtp_server()
    config = config_for(server.url())
    dispatch(fresh_db, config, now=at(0))  # the subscription starts now

    store_offers(fresh_db, [ditp_page()], seen_at=stamp(1))
    first = dispatch(fresh_db, config, now=at(1.01)).subscriptions[0]
    assert (first.matched, first.sent, first.messages) == (1, 1, 1)
    [message] = server.messages
    assert message["Subject"] == "veille · 1 nouvelle offre · transformation publique"
    assert ditp_page()["url"] in text_of(message)

    # the next crawls find the same post on Passerelles and on CSP: the job gains two offers
    store_offers(fresh_db, [passerelles_copy()], seen_at=stamp(2))
    store_offers(fresh_db, [csp_copy()], seen_at=stamp(5))
    job = resolve_job(fresh_db, "choisirleservicepublic:MEF_2024-17971")
    assert job == resolve_job(fresh_db, "modernisation:chef-de-projets-innovation-et-transformation-publique-hf")
    later = dispatch(fresh_db, config, now=at(5.01)).subscriptions[0]
    assert (later.matched, later.sent, later.messages) == (0, 0, 0)
    assert len(server.messages) == 1
    assert outbox_units(fresh_db) == [(f"job:{job}", "sent")]

    # a new post still gets through
    store_offers(fresh_db, [voix_usager(published_on="2025-04-25")], seen_at=stamp(8))
    assert dispatch(fresh_db, config, now=at(8.01)).subscriptions[0].sent == 1
    assert len(server.messages) == 2 and "Chef du Pôle Voix de l'Usager" in text_of(server.messages[1])


def test_the_first_alert_lists_every_board_known_then(fresh_db, smtp_server):
    server = smtp_server()
    config = config_for(server.url())
    dispatch(fresh_db, config, now=at(0))
    store_offers(fresh_db, [ditp_page()], seen_at=stamp(1))
    store_offers(fresh_db, [passerelles_copy()], seen_at=stamp(1.5))
    store_offers(fresh_db, [csp_copy()], seen_at=stamp(5))
    report = dispatch(fresh_db, config, now=at(5.01)).subscriptions[0]
    assert (report.matched, report.sent, report.messages) == (1, 1, 1)

    [message] = server.messages
    assert message["Subject"] == "veille · 1 nouvelle offre · transformation publique"  # one job, not three offers
    text = text_of(message)
    assert text.count("Chef de projets innovation et transformation publique") == 1
    for url in (ditp_page()["url"], passerelles_copy()["url"], csp_copy()["url"]):
        assert url in text
    assert "Voir l'offre sur Passerelles, via modernisation.gouv.fr (DITP)" in text
    assert "Voir l'offre sur Choisir le service public" in text
    html = next(part.get_content() for part in message.walk() if part.get_content_type() == "text/html")
    assert f'<a href="{csp_copy()["url"]}"' in html


def test_closed_jobs_are_never_alerted_until_they_reopen(fresh_db, smtp_server):
    server = smtp_server()
    config = config_for(server.url())
    dispatch(fresh_db, config, now=at(0))
    # stored while open, matched after its deadline passed
    store_offers(fresh_db, [voix_usager(published_on="2025-04-17", deadline="2025-04-20")], seen_at=stamp(1))
    # a job with one closed and one open offer is open
    store_offers(
        fresh_db, [ditp_page(deadline="2025-04-19"), passerelles_copy(deadline="2025-06-30")], seen_at=stamp(1)
    )
    report = dispatch(fresh_db, config, now=at(4)).subscriptions[0]
    assert (report.matched, report.sent) == (1, 1)
    [message] = server.messages
    assert "Chef de projets innovation" in text_of(message) and "Voix de l'Usager" not in text_of(message)
    # backfill does not send it either
    assert dispatch(fresh_db, config, now=at(4.1), backfill=True).subscriptions[0].sent == 0
    assert len(server.messages) == 1

    # its deadline is extended: the job reopens and is news
    store_offers(fresh_db, [voix_usager(published_on="2025-04-17", deadline="2025-05-31")], seen_at=stamp(5))
    reopened = dispatch(fresh_db, config, now=at(5.01)).subscriptions[0]
    assert reopened.sent == 1
    assert "Voix de l'Usager" in text_of(server.messages[1])


def test_a_repost_is_a_new_job_and_alerted(fresh_db, smtp_server):
    server = smtp_server()
    config = config_for(server.url())
    dispatch(fresh_db, config, now=at(0))
    first = csp_offer(
        "2025-1001",
        "Chargé(e) de mission transformation et innovation publique (H/F)",
        published_on="2025-04-18",
        deadline="2025-05-18",
    )
    store_offers(fresh_db, [first], seen_at=stamp(1))
    assert dispatch(fresh_db, config, now=at(1.01)).subscriptions[0].sent == 1

    again = csp_offer(
        "2025-1450",
        "Chargé de mission transformation et innovation publique H/F",
        published_on="2025-06-10",
        deadline="2025-07-10",
    )
    store_offers(fresh_db, [again], seen_at="2025-06-10T08:00:00+00:00")
    old, new = (
        resolve_job(fresh_db, "choisirleservicepublic:2025-1001"),
        resolve_job(fresh_db, "choisirleservicepublic:2025-1450"),
    )
    assert get_job(fresh_db, new)["reposted_from"] == old
    report = dispatch(fresh_db, config, now=dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC)).subscriptions[0]
    assert report.sent == 1
    assert len(server.messages) == 2 and "reference-2025-1450" in text_of(server.messages[1])
    assert outbox_units(fresh_db) == [(f"job:{old}", "sent"), (f"job:{new}", "sent")]


def test_jobs_merged_by_hand_after_being_alerted_apart_are_not_alerted_again(fresh_db, smtp_server):
    server = smtp_server()
    config = config_for(server.url())
    dispatch(fresh_db, config, now=at(0))
    store_offers(fresh_db, [ditp_page(deadline="2025-08-01")], seen_at=stamp(1))
    dispatch(fresh_db, config, now=at(1.01))
    late = csp_copy(
        source_id="2025-999", published_on="2025-06-17", deadline="2025-07-30"
    )  # outside the window: a job of its own
    store_offers(fresh_db, [late], seen_at="2025-06-17T08:00:00+00:00")
    june = dt.datetime(2025, 6, 17, 9, tzinfo=dt.UTC)
    dispatch(fresh_db, config, now=june)
    assert len(server.messages) == 2
    keep, other = (
        resolve_job(fresh_db, "modernisation:chef-de-projets-innovation-et-transformation-publique-hf"),
        resolve_job(fresh_db, "choisirleservicepublic:2025-999"),
    )
    merge_jobs(fresh_db, keep, other)
    store_offers(fresh_db, [passerelles_copy(deadline="2025-08-01")], seen_at="2025-06-18T08:00:00+00:00")
    report = dispatch(fresh_db, config, now=june + dt.timedelta(days=1)).subscriptions[0]
    assert (report.matched, report.sent) == (0, 0)
    assert len(server.messages) == 2
    assert outbox_units(fresh_db) == [(f"job:{keep}", "sent")]


def test_offer_alerts_sent_before_jobs_existed_count_for_their_jobs(tmp_path, smtp_server):
    server = smtp_server()
    config = config_for(server.url())
    path = tmp_path / "old.db"
    db = open_db(path, migrate=False)
    migrations.apply(db, stop_before="m005_jobs")
    store_before_jobs(db, [ditp_page(), voix_usager(published_on="2025-04-17")], seen_at=stamp(1))
    matched = db.execute("select max(rowid) from offers").fetchone()[0]
    channel = channel_key(server.url())
    db.execute(
        "insert into alert_subscriptions (name, created_at, matched_through) values (?, ?, ?)",
        ["transformation publique", stamp(0), matched],
    )
    # the DITP page was alerted the old way (one alert per offer); the other offer was matched but not sent yet
    for unit, status in (
        ("offer:modernisation:chef-de-projets-innovation-et-transformation-publique-hf", "sent"),
        ("offer:modernisation:chef-du-pole-voix-de-lusager-hf", "pending"),
    ):
        db.execute(
            "insert into alert_outbox (subscription, unit, channel, status, reasons, created_at, released_at, "
            "next_attempt_at) values (?, ?, ?, ?, '[]', ?, ?, ?)",
            ["transformation publique", unit, channel, status, stamp(1), stamp(1), stamp(1)],
        )
    db.conn.close()

    db = open_db(path)  # migration m005: offers grouped, their alerts moved to their jobs
    assert sorted(outbox_units(db)) == sorted(
        [
            (
                f"job:{resolve_job(db, 'modernisation:chef-de-projets-innovation-et-transformation-publique-hf')}",
                "sent",
            ),
            (f"job:{resolve_job(db, 'modernisation:chef-du-pole-voix-de-lusager-hf')}", "pending"),
        ]
    )
    store_offers(db, [csp_copy()], seen_at=stamp(5))  # the alerted post on another board
    report = dispatch(db, config, now=at(5.01)).subscriptions[0]
    assert (report.matched, report.sent, report.messages) == (0, 1, 1)  # only the pending one goes out
    [message] = server.messages
    assert "Voix de l'Usager" in text_of(message) and "Chef de projets innovation" not in text_of(message)


def test_a_job_matches_on_the_words_of_every_offer_it_gained(fresh_db, smtp_server):
    # The HelloWork copy names the ministry, the DITP's page the DITP: one job, matched on either's words
    server = smtp_server()
    config = parse_config(
        {
            "subscriptions": [
                {
                    "name": "ministère",
                    "keywords": ["employer:ministère de la transformation"],
                    "channels": [server.url()],
                }
            ]
        }
    )
    dispatch(fresh_db, config, now=at(0))
    store_offers(fresh_db, [voix_usager(published_on="2025-04-18")], seen_at=stamp(1))
    assert (
        dispatch(fresh_db, config, now=at(1.01)).subscriptions[0].matched == 0
    )  # the DITP's page alone does not match
    store_offers(fresh_db, [voix_usager_hellowork(published_on="2025-04-18")], seen_at=stamp(2))
    report = dispatch(fresh_db, config, now=at(2.01)).subscriptions[0]
    assert (report.matched, report.sent) == (1, 1)  # the job gained the words of its new offer
    text = text_of(server.messages[0])
    assert voix_usager()["url"] in text and voix_usager_hellowork()["url"] in text
