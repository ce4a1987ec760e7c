"""User mistakes end in one line and exit code 2, never a traceback; commands that only read need
neither the channel secrets nor create a database where there is none."""

import shutil

import pytest

from storage import open_db
from tests.conftest import REPO, run_veille, write_config


def one_line_error(result, expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and expected in errors[0], result.stderr


@pytest.mark.parametrize(
    "command", [("offers",), ("status",), ("jobs",), ("jobs", "show", "1"), ("crawl", "dinum"), ("run", "dinum")]
)
def test_veille_db_pointing_at_a_directory(tmp_path, command):
    (tmp_path / "a-directory").mkdir()
    result = run_veille(*command, env={"VEILLE_DB": str(tmp_path / "a-directory")}, cwd=tmp_path)
    one_line_error(result, f"VEILLE_DB: {tmp_path / 'a-directory'} is a directory, not a database file")


@pytest.mark.parametrize("command", [("offers",), ("status",), ("crawl", "dinum"), ("jobs",)])
def test_database_pointing_at_a_text_file(tmp_path, command):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n", encoding="utf-8")
    config = write_config(tmp_path / "veille.toml", {"database": "notes.txt"})
    result = run_veille("--config", str(config), *command, cwd=tmp_path)
    one_line_error(result, f"{config}: database: {notes} is not a SQLite database")
    assert notes.read_text(encoding="utf-8") == "not a database\n"


@pytest.mark.parametrize("command", [("offers",), ("status",), ("jobs",)])
def test_reading_a_database_that_does_not_exist_says_so(tmp_path, command):
    missing = tmp_path / "typo.db"
    result = run_veille(*command, env={"VEILLE_DB": str(missing)}, cwd=tmp_path)
    one_line_error(result, f"VEILLE_DB: no database at {missing}")
    assert not missing.exists()


@pytest.mark.parametrize("query", ['"', "(", "NOT", '"de la"', "stage OR"])
def test_a_search_that_cannot_be_read(tmp_path, query):
    open_db(tmp_path / "veille.db")
    result = run_veille("offers", "--search", query, env={"VEILLE_DB": str(tmp_path / "veille.db")}, cwd=tmp_path)
    one_line_error(result, "--search: ")


@pytest.fixture
def example_config(tmp_path, monkeypatch):
    """`cp veille.example.toml veille.toml` in a fresh directory, SMTP_PASSWORD unset."""
    shutil.copy(REPO / "veille.example.toml", tmp_path / "veille.toml")
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("VEILLE_DB", raising=False)
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    return tmp_path


@pytest.mark.parametrize("command", [("offers",), ("jobs",), ("status",), ("subscriptions",), ("schedule", "--list")])
def test_commands_that_only_read_need_no_secret_and_warn_once(example_config, command):
    open_db(example_config / "veille.db")
    result = run_veille(*command, cwd=example_config)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "SMTP_PASSWORD" in line]
    assert warnings == [
        "veille: warning: SMTP_PASSWORD not set (subscriptions[0].channels[0]): fine for reading, needed to send"
    ]


@pytest.mark.parametrize(
    "command", [("alert",), ("run", "dinum"), ("notify-test", "transformation publique"), ("schedule",)]
)
def test_commands_that_send_need_the_secrets(example_config, command):
    result = run_veille(*command, cwd=example_config)
    one_line_error(
        result,
        f"veille: config error: {example_config / 'veille.toml'}: subscriptions[0].channels[0]: environment variable "
        "SMTP_PASSWORD is not set",
    )
    assert not (example_config / "veille.db").exists()


def test_with_the_secret_set_nothing_is_said(example_config):
    open_db(example_config / "veille.db")
    result = run_veille("offers", cwd=example_config, env={"SMTP_PASSWORD": "s3cret"})
    assert result.returncode == 0 and result.stderr == ""
