"""`veille alert`, `veille subscriptions`, `veille notify-test` and the alerts in `veille status`,
run as a user runs them, against a real SMTP server on 127.0.0.1."""

from storage import open_db
from tests.alerts_support import offer, store
from tests.conftest import run_veille


def write_config(tmp_path, server_url: str, *, mode: str = "immediate", extra: str = "") -> str:
    path = tmp_path / "veille.toml"
    path.write_text(
        f"""database = "{tmp_path / "veille.db"}"
[alerts]
retry_base = 0
max_attempts = 2
[[subscriptions]]
name = "transformation publique"
keywords = ["transformation publique", "title:innovation"]
departements = ["75", "44"]
channels = ["{server_url}"]
mode = "{mode}"
{extra}"""
    )
    return str(path)


def veille(config: str, *args):
    # A few days after the offers' publication (2026-10-02): within a subscription's max_age_days.
    return run_veille("--config", config, *args, env={"VEILLE_DB": "", "VEILLE_NOW": "2026-10-05T10:00:00+00:00"})


def test_alert_sends_new_offers_and_reports(tmp_path, smtp_server):
    server = smtp_server()
    config = write_config(tmp_path, server.url())
    first = veille(config, "alert")
    assert first.returncode == 0, first.stderr
    assert "transformation publique" in first.stdout

    db = open_db(tmp_path / "veille.db")
    store(
        db,
        offer("n-1", "Chef de projet transformation publique"),
        offer("n-2", "Chargé d'innovation", department="44", location="Nantes"),
        offer("n-3", "Chef de projet transformation publique", department="13", location="Marseille"),
    )
    dry = veille(config, "alert", "--dry-run")
    assert dry.returncode == 0
    assert "2 new matching job(s) would be queued" in dry.stdout and "Chargé d'innovation" in dry.stdout
    assert server.messages == []

    sent = veille(config, "alert")
    assert sent.returncode == 0, sent.stderr
    lines = [line for line in sent.stdout.splitlines() if line.startswith("transformation publique")]
    assert lines and lines[0].split()[2:7] == ["immediate", "2", "2", "1", "0"]
    assert len(server.messages) == 1

    status = veille(config, "status")
    assert status.returncode == 0
    assert "alerts (times in Europe/Paris)" in status.stdout and "mailto://127.0.0.1" in status.stdout


def test_alert_with_smtp_down_exits_1_and_status_reports_the_failure(tmp_path, smtp_server):
    server = smtp_server(running=False)
    config = write_config(tmp_path, server.url())
    veille(config, "alert")
    store(open_db(tmp_path / "veille.db"), offer("n-1", "Chef de projet transformation publique"))
    failed = veille(config, "alert")
    assert failed.returncode == 1
    assert "1 alert(s) not sent" in failed.stderr and "Traceback" not in failed.stderr
    again = veille(config, "alert")  # max_attempts = 2: now failed for good
    assert again.returncode == 1
    status = veille(config, "status")
    assert "Failed alerts, given up on" in status.stdout and "after 2 attempts" in status.stdout
    assert "job:1" in status.stdout

    server.start()
    retried = veille(config, "alert", "--retry-failed")
    assert retried.returncode == 0 and "1 failed alert(s) queued again." in retried.stdout
    assert len(server.messages) == 1


def test_subscriptions_lists_and_tests_one_on_stored_offers(tmp_path, smtp_server):
    server = smtp_server()
    config = write_config(tmp_path, server.url(), mode="daily 08:00")
    db = open_db(tmp_path / "veille.db")
    store(
        db,
        offer("n-1", "Chef de projet transformation publique"),
        offer("n-2", "Chargé de recrutement"),
        offer("n-3", "Responsable innovation", department="44", location="Nantes"),
    )

    listing = veille(config, "subscriptions")
    assert listing.returncode == 0
    assert "transformation publique" in listing.stdout and "daily 08:00" in listing.stdout
    assert "departements: 75, 44" in listing.stdout and "mailto://127.0.0.1" in listing.stdout

    tried = veille(config, "subscriptions", "--test", "transformation publique")
    assert tried.returncode == 0
    assert "Chef de projet transformation publique" in tried.stdout and "Responsable innovation" in tried.stdout
    assert "Chargé de recrutement" not in tried.stdout
    assert "« transformation publique » in title; department 75" in tried.stdout
    assert "2 of 3 stored jobs match 'transformation publique'" in tried.stdout

    unknown = veille(config, "subscriptions", "--test", "nope")
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip()
        == "veille: config error: subscriptions: no subscription named 'nope' ('transformation publique')"
    )


def test_notify_test_sends_on_every_channel_and_says_which_failed(tmp_path, smtp_server):
    server = smtp_server()
    down = smtp_server(running=False)
    config = write_config(tmp_path, server.url())
    ok = veille(config, "notify-test", "transformation publique")
    assert ok.returncode == 0 and ok.stdout.startswith("ok ")
    [message] = server.messages
    assert message["Subject"] == "veille · message d'essai · transformation publique"
    assert "ce canal fonctionne" in message.get_body(("plain",)).get_content()

    config = write_config(tmp_path, server.url(), extra="")
    path = tmp_path / "veille.toml"
    path.write_text(
        path.read_text().replace(
            f'channels = ["{server.url()}"]', f'channels = ["{server.url()}", "{down.url(to="bob@example.org")}"]'
        )
    )
    mixed = veille(config, "notify-test", "transformation publique")
    assert mixed.returncode == 1
    assert "FAILED  mailto://127.0.0.1" in mixed.stdout and "bob%40example.org" in mixed.stdout
    assert len(server.messages) == 2


def test_alert_without_subscriptions_says_how_to_add_one(tmp_path):
    path = tmp_path / "veille.toml"
    path.write_text(f'database = "{tmp_path / "veille.db"}"\n')
    result = veille(str(path), "alert")
    assert result.returncode == 0
    assert "No subscription configured" in result.stdout
