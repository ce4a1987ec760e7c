"""The French places gazetteer: real postcodes, communes, départements and régions, and its provenance.

No network and no npm: the rebuild check uses npm packages already installed under
$GAZETTEER_NPM_PREFIX (default /tmp/gaz) and is skipped when they are not there.
"""

import gzip
import importlib.util
import json
import os
from pathlib import Path

import pytest

from storage import gazetteer
from storage.gazetteer import (
    Commune,
    communes_named,
    communes_of_postcode,
    department_name,
    department_of_postcode,
    departments_of_region,
    find_commune,
    normalise_place_name,
    region_names,
    region_of_department,
)

DATA = Path(gazetteer.__file__).resolve().parent / "data"
NPM_PREFIX = Path(os.environ.get("GAZETTEER_NPM_PREFIX", "/tmp/gaz"))


def _build_script():
    spec = importlib.util.spec_from_file_location("build_gazetteer", DATA / "build_gazetteer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "postcode, department",
    [("20000", "2A"), ("20090", "2A"), ("20200", "2B"), ("20600", "2B"), ("75015", "75"), ("75116", "75"),
     ("97400", "974"), ("13001", "13"), ("69001", "69"), ("31 000", "31"), (" 44000 ", "44"),
     ("97133", "977"), ("97150", "978"), ("97500", "975"), ("97600", "976"), ("98800", "988"),
     ("94390", "91"), ("01200", "01"), ("83998", "83"), ("31998", "31"),
     ("31037", "31"), ("97404", "974"), ("75700", "75"),
     ("20704", None), ("20401", None), ("98000", None), ("00000", None), ("7501", None), ("", None), (None, None)],
)  # fmt: skip
def test_department_of_postcode(postcode, department):
    assert department_of_postcode(postcode) == department


def test_cedex_codes_are_placed_by_their_town_and_corsica_never_by_digits():
    """No open data has La Poste's CEDEX codes: the town written with the code decides."""
    assert communes_of_postcode("20704") == []
    assert department_of_postcode("20704", "AJACCIO CEDEX 9") == "2A"
    assert department_of_postcode("20401", "Bastia Cedex") == "2B"
    assert department_of_postcode("20704", "Nulle-Part") is None
    # Outside Corsica, a town of another département does not move a CEDEX code away from its prefix.
    assert department_of_postcode("31037", "Bastia") == "31"
    # A code shared by two départements: the town picks among its communes.
    assert department_of_postcode("01200", "Éloise") == "74"
    assert department_of_postcode("01200", "Valserhône") == "01"


def test_communes_of_postcode():
    assert communes_of_postcode("75015") == [("75056", "Paris", "75")]
    assert communes_of_postcode("13008") == [Commune("13055", "Marseille", "13")]
    assert communes_of_postcode("20000") == [("2A004", "Ajaccio", "2A")]
    assert communes_of_postcode("20200")[0] == ("2B033", "Bastia", "2B")
    assert {commune.department for commune in communes_of_postcode("20200")} == {"2B"}
    assert communes_of_postcode("97400") == [("97411", "Saint-Denis", "974")]
    assert communes_of_postcode("99999") == []


@pytest.mark.parametrize(
    "text, key",
    [("Saint-Étienne", "saint etienne"), ("ST ETIENNE", "saint etienne"), ("Ste-Marie", "sainte marie"),
     ("L'Haÿ-les-Roses", "l hay les roses"), ("L’Isle-d’Abeau", "l isle d abeau"),
     ("Cœuvres-et-Valsery", "coeuvres et valsery"),
     ("Paris 15e Arrondissement", "paris 15"), ("Paris 15ème", "paris 15"), ("Lyon 1er", "lyon 1"),
     ("AJACCIO CEDEX 9", "ajaccio"), ("  Nantes  ", "nantes"), ("", "")],
)  # fmt: skip
def test_normalise_place_name(text, key):
    assert normalise_place_name(text) == key


@pytest.mark.parametrize(
    "name, department, expected",
    [("Nantes", None, ("44109", "Nantes", "44")), ("Lyon", None, ("69123", "Lyon", "69")),
     ("Paris", None, ("75056", "Paris", "75")), ("Toulouse", None, ("31555", "Toulouse", "31")),
     ("Ajaccio", None, ("2A004", "Ajaccio", "2A")), ("Bastia", None, ("2B033", "Bastia", "2B")),
     ("saint etienne", None, ("42218", "Saint-Étienne", "42")), ("Montreuil", None, ("93048", "Montreuil", "93")),
     ("Saint-Denis", None, None), ("Saint-Denis", "93", ("93066", "Saint-Denis", "93")),
     ("St Denis", "974", ("97411", "Saint-Denis", "974")), ("Saint-Denis", "75", None),
     ("Paris 15e", None, ("75056", "Paris", "75")),
     ("Marseille 1er Arrondissement", None, ("13055", "Marseille", "13")),
     ("Lyon 3ème", "69", ("69123", "Lyon", "69")),
     ("Cherbourg-Octeville", None, ("50129", "Cherbourg-en-Cotentin", "50")),
     ("Nouméa", None, ("98818", "Nouméa", "988")),
     ("Atlantis", None, None), ("", None, None)],
)  # fmt: skip
def test_find_commune(name, department, expected):
    assert find_commune(name, department) == expected


def test_shared_names_keep_every_commune_most_populous_first():
    saint_denis = communes_named("Saint-Denis")
    assert {"93066", "97411"} <= {commune.insee for commune in saint_denis}
    populations = [gazetteer.population(commune.insee) or 0 for commune in saint_denis]
    assert populations == sorted(populations, reverse=True)
    assert find_commune("Saint-Denis", "2a") is None
    assert find_commune("Ajaccio", "2a") == ("2A004", "Ajaccio", "2A")


def test_departments_and_regions():
    assert department_name("2A") == "Corse-du-Sud"
    assert department_name("2b") == "Haute-Corse"
    assert department_name("1") == department_name("01") == "Ain"
    assert department_name("974") == "La Réunion"
    assert department_name("988") == "Nouvelle-Calédonie"
    assert department_name("20") is None
    assert region_of_department("31") == "Occitanie"
    assert region_of_department("2A") == region_of_department("2B") == "Corse"
    assert region_of_department("974") == "La Réunion"
    assert region_of_department("75") == "Île-de-France"
    assert region_of_department("975") is None  # the COM belong to no région
    assert region_of_department("99") is None
    assert departments_of_region("Corse") == ["2A", "2B"]
    assert departments_of_region("ile-de-france") == ["75", "77", "78", "91", "92", "93", "94", "95"]
    assert departments_of_region("Provence-Alpes-Côte d'Azur") == ["04", "05", "06", "13", "83", "84"]
    assert departments_of_region("84") == departments_of_region("Auvergne-Rhône-Alpes")
    assert departments_of_region("Atlantide") == []
    names = region_names()
    assert len(names) == 18
    assert {"Île-de-France", "Provence-Alpes-Côte d'Azur", "La Réunion", "Centre-Val de Loire", "Mayotte"} <= set(names)
    every = sorted(code for name in names for code in departments_of_region(name))
    assert len(every) == 101 and "2A" in every and "976" in every and "975" not in every


def test_stored_name_keys_are_the_loaders_own():
    """The build script keys names with normalise_place_name: a change to it needs a rebuild."""
    data = gazetteer._data()
    for insee, row in data["communes"].items():
        name = row.split("\t")[0]
        assert insee in data["names"][normalise_place_name(name)].split(), name


def test_provenance_matches_the_data_file_and_the_build_script():
    meta = gazetteer.metadata()
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    pinned = _build_script().PINNED
    assert [package["name"] for package in meta["packages"]] == ["@etalab/decoupage-administratif", "codes-postaux"]
    for package in meta["packages"]:
        name, version = package["name"], package["version"]
        assert f"{name}@{version}" in provenance
        assert f"| `{name}` | {version} | {package['published']} | {package['package_licence']} |" in provenance
        assert pinned[name][:2] == (version, package["published"])
    assert meta["regenerate"] in provenance


@pytest.mark.skipif(
    not all(
        (NPM_PREFIX / "node_modules" / name / "package.json").exists()
        for name in ("@etalab/decoupage-administratif", "codes-postaux")
    ),
    reason=f"needs the pinned npm packages installed under {NPM_PREFIX} (set GAZETTEER_NPM_PREFIX); "
    "see storage/data/PROVENANCE.md",
)
def test_build_script_reproduces_the_data_file_from_the_installed_packages(tmp_path):
    build = _build_script()
    for name, (version, _published, _licence) in build.PINNED.items():
        installed = json.loads((NPM_PREFIX / "node_modules" / name / "package.json").read_text())["version"]
        if installed != version:
            pytest.skip(f"{name} {installed} is installed under {NPM_PREFIX}, not the pinned {version}")
    shipped = (DATA / "gazetteer.json.gz").read_bytes()
    assert build.main([str(NPM_PREFIX), "--output", str(tmp_path / "gazetteer.json.gz")]) == 0
    rebuilt = (tmp_path / "gazetteer.json.gz").read_bytes()
    assert gzip.decompress(rebuilt) == gzip.decompress(shipped)
    assert rebuilt == shipped
