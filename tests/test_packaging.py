"""What ``pip install .`` (not only ``-e``) installs: the demo's recorded sites, the alert templates
and the relevance model travel inside the package, so ``veille demo`` works from any directory."""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = tmp_path_factory.mktemp("source") / "veille"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("veille-*.whl")
    return built


def test_the_wheel_holds_every_recorded_page_and_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    manifests = sorted(name for name in names if name.startswith("cli/demo/sites/") and name.endswith("replay.toml"))
    assert {Path(name).parent.name for name in manifests} >= {
        "choisirleservicepublic",
        "dinum",
        "jorf",
        "modernisation",
    }
    for manifest in manifests:
        pages = tomllib.loads(zipfile.ZipFile(wheel).read(manifest).decode())["page"]
        for page in pages:
            assert f"{Path(manifest).parent.as_posix()}/{page['file']}" in names
    assert {"alerts/templates/alert.html", "alerts/templates/alert.md", "alerts/templates/alert.txt"} <= names
    # The trained relevance model: scoring never trains or downloads anything.
    assert "alerts/models/transformation.json.gz" in names
    assert not any(name.startswith("tests/") for name in names)


def test_veille_demo_runs_from_the_installed_files_alone(wheel, tmp_path):
    installed = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(installed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("VEILLE_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", "import cli, sys; print(cli.__file__, file=sys.stderr); cli.main()", "demo"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(installed) in result.stderr.splitlines()[0]  # the unpacked wheel ran, not the checkout
    assert "choisirleservicepublic  ok" in result.stdout
    assert "Traceback" not in result.stderr
