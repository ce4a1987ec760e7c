"""What a raw blob's format fixes, frozen: its format byte, the marks its JSON uses, zlib's preset dictionary
of each format, and the columns a format-3 raw is compressed against. Another dictionary or another list of
columns is another format byte; every format stays readable (storage/raw.py).
"""

from __future__ import annotations

import json

# The format of a raw blob: its first byte, which says the zlib dictionary it was compressed with.
# Version 3 is version 2's dictionary followed by some of the offer's own columns, named by the blob's
# second byte (CONTEXT_COLUMNS).
FORMAT_V1, FORMAT_V2, FORMAT_V3 = b"\x01", b"\x02", b"\x03"
# Marks: Unicode private-use characters, three UTF-8 bytes each (JSON would spell a control character in six).
COLUMN, TEXT, PATCH, ESCAPE = "\ue000", "\ue001", "\ue002", "\ue003"
MARKS = (COLUMN, TEXT, PATCH, ESCAPE)

# What raw holds, so that a small raw compresses as well as a large one: zlib's preset dictionary. Frozen
# with FORMAT_V1: another dictionary is another format byte, and both stay readable.
DICTIONARY_V1 = json.dumps(
    {
        "page_name": "",
        "content_categorie": "Catégorie A (cadre)",
        "content_versant": "Fonction Publique de l'Etat",
        "content_dept": "",
        "content_reg": "",
        "content_metier": "",
        "content_domaine": "",
        "content_entite": "",
        "content_ref": "",
        "content_startPublicationDate_day": "",
        "content_startPublicationDate_month": "",
        "content_startPublicationDate_year": "",
        "content_modificationDate_day": "",
        "content_modificationDate_month": "",
        "content_modificationDate_year": "",
        "Fonction publique": "Fonction publique de l'État",
        "Employeur": "",
        "Localisation": "",
        "Nature de l’emploi": "Emploi ouvert aux titulaires et aux contractuels",
        "Expérience souhaitée": "",
        "Rémunération - Fourchette indicative pour les contractuels": "Non renseignée",
        "Rémunération - Fourchette indicative pour les fonctionnaires": "Non renseignée",
        "Catégorie": "",
        "Management": "",
        "Télétravail possible": "",
        "Date limite de candidature": "",
        "Candidature": "Postuler par mail: mailto:",
        "Vos missions en quelques mots": "",
        "Profil recherché": "",
        "Documents à transmettre": "Pour postuler à cette offre, l'envoi du CV est obligatoire",
        "Personnes à contacter": "",
        "Qui sommes-nous ?": "",
        "Descriptif du service": "",
        "Informations complémentaires": "",
        "Conditions particulières d’exercice": "",
        "Statut du poste": "Vacant à partir du ",
        "Métier de référence": "",
        "board": "",
        "listing_card": {
            "url": "",
            "source_id": "",
            "title": "",
            "domain": "",
            "location": "",
            "department": "",
            "versant": "",
            "employer": "",
            "published_on": "",
            "organisation": "",
        },
        "json_ld": {
            "@context": "https://schema.org/",
            "@type": "JobPosting",
            "title": "",
            "addressLocality": "",
            "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressCountry": "France"}},
            "hiringOrganization": "",
            "baseSalary": "",
            "experienceRequirements": "",
            "Description": "",
            "description": "",
            "skills": "",
            "datePosted": "",
            "validThrough": "",
            "employmentType": "",
            "industry": "",
            "educationRequirements": "",
        },
    },
    ensure_ascii=False,
    separators=(",", ":"),
).encode("utf-8")

DICTIONARY_V1 += "".join(
    f'"{COLUMN}{name}"'
    for name in (
        *("source", "source_id", "url", "title", "employer", "organisation", "versant", "category", "contract"),
        *("location", "department", "region", "remote", "published_on", "deadline", "vacancy_date", "domain"),
        *("missions", "profile", "apply_url"),
    )
).encode("utf-8")


def _shape(tree: dict) -> bytes:
    return json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Version 2 adds the shape an encoded raw has on each board, taken from the real recorded pages: its labels in
# page order, the columns it refers to, the values every offer of the board repeats (what one raw shares with
# all the others of its board), the most frequent board last (nearest, cheapest to refer to). Frozen with
# FORMAT_V2, as version 1 is with FORMAT_V1.
_C = COLUMN
DICTIONARY_V2 = (
    DICTIONARY_V1
    + _shape(
        {
            "ID": _C + "source_id",
            "NATURE": "AVIS",
            "JORFCONT": "JORFCONT",
            "TITREFULL": "Avis de vacance d'emploi",
            "MINISTERE": _C + "organisation",
            "poste": _C + "title",
            "texte": TEXT,
            "html": TEXT,
            "annonce": TEXT,
        }
    )
    + _shape(
        {
            "Référence": _C + "source_id",
            "Date de début de publication": "",
            "Date limite d'envoi des candidatures": "",
            "Documents requis pour postuler": "Cv et lettre de motivation",
            "Directions et Services": _C + "employer",
            "Domaine et métier": _C + "domain",
            "Intitulé du poste": _C + "title",
            "Versant": "Fonction publique de l'Etat",
            "Catégorie": "Catégorie A (cadre)",
            "Statut du poste": "Vacant",
            "Nature de l'emploi": _C + "contract",
            "Descriptif de l'employeur": TEXT,
            "Description du poste": _C + "missions",
            "Description du profil recherché": _C + "profile",
            "Temps Plein": "Oui",
            "Compétences": TEXT,
            "Niveau d'études min. souhaité": "",
            "Niveau d'expérience min. requis": "Confirmé",
            "Télétravail possible": "Oui",
            "Management": "Non",
            "Localisation du poste": "France, ",
            "Lieu d'affectation": _C + "location",
            "Date de vacance de l'emploi": "",
            "sections": ["Détail de l'offre", "Informations générales", "Description du poste"],
            "board": "passerelles",
            "listing_card": {"title": _C + "title", "description": "Offre publiée sur Passerelles."},
        }
    )
    + _shape(
        {
            "page_name": _C + "title",
            "content_categorie": "Catégorie A (cadre)",
            "content_versant": "Fonction Publique de l'Etat",
            "content_dept": _C + "location",
            "content_reg": _C + "region",
            "content_metier": "",
            "content_domaine": _C + "domain",
            "content_entite": _C + "employer",
            "content_ref": _C + "source_id",
            "content_startPublicationDate_day": "",
            "content_startPublicationDate_month": "",
            "content_startPublicationDate_year": "2026",
            "content_modificationDate_day": "",
            "content_modificationDate_month": "",
            "content_modificationDate_year": "2026",
            "Fonction publique": "Fonction publique de l'État",
            "Employeur": _C + "employer",
            "Localisation": _C + "location",
            "logo": "",
            "Nature de l’emploi": _C + "contract",
            "Expérience souhaitée": "Débutant",
            "Rémunération - Fourchette indicative pour les contractuels": "Non renseignée",
            "Rémunération - Fourchette indicative pour les fonctionnaires": "Non renseignée",
            "Catégorie": "Catégorie A (cadre)",
            "Management": "Non",
            "Télétravail possible": "Oui",
            "Candidature": "Postuler par mail: mailto:?subject= - ",
            "Vos missions en quelques mots": _C + "missions",
            "Profil recherché": _C + "profile",
            "Documents à transmettre": "Pour postuler à cette offre, l'envoi du CV est obligatoire",
            "Personnes à contacter": "",
            "Qui sommes-nous ?": TEXT,
            "Descriptif du service": TEXT,
            "Informations complémentaires": TEXT,
            "Conditions particulières d’exercice": TEXT,
            "Statut du poste": "Vacant à partir du ",
            "Métier de référence": "",
            "json_ld": {
                "@context": "https://schema.org/",
                "@type": "JobPosting",
                "title": _C + "title",
                "addressLocality": ", France",
                "jobLocation": {
                    "@type": "Place",
                    "address": {
                        "@type": "PostalAddress",
                        "streetAddress": ", France",
                        "addressLocality": ", France",
                        "addressRegion": _C + "region",
                        "addressCountry": "France",
                        "postalCode": "",
                    },
                },
                "hiringOrganization": _C + "employer",
                "baseSalary": "Non renseigné",
                "experienceRequirements": "Débutant",
                "Description": [PATCH, "missions", []],
                "skills": "",
                "datePosted": "",
                "industry": _C + "domain",
                "educationRequirements": "",
            },
            "listing_card": {
                "url": _C + "url",
                "source_id": _C + "source_id",
                "title": _C + "title",
                "domain": _C + "domain",
                "location": _C + "location",
                "department": _C + "department",
                "versant": _C + "versant",
                "employer": _C + "employer",
                "published_on": _C + "published_on",
                "logo": "",
            },
        }
    )
)
DICTIONARIES = {FORMAT_V1: DICTIONARY_V1, FORMAT_V2: DICTIONARY_V2}

# The columns a format-3 raw is compressed against, after DICTIONARY_V2: bit i of the blob's second byte says
# whether CONTEXT_COLUMNS[i] is there (its stored text, UTF-8, one after the other in this order). The
# longest texts last: zlib's nearest matches cost least.
CONTEXT_COLUMNS = ("url", "apply_url", "organisation", "employer", "location", "title", "profile", "missions")


def context(row: dict, mask: int) -> bytes:
    """The columns of ``row`` named by ``mask``, as a format-3 dictionary ends with them."""
    return "".join(row[name] for bit, name in enumerate(CONTEXT_COLUMNS) if mask >> bit & 1).encode("utf-8")
