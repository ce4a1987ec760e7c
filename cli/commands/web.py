"""``veille web``: the pages where job seekers browse offers and run their own alerts."""

from __future__ import annotations

import click

from alerts.links import MissingSecret, secret_key
from cli.app import State, cli, pass_state


@cli.command("web")
@click.option("--host", metavar="HOST", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (default: [web] port, 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (rate limits and subscriptions are in the database, shared by all).",
)
@pass_state
@click.pass_context
def web(ctx, state: State, host, port, workers):
    """Serve the web pages (uvicorn): offers with search and filters, a page per job, Atom feeds,
    and the forms to subscribe, confirm, manage and unsubscribe.

    Needs VEILLE_SECRET_KEY in the environment (it signs every link). Behind a reverse proxy,
    set [web] base_url to the public https address and forwarded_allow_ips to the proxy's
    address; see the README for an nginx snippet and a systemd unit.
    """
    import uvicorn

    from web.app import create_app, server_options

    config = state.sending_config("web")  # the confirmation mails need the SMTP password
    try:
        secret_key()
    except MissingSecret as error:
        click.echo(f"veille: {error}", err=True)
        ctx.exit(2)
    settings = config.web
    host, port = host or settings.host, port or settings.port
    click.echo(f"veille web: http://{host}:{port}/ (public address {settings.base_url}); Ctrl-C stops it.")
    options = server_options(settings, host=host, port=port, verbose=state.verbose)
    if workers > 1:
        # Each worker process builds the application from the same configuration.
        import os

        os.environ["VEILLE_WEB_CONFIG"] = str(config.source_path or "")
        uvicorn.run("web.app:app_from_environment", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings, config.database_path), **options)
