"""The web application (Starlette): its routes, what every page shares, and how it starts.

:func:`create_app` builds it from the configuration; ``veille web`` (cli/) serves it with uvicorn.
The secret key that signs links comes from the environment: without it the application refuses
to start (:class:`alerts.links.MissingSecret`, one line for the operator).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from alerts.email import Sender
from alerts.links import Signer, secret_key
from alerts.relevance import refresh_scores
from alerts.settings import Web
from alerts.targets import sender_of
from storage import open_db
from storage.french import french_date, french_score
from web import pages, subscribe
from web.security import SecurityHeaders, csrf_token, set_csrf_cookie

STATIC = Path(__file__).parent / "static"


@dataclass
class Site:
    """What every page needs: the settings, the database, the signer, the templates, the sender."""

    web: Web
    database: Path
    signer: Signer
    sender: Sender
    templates: Environment
    db: object = None

    @property
    def base_url(self) -> str:
        return self.web.base_url.rstrip("/")

    @property
    def https(self) -> bool:
        return self.web.base_url.startswith("https://")

    def page(self, request: Request, template: str, context: dict | None = None, *, status: int = 200):
        """A page from web/templates/, with the CSRF token its forms carry."""
        values = {"request": request, "csrf": csrf_token(request), "base_url": self.base_url, **(context or {})}
        response = HTMLResponse(self.templates.get_template(template).render(values), status_code=status)
        set_csrf_cookie(request, response, https=self.https)
        return response

    def message(self, request: Request, title: str, text: str, *, status: int = 200, links=()):
        """A page that says one thing (an error, a confirmation)."""
        return self.page(request, "message.html", {"title": title, "text": text, "links": links}, status=status)


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["french_date"] = french_date
    env.filters["french_score"] = french_score
    return env


def create_app(web: Web, database: Path, *, secret: str | None = None) -> Starlette:
    """The application for ``database``; MissingSecret when no secret key is given or set."""
    site = Site(
        web=web,
        database=Path(database),
        signer=Signer(secret or secret_key()),
        sender=sender_of(web),
        templates=_templates(),
    )

    @asynccontextmanager
    async def lifespan(app):
        # One connection, used from the event loop's thread only (every endpoint is async).
        site.db = open_db(site.database)
        # Statistics for the query planner, so that a filter on a rare place reads that place's offers
        # (bounded work: SQLite samples at most this many rows per index).
        site.db.execute("PRAGMA analysis_limit = 1000")
        site.db.execute("PRAGMA optimize = 0x10002")
        # Relevance scores a new model or offers crawled since the last `veille run` left missing or stale:
        # the pages show and filter the stored ones.
        refresh_scores(site.db)
        try:
            yield
        finally:
            site.db.conn.close()

    routes = [
        *pages.routes(site),
        *subscribe.routes(site),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def not_found(request: Request, exc):
        return site.message(request, "Page introuvable", "Cette page n'existe pas.", status=404)

    async def server_error(request: Request, exc):
        return site.message(request, "Erreur", "Une erreur s'est produite. Réessayez dans un moment.", status=500)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_found, 500: server_error},
    )
    app.state.site = site
    return SecurityHeaders(app, https=site.https)


def server_options(web: Web, *, host: str | None = None, port: int | None = None, verbose: bool = False) -> dict:
    """How uvicorn serves the application: behind a reverse proxy, believing its X-Forwarded-* headers
    only from ``forwarded_allow_ips``; no Server header."""
    return dict(
        host=host or web.host,
        port=port or web.port,
        proxy_headers=True,
        forwarded_allow_ips=web.forwarded_allow_ips,
        server_header=False,
        log_level="info" if verbose else "warning",
    )


def app_from_environment():
    """The application of the configuration ``veille web --workers N`` hands its worker processes."""
    import os

    from crawler.config import load_config

    config = load_config(os.environ.get("VEILLE_WEB_CONFIG") or None)
    return create_app(config.web, config.database_path)


__all__ = ["Site", "app_from_environment", "create_app", "server_options"]
