"""The code's layout as the README tells it: layers whose imports only go down, every module listed.

import-linter (``lint-imports``, run by .ci/run) checks the packages' layers; it reads packages
only, so the scheduler module's own imports are checked here.
"""

import ast
import re
from pathlib import Path

from crawler.config import Config, known_sources

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("cli", "web", "spiders", "crawler", "alerts", "storage")


def imported_top_levels(path: Path) -> set[str]:
    """Every package a module imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_scheduler_imports_only_what_is_below_it():
    assert imported_top_levels(REPO / "scheduler.py") & {"cli", "spiders", "web"} == set()


def documented_modules() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How the code is organised", 1)[1].split("\n## ", 1)[0]
    found = set()
    for named in re.findall(r"^- (.*?):", section, re.MULTILINE):
        found.update(re.findall(r"`([\w/]+(?:\.py|/))`", named))
    return found


def code_modules() -> set[str]:
    """Every module, a package as ``name/`` when its ``__init__.py`` holds more than a docstring."""
    found = {"scheduler.py"}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            relative = path.relative_to(REPO).as_posix()
            if path.name == "__main__.py":
                continue
            if path.name == "__init__.py":
                body = ast.parse(path.read_text(encoding="utf-8")).body
                if all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body):
                    continue
                relative = relative.removesuffix("__init__.py")
            found.add(relative)
    return found


def test_the_readme_lists_every_module_and_only_modules_that_exist():
    documented, code = documented_modules(), code_modules()
    assert sorted(code - documented) == [], "modules missing from the README's 'How the code is organised'"
    assert sorted(documented - code) == [], "the README lists modules that do not exist"


def test_every_spider_has_its_section_in_the_configuration():
    """Subscriptions may filter on any source: the sources the configuration knows cover every spider."""
    spiders = {path.stem for path in (REPO / "spiders").glob("*.py") if not path.name.startswith("_")}
    assert spiders <= set(known_sources(Config()))
