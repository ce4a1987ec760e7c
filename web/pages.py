"""« Offres »: open jobs newest first with search and filters, a page per job, and the Atom feeds."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.links import LinkError
from alerts.matching import describe_terms
from alerts.relevance import load_model, score_new_offers
from alerts.units import JobUnits, best_offer
from storage import clock, web_subscriptions
from storage.job_search import open_jobs, sources_with_offers
from storage.job_views import get_job, offers_by_job
from storage.places import REGION_DEPARTMENTS
from web.feeds import FEED_SIZE, atom
from web.forms import CATEGORIES, offer_filters

PAGE_SIZE = 20
MAX_PAGE = 500
FILTER_NAMES = ("q", "departement", "region", "categorie", "source", "pertinentes", "tri")


def _page_number(params) -> int:
    text = (params.get("page") or "1").strip()
    return min(max(int(text), 1), MAX_PAGE) if text.isdigit() and len(text) < 5 else 1


def _query(params, **changes) -> str:
    values = {name: params.get(name) for name in FILTER_NAMES if params.get(name)}
    values.update({name: value for name, value in changes.items() if value})
    return urlencode(values)


def routes(site) -> list[Route]:
    units = JobUnits()

    def views(keys: list[str]):
        found = units.views(site.db, keys, today=clock.paris_today())
        return [found[key] for key in keys if key in found]

    async def offers(request: Request):
        params = request.query_params
        filters, errors = offer_filters(params)
        sources = sources_with_offers(site.db)
        if filters.sources and filters.sources[0] not in sources:
            errors["source"] = "Source inconnue."
        page = _page_number(params)
        jobs, more = ([], False)
        score_new_offers(site.db)  # offers crawled since the last `veille run` are listed by their score too
        if not errors:
            jobs, more = open_jobs(
                site.db, filters, today=clock.paris_today(), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
            )
        context = {
            "jobs": views([f"job:{job_id}" for job_id in jobs]),
            "errors": errors,
            "params": {name: params.get(name, "") for name in FILTER_NAMES},
            "regions": list(REGION_DEPARTMENTS),
            "categories": CATEGORIES,
            "sources": sources,
            "page": page,
            "threshold": load_model().threshold,
            "previous_query": _query(params, page=str(page - 1)) if page > 1 else None,
            "next_query": _query(params, page=str(page + 1)) if more else None,
            "feed_query": _query(params),
        }
        return site.page(request, "offers.html", context, status=400 if errors else 200)

    async def job(request: Request):
        text = request.path_params["job_id"]
        job_id = int(text) if text.isdigit() and len(text) < 12 else None
        found = get_job(site.db, job_id) if job_id is not None else None
        if found is None or found["merged_into"]:
            return site.message(request, "Offre introuvable", "Cette offre n'existe pas ou plus.", status=404)
        [view] = views([f"job:{job_id}"]) or [None]
        offers = offers_by_job(site.db, [job_id], clock.paris_today())[job_id]
        model = load_model()
        score, best = best_offer(offers)
        # « Pourquoi »: the words that raised its score most, as its alerts say them; below the threshold, those
        # that lowered it most (as `veille offers --why` does).
        below = score is not None and score < model.threshold
        terms = describe_terms(model.explain(best, lowering=below), french=True) if best else ""
        why = f"ce qui l'abaisse : {terms}" if below and terms else terms
        context = {"job": view, "offers": offers, "open": offers[0]["_closed"] is None}
        return site.page(request, "job.html", {**context, "why": why, "threshold": model.threshold})

    def feed_response(body: bytes) -> Response:
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    async def public_feed(request: Request):
        params = request.query_params
        filters, errors = offer_filters(params)
        if errors:
            return site.message(request, "Flux introuvable", " ".join(errors.values()), status=400)
        score_new_offers(site.db)
        jobs, _ = open_jobs(site.db, filters, today=clock.paris_today(), limit=FEED_SIZE)
        query = _query(params)
        words = ", ".join(params.get(name) for name in FILTER_NAMES if params.get(name))
        return feed_response(
            atom(
                title="veille · offres" + (f" · {words}" if words else ""),
                base_url=site.base_url,
                self_url=f"{site.base_url}/flux.atom" + (f"?{query}" if query else ""),
                page_url=f"{site.base_url}/" + (f"?{query}" if query else ""),
                views=views([f"job:{job_id}" for job_id in jobs]),
                now=clock.now(),
            )
        )

    async def subscription_feed(request: Request):
        token = request.path_params["token"]
        try:
            payload = site.signer.read("feed", token, max_age_seconds=None)
            row = web_subscriptions.get(site.db, int(payload.get("id", 0)))
            if row is None or row["link_key"] != payload.get("k"):
                raise LinkError(expired=False)
        except (LinkError, ValueError, TypeError):
            return site.message(request, "Flux introuvable", "Ce flux n'existe pas ou plus.", status=404)
        keys = web_subscriptions.matched_units(site.db, row["name"], FEED_SIZE)
        found = units.views(site.db, keys, today=clock.paris_today())
        ordered = sorted(
            (found[key] for key in keys if key in found), key=lambda view: view.published_on or "", reverse=True
        )
        return feed_response(
            atom(
                title="veille · mon alerte",
                base_url=site.base_url,
                self_url=f"{site.base_url}/flux/{token}.atom",
                page_url=f"{site.base_url}/",
                views=ordered,
                now=clock.now(),
            )
        )

    return [
        Route("/", offers),
        Route("/offres/{job_id}", job),
        Route("/flux.atom", public_feed),
        Route("/flux/{token}.atom", subscription_feed),
    ]
