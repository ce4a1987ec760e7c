"""Journal officiel notices as published: every field of real notice texts, checked against what the text says.

The bodies are the 101 real JO notices of the relevance set, in JORFSIMPLE envelopes of ours
(tests/fixtures/jorf/wrapped, see PROVENANCE.md: the envelope's title is the notice's own when the copy
shows it, else the neutral "Avis de vacance d'emploi", so the post and the employer come from the text).
Each expected value below was read in the text by a person; a field the text does not give must stay
empty. The real table of contents of 19 August 2026 and the real DILA index lines are read too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.items import validate_offer
from crawler.jorf.announcement import MAX_EMPLOYER
from crawler.jorf.index import archive_names
from crawler.jorf.notice import notice_offer
from crawler.jorf.texts import parse_texte
from crawler.jorf.toc import notice_kind, parse_container, vacancy_entries

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "jorf"
WRAPPED = sorted((FIXTURES / "wrapped").glob("JORFTEXT*-wrapped.xml"))


def notice(item: str):
    return parse_texte((FIXTURES / "wrapped" / f"JORFTEXT99000000{item}-wrapped.xml").read_bytes())


def offer(item: str) -> dict:
    return validate_offer(notice_offer(notice(item)))


# Every field but the texts (missions, profile, raw), as the notice gives it. None: the text does not say.
# (title, employer, organisation, location, department, region, published_on, vacancy_date, category, versant)
EXPECTED = {
    # "Cet emploi est affecté au secrétariat général où le titulaire du poste exercera les fonctions de directeur
    # de projet pour la dématérialisation …"; "Localisation du poste : 182, rue Saint-Honoré, 75001 Paris."
    "0006": ("Directeur de projet pour la dématérialisation des autorisations relatives au droit des sols",
             "Secrétariat général", "Ministère de la culture", "Paris", "75", "Île-de-France", "2021-10-05", None,
             None, "État"),
    # "… de la DDETSPP du Cher est susceptible d'être vacant, à compter du 14 mars 2022": the Cher is 18.
    "0016": ("Directeur départemental adjoint",
             "Direction départementale de l'emploi, du travail, des solidarités et de la protection des populations "
             "(DDETSPP) du Cher",
             None, None, "18", "Centre-Val de Loire", "2022-02-08", "2022-03-14", None, "État"),
    # "est vacant à la direction générale du travail des ministères sociaux. Date prévisible de vacance de
    # l'emploi : 1er mars 2021."; "223 agents, majoritairement de catégorie A" is the direction, not the post.
    "0017": ("Sous-directeur ou sous-directrice de la sous-direction du pilotage et de l'animation du système "
             "d'inspection du travail",
             "Direction générale du travail", "Ministères sociaux", "Paris", "75", "Île-de-France", "2020-11-14",
             "2021-03-01", None, "État"),
    # "à la direction des affaires internationales, stratégiques et technologiques au sein du SGDSN";
    # "l'emploi s'exerce à Paris (7e)"
    "0019": ("Sous-directeur des affaires internationales",
             "Direction des affaires internationales, stratégiques et technologiques", None, "Paris", "75",
             "Île-de-France", "2023-03-22", "2023-07-01", None, "État"),
    "0020": ("Sous-directeur de la collecte, de la conservation et de l'archivage électronique",
             "Direction générale des patrimoines et de l'architecture", "Ministère de la culture", "Paris", "75",
             "Île-de-France", "2023-10-25", None, None, "État"),
    # "est à pourvoir à compter du 1er janvier 2021"; "Le poste est situé à Ajaccio, en préfecture."
    "0022": ("Directeur du secrétariat général commun départemental (SGCD) de la Corse-du-Sud",
             "Secrétariat général commun départemental de la Corse-du-Sud", None, "Ajaccio", "2A", "Corse", None,
             "2021-01-01", None, "État"),
    # A hospital annex: "I. - Emplois de directeur ou directrice :" then the establishment "(Ardennes)".
    "0027": ("Directeur ou directrice",
             "Centres hospitaliers de Charleville-Mézières, de Fumay et de Sedan (centre hospitalier intercommunal "
             "Nord-Ardennes)",
             None, None, "08", "Grand Est", None, None, None, "Hospitalière"),
    # "est vacant au sein de la direction de la modernisation et de l'administration territoriale (DMAT)";
    # "le titulaire de l'emploi exerce les fonctions de chef de la mission interservices …"
    "0036": ("Expert de haut niveau, chef de la mission interservices pour l'administration territoriale de l'Etat",
             "Direction de la modernisation et de l'administration territoriale (DMAT)", "Ministère de l'intérieur",
             None, None, None, "2021-06-24", None, None, "État"),
    # "est à pourvoir, d'ici à la fin du 3e trimestre 2021, auprès du préfet des Vosges"; "Basé à Epinal"
    "0041": ("Directeur de projet, chargé du pilotage de la déclinaison locale de l'agenda rural et, en particulier, "
             "de la mise en place d'un « laboratoire de la ruralité »",
             "Préfecture des Vosges", None, "Epinal", "88", "Grand Est", "2021-07-24", None, None, "État"),
    "0043": ("Adjoint au secrétaire général pour les affaires régionales (SGAR), en charge du pôle modernisation, "
             "moyens, mutualisations",
             "SGAR Bretagne", None, None, None, "Bretagne", None, "2023-01-01", None, "État"),
    # "secrétaire général pour les affaires régionales du « Centre »": the région Centre-Val de Loire since 2015.
    "0045": ("Secrétaire général pour les affaires régionales du « Centre »", "SGAR Centre-Val de Loire", None,
             None, None, "Centre-Val de Loire", None, "2015-01-05", None, "État"),
    # "sera vacant au plus tard à compter du 1er octobre 2025, au secrétariat général pour les affaires de Corse
    # (SGAC) de la préfecture de Corse, localisé à Ajaccio."
    "0050": ("Chargé de mission « mobilités et logement »",
             "Secrétariat général pour les affaires de Corse (SGAC) de la préfecture de Corse", None, "Ajaccio",
             "2A", "Corse", "2025-07-04", "2025-10-01", None, "État"),
    # "La résidence administrative de l'emploi est située à Toulouse." "sera prochainement vacant": no date.
    "0084": ("Directeur régional adjoint de l'environnement, de l'aménagement et du logement de la région Occitanie",
             "Direction régionale de l'environnement, de l'aménagement et du logement de la région Occitanie", None,
             "Toulouse", "31", "Occitanie", None, None, None, "État"),
    # "… chef de la mission « contractualisation écologique », placé auprès du chef du service du pilotage et de
    # l'évolution des services du secrétariat général."
    "0087": ("Directeur de projet, chef de la mission « contractualisation écologique »",
             "Service du pilotage et de l'évolution des services du secrétariat général",
             "Ministère de la transition écologique et solidaire", None, None, None, "2019-07-09", None, None,
             "État"),
    # "La ou le titulaire de l'emploi … est responsable de la mission « transformation et modernisation … »."
    "0094": ("Directeur de projet, responsable de la mission « transformation et modernisation de l'action publique "
             "territoriale en santé »",
             "Secrétariat général des ministères sociaux", "Ministères sociaux", None, None, None, "2024-07-04", None,
             None, "État"),
    # "Date de vacance de l’emploi : 1er août 2023." (and "à compter du 1er aout 2023"); no direction named.
    "0102": ("Directeur de projet simplification du fonctionnement de l’armée de terre", "Ministère des armées",
             "Ministère des armées", "Paris", "75", "Île-de-France", None, "2023-08-01", None, "État"),
    # "Emploi proposé : directeur général de la Société de livraison des ouvrages olympiques …"; "ouvert aux
    # fonctionnaires … de catégorie A"; "sera situé à Marseille"; "1er trimestre 2025" is no date.
    "0108": ("Directeur général", "Société de livraison des ouvrages olympiques", None, "Marseille", "13",
             "Provence-Alpes-Côte d'Azur", None, None, "A", "État"),
    # "(auparavant dénommée …)" is no part of the title; "localisé dans le 15e arrondissement" names no town.
    "0110": ("Sous-directeur de la prévention et de la qualité de vie au travail",
             "Direction des ressources humaines du secrétariat général pour l'administration de la préfecture de "
             "police",
             "Ministère de l'intérieur", None, None, None, None, None, None, "État"),
    # "Date prévisible de vacance de l'emploi" then "1er novembre 2021." on the next line; "75350 Paris".
    "0119": ("Directeur de projet", "Délégation interministérielle à la prévention et à la lutte contre la pauvreté",
             "Ministère chargé des affaires sociales", "Paris", "75", "Île-de-France", None, "2021-11-01", None,
             "État"),
    "0122": ("Directeur ou directrice des services centraux - Secrétaire général",
             "CENTRE HOSPITALIER RÉGIONAL DE TOULOUSE", None, None, None, None, "2021-01-14", None, None,
             "Hospitalière"),
    # "Le poste est situé au 12-14, rue Jean-Sans-Peur à Lille." "Il s'agit d'un poste de catégorie A"
    "0132": ("Chargé de mission « cohésion sociale, culture, éducation, politique de la ville et vie associative »",
             "SGAR Hauts-de-France", None, "Lille", "59", "Hauts-de-France", None, "2024-04-15", "A", "État"),
    # "Est vacant, à la direction interrégionale Grand-Ouest, …"; "35108 Rennes Cedex" (a CEDEX code).
    "0153": ("Directeur chargé des fonctions de directeur interrégional Grand-Ouest",
             "Direction interrégionale Grand-Ouest", "Ministère de la justice", "Rennes", "35", "Bretagne",
             "2025-12-21", "2026-01-01", None, "État"),
    "0158": ("Directeur de projet, chef de pôle « environnement marin et économie maritime »",
             "Secrétariat général de la mer", "Services du Premier ministre", "Paris", "75", "Île-de-France", None,
             "2025-02-01", None, "État"),
    # "L'emploi de sous-directeur à la sous-direction des missions … de la direction de la protection judiciaire
    # de la jeunesse à l'administration centrale du ministère de la justice est vacant."
    "0168": ("Sous-directeur des missions de protection judiciaire et d'éducation",
             "Direction de la protection judiciaire de la jeunesse", "Ministère de la justice", None, None, None,
             None, None, None, "État"),
}  # fmt: skip
FIELDS = (
    "title", "employer", "organisation", "location", "department", "region", "published_on", "vacancy_date",
    "category", "versant",
)  # fmt: skip


@pytest.mark.parametrize("item", EXPECTED)
def test_every_field_of_a_real_notice(item):
    found = offer(item)
    assert dict(zip(FIELDS, (found[name] for name in FIELDS))) == dict(zip(FIELDS, EXPECTED[item]))
    # What no JO notice of these gives: fields that must stay empty.
    assert (found["contract"], found["remote"], found["domain"]) == (None, None, None)
    # The excerpts end before any application paragraph or contact: nothing is invented for them.
    assert (found["deadline"], found["contacts"], found["apply_url"], found["profile"]) == (None, [], None, None)
    assert (
        found["source"] == "jorf" and found["url"] == f"https://www.legifrance.gouv.fr/jorf/id/JORFTEXT99000000{item}"
    )


def test_missions_are_the_sections_that_say_what_the_job_is():
    assert offer("0022")["missions"].startswith("Sous l'autorité du préfet, le directeur contribue")  # Intérêt du poste
    assert offer("0017")["missions"].startswith("La direction générale du travail a la charge")
    assert "Missions de la sous-direction" not in offer("0017")["missions"]  # a heading, not text
    # No heading says what the job is ("Contexte", "I. – Contexte institutionnel"): the whole text does.
    assert offer("0153")["missions"] == notice("0153").text


def test_a_notice_with_a_deadline_counted_from_the_publication():
    """0150 gives "dans un délai de trente jours à compter de la date de publication" but its copy shows no
    publication date: no deadline rather than a guessed one."""
    assert "dans un délai de trente jours à compter de la date de publication" in notice("0150").text
    assert notice("0150").published_on is None and offer("0150")["deadline"] is None


# -- over every real notice ------------------------------------------------------------------------

_NAMES_A_SERVICE = re.compile(
    r"\b(?:sous-)?direction\s+(?:(?:générale|régionale|départementale|interrégionale|interministérielle)\s+)?"
    r"(?:de|du|des|d['’])\b|\bsecrétariat général\b|\bdélégation\s+\w+\s+(?:de|du|des|à|aux|pour)\b"
    r"|\bservice\s+(?:de|du|des|d['’])",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def every_notice():
    return [(parse_texte(path.read_bytes()), path.name) for path in WRAPPED]


def test_all_101_real_notices_are_offers(every_notice):
    assert len(every_notice) == 101
    for text, name in every_notice:
        found = validate_offer(notice_offer(text))
        assert found["title"], name


def test_no_employer_is_a_clause_or_the_ministry_where_the_text_names_a_service(every_notice):
    """The issue's two checks, over every real notice: no employer longer than 120 characters, and no
    employer that is the ministry heading when the notice's first sentences name a direction or a service."""
    for text, name in every_notice:
        found = validate_offer(notice_offer(text))
        employer = found["employer"] or ""
        assert len(employer) <= MAX_EMPLOYER, (name, employer)
        assert not re.search(r"\s(?:où|qui|dont|sera|est|afin)\s|[;:]", employer), (name, employer)
        opening = " ".join(text.text.splitlines()[:3])
        if text.ministry and _NAMES_A_SERVICE.search(opening):
            assert employer != text.ministry, (name, _NAMES_A_SERVICE.search(opening).group(0))


def test_a_bare_post_gets_its_portfolio_from_the_text(every_notice):
    """Where the first sentences say what the post is for ("exercera les fonctions de …", "responsable de la
    mission …", "en charge de …"), the title says it: not a bare "Directeur de projet" or "Sous-directeur"."""
    bare = {"directeur de projet", "sous-directeur", "chef de service", "chargé de mission", "expert de haut niveau"}
    for text, name in every_notice:
        title = validate_offer(notice_offer(text))["title"]
        opening = " ".join(text.text.splitlines()[:3])
        if re.search(r"exercera les fonctions de|est responsable de la mission|en charge de la mission", opening):
            assert title.lower() not in bare, (name, title)


# -- the real table of contents of 19 August 2026 and the real DILA index ---------------------------


def test_the_real_table_of_contents_of_19_august_2026():
    issue = parse_container((FIXTURES / "JORFCONT000054706874.xml").read_bytes())
    assert (issue.container_id, issue.title, issue.published_on) == (
        "JORFCONT000054706874",
        "JORF n°0192 du 19 août 2026",
        "2026-08-19",
    )
    assert len(issue.entries) == 83
    assert [(entry.text_id, entry.section_ministry) for entry in vacancy_entries(issue)] == [
        ("JORFTEXT000054709093", "Ministère de la justice"),
        ("JORFTEXT000054709107", "Ministère de la justice"),
        ("JORFTEXT000054709122", "Ministère de l'action et des comptes publics"),
    ]


@pytest.mark.parametrize(
    "text_id, post, employer",
    [
        # "Avis de vacance d'un emploi de direction du ministère de la justice - groupe III (directeur du …)"
        ("JORFTEXT000054709093", "Directeur du service pénitentiaire d'insertion et de probation de Seine-Saint-Denis",
         "Service pénitentiaire d'insertion et de probation de Seine-Saint-Denis"),
        ("JORFTEXT000054709107",
         "Adjoint au directeur interrégional des services pénitentiaires de Paris Ile-de-France",
         "Direction interrégionale des services pénitentiaires de Paris Ile-de-France"),
        ("JORFTEXT000054709122", "Délégué de la directrice générale des finances publiques pour l'Ile-de-France",
         "Direction générale des finances publiques pour l'Ile-de-France"),
    ],
)  # fmt: skip
def test_the_real_vacancy_titles_of_19_august_2026(text_id, post, employer):
    """Their texts are not available: the title alone gives the post and the service."""
    from crawler.jorf.announcement import announcement

    issue = parse_container((FIXTURES / "JORFCONT000054706874.xml").read_bytes())
    [entry] = [entry for entry in vacancy_entries(issue) if entry.text_id == text_id]
    found = announcement(entry.title, [])
    assert (found.post, found.employer) == (post, employer)


def test_the_two_real_texts_of_that_issue_are_no_vacancies():
    nomination = parse_texte((FIXTURES / "JORFTEXT000054708776.xml").read_bytes())
    delegation = parse_texte((FIXTURES / "JORFTEXT000054708438.xml").read_bytes())
    assert (nomination.nature, nomination.sequence, nomination.container_id) == ("DECRET", "36", "JORFCONT000054706874")
    assert nomination.title == "Décret du 17 août 2026 portant nomination (Cour des comptes)"
    assert (delegation.nature, delegation.sequence) == ("ARRETE", "14")
    assert notice_kind(nomination.title) is None and notice_kind(delegation.title) is None


def test_the_real_dila_index_lines_list_the_archives_in_delivery_order():
    """Raw Apache lines (not the prettier-reformatted dila-index.html): the PDF and the Freemium stock are no
    delta archive; the 13:53 correction and the evening delta are."""
    index = (FIXTURES / "dila-index-extract-20260819.txt").read_text(encoding="utf-8")
    assert archive_names(re.findall(r'href="([^"]+)"', index)) == [
        "JORFSIMPLE_20260728-003542.tar.gz",
        "JORFSIMPLE_20260728-135307.tar.gz",
        "JORFSIMPLE_20260728-220005.tar.gz",
        "JORFSIMPLE_20260819-003035.tar.gz",
    ]


# -- end to end: the crawl of the recorded site, as `veille offers --json` shows it ------------------


def test_the_crawl_of_the_recorded_jo_site_shows_right_employers(tmp_path, replay_site, scrapy_crawl, frozen_clock):
    """The demo's recorded DILA site (cli/demo/sites/jorf: its evening archive carries the 101 real notices),
    crawled by the real spider, then `veille offers --json`: over every notice, no employer longer than 120
    characters and none equal to its ministry heading where the text names a direction."""
    from cli.demo import manifests, read_manifest
    from tests.conftest import run_veille, write_config

    site = replay_site("jorf")
    settings = read_manifest(manifests()["jorf"])["config"]
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "contact": "mailto:veille-tests@example.org",
            "sources": {
                "jorf": {
                    key: value.replace("{replay}", site.url) if isinstance(value, str) else value
                    for key, value in settings.items()
                }
            },
        },
    )
    result = scrapy_crawl("jorf", config)
    assert result.returncode == 0, result.stderr[-3000:]
    listed = run_veille("--config", str(config), "offers", "--source", "jorf", "--json")
    assert listed.returncode == 0, listed.stderr
    found = {offer["source_id"]: offer for offer in map(json.loads, listed.stdout.splitlines())}
    real = {path.name.removesuffix("-wrapped.xml") for path in WRAPPED}
    assert real <= set(found) and len(found) == len(real) + 8  # and the 2021 notice, the 7 of 13 June 2026
    for source_id, offer in found.items():
        employer = offer["employer"] or ""
        assert len(employer) <= MAX_EMPLOYER, (source_id, employer)
        text = offer["raw"]["texte"]
        heading = offer["raw"].get("MINISTERE") or offer["organisation"]
        if heading and _NAMES_A_SERVICE.search(" ".join(text.splitlines()[:3])):
            assert employer != heading, (source_id, employer)
    assert found["JORFTEXT990000000094"]["title"].startswith("Directeur de projet, responsable de la mission")
    assert found["JORFTEXT990000000043"]["employer"] == "SGAR Bretagne"
