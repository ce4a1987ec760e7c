"""veille.toml: defaults, ${ENV} secrets, and one clear line + exit code 2 for every mistake."""

from pathlib import Path

import pytest

from crawler.config import ConfigError, load_config, parse_config
from crawler.source_settings import DEFAULT_CSP_KEYWORDS
from tests.conftest import run_veille


def test_no_config_file_means_built_in_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    monkeypatch.delenv("VEILLE_DB", raising=False)
    config = load_config()
    assert config.source_path is None
    assert config.database_path == Path("veille.db")
    assert config.sources.choisirleservicepublic.keywords == DEFAULT_CSP_KEYWORDS
    assert config.sources.choisirleservicepublic.stop_after_known == 5


def test_veille_db_overrides_the_file(tmp_path, monkeypatch):
    config_file = tmp_path / "veille.toml"
    config_file.write_text('database = "data/offers.db"\n')
    monkeypatch.delenv("VEILLE_DB", raising=False)
    config = load_config(config_file)
    # Relative to the config file, so cron's working directory does not matter.
    assert config.database_path == tmp_path / "data" / "offers.db"
    monkeypatch.setenv("VEILLE_DB", str(tmp_path / "other.db"))
    assert config.database_path == tmp_path / "other.db"


def test_example_config_is_valid_and_commented(monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "x")
    example = Path(__file__).resolve().parents[1] / "veille.example.toml"
    config = load_config(example)
    assert config.sources.choisirleservicepublic.max_pages >= 1
    assert example.read_text().count("#") > 10


def test_secrets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BOT_CONTACT", "veille@example.org")
    assert parse_config({"contact": "mailto:${BOT_CONTACT}"}).contact == "mailto:veille@example.org"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"sources": {"choisirleservicepublic": {"max_page": 3}}},
            "sources.choisirleservicepublic.max_page: unknown key",
        ),
        (
            {"sources": {"choisirleservicepublic": {"max_pages": "ten"}}},
            "sources.choisirleservicepublic.max_pages: Input should be a valid integer",
        ),
        (
            {"sources": {"choisirleservicepublic": {"keywords": []}}},
            "sources.choisirleservicepublic.keywords: List should have at least 1 item",
        ),
        (
            {"sources": {"choisirleservicepublic": {"base_url": "choisirleservicepublic.gouv.fr"}}},
            "sources.choisirleservicepublic.base_url: String should match pattern",
        ),
        ({"colour": "blue"}, "colour: unknown key"),
        ({"contact": "${VEILLE_TEST_UNSET}"}, "contact: environment variable VEILLE_TEST_UNSET is not set"),
    ],
)
def test_mistakes_name_the_key(data, message, monkeypatch):
    monkeypatch.delenv("VEILLE_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            "[sources.choisirleservicepublic]\nmax_pages = 'ten'\n",
            "sources.choisirleservicepublic.max_pages: Input should be a valid integer",
        ),
        (
            "[sources.choisirleservicepublic]\nstop_after = 3\n",
            "sources.choisirleservicepublic.stop_after: unknown key",
        ),
        ("database = \n", "invalid TOML"),
    ],
)
def test_cli_reports_a_bad_config_in_one_line_with_exit_code_2(tmp_path, content, expected):
    config_file = tmp_path / "veille.toml"
    config_file.write_text(content)
    result = run_veille("--config", str(config_file), "status")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert expected in lines[0]
    assert lines[0].startswith("veille: config error:")


def test_missing_config_path_is_an_error_not_a_fallback(tmp_path):
    result = run_veille("--config", str(tmp_path / "nope.toml"), "status")
    assert result.returncode == 2
    assert result.stderr.strip() == f"veille: config error: --config: config file not found: {tmp_path / 'nope.toml'}"
    result = run_veille("status", env={"VEILLE_CONFIG": str(tmp_path / "gone.toml")})
    assert result.returncode == 2
    assert "VEILLE_CONFIG: config file not found" in result.stderr


def test_scrapy_crawl_with_a_bad_config_says_so_without_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    config_file = tmp_path / "veille.toml"
    config_file.write_text("[sources.choisirleservicepublic]\nkeywords = 3\n")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "choisirleservicepublic"],
        cwd=REPO,
        env={**os.environ, "VEILLE_CONFIG": str(config_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "sources.choisirleservicepublic.keywords: Input should be a valid list" in result.stderr
