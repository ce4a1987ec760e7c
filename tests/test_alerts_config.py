"""[[subscriptions]] in veille.toml: what is accepted, and one clear line for each mistake."""

import datetime as dt

import pytest

from alerts.channels import channel_key
from alerts.schedule import parse_mode
from crawler.config import ConfigError, load_config, parse_config
from storage.clock import PARIS
from tests.conftest import REPO, run_veille, write_config

MAIL = "mailto://veille:secret@smtp.example.org?to=alice@example.org"


def subscription(**fields):
    return {"subscriptions": [{"name": "tp", "keywords": ["transformation publique"], **fields}]}


def test_a_full_subscription_is_normalised():
    config = parse_config(
        subscription(
            departements=[1, "2a", "75"],
            regions=["pays de la loire", "PACA", "Ile de France"],
            categories=["a", "A+"],
            versants=["etat", "FPT", "hospitaliere"],
            sources=["choisirleservicepublic"],
            employers=["DITP"],
            exclude=["title:stage"],
            query="innovation OR modernisation",
            channels=[MAIL],
            mode="Weekly Mon 8:00",
        )
    )
    sub = config.subscriptions[0]
    assert sub.departements == ["01", "2A", "75"]
    assert sub.regions == ["Pays de la Loire", "Provence-Alpes-Côte d'Azur", "Île-de-France"]
    assert sub.categories == ["A", "A+"]
    assert sub.versants == ["État", "Territoriale", "Hospitalière"]
    assert sub.mode == "weekly mon 08:00"
    assert config.subscription("tp") is sub


def test_no_subscription_is_fine_and_alert_settings_have_defaults():
    config = parse_config({})
    assert config.subscriptions == []
    assert config.alerts.max_attempts == 8 and config.alerts.retry_base == 300


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"departements": ["75", "100"]}, "subscriptions[0].departements[1]: unknown département '100'"),
        ({"departements": [0]}, "subscriptions[0].departements[0]: unknown département '0'"),
        (
            {"regions": ["Atlantide"]},
            "subscriptions[0].regions[0]: unknown région 'Atlantide'; régions: Auvergne-Rhône-Alpes",
        ),
        ({"categories": ["D"]}, "subscriptions[0].categories[0]: unknown category 'D'"),
        ({"versants": ["privé"]}, "subscriptions[0].versants[0]: unknown versant 'privé'"),
        (
            {"sources": ["indeed"]},
            "subscriptions[0].sources[0]: unknown source 'indeed'; sources: choisirleservicepublic",
        ),
        (
            {"keywords": []},
            "subscriptions[0].keywords: no keyword, no query and no relevance: give at least one of them",
        ),
        ({"min_relevance": 0.5}, 'subscriptions[0]: min_relevance needs relevance = "transformation"'),
        ({"relevance": "innovation"}, "subscriptions[0].relevance: Input should be 'transformation'"),
        ({"relevance": "transformation", "min_relevance": 1.5}, "subscriptions[0].min_relevance"),
        ({"keywords": [""]}, "subscriptions[0].keywords[0]: String should have at least 1 character"),
        ({"keywords": ["de la"]}, "subscriptions[0].keywords[0]: 'de la' has no word to search for"),
        ({"keywords": ["titre:design"]}, "subscriptions[0].keywords[0]: unknown field 'titre' in 'titre:design'"),
        ({"exclude": ["stage", "   "]}, "subscriptions[0].exclude[1]: String should have at least 1 character"),
        ({"query": "innovation AND (publique"}, "subscriptions[0].query: a '(' is not closed in the query"),
        ({"mode": "hourly"}, "subscriptions[0].mode: expected 'immediate', 'daily HH:MM' or 'weekly mon HH:MM'"),
        ({"mode": "daily 25:00"}, "subscriptions[0].mode: '25:00' is not a time of day"),
        ({"mode": "weekly someday 08:00"}, "subscriptions[0].mode: expected 'immediate'"),
        ({"channels": ["slack-token-abc"]}, "subscriptions[0].channels[0]: not an apprise URL"),
        (
            {"channels": [MAIL, "nope://user:hunter2@host"]},
            "subscriptions[0].channels[1]: apprise cannot use this nope:// URL",
        ),
        ({"channels": ["mailto://"]}, "subscriptions[0].channels[0]: apprise cannot use this mailto:// URL"),
        (
            {"channels": [MAIL, MAIL.replace("secret", "other")]},
            "subscriptions[0].channels[1]: same destination as channels[0]",
        ),
        (
            {"channels": [MAIL + ",bob@example.org"]},
            "subscriptions[0].channels[0]: this mailto:// URL has 2 destinations: give each its own channel",
        ),
        ({"colour": "blue"}, "subscriptions[0].colour: unknown key"),
    ],
)
def test_mistakes_name_the_key_in_one_line(fields, message):
    with pytest.raises(ConfigError) as error:
        parse_config(subscription(**fields))
    text = str(error.value)
    assert message in text
    assert "\n" not in text
    # A secret in a channel URL never reaches the message.
    assert "secret" not in text and "hunter2" not in text and "other" not in text


def test_names_are_unique_and_required():
    with pytest.raises(ConfigError, match=r"subscriptions\[1\].name: 'tp' is already the name of subscriptions\[0\]"):
        parse_config({"subscriptions": [{"name": "tp", "keywords": ["a"]}, {"name": "tp", "keywords": ["b"]}]})
    with pytest.raises(ConfigError, match=r"subscriptions\[0\].name: required key is missing"):
        parse_config({"subscriptions": [{"keywords": ["a"]}]})


def test_unknown_subscription_name_lists_the_known_ones():
    config = parse_config(subscription())
    with pytest.raises(ConfigError, match="no subscription named 'x' \\('tp'\\)"):
        config.subscription("x")


def test_channel_key_hides_secrets_and_survives_a_password_change():
    key = channel_key(MAIL)
    assert "secret" not in key and key.startswith("mailto://veille:")
    assert channel_key(MAIL.replace("secret", "rotated")) == key
    assert channel_key(MAIL.replace("alice", "bob")) != key
    slack = "slack://T1ABCDEFG/B2ABCDEFG/abcdefghijklmnopqrstuvwx/#offres"
    assert "abcdefghijklmnopqrstuvwx" not in channel_key(slack)


def test_example_config_loads_with_its_secrets_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    config = load_config(REPO / "veille.example.toml")
    profile = config.subscription("transformation publique")
    assert profile.mode == "immediate"
    assert profile.channels and "s3cret" in profile.channels[0]
    assert profile.relevance == "transformation"


def test_example_config_needs_its_secret_only_to_send(monkeypatch):
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    config = load_config(REPO / "veille.example.toml")
    assert config.unset_env == [("subscriptions[0].channels[0]", "SMTP_PASSWORD")]
    config.require_env("admin", "sources")  # crawling needs no channel secret
    with pytest.raises(
        ConfigError, match=r"subscriptions\[0\].channels\[0\]: environment variable SMTP_PASSWORD is not set"
    ):
        config.require_env("subscriptions")


def test_an_unset_variable_outside_secrets_is_an_error_at_once(tmp_path, monkeypatch):
    monkeypatch.delenv("VEILLE_HOME", raising=False)
    with pytest.raises(ConfigError, match=r"database: environment variable VEILLE_HOME is not set"):
        parse_config({"database": "${VEILLE_HOME}/veille.db"})


def test_cli_reports_a_bad_subscription_in_one_line(tmp_path):
    config = write_config(tmp_path / "veille.toml", {})
    config.write_text('[[subscriptions]]\nname = "tp"\nkeywords = ["innovation"]\ndepartements = ["75", "100"]\n')
    result = run_veille("--config", str(config), "subscriptions")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"veille: config error: {config}: subscriptions[0].departements[1]: unknown département '100'"
    ]


# -- modes ------------------------------------------------------------------------------------


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(dt.UTC)


def test_daily_slots_stay_at_paris_wall_clock_time_across_dst():
    mode = parse_mode("daily 08:00")
    # 29 March 2026: clocks go forward; 08:00 Paris is 07:00 UTC before, 06:00 UTC after.
    assert mode.next_slot(paris(2026, 3, 28, 9, 0)) == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)
    assert mode.last_slot(paris(2026, 3, 28, 9, 0)) == dt.datetime(2026, 3, 28, 7, 0, tzinfo=dt.UTC)
    assert mode.last_slot(paris(2026, 3, 29, 7, 59)) == paris(2026, 3, 28, 8, 0)
    assert mode.next_slot(paris(2026, 3, 29, 8, 0)) == paris(2026, 3, 30, 8, 0)


def test_weekly_slots_fall_on_their_day():
    mode = parse_mode("weekly fri 17:30")
    assert mode.next_slot(paris(2026, 10, 5, 12, 0)) == paris(2026, 10, 9, 17, 30)  # Monday -> Friday
    assert mode.last_slot(paris(2026, 10, 9, 17, 29)) == paris(2026, 10, 2, 17, 30)
    assert parse_mode("weekly lun 08:00") == parse_mode("weekly mon 08:00")
    assert parse_mode("immediate").next_slot(paris(2026, 1, 1, 0, 0)) is None
