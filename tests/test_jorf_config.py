"""[sources.jorf]: defaults, overridable URLs, and PISTE credentials that come in pairs from the environment."""

import pytest

from crawler.config import ConfigError, parse_config
from tests.conftest import run_veille, write_config


def test_defaults_need_no_file_and_no_key():
    jorf = parse_config({}).sources.jorf
    assert jorf.index_url == "https://echanges.dila.gouv.fr/OPENDATA/JORFSIMPLE/"
    assert (jorf.first_run_days, jorf.include_concours) == (30, False)
    assert not jorf.piste.enabled
    assert jorf.piste.token_url == "https://oauth.piste.gouv.fr/api/oauth/token"
    assert jorf.piste.api_url == "https://api.piste.gouv.fr/dila/legifrance/lf-engine-app"


def test_piste_secrets_come_from_the_environment_and_are_never_shown(monkeypatch):
    monkeypatch.setenv("PISTE_CLIENT_SECRET", "s3cr3t")
    config = parse_config(
        {"sources": {"jorf": {"piste": {"client_id": "abc", "client_secret": "${PISTE_CLIENT_SECRET}"}}}}
    )
    piste = config.sources.jorf.piste
    assert piste.enabled and piste.client_secret.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(config) and "s3cr3t" not in str(piste)


@pytest.mark.parametrize(
    "jorf, message",
    [
        ({"piste": {"client_id": "abc"}}, "sources.jorf.piste: set both client_id and client_secret, or neither"),
        ({"piste": {"client_secret": "abc"}}, "sources.jorf.piste: set both client_id and client_secret, or neither"),
        ({"first_run_days": 0}, "sources.jorf.first_run_days: Input should be greater than or equal to 1"),
        ({"index_url": "echanges.dila.gouv.fr"}, "sources.jorf.index_url: String should match pattern"),
        ({"piste": {"api_url": "ftp://x"}}, "sources.jorf.piste.api_url: String should match pattern"),
        ({"since": "2026-01-01"}, "sources.jorf.since: unknown key"),
    ],
)
def test_mistakes_name_the_key(jorf, message):
    with pytest.raises(ConfigError) as error:
        parse_config({"sources": {"jorf": jorf}})
    assert message in str(error.value)


def test_an_unset_secret_is_a_config_error_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.delenv("PISTE_CLIENT_SECRET", raising=False)
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "sources": {"jorf": {"piste": {"client_id": "abc", "client_secret": "${PISTE_CLIENT_SECRET}"}}},
        },
    )
    result = run_veille("--config", str(config), "crawl", "jorf")
    assert result.returncode == 2
    assert "sources.jorf.piste.client_secret: environment variable PISTE_CLIENT_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_example_config_shows_the_defaults(monkeypatch):
    from crawler.config import load_config
    from crawler.source_settings import JorfSource
    from tests.conftest import REPO

    monkeypatch.setenv("SMTP_PASSWORD", "x")
    assert load_config(REPO / "veille.example.toml").sources.jorf == JorfSource()


def test_the_readme_states_the_retry_limit_the_ledger_applies():
    from storage.archives import MAX_ATTEMPTS
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"tried again next run, up to {MAX_ATTEMPTS} times" in readme.replace("\n", " ")
    assert "first_run_days` (how far back the very first run reads, default 30)" in readme.replace("\n", " ")
