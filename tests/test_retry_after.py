"""A webhook's 429 Retry-After is honoured, and a coverage drop makes `veille run` exit 1 (issue 13, item 6)."""

import datetime as dt
import email.utils

import pytest

from alerts.dispatch import dispatch
from crawler.config import parse_config
from storage import open_db
from storage.runs import finish_run, start_run
from tests.alerts_support import offer, store
from tests.conftest import run_veille, write_config

T0 = dt.datetime(2026, 10, 2, 10, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "retry_after",
    ["3600", email.utils.format_datetime(at(1) + dt.timedelta(hours=1), usegmt=True)],
    ids=["seconds", "http-date"],
)
def test_a_webhook_answering_429_is_not_asked_again_before_its_retry_after(fresh_db, webhook_sink, retry_after):
    hook = f"json://127.0.0.1:{webhook_sink.url.rsplit(':', 1)[1]}/hook"
    config = parse_config(
        {
            "alerts": {"retry_base": 60, "retry_max": 600},
            "subscriptions": [{"name": "tp", "keywords": ["transformation publique"], "channels": [hook]}],
        }
    )
    dispatch(fresh_db, config, now=T0)
    store(fresh_db, offer("n-1", "Chef de projet transformation publique"))
    webhook_sink.statuses = [(429, {"Retry-After": retry_after})]
    first = dispatch(fresh_db, config, now=at(1)).subscriptions[0]
    assert first.sent == 0 and first.failures
    # Backoff alone would try again after retry_base (1 minute), and never wait more than retry_max (10).
    assert first.failures[0].next_attempt_at == at(61)
    for minutes in (3, 11, 60):
        assert dispatch(fresh_db, config, now=at(minutes)).subscriptions[0].sent == 0
    assert len(webhook_sink.requests) == 1
    assert dispatch(fresh_db, config, now=at(61)).subscriptions[0].sent == 1
    assert [request["status"] for request in webhook_sink.requests] == [429, 200]


def test_a_coverage_drop_makes_veille_run_exit_1(tmp_path, replay_site):
    """DINUM's recorded offers have no deadline; the source's last runs had one on every offer."""
    site = replay_site("dinum")
    db_path = tmp_path / "veille.db"
    config = write_config(
        tmp_path / "veille.toml",
        {"database": str(db_path), "http": {"delay": 0, "retries": 0}, "sources": {"dinum": {"base_url": site.url}}},
    )
    db = open_db(db_path)
    usual = {"title": 1.0, "deadline": 1.0, "missions": 1.0}
    for _ in range(3):
        run_id = start_run(db, "dinum")
        finish_run(
            db,
            run_id,
            status="ok",
            reason="finished",
            pages=14,
            items=13,
            new=0,
            updated=0,
            unchanged=13,
            dropped=0,
            errors={},
            error_samples=[],
            field_coverage=usual,
        )
    result = run_veille("--config", str(config), "run", "dinum")
    run = db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]
    assert (run["status"], run["items"]) == ("ok", 13)  # the crawl itself went well...
    assert "veille: veille · source en panne · dinum" in result.stderr
    assert result.returncode == 1  # ...but the source is not healthy
