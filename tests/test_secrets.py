"""Secrets are never printed or stored (issue 13, item 4).

A Slack token, a webhook token in a URL path, a password, a heartbeat token: none may reach
``alert_outbox.last_error``, ``alert_deliveries.error``, the channel key, ``veille status``, stderr,
or a configuration error; a value that came from ``${ENV}`` is never echoed. Every channel URL is
masked by one function, :func:`alerts.masking.mask_url`.
"""

import os
import sqlite3
import subprocess
import sys

import pytest

from alerts.channels import channel_key
from alerts.masking import mask_url, scrub
from crawler.config import ConfigError, parse_config
from storage import open_db
from tests.alerts_support import free_port, offer, store
from tests.conftest import FIXTURES, REPO, run_veille, write_config

SLACK_TOKENS = ("T0VEILLE1", "B0VEILLE2", "abcdefghijklmnopqrstuvwx")
SLACK = "slack://T0VEILLE1/B0VEILLE2/abcdefghijklmnopqrstuvwx/#offres"
HOOK_TOKEN = "xoxb-7731-Qm9nZXJTZWNyZXQ"


def everything_stored(path) -> str:
    """Every value of every table, as text."""
    connection = sqlite3.connect(path)
    tables = [name for (name,) in connection.execute("select name from sqlite_master where type = 'table'")]
    text = "\n".join(repr(row) for table in tables for row in connection.execute(f'select * from "{table}"').fetchall())
    connection.close()
    return text


def assert_no_secret(text: str, secrets=SLACK_TOKENS) -> None:
    for secret in secrets:
        assert secret not in text


# -- one masking function ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, masked",
    [
        # Password, and what apprise knows of each service (Slack's tokens), masked; the destination shown.
        (
            "mailtos://veille:hunter2@smtp.example.org?to=you@example.org&from=veille@example.org",
            "mailtos://veille:****@smtp.example.org/you%40example.org?to=you@example.org&from=veille@example.org",
        ),
        (SLACK, "slack://T...1/B...2/a...x/%23offres/"),
        # Tokens in the path and in the query of a plain webhook; its words and options stay.
        (
            f"json://127.0.0.1:8080/hooks/{HOOK_TOKEN}?token=s3cr3tvalue&-X-Api-Key=K3yK3yK3y&method=POST",
            "json://127.0.0.1:8080/hooks/****?token=****&-X-Api-Key=****&method=POST",
        ),
        # A key as the user name; a URL apprise does not know (a heartbeat) is masked all the same.
        ("json://ak_9f8e7d6c5b4a@hooks.example.org/notify", "json://****@hooks.example.org/notify"),
        (
            "https://hc-ping.com/5a0c3b2e-41d6-4e8a-9f00-7c1d2e3f4a5b",
            "https://hc-ping.com/****",
        ),
        ("https://user:pa55@example.org/ping?create=1", "https://user:****@example.org/ping?create=1"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url_hides_user_keys_passwords_and_tokens_and_keeps_where_it_goes(url, masked):
    assert mask_url(url) == masked


def test_the_channel_key_is_the_masked_url_without_options():
    assert channel_key(f"json://127.0.0.1:8080/hooks/{HOOK_TOKEN}?method=POST") == "json://127.0.0.1:8080/hooks/****"
    assert channel_key(SLACK) == "slack://T...1/B...2/a...x/%23offres/"
    assert channel_key("mailto://127.0.0.1:1025?from=veille@example.org&to=alice@example.org") == (
        "mailto://127.0.0.1:1025/alice%40example.org"
    )


def test_scrub_removes_a_url_s_secrets_and_masks_every_url_in_a_text():
    text = (
        "Socket Exception: HTTPSConnectionPool(host='hooks.slack.com', port=443): Max retries exceeded with url: "
        "/services/T0VEILLE1/B0VEILLE2/abcdefghijklmnopqrstuvwx (Caused by ...); see https://user:pa55@x.org/a"
    )
    cleaned = scrub(text, SLACK)
    assert_no_secret(cleaned, (*SLACK_TOKENS, "pa55"))
    assert "/services/****/****/****" in cleaned and "https://user:****@x.org/a" in cleaned


# -- sending --------------------------------------------------------------------------------------

# `veille` with apprise's Slack plugin pointed at a loopback port nobody listens on ({port}).
SLACK_REFUSED = (
    "import sys; from apprise.plugins.slack import NotifySlack; "
    "NotifySlack.webhook_url = 'http://127.0.0.1:{port}/services'; from cli import main; main()"
)


def test_an_unreachable_slack_leaves_its_token_nowhere(tmp_path, frozen_clock):
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "subscriptions": [{"name": "tp", "keywords": ["transformation publique"], "channels": [SLACK]}],
        },
    )
    code = SLACK_REFUSED.format(port=free_port())

    def veille(*args):
        return subprocess.run(
            [sys.executable, "-c", code, "--config", str(config), *args],
            cwd=REPO,
            env={**os.environ, "VEILLE_DB": ""},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert veille("alert").returncode == 0
    store(open_db(tmp_path / "veille.db"), offer("n-1", "Chef de projet transformation publique"))
    failed = veille("alert")
    assert failed.returncode == 1
    assert "1 alert(s) not sent" in failed.stderr
    status = veille("status")
    db = open_db(tmp_path / "veille.db")
    [(last_error,)] = db.execute("select last_error from alert_outbox").fetchall()
    [(error,)] = db.execute("select error from alert_deliveries").fetchall()
    assert last_error and error  # why it failed is kept...
    for text in (failed.stdout, failed.stderr, status.stdout, status.stderr, everything_stored(tmp_path / "veille.db")):
        assert_no_secret(text)  # ...without the token


def test_a_webhook_token_in_the_path_is_masked_in_the_key_status_and_stderr(tmp_path, webhook_sink, frozen_clock):
    url = f"json://{webhook_sink.url.removeprefix('http://')}/hooks/{HOOK_TOKEN}"
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "subscriptions": [{"name": "tp", "keywords": ["transformation publique"], "channels": [url]}],
        },
    )
    assert run_veille("--config", str(config), "alert").returncode == 0
    store(open_db(tmp_path / "veille.db"), offer("n-1", "Chef de projet transformation publique"))
    webhook_sink.statuses = [500]
    failed = run_veille("--config", str(config), "alert")
    assert failed.returncode == 1 and webhook_sink.requests[0]["path"] == f"/hooks/{HOOK_TOKEN}"
    status = run_veille("--config", str(config), "status")
    db = open_db(tmp_path / "veille.db")
    assert db.execute("select distinct channel from alert_outbox").fetchall() == [(channel_key(url),)]
    assert channel_key(url).endswith("/hooks/****")
    assert "/hooks/****" in status.stdout
    for text in (failed.stdout, failed.stderr, status.stdout, everything_stored(tmp_path / "veille.db")):
        assert_no_secret(text, (HOOK_TOKEN,))


def test_an_outbox_keyed_by_an_older_key_holding_a_token_is_rekeyed(tmp_path, webhook_sink, frozen_clock):
    """Before masking tokens in paths, the key of such a webhook was apprise's privacy URL, token and all."""
    url = f"json://{webhook_sink.url.removeprefix('http://')}/hooks/{HOOK_TOKEN}"
    config = parse_config(
        {"subscriptions": [{"name": "tp", "keywords": ["transformation publique"], "channels": [url]}]}
    )
    from alerts.dispatch import dispatch

    db = open_db(tmp_path / "veille.db")
    dispatch(db, config)
    store(db, offer("n-1", "Chef de projet transformation publique"))
    old_key = url.split("?")[0]
    db.execute(
        "insert into alert_outbox (subscription, unit, channel, status, created_at, next_attempt_at, last_error) "
        "values ('tp', 'job:999', ?, 'failed', '2026-01-01', '2026-01-01', ?)",
        [old_key, f"could not reach {url}"],
    )
    dispatch(db, config)
    assert_no_secret(everything_stored(tmp_path / "veille.db"), (HOOK_TOKEN,))
    assert db.execute("select count(*) from alert_outbox where channel = ?", [channel_key(url)]).fetchone()[0] == 2


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"subscriptions": [{"name": "tp", "keywords": ["a"], "channels": "mailto://veille:hunter2@smtp.example.org"}]},
        {"admin": {"heartbeat_url": "mailto://veille:hunter2@smtp.example.org"}},
        {"admin": {"urls": "mailto://veille:hunter2@smtp.example.org"}},
    ],
)
def test_a_configuration_error_masks_the_value_it_quotes(data):
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    assert "hunter2" not in str(error.value)
    assert "mailto://veille:****@smtp.example.org" in str(error.value)


def test_a_configuration_error_never_echoes_a_value_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VEILLE_CHANNEL", "mailto-veille-hunter2-smtp.example.org")
    monkeypatch.setenv("VEILLE_PING", "hc-ping.com/5a0c3b2e-41d6-4e8a")
    config = write_config(
        tmp_path / "veille.toml",
        {
            "admin": {"heartbeat_url": "${VEILLE_PING}"},
            "subscriptions": [{"name": "tp", "keywords": ["a"], "channels": "${VEILLE_CHANNEL}"}],
        },
    )
    result = run_veille("--config", str(config), "status")
    assert result.returncode == 2
    assert "hunter2" not in result.stderr and "5a0c3b2e" not in result.stderr
    assert "admin.heartbeat_url:" in result.stderr and "subscriptions[0].channels:" in result.stderr
    assert "(from ${VEILLE_PING}, not shown)" in result.stderr


# -- the admin channel and the heartbeat ----------------------------------------------------------


def test_a_failing_heartbeat_and_admin_channel_print_no_token(tmp_path, replay_site, frozen_clock):
    site = replay_site("dinum")
    closed = free_port()
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0, "retries": 0},
            "admin": {
                "urls": [f"json://127.0.0.1:{closed}/admin/{HOOK_TOKEN}"],
                "heartbeat_url": f"http://127.0.0.1:{closed}/ping/5a0c3b2e-41d6-4e8a-9f00-7c1d2e3f4a5b",
            },
            "sources": {"dinum": {"base_url": site.url}},
        },
    )
    site.add_file("/recrutement/", FIXTURES / "dinum" / "recrutement-empty.html")
    # -v: the log says everything it has to say.
    ok = run_veille("--config", str(config), "-v", "run", "dinum")  # heartbeat fails
    assert ok.returncode == 0, ok.stderr
    assert "heartbeat http://127.0.0.1:" in ok.stderr and "/ping/****" in ok.stderr
    site.add("/recrutement/", "<html><body><main>Bientôt</main></body></html>")
    broken = run_veille("--config", str(config), "-v", "run", "dinum")  # the admin channel cannot be reached
    assert broken.returncode == 1
    assert "the admin channel refused" in broken.stderr and "no admin channel took it" in broken.stderr
    for text in (ok.stdout, ok.stderr, broken.stdout, broken.stderr):
        assert_no_secret(text, (HOOK_TOKEN, "5a0c3b2e-41d6-4e8a-9f00-7c1d2e3f4a5b"))
