"""`veille jobs`, `veille jobs show|split|merge` and `veille offers` (status, job) as a user runs
them: subprocesses on a real database."""

import json

import pytest

from storage import open_db
from storage.offers import store_offers
from tests.conftest import parse_table, run_veille, write_config
from tests.test_jobs import (
    csp_copy,
    ditp_page,
    passerelles_copy,
    voix_usager,
    voix_usager_hellowork,
)

OPEN = {"published_on": "2026-01-10", "deadline": "2099-12-31"}
CLOSED = {"published_on": "2026-01-11", "deadline": "2020-01-01"}  # long passed, whatever the day the tests run


@pytest.fixture
def stored(tmp_path):
    """Target 001 on three boards (one open job) and target 000 on two (one job, its deadline passed)."""
    db = open_db(tmp_path / "veille.db")
    store_offers(db, [ditp_page(**OPEN)])
    store_offers(db, [passerelles_copy(**OPEN)])
    store_offers(db, [csp_copy(published_on="2026-01-12", deadline="2099-12-31")])
    store_offers(db, [voix_usager(**CLOSED), voix_usager_hellowork(**CLOSED)])
    jobs = dict(db.execute("select source || ':' || source_id, job_id from job_offers").fetchall())
    db.conn.close()
    config = write_config(tmp_path / "veille.toml", {"database": str(tmp_path / "veille.db")})
    return config, jobs


def veille(config, *args):
    return run_veille("--config", str(config), *args, env={"VEILLE_DB": ""})


def test_jobs_lists_open_jobs_with_their_boards_and_all_lists_closed_ones(stored):
    config, jobs = stored
    job_001, job_000 = jobs["modernisation:2024-17971"], jobs["modernisation:72719488"]
    listed = veille(config, "jobs")
    assert listed.returncode == 0, listed.stderr
    [row] = parse_table(listed.stdout)
    assert row["job"] == str(job_001) and row["status"] == "open" and row["offers"] == "3"
    assert row["title"].startswith("Chef de projets innovation")
    assert "Passerelles" in row["published on"] and "modernisation.gouv.fr (DITP)" in row["published on"]

    every = parse_table(veille(config, "jobs", "--all").stdout)
    assert [(row["job"], row["status"], row["offers"]) for row in every] == [
        (str(job_000), "closed", "2"),
        (str(job_001), "open", "3"),
    ]

    as_json = [json.loads(line) for line in veille(config, "jobs", "--json").stdout.splitlines()]
    assert [job["id"] for job in as_json] == [job_001]
    assert {offer["board"] for offer in as_json[0]["offers"]} == {
        "modernisation",
        "passerelles",
        "choisirleservicepublic",
    }


def test_jobs_show_by_number_or_by_offer(stored):
    config, jobs = stored
    job = jobs["choisirleservicepublic:MEF_2024-17971"]
    by_number = veille(config, "jobs", "show", str(job))
    by_offer = veille(config, "jobs", "show", "choisirleservicepublic:MEF_2024-17971")
    assert by_number.returncode == by_offer.returncode == 0
    assert by_number.stdout == by_offer.stdout
    lines = by_number.stdout.splitlines()
    assert lines[0].startswith(f"job {job} · open · 3 offers · first seen ")
    text = by_number.stdout
    assert "modernisation:2024-17971  (Passerelles, via modernisation.gouv.fr (DITP))  open" in text
    assert "choisirleservicepublic:MEF_2024-17971  (Choisir le service public)  open" in text
    assert "in this job: same ref as modernisation:2024-17971" in text
    assert ditp_page()["url"] in text and passerelles_copy()["url"] in text and csp_copy()["url"] in text

    closed = veille(config, "jobs", "show", f"#{jobs['modernisation:72719488']}")
    assert closed.stdout.splitlines()[0].startswith(f"job {jobs['modernisation:72719488']} · closed · 2 offers")
    assert "closed: deadline 2020-01-01 passed" in closed.stdout


def test_split_then_merge_from_the_command_line(stored):
    config, jobs = stored
    job = jobs["modernisation:72719488"]
    split = veille(config, "jobs", "split", "modernisation:72719488")
    assert split.returncode == 0, split.stderr
    new = int(split.stdout.split("it is job ")[1].split()[0])
    assert (
        split.stdout.strip()
        == f"modernisation:72719488 left job {job}: it is job {new} now, kept apart from job {job}'s offers."
    )
    assert "1 offer" in veille(config, "jobs", "show", "modernisation:72719488").stdout.splitlines()[0]

    merged = veille(config, "jobs", "merge", "modernisation:chef-du-pole-voix-de-lusager-hf", str(new))
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.strip() == f"job {new} merged into job {job}."
    assert veille(config, "jobs", "show", str(new)).stdout.splitlines()[0].startswith(f"job {job} · closed · 2 offers")


@pytest.mark.parametrize(
    "args, message",
    [
        (("jobs", "show", "999"), "Error: no job 999"),
        (("jobs", "show", "99999999999999999999"), "Error: no job 99999999999999999999"),  # beyond SQLite's integers
        (("jobs", "show", "modernisation:nope"), "Error: no stored offer modernisation:nope"),
        (
            ("jobs", "show", "2024-17971"),
            "Error: '2024-17971' is not an offer: write SOURCE:SOURCE_ID (e.g. "
            "choisirleservicepublic:MEF_2024-17971), as `veille offers --json` shows them",
        ),
        (("jobs", "split", "modernisation:nope"), "Error: no stored offer modernisation:nope"),
        (("jobs", "split", "modernisation:2024-17971x"), "Error: no stored offer modernisation:2024-17971x"),
        (("jobs", "merge", "modernisation:2024-17971", "choisirleservicepublic:MEF_2024-17971"), None),
        (("jobs", "merge", "modernisation:2024-17971", "999"), "Error: no job 999"),
        (
            ("jobs", "merge", "nope", "1"),
            "Error: 'nope' is not an offer: write SOURCE:SOURCE_ID (e.g. choisirleservicepublic:MEF_2024-17971), as "
            "`veille offers --json` shows them",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_2(stored, args, message):
    config, jobs = stored
    if message is None:  # a message naming a job number
        message = f"Error: {args[2]} and {args[3]} are already the same job ({jobs['modernisation:2024-17971']})"
    result = veille(config, *args)
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""
    # nothing changed
    assert parse_table(veille(config, "jobs", "--all").stdout)[1]["offers"] == "3"


def test_offers_shows_status_and_job(stored):
    config, jobs = stored
    rows = parse_table(veille(config, "offers").stdout)
    assert len(rows) == 5
    by_title = {(row["source"], row["place"][:8], row["published"]): row for row in rows}
    csp = by_title[("choisirleservicepublic", "Loire-At", "2026-01-12")]
    assert (
        csp["status"] == "open"
        and csp["job"] == f"{jobs['choisirleservicepublic:MEF_2024-17971']} (also on modernisation, passerelles)"
    )
    assert [row["status"] for row in rows if row["published"] == "2026-01-11"] == [
        "closed (deadline)",
        "closed (deadline)",
    ]

    opened = veille(config, "offers", "--open")
    assert [row["status"] for row in parse_table(opened.stdout)] == ["open"] * 3
    assert opened.stdout.rstrip().endswith("3 offers")
    assert len(parse_table(veille(config, "offers", "--open", "--limit", "2").stdout)) == 2

    lines = [json.loads(line) for line in veille(config, "offers", "--json").stdout.splitlines()]
    assert len(lines) == 5
    passerelles = next(line for line in lines if line["source_id"] == "2024-17971")
    assert passerelles["status"] == "open" and passerelles["closed_reason"] is None
    assert passerelles["job_id"] == jobs["modernisation:2024-17971"]
    assert passerelles["also_on"] == ["choisirleservicepublic", "modernisation"]
    hellowork = next(line for line in lines if line["source_id"] == "72719488")
    assert hellowork["status"] == "closed: deadline 2020-01-01 passed" and hellowork["also_on"] == ["modernisation"]

    # "usager" is in the open offers too ("les usagers", plurals fold): only the closed post says "voix".
    assert veille(config, "offers", "--open", "--search", "voix").stdout.strip() == "No offer matches."


def test_offers_as_csv(stored):
    import csv
    import io

    config, jobs = stored
    result = veille(config, "offers", "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5
    passerelles = next(row for row in rows if row["source_id"] == "2024-17971")
    assert passerelles["title"] == "Chef de projets innovation et transformation publique H/F"
    assert (passerelles["deadline"], passerelles["closed_reason"]) == ("2099-12-31", "")
    assert passerelles["job_id"] == str(jobs["modernisation:2024-17971"])
    assert passerelles["also_on"] == "choisirleservicepublic, modernisation"
    hellowork = next(row for row in rows if row["source_id"] == "72719488")
    assert hellowork["closed_reason"] == "deadline"


def test_offers_show_prints_one_offer_and_its_versions(stored, tmp_path):
    config, jobs = stored
    db = open_db(tmp_path / "veille.db")
    store_offers(db, [ditp_page(**{**OPEN, "deadline": "2099-06-30"})], seen_at="2026-02-01T09:00:00+00:00")
    db.conn.close()
    offer = "modernisation:chef-de-projets-innovation-et-transformation-publique-hf"
    result = veille(config, "offers", "show", offer)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{offer} · open · job {jobs[offer]} (also on ")
    assert "  title:        Chef de projets innovation et transformation publique H/F" in lines
    assert "  deadline:     2099-06-30" in lines
    assert lines[-3:] == [
        "1 change since first seen",
        "  2026-02-01 10:00:",
        "    deadline: 2099-12-31 → 2099-06-30",
    ]
    missing = veille(config, "offers", "show", "modernisation:nope")
    assert (missing.returncode, missing.stderr.strip()) == (2, "Error: no stored offer modernisation:nope")
