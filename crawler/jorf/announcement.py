"""What a vacancy notice announces: the post (with its portfolio) and the service that hires, read from
its title and its first sentences.

The notices of the Journal officiel say it in a handful of ways (all seen in real notices):

- "Un emploi de <post> (groupe III) sera vacant à compter du … au <service>."
- "L'emploi de <post> de la <service> est susceptible d'être prochainement vacant."
- "Est créé à l'administration centrale du ministère … un emploi de <post>, chef de la mission « … »,
  placé auprès du chef du service …"
- "Un emploi de sous-directeur est vacant au ministère … Le titulaire exercera les fonctions de
  sous-directeur de … à la direction …"
- "Emploi proposé : <post>." (recruitment notices), "I. - Emplois de directeur :" (hospital annexes)

The employer is the most precise service the text names, preferring the one it *places* the post in
("au secrétariat général pour les affaires régionales d'Occitanie", "à la direction des services
judiciaires"), then the one the post is part of ("directeur adjoint de la direction départementale
…"), then the one of the person the post is placed with ("auprès du préfet des Vosges": the préfecture
des Vosges). A ministry is no service: without one, the caller falls back to the ministry heading.
The employer is a name, never a clause: it stops where the sentence goes on.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from crawler.parsing import clean
from storage.places import canonical_region, find_department, find_region

PLACED, HEADED, PERSON = 0, 1, 2  # how a service is named, in order of preference

# -- phrases ----------------------------------------------------------------------------------------

_TITLE_HEAD = re.compile(r"^avis\s+(?:de|d['’])\s*(?:cr[ée]ation\s+et\s+de\s+)?(?:vacance|recrutement)s?\s+", re.I)
_ARTICLE = re.compile(r"^(?:d['’]une?\b|de\s+la\b|de\s+l['’]|des\b|du\b|de\b|d['’]|au\b)\s*", re.I)
_JOB_NOUN = re.compile(r"^(?:emplois?|postes?)\b\s*", re.I)
_PARTICIPLE = r"(?:é|ée|és|ées)"
_GROUP = re.compile(
    rf"\s*\((?:class{_PARTICIPLE}\s+(?:en|dans\s+le)\s+)?groupe\s+(?:[IVX]+|\d)\)"
    rf"|,\s*(?:class{_PARTICIPLE}\s+(?:en|dans\s+le)\s+)?groupe\s+(?:[IVX]+|\d)\b\s*(?=,)"
    rf"|\s(?:class{_PARTICIPLE}\s+(?:en|dans\s+le)\s+|relevant\s+du\s+|de\s+)groupe\s+(?:[IVX]+|\d)\b",
    re.I,
)
_DURATION = re.compile(
    rf",?\s*(?:propos{_PARTICIPLE}\s+)?(?:pour|d['’])\s*une\s+(?:dur[ée]e|p[ée]riode)\s+[^,.;]*?"
    r"(?=,|\s(?:est|sera)\b|$)",
    re.I,
)
_WORKING_TIME = re.compile(r"\s*,?\s*[àa] temps (?:complet|plein|partiel|non complet)\b\s*,?\s*", re.I)
_GENDER = re.compile(r"\s*\((?:H/F|F/H)\)|\s+(?:H/F|F/H)\b")
_FORMER_NAME = re.compile(r"\s*\((?:auparavant|anciennement|ex\b)[^)]*\)", re.I)
_OF = r"(?:de la\s|du\s|des\s|de l['’]\s?)"
_ORGANISATION = re.compile(
    r"^(?:sous-direction|secr[ée]tariat|direction|directions|service|services|d[ée]l[ée]gation|pr[ée]fecture"
    r"|minist[èe]re|agence|institut|inspection|cabinet|mission|bureau|office|conseil|commissariat|haut-commissariat"
    r"|centre|[ée]cole|[ée]tablissement|cour|tribunal|[ée]tat-major|sgar|administration|universit[ée]|rectorat"
    r"|acad[ée]mie|caisse|ambassade|d[ée]partement|p[ôo]le|soci[ée]t[ée]|arm[ée]e"
    r"|(?-i:DD[A-Z-]*|DR[A-Z-]*|DG[A-Z]*|SG[A-Z]*))\b",
    re.I,
)
_LOCATIVE = re.compile(
    r"(?:^|\s|,)(?:au sein (?:du|de la|de l['’]|des)|dans les|au|aux|à la|à l['’]|auprès (?:du|de la|de l['’]|des))\s*",
    re.I,
)
# "directeur adjoint de la direction départementale …": the post, then the service it is part of.
_OF_SERVICE = re.compile(
    rf"\s{_OF}(?=(?:sous-direction|direction|d[ée]l[ée]gation|secr[ée]tariat|agence|inspection|pr[ée]fecture"
    r"|service|mission|p[ôo]le|soci[ée]t[ée]|[ée]tablissement|institut|office|[ée]cole|centre|caisse|universit[ée]"
    r"|commissariat|(?-i:DD[A-Z-]*))\b)",
    re.I,
)
_POST_START = re.compile(
    r"(?:\b(?:un|une|l['’]|le|les|deux|trois|quatre|cinq|des)\s*(?:emplois?|postes?)(?:\s+fonctionnels?)?"
    r"\s+(?:de\s+|d['’])|\bemploi propos[ée]\s*:\s*|\bau poste de\s+)",
    re.I,
)
_POST_END = re.compile(
    r"\s(?-i:est|sera|sont|seront|a été|devient|deviendra|qui sera)\b"
    rf"|,?\s(?:class{_PARTICIPLE}|relevant|propos{_PARTICIPLE}|cré{_PARTICIPLE}|plac{_PARTICIPLE}"
    rf"|rattach{_PARTICIPLE}|affect{_PARTICIPLE}|localis{_PARTICIPLE}|ouverte?s?|[àa] pourvoir|susceptibles?)\b"
    r"|,?\s(?:[àa] compter|[àa] partir)\b"
    r"|\s?[.;:](?:\s|$)|$",
    re.I,
)
# Where a service's name ends and the sentence goes on. Not at "pour les" ("secrétariat général pour les
# affaires régionales") nor at a comma that goes on with the name ("direction … de l'emploi, du travail,
# des solidarités …", "direction des affaires internationales, stratégiques et technologiques").
_CLAUSE = re.compile(
    r",\s(?!(?:de|du|des|d['’])\s?|[a-zà-ÿ-]+(?:,|\set\s))"
    r"|\s(?-i:où|qui|que|dont|afin|lorsque|sera|est|sont|seront|a\s|aura|et\s(?:sera|est|aura|concourt))|\s(?:en charge"
    rf"|charg{_PARTICIPLE}\s+(?:de|d['’]|du|des)|plac{_PARTICIPLE}|rattach{_PARTICIPLE}|relevant|sur le site"
    rf"|situ{_PARTICIPLE}|localis{_PARTICIPLE}|cré{_PARTICIPLE}|institu{_PARTICIPLE}|issue?s?|compos{_PARTICIPLE}"
    rf"|dot{_PARTICIPLE}|[àa] compter|[àa] partir|pour\s(?!l['’]|la\s|le\s|les\s))\b|\s?[;.:](?:\s|$)"
    r"|\s(?:au sein|[àa] l['’]administration centrale|au minist[èe]re|aux minist[èe]res|dans les services)\b",
    re.I,
)
_MINISTRY_TAIL = re.compile(
    rf"\s{_OF}(?:minist[èe]res?|administration centrale|services du premier ministre)\b.*$", re.I
)
_MINISTRY = re.compile(
    r"\b(?:minist[èe]res?\s+(?:de la|de l['’]|des|du|de|d['’]|charg[ée]s?\s+(?:de la|de l['’]|des|du|de|d['’])"
    r"|sociaux)[^,.;()]*?|services du premier ministre)(?=\s*(?:[,.;()]|\s(?:est|sera|et\s(?:du|de)|à|au|un)\b|$))",
    re.I,
)
_FUNCTION = re.compile(
    r"(?:exercera|exerce|exercent|assurera|assure)\s+(?:les|la)\s+fonctions?\s+(?:de\s+|d['’])"
    r"|\bcet emploi est celui de\s+|\btitulaire\b[^.;]*?\b(?:sera|est)\s+(?=responsable\s+(?:du|de la|de l['’]|des)\s)",
    re.I,
)
_IN_CHARGE_OF_MISSION = re.compile(r"\s+en charge de la mission\s+(?P<mission>.+)$", re.I)
_PERSON_NOUN = r"(?:pr[ée]f[èe]te?|secrétaire générale?|directeur|directrice|chef|cheffe)\b"
_PERSON = re.compile(
    rf"(?:(?:sous l['’]autorité(?:\s+(?:hiérarchique\s+)?directe)?|auprès)\s+(?:du|de la|de l['’])"
    rf"|(?:adjointe?s?|délégu(?:é|ée|és|ées))\s+(?:au|à la|du|de la))\s*(?P<person>{_PERSON_NOUN}[^,.;«]*)",
    re.I,
)
_SGAR_POST = re.compile(r"secr[ée]taire g[ée]n[ée]ral(?:e)?\s+(?:adjoint\s+)?pour les affaires r[ée]gionales", re.I)
_SGAR = re.compile(
    r"^secr[ée]tariat g[ée]n[ée]ral (?:pour|aux) les affaires r[ée]gionales(?:\s*\(SGAR\))?"
    r"\s*(?:(?:de la r[ée]gion|de la|de|du|des|d['’])\s*(?P<rest>.+))?$",
    re.I,
)
# A post heads the service its name says: "directeur interrégional des services pénitentiaires de Bordeaux"
# heads the "direction interrégionale des services pénitentiaires de Bordeaux" (not "directeur de projet").
_HEAD_OF = re.compile(
    r"^(?:directeur|directrice)(?P<kind>\s+(?:général|régional|départemental|interrégional|interministériel"
    rf"|interdépartemental)e?)?(?:\s+adjointe?)?\s+(?P<rest>{_OF}\s*(?!projet\b|programme\b)\S.*)$",
    re.I,
)
_CHIEF_OF = re.compile(
    r"(?:chef|cheffe)\s+(?:du\s+|de la\s+|de\s+)?(?P<unit>(?:service|mission|bureau|pôle|délégation)\b.*)$", re.I
)
_FEMININE = {kind: kind + ("le" if kind.endswith("el") else "e") for kind in (
    "général", "régional", "départemental", "interrégional", "interministériel", "interdépartemental")}  # fmt: skip
# How precise a service is, by its first word: the lower, the more precise; 9 is a ministry, no service.
_RANKS = (
    (re.compile(r"^(?:sous-direction|bureau|p[ôo]le|cellule|unit[ée])\b", re.I), 0),
    (re.compile(r"^(?:service|mission|d[ée]partement|cabinet|inspection|d[ée]l[ée]gation)\b", re.I), 1),
    (re.compile(r"^secr[ée]tariat g[ée]n[ée]ral (?:(?:pour|aux) les affaires|commun)", re.I), 2),
    (re.compile(r"^(?:secr[ée]tariat|pr[ée]fecture(?! de police))\b", re.I), 3),
    (re.compile(r"^(?:minist[èe]res?|administration|services du premier ministre)\b", re.I), 9),
)
# Hospital annexes: "CENTRE HOSPITALIER RÉGIONAL DE TOULOUSE" on its own line, then the post.
_ESTABLISHMENT_LINE = re.compile(
    r"^(?:CENTRES? HOSPITALIERS?|GROUPE HOSPITALIER|GROUPEMENT HOSPITALIER|CHU|HÔPITAL|HOPITAL|EHPAD"
    r"|ÉTABLISSEMENT|ETABLISSEMENT)\b[^a-z]*$"
)
_ANNEX_POSTS = re.compile(r"^(?:[IVX]+\.\s*[-–]\s*)?Emplois? de (?P<post>[^:]+?)\s*:\s*$")
_SECTION_NUMBER = re.compile(r"^[IVX]+\.\s*[-–]")


@dataclass
class Announcement:
    post: str | None = None  # the post and its portfolio, as the title shows it
    employer: str | None = None  # the service that hires, as a name
    ministry: str | None = None  # a ministry the text names
    place_hint: str | None = None  # "Grand Est" of a title's "(Grand Est)"


Services = list[tuple[str, int]]  # (text starting with a service's name, PLACED | HEADED | PERSON)


def _rank(service: str) -> int:
    for pattern, rank in _RANKS:
        if pattern.match(service):
            return rank
    return 2


def _cut_clause(text: str) -> str:
    match = _CLAUSE.search(text)
    text = text[: match.start()] if match else text
    if text.count("(") > text.count(")"):
        text = text[: text.rfind("(")]
    return text.strip(" ,;:.«»\"'")


def _service_name(text: str | None) -> str | None:
    """A service as a name: the clause after it cut off, the ministry it belongs to dropped (unless the
    name says nothing without it: "secrétariat général des ministères sociaux")."""
    if not text:
        return None
    name = _cut_clause(_FORMER_NAME.sub("", clean(text)))
    without_ministry = _MINISTRY_TAIL.sub("", name)
    if len(without_ministry.split()) > 2 and not re.match(r"minist|services du premier", name, re.I):
        name = without_ministry
    if not name or not _ORGANISATION.match(name) or len(name) > 160 or len(name.split()) < 2 and name.islower():
        return None
    # "la mission « contractualisation écologique »": a portfolio, not a service
    return None if "«" in name and re.match(r"(?:mission|p[ôo]le|projet)\b", name, re.I) else name


MAX_EMPLOYER = 120


def _shortened(name: str | None) -> str | None:
    """A name of at most MAX_EMPLOYER characters: "direction départementale … (DDETSPP) de la Mayenne" ->
    "DDETSPP de la Mayenne", else without the service it belongs to; None when it cannot be."""
    if not name or len(name) <= MAX_EMPLOYER:
        return name
    name = re.sub(r"^\w[^()]+\((?P<acronym>[A-Z][A-Z-]+)\)", r"\g<acronym>", name)
    if len(name) > MAX_EMPLOYER:  # "Société de livraison des ouvrages olympiques pour les jeux … « … »"
        name = re.split(r"\s(?:«|pour\s)", name)[0]
    while len(name) > MAX_EMPLOYER:
        parent = list(re.finditer(rf"\s{_OF}(?=(?:direction|service|secr[ée]tariat|pr[ée]fecture)\b)", name, re.I))
        if not parent:
            return None
        name = name[: parent[-1].start()]
    return name


def employer_name(text: str | None) -> str | None:
    """ "secrétariat général pour les affaires régionales d'Occitanie" -> "SGAR Occitanie"; others capitalised."""
    text = clean(text)
    if not text:
        return None
    text = text.rstrip(" .,;")
    sgar = _SGAR.match(text)
    if sgar:
        rest = (sgar.group("rest") or "").strip(' «»"')
        region = find_region(rest) or canonical_region(rest)
        return f"SGAR {region or rest}" if rest else "SGAR"
    return text[0].upper() + text[1:]


def _head_of(post: str) -> str | None:
    """The service a post (or a person) heads, by its name: "directeur régional adjoint de l'environnement …"
    -> "direction régionale de l'environnement …"."""
    match = _HEAD_OF.match(post)
    if not match:
        return None
    kind = (match.group("kind") or "").strip().lower()
    return " ".join(filter(None, ("direction", _FEMININE.get(kind, kind), match.group("rest"))))


def _service_of_person(person: str) -> str | None:
    """The service a person heads: "préfet des Vosges" -> "préfecture des Vosges", "directeur des affaires
    juridiques" -> "direction des affaires juridiques", "chef du service X" -> "service X"."""
    # "préfet de région et des 13 préfets de département", "secrétaire général et son adjoint": the first.
    person = _cut_clause(re.split(r"\s+et\s+(?:de\s+)?(?:son|sa|ses)\b|\s+et\s+des\s+\d", person)[0])
    match = re.match(
        r"pr[ée]f[èe]te?\s+(?P<rest>(?:de (?:la )?région|de la|de l['’]|du|des|de|d['’]).*)$", person, re.I
    )
    if match:
        rest = re.sub(r"^de région\b", "de la région", match.group("rest"), flags=re.I)
        return None if re.match(r"de (?:la )?région$|de département$", rest, re.I) else f"préfecture {rest}"
    match = re.match(r"secrétaire générale?\s+(?P<rest>(?:du|de la|de l['’]|des|pour|aux)\b.*)$", person, re.I)
    if match:
        return "secrétariat général " + match.group("rest")
    match = _CHIEF_OF.match(person)
    return match.group("unit") if match else _head_of(person)


def _split_post(text: str) -> tuple[str, Services]:
    """A post as written ("chargé de mission … au secrétariat général …") -> (post, services named with it).
    A service the post is part of ("directeur adjoint de la direction départementale …") stays in the
    post (see :func:`_without_headed`)."""
    services: Services = []
    for match in _LOCATIVE.finditer(text):
        after = text[match.end() :]
        if _ORGANISATION.match(after):
            services.append((after, PLACED))
            text = text[: match.start()]
            break
    person = re.search(
        r"[\s,]+auprès\s+(?:du|de la|de l['’])\s*(?P<person>.*?)(?=,|\sen charge\b|\scharg[ée]|\s«|$)", text
    )
    if person:
        service = _service_of_person(person.group("person"))
        if service:
            services.append((service, PERSON))
        text = text[: person.start()] + text[person.end() :]
    headed = _OF_SERVICE.search(text)
    if headed:
        services.append((text[headed.end() :], HEADED))
    else:
        head = _head_of(text)
        if head:
            services.append((head, HEADED))
    return text.strip(" ,;"), services


_HEAD_WORD = re.compile(
    r"(?:directeur|directrice|adjointe?|d[ée]partementale?|r[ée]gionale?|g[ée]n[ée]rale?|interr[ée]gionale?"
    r"|littoral|secr[ée]taire|responsable),?$",
    re.I,
)


def _without_headed(post: str) -> str:
    """ "directeur adjoint de la direction départementale X" -> "directeur adjoint", when that service is
    the employer: the title does not say it twice (but "chef du service X" and "chargé de la préfiguration
    de la sous-direction X" stay whole)."""
    headed = _OF_SERVICE.search(post)
    if not headed:
        return post
    kept = post[: headed.start()].strip(" ,")
    return kept if len(kept.split()) >= 2 and _HEAD_WORD.search(post[: headed.start()].strip()) else post


def _post_phrase(sentence: str) -> str | None:
    start = _POST_START.search(sentence)
    if not start:
        return None
    rest = sentence[start.end() :]
    end = _POST_END.search(rest)
    phrase = (rest[: end.start()] if end else rest).strip(" ,")
    return None if not phrase or _ORGANISATION.match(phrase) else phrase  # "les emplois de direction ci-après"


@functools.lru_cache(maxsize=2048)
def _tidy_sentence(sentence: str) -> str:
    """A sentence without what says nothing of the post: its group, duration, working time, "H/F"."""
    lowered = sentence.lower()  # each pattern only where its word is: most sentences have none
    if "groupe" in lowered:
        sentence = _GROUP.sub(" ", sentence)
    if "durée" in lowered or "duree" in lowered or "période" in lowered or "periode" in lowered:
        sentence = _DURATION.sub("", sentence)
    if "temps" in lowered:
        # "chargé de mission, à temps complet, chargé du pilotage …" keeps its comma.
        sentence = _WORKING_TIME.sub(lambda match: ", " if match.group(0).rstrip().endswith(",") else " ", sentence)
    if "/" in sentence:
        sentence = _GENDER.sub("", sentence)
    return re.sub(r"\s+,", ",", re.sub(r"\s{2,}", " ", sentence)).strip()


_SENTENCE_BREAK = re.compile(r"(?<=[.;])\s+(?=[A-ZÀ-Ý«])|\n")


def sentences(lines: list[str], limit: int = 8) -> list[str]:
    """The first sentences of a notice's first lines (what announces the post)."""
    found: list[str] = []
    for line in lines[:limit]:
        found.extend(part.strip() for part in _SENTENCE_BREAK.split(line) if part.strip())
    return found


def _function(sentence: str) -> tuple[str | None, Services]:
    """ "Le titulaire exercera les fonctions de sous-directeur de X à la direction Y." -> (the function, [Y])."""
    match = _FUNCTION.search(sentence)
    if not match:
        return None, []
    rest = _FORMER_NAME.sub("", _tidy_sentence(sentence[match.end() :]))
    rest = re.split(r"\s?[.;](?:\s|$)|\soù\s|,\s(?:placé|rattaché)|\s\(", rest)[0]
    function, services = _split_post(rest)
    return (function or None), [(text, PLACED if kind == PLACED else PERSON) for text, kind in services]


def _same_head(post: str, function: str) -> bool:
    return re.findall(r"[\w-]+", function.lower())[:1] == re.findall(r"[\w-]+", post.lower())[:1]


def _join_portfolio(post: str) -> str:
    """ "chargé de mission en charge de la mission transformation et innovation publique" -> "chargé de
    mission transformation et innovation publique"."""
    mission = _IN_CHARGE_OF_MISSION.search(post)
    if mission and re.search(r"\bde mission$", post[: mission.start()], re.I):
        return post[: mission.start()] + " " + mission.group("mission")
    return post


def from_title(title: str) -> tuple[str | None, Services, str | None]:
    """(post, services, place hint) of "Avis de vacance d'un emploi de <post> [au <service>] [(<place>)]"."""
    rest = _TITLE_HEAD.sub("", title, count=1)
    if rest == title:
        return None, [], None
    rest = _ARTICLE.sub("", rest, count=1)
    if _JOB_NOUN.match(rest):
        rest = _ARTICLE.sub("", _WORKING_TIME.sub(" ", _JOB_NOUN.sub("", rest, count=1)).strip(), count=1)
    rest = _tidy_sentence(rest)
    # "d'un emploi de direction du ministère de la justice - groupe III (directeur du service …)": the post in brackets
    of_direction = re.match(rf"^direction\b[^()]*\((?P<post>{_PERSON_NOUN}[^()]+|adjoint[^()]+)\)\s*$", rest, re.I)
    rest = of_direction.group("post") if of_direction else rest
    if rest.startswith("("):  # "Avis de vacance d'emplois (directions territoriales de la PJJ)": no post named
        inside = rest.strip("() ")
        return None, [(inside, PLACED)] if _ORGANISATION.match(inside) else [], inside
    place = None
    bracket = re.search(r"\s*\(([^()]*)\)\s*$", rest)
    services: Services = []
    if bracket:
        inside = re.sub(r"^administration centrale\s*:\s*", "", bracket.group(1).strip(), flags=re.I)
        if find_region(inside) and len(inside.split()) <= 5 and not _ORGANISATION.match(inside):
            place, rest = inside, rest[: bracket.start()]
        elif _ORGANISATION.match(inside) or re.match(r"(?-i:DD[A-Z]+)\s", inside):
            services.append((inside, PLACED))
            rest = rest[: bracket.start()]
    post, more = _split_post(rest)
    people = [(service, PERSON) for match in _PERSON.finditer(rest) if (service := _service_of_person(match["person"]))]
    if post and _ORGANISATION.match(post):  # "d'emplois de direction de la fonction publique hospitalière"
        post = None
    return post or None, services + more + people, place


def _choose(services: Services) -> tuple[str | None, int | None]:
    """The most precise service of the most telling kind (placed in, part of, with the person)."""
    named = [(name, kind) for name, kind in ((_service_name(text), kind) for text, kind in services) if name]
    for wanted in (PLACED, HEADED, PERSON):
        pool = [name for name, kind in named if kind == wanted and _rank(name) < 9]
        if pool:
            best = min(pool, key=_rank)  # min keeps the first of equal rank
            # "direction régionale de l'environnement …" and "… (DREAL) de Corse": the fuller name
            longer = [name for name in pool if name.lower().startswith(best.lower()) and len(name) > len(best)]
            return (max(longer, key=len) if longer else best), wanted
    return None, None


def _sous_direction(post: str, employer: str) -> tuple[str, str | None] | None:
    """ "sous-directeur" at "sous-direction des missions X de la direction Y" -> ("sous-directeur des missions
    X", "direction Y"): the sous-direction is the post's portfolio, the direction its employer."""
    if not re.match(r"sous-direct(?:eur|rice)", post, re.I) or not re.match(r"sous-direction\s", employer, re.I):
        return None
    portfolio = employer[len("sous-direction ") :]
    parent = re.search(rf"\s{_OF}(?=(?:direction|service|secr[ée]tariat)\b)", portfolio, re.I)
    if parent:
        return f"{post} {portfolio[: parent.start()]}", portfolio[parent.end() :]
    return f"{post} {portfolio}", None


def _annex(lines: list[str]) -> tuple[str | None, str | None]:
    """(post, establishment) of a hospital annex: "I. - Emplois de directeur :" then the establishment,
    or "CENTRE HOSPITALIER RÉGIONAL DE TOULOUSE" then the post's lines."""
    for index, line in enumerate(lines[:12]):
        posts = _ANNEX_POSTS.match(line)
        if posts and index + 1 < len(lines):
            return posts.group("post"), lines[index + 1]
        if _ESTABLISHMENT_LINE.match(line):
            title = []
            for following in lines[index + 1 : index + 4]:
                if _SECTION_NUMBER.match(following):
                    break
                title.append(following)
            return " - ".join(title) or None, line
    return None, None


def _body(lines: list[str]) -> tuple[str | None, Services, str | None, int | None, list[str]]:
    """The post the first sentences name, the services around it, a ministry they name, and the sentences."""
    intro = sentences(lines)
    services: Services = []
    post = ministry = None
    vacancy_index = None
    for index, sentence in enumerate(intro):
        tidy = _tidy_sentence(sentence)
        phrase = _post_phrase(tidy)
        if not phrase:
            continue
        post, named = _split_post(phrase)
        post = _join_portfolio(post)
        services += named
        vacancy_index = index
        at = tidy.find(phrase)
        for part in (tidy[at + len(phrase) :], tidy[:at]):
            for match in _LOCATIVE.finditer(part):
                if _ORGANISATION.match(part[match.end() :]):
                    services.append((part[match.end() :], PLACED))
        break
    window = intro[vacancy_index : vacancy_index + 4] if vacancy_index is not None else intro[:3]
    for position, sentence in enumerate(window):
        tidy = _tidy_sentence(sentence)
        if position and re.search(rf"\b(?:affect{_PARTICIPLE}|rattach{_PARTICIPLE}|au sein)\b", tidy, re.I):
            for match in _LOCATIVE.finditer(tidy):
                if _ORGANISATION.match(tidy[match.end() :]):
                    services.append((tidy[match.end() :], PLACED))
        for person in _PERSON.finditer(tidy):
            service = _service_of_person(person.group("person"))
            if service:
                services.append((service, PERSON))
        if ministry is None and position < 2:
            found = _MINISTRY.search(tidy)
            ministry = found.group(0) if found else None
    return post, services, ministry, vacancy_index, window


def announcement(title: str, lines: list[str]) -> Announcement:
    """The post, employer and ministry a notice announces (see the module's docstring)."""
    title_post, title_services, place = from_title(title)
    post, services, ministry, _, window = _body(lines)
    function = None
    for sentence in window:
        function, named = _function(_tidy_sentence(sentence))
        if function:
            services += named
            break
    if title_post and (not post or len(title_post) > len(post) and title_post.lower().startswith(post.lower())):
        post = title_post
    if post and function:
        post = function if _same_head(post, function) else f"{post}, {function}"
    if post and _SGAR_POST.search(post):
        after = re.split(r"affaires r[ée]gionales", post, flags=re.I)[-1]
        region = find_region(post) or canonical_region(re.sub(r"^\W*(?:de la|du|de|d['’])\s*|\W+$", "", after))
        region = region or next((find_region(text) for text, _ in services if find_region(text)), None)
        if region:
            services.insert(0, (f"secrétariat général pour les affaires régionales de {region}", PLACED))
    employer, kind = _choose(title_services + services)
    if not post:
        post, establishment = _annex(lines)
        if establishment:  # "Centres hospitaliers de … (centre hospitalier … Nord-Ardennes) (Ardennes)"
            where = re.search(r"\s*\(([^()]*)\)$", establishment)
            place = where.group(1) if where and find_department(f"({where.group(1)})") else place
            establishment = establishment[: where.start()] if where and place == where.group(1) else establishment
            employer = employer or clean(establishment)
    if post and kind == HEADED:
        post = _without_headed(post)
    if post and employer:
        split = _sous_direction(post, employer)
        if split:
            post, employer = split[0], split[1] or employer
    post = clean(post.strip(" ,;")) if post else None
    return Announcement(
        post=post[0].upper() + post[1:] if post else None,
        employer=employer_name(_shortened(employer)),
        ministry=ministry,
        place_hint=place,
    )
