"""What people type in the forms and the offers filters, checked, with the mistakes in French.

A form that does not pass changes nothing: every field is checked before anything is stored or sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from alerts.query import parse_term
from alerts.relevance import load_model
from alerts.schedule import parse_mode
from alerts.settings import DEFAULT_MAX_AGE_DAYS, WEB_DIGEST_MODES
from storage.job_search import JobFilters
from storage.places import DEPARTMENT_CODE, REGION_DEPARTMENTS, canonical_region

CATEGORIES = ("A+", "A", "B", "C")
RHYTHMS = {"immediat": "immediate", "quotidien": WEB_DIGEST_MODES[0], "hebdomadaire": WEB_DIGEST_MODES[1]}
RHYTHM_LABELS = {"immediat": "dès la parution", "quotidien": "chaque jour à 8 h", "hebdomadaire": "chaque lundi à 8 h"}
SORTS = {"recentes": "newest", "echeance": "deadline"}
# The offers page's orders (« tri »): the newest or the most relevant first.
OFFER_ORDERS = {"recentes": "newest", "pertinence": "relevance"}
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 100
MAX_EMAIL_LENGTH = 254


@dataclass
class SubscriptionForm:
    """The subscription form's values as typed, and as stored once valid."""

    email: str = ""
    profile: bool = True
    keywords: str = ""
    departements: str = ""
    region: str = ""
    categories: list[str] = field(default_factory=list)
    rhythm: str = "quotidien"
    sort: str = "recentes"
    # Not asked on the form: the default of every subscription.
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def filters(self) -> dict:
        return {
            "profile": self.profile,
            "keywords": split_list(self.keywords, ","),
            "departements": [code.upper() for code in split_list(self.departements, ", ")],
            "regions": [canonical_region(self.region)] if self.region else [],
            "categories": list(self.categories),
        }

    @property
    def mode(self) -> str:
        return RHYTHMS[self.rhythm]

    @property
    def stored_sort(self) -> str:
        return SORTS[self.sort]


def split_list(text: str, separators: str) -> list[str]:
    parts = re.split(f"[{re.escape(separators)}]+", text)
    return list(dict.fromkeys(part.strip() for part in parts if part.strip()))


def form_from_stored(row: dict) -> SubscriptionForm:
    """A stored subscription as its management form shows it."""
    filters = row["filters"]
    return SubscriptionForm(
        email=row["email"],
        profile=bool(filters.get("profile")),
        keywords=", ".join(filters.get("keywords", [])),
        departements=", ".join(filters.get("departements", [])),
        region=(filters.get("regions") or [""])[0],
        categories=list(filters.get("categories", [])),
        rhythm=next((name for name, mode in RHYTHMS.items() if mode == row["mode"]), "quotidien"),
        sort=next((name for name, sort in SORTS.items() if sort == row["sort"]), "recentes"),
    )


def normalized_email(text: str) -> str | None:
    """The address as it will be written to, or None when it cannot be one (no DNS look-up)."""
    if not text or len(text) > MAX_EMAIL_LENGTH:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def subscription_form(form: dict[str, list[str]], *, with_email: bool) -> SubscriptionForm:
    """The form's values, with ``errors`` by field (empty when it can be stored)."""

    def value(name: str) -> str:
        return (form.get(name) or [""])[0].strip()

    typed = SubscriptionForm(
        email=value("email")[:300],
        profile=value("profil") == "oui",
        keywords=value("mots_cles")[:2000],
        departements=value("departements")[:500],
        region=value("region")[:100],
        categories=[category for category in form.get("categorie", []) if category in CATEGORIES],
        rhythm=value("rythme") or "quotidien",
        sort=value("tri") or "recentes",
    )
    errors = typed.errors
    if with_email:
        email = normalized_email(typed.email)
        if email is None:
            errors["email"] = "Cette adresse e-mail n'est pas valide (exemple : prenom.nom@exemple.fr)."
        else:
            typed.email = email
    keywords = split_list(typed.keywords, ",")
    if len(keywords) > MAX_KEYWORDS:
        errors["mots_cles"] = f"{MAX_KEYWORDS} mots-clés au plus."
    for keyword in keywords:
        try:
            if len(keyword) > MAX_KEYWORD_LENGTH:
                raise ValueError
            parse_term(keyword)
        except ValueError:
            errors["mots_cles"] = f"Mot-clé non compris : « {keyword[:60]} »."
            break
    for code in split_list(typed.departements, ", "):
        if not DEPARTMENT_CODE.match(code.upper()):
            errors["departements"] = f"Département inconnu : « {code[:20]} » (exemples : 75, 2A, 971)."
            break
    if typed.region and canonical_region(typed.region) is None:
        errors["region"] = "Région inconnue."
    if typed.rhythm not in RHYTHMS:
        errors["rythme"] = "Choisissez un rythme : immédiat, quotidien ou hebdomadaire."
    if typed.sort not in SORTS:
        errors["tri"] = "Choisissez un ordre : les plus récentes ou la date limite la plus proche."
    if not typed.profile and not keywords and "mots_cles" not in errors:
        errors["mots_cles"] = "Cochez le profil « transformation publique » ou donnez au moins un mot-clé."
    if not errors:
        parse_mode(typed.mode)  # the rhythms are fixed: a failure here is a bug, not a user mistake
    return typed


def offer_filters(params) -> tuple[JobFilters, dict[str, str]]:
    """The offers page's query string as filters, and a French message for each value not understood."""
    errors: dict[str, str] = {}
    departement = (params.get("departement") or "").strip().upper()[:10]
    region = (params.get("region") or "").strip()[:100]
    category = (params.get("categorie") or "").strip()[:5]
    source = (params.get("source") or "").strip()[:60]
    filters = JobFilters(words=(params.get("q") or "").strip()[:200])
    if departement:
        if DEPARTMENT_CODE.match(departement):
            filters.departements = [departement]
        else:
            errors["departement"] = f"Département inconnu : « {departement} » (exemples : 75, 2A, 971)."
    if region:
        if canonical_region(region):
            filters.regions = [canonical_region(region)]
        else:
            errors["region"] = "Région inconnue."
    if category:
        if category in CATEGORIES:
            filters.categories = [category]
        else:
            errors["categorie"] = "Catégorie inconnue : A+, A, B ou C."
    if source:
        filters.sources = [source]
    if (params.get("pertinentes") or "").strip() == "oui":
        # « pertinentes seulement »: at the relevance model's own threshold, as the default profile.
        filters.min_relevance = load_model().threshold
    order = (params.get("tri") or "recentes").strip()[:20]
    if order in OFFER_ORDERS:
        filters.order = OFFER_ORDERS[order]
    else:
        errors["tri"] = "Ordre inconnu : les plus récentes ou les plus pertinentes."
    return filters, errors


REGIONS = tuple(REGION_DEPARTMENTS)
