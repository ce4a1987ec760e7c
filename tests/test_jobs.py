"""Jobs on a real SQLite file: offers stored through the crawl's storage path
(storage.offers.store_offers) are grouped across boards; hand splits and merges;
re-posts; grouping a database stored before jobs existed; the offer and job lifecycle."""

import datetime as dt

import pytest

from alerts.units import JobUnits
from crawler.items import validate_offer
from storage import open_db
from storage.grouping import Thresholds
from storage.job_edits import UnknownOffer, merge_jobs, resolve_job, split_offer
from storage.job_views import annotate_offers, get_job, job_offers, list_jobs
from storage.lifecycle import open_jobs
from storage.migrations import migrations
from storage.offers import store_offers, touch_offers, upsert_offers, versions_of
from storage.outbox import job_key
from storage.runs import finish_run, start_run
from tests.conftest import store_before_jobs

DITP = "Direction interministérielle de la transformation publique (DITP)"
PASSERELLES_URL = (
    "https://www.passerelles.economie.gouv.fr/offre-de-emploi/"
    "imprimer-fiche-emploi-chef-de-projets-innovation-et-transformation-publique-h-f_17971.aspx"
)
MISSIONS_001 = (
    "Au sein du pôle innovation territoriale de la DITP, le chef de projets accompagne les services de l'Etat en "
    "région "
    "Pays de la Loire dans leurs projets de transformation publique : ateliers d'intelligence collective, design de "
    "services, expérimentations avec les usagers et les agents, animation du laboratoire d'innovation Etat'LIN."
)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def seen(text: str) -> str:
    return f"{text}T08:00:00+00:00"


# Target 001 (Chef de projets innovation et transformation publique, DITP, Nantes) as each board shows it.
def ditp_page(**fields):
    return validate_offer(
        {
            "source": "modernisation",
            "source_id": "chef-de-projets-innovation-et-transformation-publique-hf",
            "url": "https://www.modernisation.gouv.fr/nous-rejoindre/offres/chef-de-projets-innovation-et-transformation-publique-hf",
            "title": "Chef de projets innovation et transformation publique H/F",
            "employer": DITP,
            "category": "A",
            "location": "Nantes (44)",
            "department": "44",
            "published_on": "2025-04-18",
            "deadline": "2025-05-22",
            "missions": MISSIONS_001,
            **fields,
        }
    )


def passerelles_copy(**fields):
    return validate_offer(
        {
            "source": "modernisation",
            "source_id": "2024-17971",
            "url": PASSERELLES_URL,
            "title": "Chef de projets innovation et transformation publique H/F",
            "employer": DITP,
            "versant": "État",
            "location": "SGAR Pays de la Loire - Préfecture de région – Nantes – 6 quai Ceineray – 44000 NANTES",
            "department": "44",
            "region": "Pays de la Loire",
            "published_on": "2025-04-18",
            "deadline": "2025-05-22",
            "missions": MISSIONS_001,
            "raw": {"board": "passerelles", "Référence": "2024-17971"},
            **fields,
        }
    )


def csp_copy(**fields):
    return validate_offer(
        {
            "source": "choisirleservicepublic",
            "source_id": "MEF_2024-17971",
            "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/chef-de-projets-innovation-et-transformation-publique-hf-reference-MEF_2024-17971/",
            "title": "Cheffe ou chef de projets innovation et transformation publique (F/H)",
            "employer": "Direction interministérielle de la transformation publique",
            "location": "Loire-Atlantique (44)",
            "department": "44",
            "published_on": "2025-04-22",
            "deadline": "2025-05-22",
            **fields,
        }
    )


# Target 000 (Chef du Pôle Voix de l'Usager, DITP, Paris): another post of the same employer.
def voix_usager(**fields):
    return validate_offer(
        {
            "source": "modernisation",
            "source_id": "chef-du-pole-voix-de-lusager-hf",
            "url": "https://www.modernisation.gouv.fr/nous-rejoindre/offres/chef-du-pole-voix-de-lusager-hf",
            "title": "Chef du Pôle Voix de l'Usager H/F",
            "employer": DITP,
            "contract": "CDI",
            "location": "20 avenue de Ségur, 75007 Paris",
            "department": "75",
            "published_on": "2025-07-26",
            **fields,
        }
    )


def voix_usager_hellowork(**fields):
    return validate_offer(
        {
            "source": "modernisation",
            "source_id": "72719488",
            "url": "https://www.hellowork.com/fr-fr/emplois/72719488.html",
            "title": "Chef du Pôle Voix de l'Usager H/F - Ministère de la Transformation et de la Fonction publiques",
            "employer": "Ministère de la Transformation et de la Fonction publiques",
            "contract": "CDI",
            "location": "75000 Paris",
            "department": "75",
            "region": "Île-de-France",
            "published_on": "2025-07-26",
            "apply_url": "https://www.modernisation.gouv.fr/nous-rejoindre",
            "raw": {"board": "hellowork"},
            **fields,
        }
    )


def csp_offer(source_id: str, title: str, **fields):
    return validate_offer(
        {
            "source": "choisirleservicepublic",
            "source_id": source_id,
            "url": f"https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-{source_id}/",
            "title": title,
            "employer": "Préfecture de la région Occitanie",
            "location": "Toulouse (31)",
            "department": "31",
            **fields,
        }
    )


def job_of(db, offer) -> int:
    return resolve_job(db, f"{offer['source']}:{offer['source_id']}")


def job_count(db) -> int:
    return db.execute("select count(distinct job_id) from job_offers").fetchone()[0]


# -- grouping across boards -------------------------------------------------------------------------


def test_one_post_on_three_boards_is_one_job_with_every_link(fresh_db):
    store_offers(fresh_db, [ditp_page()], seen_at=seen("2025-04-18"))
    store_offers(fresh_db, [passerelles_copy()], seen_at=seen("2025-04-19"))
    store_offers(fresh_db, [csp_copy()], seen_at=seen("2025-04-22"))
    store_offers(fresh_db, [voix_usager()], seen_at=seen("2025-07-26"))  # another post, same employer

    job = job_of(fresh_db, ditp_page())
    assert job_of(fresh_db, passerelles_copy()) == job_of(fresh_db, csp_copy()) == job
    assert job_of(fresh_db, voix_usager()) != job
    assert job_count(fresh_db) == 2

    members = job_offers(fresh_db, job, on=day("2025-05-01"))
    assert [(offer["source"], offer["source_id"]) for offer in members] == [
        ("modernisation", "chef-de-projets-innovation-et-transformation-publique-hf"),
        ("modernisation", "2024-17971"),
        ("choisirleservicepublic", "MEF_2024-17971"),
    ]
    assert [offer["board"] for offer in members] == ["modernisation", "passerelles", "choisirleservicepublic"]
    assert members[0]["reason"] == "first offer of the job"
    assert "title 100" in members[1]["reason"]
    assert members[2]["reason"].startswith(
        "same ref as modernisation:2024-17971"
    )  # MEF_2024-17971 is Passerelles 2024-17971
    assert {offer["status"] for offer in members} == {"open"}

    [view] = JobUnits().views(fresh_db, [job_key(job)], today=day("2025-05-01")).values()
    assert [url for _, url in view.links] == [ditp_page()["url"], PASSERELLES_URL, csp_copy()["url"]]

    annotated = annotate_offers(fresh_db, [dict(csp_copy())], on=day("2025-05-01"))[0]
    assert annotated["job_id"] == job and annotated["status"] == "open"
    assert annotated["also_on"] == ["modernisation", "passerelles"]


def test_offers_of_one_crawl_batch_are_grouped_together(fresh_db):
    # A crawl stores its offers in batches: copies of one post in the same batch are one job too.
    store_offers(
        fresh_db, [ditp_page(), passerelles_copy(), voix_usager(), voix_usager_hellowork()], seen_at=seen("2025-07-26")
    )
    assert job_of(fresh_db, ditp_page()) == job_of(fresh_db, passerelles_copy())
    assert job_of(fresh_db, voix_usager()) == job_of(fresh_db, voix_usager_hellowork())
    assert job_count(fresh_db) == 2


def test_storing_again_keeps_every_offer_in_its_job(fresh_db):
    store_offers(fresh_db, [ditp_page(), csp_copy(), passerelles_copy()], seen_at=seen("2025-04-22"))
    job = job_of(fresh_db, csp_copy())
    result = store_offers(
        fresh_db,
        [csp_copy(title="Chef de projets innovation et transformation publique (H/F)")],
        seen_at=seen("2025-04-25"),
    )
    assert result.updated == [("choisirleservicepublic", "MEF_2024-17971")]
    assert job_of(fresh_db, csp_copy()) == job and job_count(fresh_db) == 1
    assert fresh_db.execute("select count(*) from job_offers").fetchone()[0] == 3


def test_upsert_alone_leaves_offers_for_group_ungrouped(fresh_db):
    from storage.jobs import group_ungrouped

    upsert_offers(fresh_db, [ditp_page(), passerelles_copy()], seen_at=seen("2025-04-18"))
    assert fresh_db.execute("select count(*) from job_offers").fetchone()[0] == 0
    assert group_ungrouped(fresh_db) == 2
    assert job_of(fresh_db, ditp_page()) == job_of(fresh_db, passerelles_copy())
    assert group_ungrouped(fresh_db) == 0


def test_thresholds_come_from_the_rules(fresh_db):
    # the same post, the CSP copy published 60 days later: past the default 45-day window
    late = csp_copy(source_id="2025-999", published_on="2025-06-17", deadline="2025-07-30")
    store_offers(fresh_db, [ditp_page(deadline="2025-08-01")], seen_at=seen("2025-04-18"))
    store_offers(fresh_db, [late], seen_at=seen("2025-06-17"))
    assert job_count(fresh_db) == 2

    other = open_db(fresh_db.conn.execute("pragma database_list").fetchone()[2].replace("veille.db", "wide.db"))
    store_offers(
        other,
        [ditp_page(deadline="2025-08-01")],
        seen_at=seen("2025-04-18"),
        thresholds=Thresholds(date_window_days=90),
    )
    store_offers(other, [late], seen_at=seen("2025-06-17"), thresholds=Thresholds(date_window_days=90))
    assert job_count(other) == 1


# -- hand corrections ---------------------------------------------------------------------------


def test_split_gives_the_offer_its_own_job_and_is_remembered(fresh_db):
    store_offers(fresh_db, [voix_usager()], seen_at=seen("2025-07-26"))
    store_offers(fresh_db, [voix_usager_hellowork()], seen_at=seen("2025-07-27"))
    job = job_of(fresh_db, voix_usager())
    assert job_of(fresh_db, voix_usager_hellowork()) == job

    old, new = split_offer(fresh_db, "modernisation", "72719488")
    assert old == job and new != job
    assert job_of(fresh_db, voix_usager_hellowork()) == new and job_of(fresh_db, voix_usager()) == job
    assert job_offers(fresh_db, new)[0]["reason"] == f"split from job {job} by hand"

    # storing both again (unchanged, then changed) does not put them back together
    store_offers(fresh_db, [voix_usager(), voix_usager_hellowork()], seen_at=seen("2025-07-28"))
    store_offers(
        fresh_db,
        [voix_usager(deadline="2025-09-30"), voix_usager_hellowork(deadline="2025-09-30")],
        seen_at=seen("2025-07-29"),
    )
    assert job_of(fresh_db, voix_usager_hellowork()) == new and job_of(fresh_db, voix_usager()) == job

    # a later copy on a third board joins one of them, never both
    csp = validate_offer(
        {
            **voix_usager(),
            "source": "choisirleservicepublic",
            "source_id": "2025-1234567",
            "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/chef-du-pole-voix-de-l-usager-hf-reference-2025-1234567/",
        }
    )
    store_offers(fresh_db, [csp], seen_at=seen("2025-07-30"))
    assert job_of(fresh_db, voix_usager()) != job_of(fresh_db, voix_usager_hellowork())
    assert job_of(fresh_db, csp) in (job, new)

    # an automatic merge (a JO notice replacing another) never undoes a split; a merge by hand does
    assert merge_jobs(fresh_db, job, new, reason="replaces the notice", by_hand=False) == new
    assert job_of(fresh_db, voix_usager_hellowork()) == new
    assert merge_jobs(fresh_db, job, new) == job
    assert job_of(fresh_db, voix_usager_hellowork()) == job
    assert get_job(fresh_db, new)["merged_into"] == job
    assert resolve_job(fresh_db, str(new)) == job  # a merged job's number still finds the job


def test_merge_joins_a_missed_pair_and_split_refuses_a_lone_offer(fresh_db):
    # a CSP copy published outside the window: two jobs, which the user merges
    store_offers(fresh_db, [ditp_page(deadline="2025-08-01")], seen_at=seen("2025-04-18"))
    store_offers(
        fresh_db,
        [csp_copy(source_id="2025-999", published_on="2025-06-17", deadline="2025-07-30")],
        seen_at=seen("2025-06-17"),
    )
    first, second = job_of(fresh_db, ditp_page()), resolve_job(fresh_db, "choisirleservicepublic:2025-999")
    assert first != second
    with pytest.raises(ValueError, match="only offer"):
        split_offer(fresh_db, "modernisation", "chef-de-projets-innovation-et-transformation-publique-hf")
    with pytest.raises(ValueError):
        merge_jobs(fresh_db, first, first)
    assert merge_jobs(fresh_db, first, second) == first
    assert job_count(fresh_db) == 1
    assert {offer["source_id"] for offer in job_offers(fresh_db, first)} == {
        "chef-de-projets-innovation-et-transformation-publique-hf",
        "2025-999",
    }
    assert resolve_job(fresh_db, f"#{second}") == first


def test_references_naming_nothing_are_unknown(fresh_db):
    store_offers(fresh_db, [ditp_page()], seen_at=seen("2025-04-18"))
    with pytest.raises(UnknownOffer):
        resolve_job(fresh_db, "999")
    with pytest.raises(UnknownOffer):
        resolve_job(fresh_db, "choisirleservicepublic:nope")
    with pytest.raises(ValueError):
        resolve_job(fresh_db, "chef-de-projets")  # neither a number nor SOURCE:ID
    with pytest.raises(UnknownOffer):
        split_offer(fresh_db, "modernisation", "nope")


# -- re-posts ---------------------------------------------------------------------------------------


def first_posting(*, deadline: str):
    """The post the re-post tests start from: its first reference, published on 5 January."""
    return csp_offer(
        "2026-1001",
        "Chargé(e) de mission transformation et innovation publique (H/F)",
        published_on="2026-01-05",
        deadline=deadline,
    )


def test_a_post_published_again_after_its_job_closed_is_a_new_job_linked_to_it(fresh_db):
    first = first_posting(deadline="2026-02-05")
    store_offers(fresh_db, [first], seen_at=seen("2026-01-05"))
    # after the deadline, the same post under a new reference
    again = csp_offer(
        "2026-1450",
        "Chargé de mission transformation et innovation publique H/F",
        published_on="2026-03-02",
        deadline="2026-04-02",
    )
    store_offers(fresh_db, [again], seen_at=seen("2026-03-02"))
    old, new = job_of(fresh_db, first), job_of(fresh_db, again)
    assert new != old
    assert get_job(fresh_db, new)["reposted_from"] == old
    assert get_job(fresh_db, old)["reposts"] == [new]
    assert job_offers(fresh_db, new)[0]["reason"].startswith(f"re-post of job {old} (closed)")


def test_a_second_reference_while_the_first_is_open_is_no_repost(fresh_db):
    first = first_posting(deadline="2026-04-05")
    second = csp_offer(
        "2026-1002",
        "Chargé de mission transformation et innovation publique H/F",
        published_on="2026-01-20",
        deadline="2026-04-20",
    )
    store_offers(fresh_db, [first], seen_at=seen("2026-01-05"))
    store_offers(fresh_db, [second], seen_at=seen("2026-01-20"))
    assert job_of(fresh_db, first) != job_of(fresh_db, second)  # two postings of the board, both open
    assert get_job(fresh_db, job_of(fresh_db, second))["reposted_from"] is None


def test_a_repost_is_found_among_alike_offers_of_the_board_still_open(fresh_db):
    """Alike offers of one board whose job cannot have closed are compared too (they rank among the candidates
    for a re-post): with one of them published later than the closed one, the re-post still finds its job."""
    first = first_posting(deadline="2026-02-05")
    open_one = csp_offer(
        "2026-1002", "Chargé de mission transformation et innovation publique H/F", published_on="2026-01-20"
    )
    store_offers(fresh_db, [first], seen_at=seen("2026-01-05"))
    store_offers(fresh_db, [open_one], seen_at=seen("2026-01-20"))
    assert job_of(fresh_db, open_one) != job_of(fresh_db, first)  # the first was still open: no re-post
    again = csp_offer(
        "2026-1450",
        "Chargé de mission transformation et innovation publique",
        published_on="2026-03-02",
        deadline="2026-04-02",
    )
    store_offers(fresh_db, [again], seen_at=seen("2026-03-02"))
    assert get_job(fresh_db, job_of(fresh_db, again))["reposted_from"] == job_of(fresh_db, first)


def test_alike_offers_of_one_board_none_closed_stay_apart(fresh_db):
    """Two references of one board, alike but not one post published twice, every job open: two jobs, each
    offer the first of its own (what grouping skips scoring when no job may have closed)."""
    offers = [
        csp_offer("2026-2001", "Chargé de mission transformation publique", published_on="2026-01-05"),
        csp_offer("2026-2002", "Chargé de mission transformation publique (H/F)", published_on="2026-01-06"),
        csp_offer("2026-2003", "Chargée de mission transformation publique", published_on="2026-01-07"),
    ]
    store_offers(fresh_db, offers[:1], seen_at=seen("2026-01-05"))
    store_offers(fresh_db, offers[1:], seen_at=seen("2026-01-07"))
    assert len({job_of(fresh_db, offer) for offer in offers}) == 3
    for offer in offers:
        assert job_offers(fresh_db, job_of(fresh_db, offer))[0]["reason"] == "first offer of the job"


def test_a_post_published_again_long_after_is_not_linked(fresh_db):
    first = csp_offer(
        "2025-1001",
        "Chargé de mission transformation et innovation publique",
        published_on="2025-01-05",
        deadline="2025-02-05",
    )
    store_offers(fresh_db, [first], seen_at=seen("2025-01-05"))
    again = csp_offer(
        "2026-1450",
        "Chargé de mission transformation et innovation publique",
        published_on="2026-03-02",
        deadline="2026-04-02",
    )
    store_offers(fresh_db, [again], seen_at=seen("2026-03-02"))
    assert get_job(fresh_db, job_of(fresh_db, again))["reposted_from"] is None
    assert job_of(fresh_db, again) != job_of(fresh_db, first)


@pytest.mark.parametrize("seen_at", ["2026-02-05T23:30:00+00:00", "2026-02-06T00:30:00+00:00"])
def test_a_repost_is_judged_on_the_paris_day_it_is_seen(fresh_db, seen_at):
    """The CSP offer's last day is 5 February. The same post on the DITP's site, seen at 00:30 or 01:30
    on 6 February in Paris (23:30 or 00:30 UTC), arrives after the job closed either way: a re-post,
    alerted as news, not an offer joining a closed job that was alerted already."""
    title = "Chargé de mission transformation et innovation publique H/F"
    first = csp_offer("2026-1001", title, published_on="2026-01-05", deadline="2026-02-05")
    store_offers(fresh_db, [first], seen_at=seen("2026-01-05"))
    again = validate_offer(
        {
            "source": "modernisation",
            "source_id": "charge-de-mission-transformation",
            "url": "https://www.modernisation.gouv.fr/nous-rejoindre/offres/charge-de-mission-transformation",
            "title": title,
            "employer": "Préfecture de la région Occitanie",
            "location": "Toulouse (31)",
            "department": "31",
            "published_on": "2026-02-06",
            "deadline": "2026-03-06",
        }
    )
    store_offers(fresh_db, [again], seen_at=seen_at)
    assert job_of(fresh_db, again) != job_of(fresh_db, first)
    assert get_job(fresh_db, job_of(fresh_db, again))["reposted_from"] == job_of(fresh_db, first)


def complete_run(db, source: str, offers=(), *, seen_at: str, complete: bool = True, touched=()) -> int:
    run_id = start_run(db, source, {"full": complete})
    if offers:
        store_offers(db, list(offers), run_id=run_id, seen_at=seen_at)
    if touched:
        touch_offers(db, source, touched, run_id=run_id, seen_at=seen_at)
    finish_run(
        db,
        run_id,
        status="ok",
        reason="finished",
        pages=1,
        items=len(offers),
        new=0,
        updated=0,
        unchanged=0,
        dropped=0,
        errors={},
        error_samples=[],
        complete=complete,
    )
    return run_id


def dinum_offer(slug: str, title: str, published_on: str):
    return validate_offer(
        {
            "source": "dinum",
            "source_id": slug,
            "url": f"https://design.numerique.gouv.fr/recrutement/{slug}/",
            "title": title,
            "employer": "DINUM",
            "location": "Paris",
            "department": "75",
            "contract": "CDD",
            "published_on": published_on,
        }
    )


def test_a_post_without_deadline_missing_from_its_board_then_published_again_is_a_repost(fresh_db):
    designer = dinum_offer("designer-UX-UI", "Designer UX/UI", "2021-01-19")
    complete_run(fresh_db, "dinum", [designer], seen_at=seen("2021-01-19"))
    complete_run(fresh_db, "dinum", [], seen_at=seen("2021-02-20"))
    complete_run(fresh_db, "dinum", [], seen_at=seen("2021-02-21"))  # missing twice: closed
    again = dinum_offer("designer-ux-ui-2", "Designer·euse UX/UI", "2021-03-01")
    complete_run(fresh_db, "dinum", [again], seen_at=seen("2021-03-01"))
    assert get_job(fresh_db, job_of(fresh_db, again))["reposted_from"] == job_of(fresh_db, designer)


# -- a database stored before jobs existed -----------------------------------------------------------


def test_offers_stored_before_migration_m005_are_grouped_by_it(tmp_path):
    path = tmp_path / "old.db"
    db = open_db(path, migrate=False)
    migrations.apply(db, stop_before="m005_jobs")
    assert "jobs" not in db.table_names()
    store_before_jobs(db, [ditp_page()], seen_at=seen("2025-04-18"))
    store_before_jobs(db, [passerelles_copy(), voix_usager()], seen_at=seen("2025-04-19"))
    store_before_jobs(db, [csp_copy()], seen_at=seen("2025-04-22"))
    db.conn.close()

    db = open_db(path)
    assert {"jobs", "job_offers"} <= set(db.table_names())
    assert db.execute("select count(*) from job_offers").fetchone()[0] == 4
    assert (
        job_of(db, ditp_page()) == job_of(db, passerelles_copy()) == job_of(db, csp_copy()) != job_of(db, voix_usager())
    )
    # each offer judged on the day it was first seen: open then, so not a re-post of anything
    assert db.execute("select count(*) from jobs where reposted_from is not null").fetchone()[0] == 0


# -- versions and lifecycle ---------------------------------------------------------------------------


def test_a_deadline_change_is_a_version_and_reopens_the_job(fresh_db):
    store_offers(fresh_db, [ditp_page()], seen_at=seen("2025-04-18"))
    job = job_of(fresh_db, ditp_page())
    assert open_jobs(fresh_db, [job], on=day("2025-06-01")) == set()  # deadline 2025-05-22 passed
    position = get_job(fresh_db, job)["position"]

    result = store_offers(fresh_db, [ditp_page(deadline="2025-06-30")], seen_at=seen("2025-06-01"))
    assert result.updated == [("modernisation", "chef-de-projets-innovation-et-transformation-publique-hf")]
    [version] = versions_of(fresh_db, "modernisation", "chef-de-projets-innovation-et-transformation-publique-hf")
    assert version["changes"] == {"deadline": ["2025-05-22", "2025-06-30"]}
    assert open_jobs(fresh_db, [job], on=day("2025-06-01")) == {job}
    # reopened: the job goes to the end of the alert queue, to be matched again
    assert get_job(fresh_db, job)["position"] > position
    assert (
        fresh_db.execute(
            "select deadline from job_offers where source_id = ?",
            ["chef-de-projets-innovation-et-transformation-publique-hf"],
        ).fetchone()[0]
        == "2025-06-30"
    )


def test_an_offer_closes_when_its_deadline_passed(fresh_db):
    store_offers(fresh_db, [ditp_page()], seen_at=seen("2025-04-18"))
    [before] = annotate_offers(fresh_db, [dict(ditp_page())], on=day("2025-05-22"))
    [after] = annotate_offers(fresh_db, [dict(ditp_page())], on=day("2025-05-23"))
    assert before["status"] == "open" and before["closed_reason"] is None
    assert after["closed_reason"] == "deadline" and after["status"] == "closed: deadline 2025-05-22 passed"


def test_an_offer_closes_when_missing_from_two_complete_crawls_and_reopens_when_seen(fresh_db):
    designer, senior = (
        dinum_offer("designer-UX-UI", "Designer UX/UI", "2021-01-19"),
        dinum_offer("designer-senior", "Designer UX/UI senior", "2021-01-31"),
    )

    def status(offer):
        return annotate_offers(fresh_db, [dict(offer)])[0]["closed_reason"]

    complete_run(fresh_db, "dinum", [designer, senior], seen_at=seen("2021-02-01"))
    complete_run(fresh_db, "dinum", [senior], seen_at=seen("2021-02-02"))
    assert status(designer) is None  # missing once is not enough
    complete_run(fresh_db, "dinum", [senior], seen_at=seen("2021-02-03"), complete=False)
    complete_run(fresh_db, "modernisation", [ditp_page()], seen_at=seen("2021-02-03"))  # another source's crawl
    assert status(designer) is None  # neither counts
    failed = start_run(fresh_db, "dinum")
    finish_run(
        fresh_db,
        failed,
        status="failed",
        reason="layout_changed",
        pages=1,
        items=0,
        new=0,
        updated=0,
        unchanged=0,
        dropped=0,
        errors={"layout_changed": 1},
        error_samples=[],
        complete=True,
    )
    assert status(designer) is None  # a failed run is never complete
    complete_run(fresh_db, "dinum", [senior], seen_at=seen("2021-02-04"))
    assert status(designer) == "missing" and status(senior) is None
    assert annotate_offers(fresh_db, [dict(designer)])[0]["status"] == "closed: missing from 2 complete crawls"

    # listed again (touched on the listing page, not read again): open
    complete_run(fresh_db, "dinum", [senior], seen_at=seen("2021-02-05"), touched=["designer-UX-UI"])
    assert status(designer) is None


def test_a_job_is_closed_only_when_all_its_offers_are(fresh_db):
    store_offers(fresh_db, [ditp_page(), passerelles_copy(deadline="2025-06-15")], seen_at=seen("2025-04-18"))
    job = job_of(fresh_db, ditp_page())
    assert job == job_of(fresh_db, passerelles_copy())
    assert open_jobs(fresh_db, [job], on=day("2025-06-01")) == {job}  # one offer closed, one open
    assert [j["id"] for j in list_jobs(fresh_db, on=day("2025-06-01"))] == [job]
    assert open_jobs(fresh_db, [job], on=day("2025-06-16")) == set()
    assert list_jobs(fresh_db, on=day("2025-06-16")) == []
    [closed] = list_jobs(fresh_db, on=day("2025-06-16"), include_closed=True)
    assert closed["id"] == job and closed["open"] is False and len(closed["offers"]) == 2


def test_two_services_posts_with_a_generic_title_stay_two_jobs(fresh_db):
    ddt = csp_offer(
        "2026-100",
        "Chargé de mission H/F",
        employer="Direction départementale des territoires de la Haute-Garonne",
        organisation="Ministère de l'Intérieur",
        published_on="2026-03-03",
        deadline="2026-04-30",
    )
    prefecture = validate_offer(
        {
            **csp_offer(
                "2026-200",
                "Chargé de mission (F/H)",
                employer="Préfecture de la Haute-Garonne",
                organisation="Ministère de l'Intérieur",
                published_on="2026-03-20",
                deadline="2026-04-30",
            ),
            "source": "hellowork",
            "url": "https://www.hellowork.com/fr-fr/emplois/2026200.html",
        }
    )
    store_offers(fresh_db, [ddt], seen_at=seen("2026-03-03"))
    store_offers(fresh_db, [prefecture], seen_at=seen("2026-03-20"))
    assert job_of(fresh_db, ddt) != job_of(fresh_db, prefecture)


# -- one post published twice on one board -----------------------------------------------------------


def ccas_card(reference: str, **fields) -> dict:
    """The real CSP card of the CCAS of Grenoble (two references of it, the same day), as the spider stores it."""
    return validate_offer(
        {
            "source": "choisirleservicepublic",
            "source_id": reference,
            "url": f"https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement---ccas-de-grenoble-reference-{reference}/",
            "title": "Chargé de recrutement - C.C.A.S DE GRENOBLE",
            "employer": "C.C.A.S DE GRENOBLE",
            "employer_kind": "Centres communaux d'Action Sociale",
            "location": "Isère (38)",
            "department": "38",
            "versant": "Territoriale",
            "published_on": "2026-10-01",
            **fields,
        }
    )


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "two-crawls"])
def test_one_post_published_twice_on_a_board_is_one_job_and_jobs_show_says_why(fresh_db, together):
    first, second = ccas_card("O038261001000890"), ccas_card("O038261001001474")
    if together:
        store_offers(fresh_db, [first, second], seen_at=seen("2026-10-01"))
    else:
        store_offers(fresh_db, [first], seen_at=seen("2026-10-01"))
        store_offers(fresh_db, [second], seen_at=seen("2026-10-02"))
    assert job_of(fresh_db, first) == job_of(fresh_db, second)
    [member] = [
        offer for offer in job_offers(fresh_db, job_of(fresh_db, first)) if offer["source_id"] == second["source_id"]
    ]
    assert member["reason"].startswith(
        "title, employer, place and dates identical: one post published twice on choisirleservicepublic "
        "(references O038261001000890 and O038261001001474)"
    )


def test_two_references_of_a_board_that_differ_stay_two_jobs(fresh_db):
    store_offers(fresh_db, [ccas_card("O038261001000890")], seen_at=seen("2026-10-01"))
    store_offers(fresh_db, [ccas_card("O038261001001474", deadline="2026-10-31")], seen_at=seen("2026-10-01"))
    assert job_count(fresh_db) == 2


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "two-crawls"])
def test_two_references_whose_titles_differ_only_by_a_number_stay_two_jobs(fresh_db, together):
    """Normalised titles drop one-character words ("Chef de projet 2" and "… 3" score alike): one post published
    twice needs the titles as written to agree too, whether the first is in the same batch or stored before (its
    title as written read from the database)."""
    first = ccas_card("O038261001000890", title="Chargé de recrutement 2 - C.C.A.S DE GRENOBLE")
    second = ccas_card("O038261001001474", title="Chargé de recrutement 3 - C.C.A.S DE GRENOBLE")
    if together:
        store_offers(fresh_db, [first, second], seen_at=seen("2026-10-01"))
    else:
        store_offers(fresh_db, [first], seen_at=seen("2026-10-01"))
        store_offers(fresh_db, [second], seen_at=seen("2026-10-02"))
    assert job_count(fresh_db) == 2
    [member] = [
        offer for offer in job_offers(fresh_db, job_of(fresh_db, second)) if offer["source_id"] == second["source_id"]
    ]
    assert member["reason"] == "first offer of the job"
