"""crawler/grouping.py: what an offer is reduced to (titles, employers, references, citations)
and how two offers compare. Pure functions, no database."""

import pytest
from rapidfuzz import fuzz

from storage.evidence import citations, reference_of, url_key
from storage.grouping import (
    Thresholds,
    alike_titles,
    compare,
    employer_key,
    employer_score,
    places_agree,
    profile,
    strong_lookups,
    title_parts,
    title_score,
    title_words,
)
from tests.corpus import csp_card_offers

THRESHOLDS = Thresholds()
PASSERELLES_URL = (
    "https://www.passerelles.economie.gouv.fr/offre-de-emploi/"
    "imprimer-fiche-emploi-chef-de-projets-innovation-et-transformation-publique-h-f_17971.aspx"
)


def words(title: str, employer: str | None = None) -> str:
    return " ".join(title_words(title, employer))


def offer(source: str, source_id: str, title: str, **fields) -> dict:
    data = {
        "source": source,
        "source_id": source_id,
        "url": f"https://{source}.example.gouv.fr/offres/{source_id}",
        "title": title,
        "employer": "Direction interministérielle du numérique",
        "location": "Paris (75)",
        "department": "75",
        "published_on": "2021-04-12",
        "deadline": None,
        "raw": {},
    }
    data.update(fields)
    return data


# -- titles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Chargée ou chargé de mission design des services numériques",  # DINUM's own page (target 002)
        "Chargé(e) de mission design des services numériques (H/F)",
        "Chargé·e de mission design des services numériques",
        "Chargé.e de mission design des services numériques F/H",
        "CHARGE DE MISSION DESIGN DES SERVICES NUMERIQUES - H/F",
        "Chargées de missions design des services numériques (Femme / Homme)",
        "Chargé de mission, design des services numériques (h/f)",
    ],
)
def test_gender_forms_case_accents_and_h_f_marks_fold_to_one_title(title):
    assert (
        words(title)
        == words("Chargé de mission design des services numériques")
        == "charg mission design servic numeriqu"
    )


@pytest.mark.parametrize(
    "variant, base",
    [
        ("Chef(fe) de projet innovation", "Chef de projet innovation"),
        ("Cheffe de projet innovation", "Chef de projet innovation"),
        ("Cheffe ou chef de projet innovation (F/H)", "Chef de projet innovation"),
        ("Chef·fe de projet innovation", "Chef de projet innovation"),
        ("Directeur·rice de projet", "Directeur de projet"),
        ("Directrice ou directeur de projet", "Directeur de projet"),
        ("Conseiller / conseillère en transformation", "Conseiller en transformation"),
        ("Ingénieur(e) data", "Ingénieure data"),
        ("Designeuse ou designer (H/F)", "Designer"),
        ("Responsable innovation (H/F/X)", "Responsable innovation"),
    ],
)
def test_feminine_and_masculine_job_nouns_are_one_word(variant, base):
    assert words(variant) == words(base)


@pytest.mark.parametrize(
    "variant, base",
    [
        ("Chef-fe de projet", "Chef de projet"),
        ("Directeur-rice de projet", "Directeur de projet"),
        ("Conseiller-ère numérique", "Conseiller numérique"),
        ("Développeur-euse web", "Développeur web"),
    ],
)
def test_hyphenated_gender_forms_fold_like_the_middle_dot(variant, base):
    assert words(variant) == words(base)


def test_an_employer_suffix_in_the_title_is_dropped_and_kept_as_an_employer():
    # HelloWork titles end in " - <employer>" (target 000)
    words_, named = title_parts(
        "Chef du Pôle Voix de l'Usager H/F - Ministère de la Transformation et de la Fonction publiques"
    )
    assert words_ == title_words("Chef du Pôle Voix de l'Usager H/F")
    assert named == ("ministere de la transformation et de la fonction publiques",)
    # a suffix naming the offer's own employer is dropped too, not kept as words of the job
    assert words("Chargé(e) de mission innovation - DINUM", "DINUM") == words("Chargé de mission innovation")
    # a suffix that is part of what the job is stays
    assert words("Chargé de mission - transformation numérique") != words("Chargé de mission")


def test_different_jobs_keep_different_titles():
    assert title_score(words("Designer UX/UI"), words("Designer UX/UI senior")) < THRESHOLDS.title_threshold
    assert (
        title_score(words("Chargé de recrutement"), words("Chargé de recrutement et formation"))
        < THRESHOLDS.title_threshold
    )
    assert words("Chef de projet") != words("Chargé de projet")


# -- employers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "long, short",
    [
        ("Direction interministérielle de la transformation publique", "DITP"),
        ("Direction interministérielle de la transformation publique (DITP)", "DITP"),
        ("direction interministerielle de la transformation publique", "ditp"),
        ("Direction interministérielle du numérique", "DINUM"),
        ("Direction interministérielle du numérique (DINUM)", "DINUM"),
        ("Secrétariat général pour les affaires régionales d'Occitanie", "SGAR Occitanie"),
        ("Secrétariat général aux affaires régionales (SGAR) Occitanie", "SGAR Occitanie"),
        (
            "Ministère de la Transformation et de la Fonction publiques",
            "Ministère de la transformation et de la fonction publique",
        ),
    ],
)
def test_an_acronym_and_its_full_name_are_one_employer(long, short):
    assert employer_key(long) == employer_key(short)
    assert employer_score((employer_key(long),), (employer_key(short),)) == 100


def test_the_region_of_an_sgar_tells_two_sgars_apart():
    occitanie, paca = (
        employer_key("SGAR Occitanie"),
        employer_key("Secrétariat général pour les affaires régionales de Provence-Alpes-Côte d'Azur"),
    )
    assert occitanie != paca
    assert employer_score((occitanie,), (paca,)) < THRESHOLDS.employer_threshold
    # a bare "SGAR" is not enough to say which région's SGAR it is
    assert employer_score(("sgar",), (occitanie,)) < THRESHOLDS.employer_threshold


def test_a_service_and_its_ministry_are_close_but_two_ministries_are_not():
    ditp, ministry = employer_key("DITP"), employer_key("Ministère de la Transformation et de la Fonction publiques")
    assert employer_score((ditp,), (ministry,)) >= THRESHOLDS.employer_threshold
    armed_forces = employer_key("Ministère des Armées")
    assert employer_score((ministry,), (armed_forces,)) < THRESHOLDS.employer_threshold
    assert employer_score((ditp,), ()) is None  # one offer names no employer: unknown, not different


# -- references, links and citations ---------------------------------------------------------------------


def test_a_csp_mef_reference_is_the_passerelles_reference():
    passerelles = offer(
        "modernisation",
        "2024-17971",
        "Chef de projets innovation et transformation publique H/F",
        url=PASSERELLES_URL,
        raw={"board": "passerelles"},
    )
    csp = offer("choisirleservicepublic", "MEF_2024-17971", "Chef de projets innovation et transformation publique H/F")
    assert reference_of(passerelles) == reference_of(csp) == "MEF:2024-17971"
    # another ministry's prefix, or no prefix, is another reference
    assert reference_of(offer("choisirleservicepublic", "DEF_2024-17971", "x")) == "DEF:2024-17971"
    assert reference_of(offer("choisirleservicepublic", "2024-17971", "x")) != "MEF:2024-17971"
    # the same number on a board that is not the MEF's is not that reference
    assert reference_of(offer("hellowork", "2024-17971", "x")) != "MEF:2024-17971"


def test_the_same_offer_linked_by_another_source_has_the_same_reference():
    csp = offer("choisirleservicepublic", "DEF_15-00064919", "CHARGE DE RECRUTEMENT ET DE LA MOBILITE")
    via_ditp = offer(
        "modernisation",
        "DEF_15-00064919",
        "CHARGE DE RECRUTEMENT ET DE LA MOBILITE",
        raw={"board": "choisirleservicepublic"},
    )
    assert reference_of(csp) == reference_of(via_ditp)
    assert "ref:DEF:15-00064919" in profile(csp).owns & profile(via_ditp).owns


@pytest.mark.parametrize(
    "url, key",
    [
        (
            "https://www.modernisation.gouv.fr/nous-rejoindre/offres/chef-de-projets/",
            "modernisation.gouv.fr/nous-rejoindre/offres/chef-de-projets",
        ),
        (
            "http://modernisation.gouv.fr/nous-rejoindre/offres/chef-de-projets#postuler",
            "modernisation.gouv.fr/nous-rejoindre/offres/chef-de-projets",
        ),
        ("HTTPS://WWW.HelloWork.com/fr-fr/emplois/72719488.html", "hellowork.com/fr-fr/emplois/72719488.html"),
        ("https://example.org/offre?id=12#x", "example.org/offre?id=12"),
        ("https://www.modernisation.gouv.fr/", None),  # a home page names no offer
        ("mailto:drsd.cer.fct@intradef.gouv.fr", None),
        (None, None),
    ],
)
def test_url_keys(url, key):
    assert url_key(url) == key


def test_a_board_offer_cites_the_jo_notice_by_text_id_or_nor():
    legifrance = offer(
        "choisirleservicepublic",
        "2026-2450001",
        "Cheffe ou chef du service de l'expertise numérique (H/F)",
        raw={
            "Informations complémentaires": "Avis de vacance d'emploi : https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000054246518"
        },
    )
    keys, _ = citations(legifrance)
    assert "ref:jorf:JORFTEXT000054246518" in keys
    assert "url:legifrance.gouv.fr/jorf/id/JORFTEXT000054246518" in keys

    nor = offer(
        "choisirleservicepublic",
        "2026-2450002",
        "Chargé(e) de mission auprès du SGAR (H/F)",
        raw={"Références": "Avis de vacance d'emploi, NOR : INTA2616130V"},
    )
    assert citations(nor)[0] == {"nor:INTA2616130V"}
    notice = offer(
        "jorf", "JORFTEXT000054246543", "Avis de vacance d'un emploi de chargé de mission", raw={"NOR": "INTA2616130V"}
    )
    assert "nor:INTA2616130V" in profile(notice).owns
    assert strong_lookups(profile(nor))["own|nor:INTA2616130V"] == "cited by this offer"
    # an offer-like code with no "NOR" before it is not taken for one
    assert citations(offer("choisirleservicepublic", "x", "t", missions="Référence interne ABCD1234567E"))[0] == set()


def test_a_cited_jo_issue_is_a_day_not_a_notice():
    site = offer(
        "prefecture-occitanie",
        "charge-de-mission-lab-o",
        "Chargé de mission innovation publique (Lab'O) H/F",
        raw={"Avis de vacance": "Avis de vacance d'emploi publié au Journal officiel du 18 août 2021"},
    )
    keys, days = citations(site)
    assert keys == set() and days == {"2021-08-18"}
    in_text = offer("x", "y", "t", missions="Poste publié au JORF n°0191 du 18/08/2021.")
    assert citations(in_text)[1] == {"2021-08-18"}


def test_a_jo_notice_cites_only_the_notice_it_replaces():
    decree_nors = offer(
        "jorf",
        "JORFTEXT000043946125",
        "Avis de vacance",
        missions="Vu le décret NOR : INTA2124731V ; voir https://www.legifrance.gouv.fr/x",
    )
    assert citations(decree_nors) == (set(), set())
    replacing = offer(
        "jorf",
        "JORFTEXT000043999999",
        "Avis de vacance",
        raw={"avis antérieur": {"relation": "replaced", "ids": ["JORFTEXT000043946125"]}},
    )
    assert citations(replacing)[0] == {"ref:jorf:JORFTEXT000043946125"}


def test_an_offer_does_not_cite_its_own_url():
    own = offer(
        "modernisation",
        "chef",
        "Chef",
        url="https://www.modernisation.gouv.fr/nous-rejoindre/offres/chef",
        apply_url="https://www.modernisation.gouv.fr/nous-rejoindre/offres/chef/",
        missions=f"Postuler sur Passerelles : {PASSERELLES_URL}",
    )
    keys, _ = citations(own)
    assert keys == {f"url:{url_key(PASSERELLES_URL)}"}


# -- comparing by score -----------------------------------------------------------------------------


def test_the_same_post_on_two_boards_within_the_window_is_one_job():
    dinum = profile(
        offer(
            "dinum",
            "charge-mission-design",
            "Chargée ou chargé de mission design des services numériques",
            employer="DINUM",
            published_on="2021-04-12",
        )
    )
    csp = profile(
        offer(
            "choisirleservicepublic",
            "2021-548213",
            "Chargé(e) de mission design des services numériques (H/F)",
            employer="Direction interministérielle du numérique",
            organisation="Services du Premier ministre",
            published_on="2021-04-14",
        )
    )
    comparison = compare(dinum, csp, THRESHOLDS)
    assert comparison.same_job and comparison.title == 100 and comparison.employer == 100


def test_same_title_different_employer_is_not_the_same_job():
    essonne = profile(
        offer(
            "choisirleservicepublic",
            "O091260907001077",
            "Chargé de recrutement H/F",
            employer="Conseil départemental de l'Essonne",
            department="91",
        )
    )
    evry = profile(
        offer(
            "evry",
            "charge-de-recrutement-h-f",
            "Chargé de recrutement H/F",
            employer="Mairie d'Évry-Courcouronnes",
            department="91",
        )
    )
    comparison = compare(essonne, evry, THRESHOLDS)
    assert comparison.title == 100
    assert not comparison.similar and not comparison.same_job
    # only the texts could still say it is one job, and these offers have none
    assert comparison.ask_texts


def test_same_title_same_employer_a_year_apart_is_not_the_same_job():
    earlier = profile(offer("dinum", "designer-UX-UI", "Designer UX/UI", published_on="2021-01-19"))
    later = profile(offer("choisirleservicepublic", "2022-1", "Designer UX / UI (F/H)", published_on="2022-01-20"))
    comparison = compare(earlier, later, THRESHOLDS)
    assert comparison.similar and not comparison.same_job and not comparison.ask_texts
    # within the window (configurable) it would be
    assert compare(earlier, later, Thresholds(date_window_days=400)).same_job


def _grenoble(reference: str, **fields):
    base = dict(employer="Commune de Grenoble", department="38", published_on="2026-10-01", deadline="2026-10-31")
    return profile(offer("choisirleservicepublic", reference, "Agent d'accueil H/F", **{**base, **fields}))


def test_one_post_published_twice_on_one_board_is_one_job_and_says_why():
    """Two references of one board (once for civil servants, once for contract staff) with the same title,
    employer, place and dates: one job."""
    comparison = compare(_grenoble("O038261001000890"), _grenoble("O038261001001474"), THRESHOLDS)
    assert comparison.same_job
    assert comparison.reason == (
        "title, employer, place and dates identical: one post published twice on choisirleservicepublic "
        "(references O038261001001474 and O038261001000890)"
    )


@pytest.mark.parametrize(
    "difference",
    [
        {"title": "Agent d'accueil et d'orientation H/F"},
        {"employer": "CCAS de Grenoble"},
        {"department": "73", "location": "Chambéry"},
        {"published_on": "2026-10-02"},
        {"deadline": "2026-11-15"},
        {"deadline": None},
    ],
    ids=["title", "employer", "place", "published", "deadline", "no-deadline"],
)
def test_two_references_on_one_board_that_differ_in_anything_stay_two_jobs(difference):
    title = difference.pop("title", "Agent d'accueil H/F")
    a = _grenoble("O038261001000890")
    b = profile(
        offer(
            "choisirleservicepublic",
            "O038261001001474",
            title,
            **{**dict(employer="Commune de Grenoble", department="38", published_on="2026-10-01",
                      deadline="2026-10-31"), **difference},
        )
    )  # fmt: skip
    comparison = compare(a, b, THRESHOLDS)
    assert comparison is None or not comparison.same_job
    if comparison is not None and comparison.similar:
        assert "two references on choisirleservicepublic" in comparison.reason


@pytest.mark.parametrize("threshold", [90, 70, 0])
def test_alike_titles_scores_many_titles_as_each_is_scored_alone(threshold):
    """Real CSP card titles: the scores of one call for all are those of one call each, with the same cutoff."""
    titles = [profile(card).title for card in csp_card_offers().values()]
    titles += [f"{title} numerique" for title in titles[:5]] + ["", "chef projet"]
    thresholds = Thresholds(title_threshold=threshold)
    for title in titles:
        alone = [
            (index, score)
            for index, other in enumerate(titles)
            if (score := fuzz.token_sort_ratio(title, other, score_cutoff=threshold)) >= threshold
        ]
        assert alike_titles(title, titles, thresholds) == alone
        for index, score in alone:
            a, b = profile(offer("dinum", "a", "x")), profile(offer("hellowork", "b", "x"))
            a.title, b.title = title, titles[index]
            from_one_call, from_scoring = compare(a, b, thresholds, score), compare(a, b, thresholds)
            assert (from_one_call and from_one_call.title) == (from_scoring and from_scoring.title)


def test_places_must_agree():
    paris = profile(offer("dinum", "a", "Chargé de mission design", department="75"))
    nantes = profile(offer("choisirleservicepublic", "b", "Chargé de mission design", department="44"))
    assert compare(paris, nantes, THRESHOLDS) is None
    # a département and a région that contains it agree; a région elsewhere does not
    idf = profile(offer("hellowork", "c", "Chargé de mission design", department=None, region="Île-de-France"))
    pdl = profile(offer("hellowork", "d", "Chargé de mission design", department=None, region="Pays de la Loire"))
    assert places_agree(paris, idf) and not places_agree(paris, pdl) and places_agree(nantes, pdl)
    nowhere = profile(offer("hellowork", "e", "Chargé de mission design", department=None, location=None))
    assert places_agree(paris, nowhere)


def test_thresholds_are_configurable():
    a = profile(offer("dinum", "a", "Chargé de mission design des services numériques"))
    b = profile(offer("choisirleservicepublic", "b", "Chargé de mission design numérique"))
    score = title_score(a.title, b.title)
    assert 70 < score < 90
    assert compare(a, b, THRESHOLDS) is None
    assert compare(a, b, Thresholds(title_threshold=score)).same_job


# -- wrong merges found while writing these tests (crawler/grouping.py, reported) ------------------------


def test_two_directions_of_one_ministry_with_one_title_are_two_jobs():
    ministry = "Ministère de l'Économie, des Finances et de la Souveraineté industrielle et numérique"
    budget = profile(
        offer(
            "choisirleservicepublic",
            "MEF_2025-100",
            "Chef de bureau H/F - Direction du budget",
            employer=ministry,
            published_on="2025-03-03",
        )
    )
    dgfip = profile(
        offer(
            "modernisation",
            "2025-200",
            "Chef de bureau H/F - Direction générale des finances publiques",
            employer=ministry,
            published_on="2025-03-03",
            raw={"board": "passerelles"},
        )
    )
    assert not compare(budget, dgfip, THRESHOLDS).same_job


def test_two_services_of_one_ministry_in_one_departement_are_two_jobs():
    ddt = profile(
        offer(
            "choisirleservicepublic",
            "2026-100",
            "Chargé de mission H/F",
            employer="Direction départementale des territoires de la Haute-Garonne",
            organisation="Ministère de l'Intérieur",
            location="Toulouse (31)",
            department="31",
            published_on="2026-03-03",
        )
    )
    prefecture = profile(
        offer(
            "hellowork",
            "2026-200",
            "Chargé de mission (F/H)",
            employer="Préfecture de la Haute-Garonne",
            organisation="Ministère de l'Intérieur",
            location="Toulouse (31)",
            department="31",
            published_on="2026-03-20",
        )
    )
    assert not compare(ddt, prefecture, THRESHOLDS).same_job


def test_two_jo_notices_are_never_one_post_published_twice():
    """Each Journal officiel notice is a text of its own: two notices of one issue with the same post and
    service are two vacancies (two chargés de mission of one SGAR), never one post published twice."""
    fields = dict(employer="SGAR Occitanie", department="31", published_on="2026-06-13")
    a = profile(offer("jorf", "JORFTEXT000054246601", "Chargé de mission", **fields))
    b = profile(offer("jorf", "JORFTEXT000054246602", "Chargé de mission", **fields))
    comparison = compare(a, b, THRESHOLDS)
    assert comparison.similar and not comparison.same_job and not comparison.published_twice
