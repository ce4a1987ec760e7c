"""The README stays true: its test command is CI's, and the commands it shows exist."""

import re
import shlex

from cli import cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(line for block in shell_blocks() for line in block.splitlines() if "pytest" in line)
    ci_script = (REPO / ".ci" / "run").read_text()
    assert test_command in ci_script.splitlines()


def test_every_veille_command_shown_exists_with_its_options():
    shown = [line.split("#")[0].strip() for block in shell_blocks() for line in block.splitlines()]
    shown = [line.removeprefix(".venv/bin/") for line in shown if line.startswith(("veille ", ".venv/bin/veille "))]
    assert len(shown) >= 6
    for line in shown:
        words = shlex.split(line)[1:]
        command = cli.commands[words[0]]
        if hasattr(command, "commands") and len(words) > 1 and words[1] in command.commands:
            command = command.commands[words[1]]  # a group's subcommand: `veille relevance train`
        options = {option for param in command.params for option in getattr(param, "opts", [])}
        for word in words[1:]:
            if word.startswith("--"):
                assert word in options, f"{line}: {word} is not an option of `veille {words[0]}`"


def test_every_config_key_the_readme_names_exists():
    from crawler.config import Config, Http, Sources

    section = README[README.index("## Configuration") :]
    section = section[: section.index("\n## ", 3)]
    keys = re.findall(r"^- `([a-z_]+)`:", section, re.M)
    assert keys
    for key in keys:
        assert key in Config.model_fields, key
    assert "[http]" in README and set(Http.model_fields) >= {"delay", "timeout", "retries", "cache"}
    for source in re.findall(r"`\[sources\.([a-z_]+)\]`", README):
        assert source in Sources.model_fields


def test_the_jobs_block_is_valid_and_shows_the_defaults(tmp_path):
    from crawler.config import Jobs, load_config

    block = next(block for block in re.findall(r"```toml\n(.*?)```", README, re.S) if block.startswith("[jobs]"))
    path = tmp_path / "veille.toml"
    path.write_text(block, encoding="utf-8")
    shown = load_config(path).jobs
    assert shown == Jobs()
    assert set(re.findall(r"^([a-z_]+) =", block, re.M)) == set(Jobs.model_fields)
