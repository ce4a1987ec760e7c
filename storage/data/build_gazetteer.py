"""Generate storage/data/gazetteer.json.gz from Etalab's npm packages (stdlib only).

    python storage/data/build_gazetteer.py                 # npm-installs the pinned versions in a temp dir
    python storage/data/build_gazetteer.py /tmp/gaz        # uses /tmp/gaz/node_modules/...

Sources (versions pinned below, checked against the installed package.json files):

* @etalab/decoupage-administratif: INSEE's Code officiel géographique (communes, their
  département and région, populations) with La Poste's "base officielle des codes postaux".
  It is the reference for every postcode it lists.
* codes-postaux: DGFiP's FIMOCT street file (no longer produced since 2023). Used only for
  postcodes the first package lacks: a few special ones (armed forces' bases, a CEDEX code
  or two, former codes still seen in addresses).

Neither holds La Poste's CEDEX codes (not open data); storage/gazetteer.py says what it does
with them. The output is deterministic: sorted keys, compact JSON, gzip with mtime 0; the
recorded dates are the packages' publication dates, not the build's.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "gazetteer.json.gz"
FORMAT = 2

DECOUPAGE = "@etalab/decoupage-administratif"
CODES_POSTAUX = "codes-postaux"
# name -> (version, npm publication date, licence of the data as the package's README states it)
PINNED = {
    DECOUPAGE: ("6.0.0", "2026-04-09", "data: Licence Ouverte (Etalab), La Poste's postcodes included; code: MIT"),
    CODES_POSTAUX: (
        "4.1.2",
        "2025-10-04",
        "MIT; its README names its sources (INSEE's COG, DGFiP's FIMOCT), not their licence",
    ),
}
COMMAND = "python storage/data/build_gazetteer.py"


def _loader():
    """storage/gazetteer.py, loaded by path: its normalise_place_name makes the stored keys."""
    spec = importlib.util.spec_from_file_location("_gazetteer", HERE.parent / "gazetteer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def npm_install(prefix: Path) -> None:
    packages = [f"{name}@{version}" for name, (version, _date, _licence) in PINNED.items()]
    subprocess.run(
        ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--ignore-scripts", *packages],
        check=True,
    )


def _read(root: Path, name: str, relative: str):
    return json.loads((root / "node_modules" / name / relative).read_text(encoding="utf-8"))


def _package_meta(root: Path, name: str) -> dict:
    package = _read(root, name, "package.json")
    version, published, data_licence = PINNED[name]
    if package["version"] != version:
        raise SystemExit(f"{name} is {package['version']} in {root}, the script pins {version}: update PINNED first")
    return {
        "name": name,
        "version": version,
        "published": published,
        "package_licence": package["license"],
        "data_licence": data_licence,
    }


def build(root: Path) -> dict:
    normalise = _loader().normalise_place_name
    meta = {
        "format": FORMAT,
        "packages": [_package_meta(root, name) for name in PINNED],
        "regenerate": COMMAND,
    }
    regions_raw = _read(root, DECOUPAGE, "data/regions.json")
    departments_raw = _read(root, DECOUPAGE, "data/departements.json")
    entries = _read(root, DECOUPAGE, "data/communes.json")

    # Régions are the 13 metropolitan and 5 overseas ones; the package also lists each COM
    # (975, 977, 978, 984, 986-989) as its own "région", which it is not: kept as départements
    # with no région.
    regions = {r["code"]: [r["nom"], []] for r in regions_raw if r["zone"] != "com"}
    departments = {}
    for d in departments_raw:
        region = d["region"] if d["region"] in regions else None
        departments[d["code"]] = [d["nom"], region, d["zone"]]
        if region:
            regions[region][1].append(d["code"])
    for region in regions.values():
        region[1].sort()

    communes = {
        c["code"]: [c["nom"], c["departement"], c.get("population")] for c in entries if c["type"] == "commune-actuelle"
    }
    # Former commune codes (merged, delegated, associated, arrondissements) -> current commune.
    current = {code: code for code in communes}
    for c in entries:
        if c["type"] == "commune-actuelle":
            for old in c.get("anciensCodes", []):
                current.setdefault(old, c["code"])
    for c in entries:
        parent = c.get("chefLieu") if c["type"] in ("commune-deleguee", "commune-associee") else c.get("commune")
        if c["type"] != "commune-actuelle" and parent in communes:
            current.setdefault(c["code"], parent)

    postcodes = defaultdict(set)
    for c in entries:
        if c["code"] in current:
            for postcode in c.get("codesPostaux", []):
                postcodes[postcode].add(current[c["code"]])
    official = set(postcodes)
    supplement, unplaced = set(), []
    for row in _read(root, CODES_POSTAUX, "codes-postaux.json"):
        if row["codePostal"] in official:
            continue
        if row["codeCommune"] in current:
            postcodes[row["codePostal"]].add(current[row["codeCommune"]])
            supplement.add(row["codePostal"])
        else:
            unplaced.append(f"{row['codePostal']} {row['codeCommune']}")

    def by_size(codes) -> list[str]:
        return sorted(codes, key=lambda code: (-(communes[code][2] or 0), code))

    names = defaultdict(set)
    for code, (name, _department, _population) in communes.items():
        names[normalise(name)].add(code)
    former_names = defaultdict(set)
    for c in entries:
        if c["type"] != "commune-actuelle" and c["code"] in current:
            key, parent = normalise(c["nom"]), current[c["code"]]
            if parent not in names.get(key, ()):
                former_names[key].add(parent)

    meta["counts"] = {
        "regions": len(regions),
        "departments": len(departments),
        "communes": len(communes),
        "postcodes": len(postcodes),
        "postcodes_from_codes_postaux": len(supplement),
        "codes_postaux_rows_unplaced": len(unplaced),
        "names": len(names),
        "former_names": len(former_names),
    }
    # Format 2: one string a commune ("name\tdépartement\tpopulation") and one a list of INSEE codes
    # ("code code …"), not nested JSON lists: a third of the memory once loaded, loaded twice as fast.
    return {
        "meta": meta,
        "regions": regions,
        "departments": departments,
        "communes": {
            code: f"{name}\t{department}\t{'' if population is None else population}"
            for code, (name, department, population) in communes.items()
        },
        "postcodes": {code: " ".join(by_size(insees)) for code, insees in postcodes.items()},
        "names": {key: " ".join(by_size(insees)) for key, insees in names.items()},
        "former_names": {key: " ".join(by_size(insees)) for key, insees in former_names.items()},
    }


def encode(data: dict) -> bytes:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "packages", nargs="?", type=Path, help="npm prefix holding node_modules/ (default: npm install in a temp dir)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gazetteer-") as scratch:
        root = args.packages
        if root is None:
            root = Path(scratch)
            npm_install(root)
        data = build(root)
    args.output.write_bytes(encode(data))
    print(f"{args.output}: {args.output.stat().st_size} bytes, {json.dumps(data['meta']['counts'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
