"""« S'abonner », the confirmation, « Gérer », « Se désabonner » and the « pertinente » links.

Double opt-in: a subscription stays pending, and nothing but its confirmation mail is sent,
until the link of that mail is followed and confirmed. The answer to a subscribe form is the
same whatever the address: nobody learns whether an address is subscribed. Every form carries
a CSRF token, except the one-click unsubscribe (RFC 8058), which a mail client posts without
cookies: its signed link is its own proof.
"""

from __future__ import annotations

import datetime as dt
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from alerts.email import build_message, send_message
from alerts.links import LinkError, new_link_key, subscription_links
from alerts.units import JobUnits
from storage import clock, web_limits, web_subscriptions
from web.forms import REGIONS, RHYTHM_LABELS, SubscriptionForm, form_from_stored, subscription_form
from web.security import FormTooLarge, allow, client_ip, csrf_ok, first, read_form

log = logging.getLogger(__name__)

VERDICTS = {"relevant": "pertinente", "not_relevant": "pas pertinente"}
WHY_EMAIL = (
    "Votre adresse ne sert qu'à vous envoyer les offres que vous demandez. Elle n'est ni partagée ni utilisée "
    "pour autre chose, et « Supprimer mon alerte » l'efface avec tout son historique."
)


def routes(site) -> list[Route]:
    def form_page(request, template: str, form: SubscriptionForm, extra: dict | None = None, *, status=200):
        context = {"form": form, "regions": REGIONS, "rhythms": RHYTHM_LABELS, "why_email": WHY_EMAIL}
        return site.page(request, template, {**context, **(extra or {})}, status=status)

    async def posted(request: Request):
        """The form, or a page saying why it was refused (too large, forged)."""
        try:
            form = await read_form(request)
        except FormTooLarge:
            return None, site.message(
                request, "Formulaire trop volumineux", "Ce formulaire est trop long : rien n'a été modifié.", status=413
            )
        if not csrf_ok(request, form):
            return None, site.message(
                request,
                "Formulaire expiré",
                "Ce formulaire n'a pas été envoyé depuis cette page, ou il a expiré : rechargez la page et "
                "recommencez. Rien n'a été modifié.",
                status=403,
            )
        return form, None

    def subscription_from(request, purpose: str, max_age: float | None):
        """The stored subscription a link points to, or the page to answer instead."""
        token = request.path_params["token"]
        try:
            payload = site.signer.read(purpose, token, max_age_seconds=max_age)
            row = web_subscriptions.get(site.db, int(payload.get("id", 0)))
            if row is None or row["link_key"] != payload.get("k"):
                raise LinkError(expired=False)
        except LinkError as error:
            if error.expired:
                text = "Ce lien a expiré. Utilisez le lien du dernier message reçu, ou abonnez-vous de nouveau."
                return None, site.message(
                    request, "Lien expiré", text, status=410, links=[("/abonnement", "S'abonner")]
                )
            return None, _invalid(request)
        except (ValueError, TypeError):
            return None, _invalid(request)
        return row, None

    def _invalid(request):
        return site.message(
            request,
            "Lien non valide",
            "Ce lien n'est pas valide : il a été modifié, ou l'alerte qu'il désignait a été supprimée. Rien n'a été "
            "modifié.",
            status=400,
            links=[("/abonnement", "S'abonner")],
        )

    link_age = site.web.link_days * 86400
    confirm_age = site.web.confirm_hours * 3600

    # -- subscribe ----------------------------------------------------------------------------------------

    async def subscribe_form(request: Request):
        return form_page(request, "subscribe.html", SubscriptionForm())

    async def subscribe(request: Request):
        form, refusal = await posted(request)
        if refusal:
            return refusal
        if not allow(
            site.db,
            site.signer,
            "subscribe-ip",
            client_ip(request),
            limit=site.web.subscribe_per_ip_per_hour,
            window=dt.timedelta(hours=1),
        ):
            return site.message(
                request,
                "Trop de demandes",
                "Trop de demandes d'abonnement depuis votre connexion : réessayez dans une heure.",
                status=429,
            )
        typed = subscription_form(form, with_email=True)
        if typed.errors:
            return form_page(request, "subscribe.html", typed, status=400)
        now = clock.now()
        web_subscriptions.purge_unconfirmed(site.db, now - dt.timedelta(hours=site.web.confirm_hours))
        # An address gets a few confirmation mails a day at most; past that the answer is the same, with no mail.
        if allow(
            site.db,
            site.signer,
            "confirm-mail",
            typed.email,
            limit=site.web.mails_per_address_per_day,
            window=dt.timedelta(days=1),
        ):
            link_key = new_link_key()
            subscription_id = web_subscriptions.create(
                site.db,
                email=typed.email,
                filters=typed.filters,
                mode=typed.mode,
                sort=typed.stored_sort,
                max_age_days=typed.max_age_days,
                link_key=link_key,
                now=now,
            )
            token = site.signer.token("confirm", {"id": subscription_id, "k": link_key})
            message = _confirmation_mail(site, typed.email, f"{site.base_url}/confirmer/{token}")
            result = await run_in_threadpool(send_message, site.sender, message)
            if not result.ok:
                log.warning("confirmation mail not sent: %s", result.error)
        return site.message(
            request,
            "Vérifiez votre messagerie",
            "Si cette adresse peut recevoir nos alertes, un message vient de lui être envoyé. Suivez le lien qu'il "
            f"contient dans les {site.web.confirm_hours} heures pour activer votre alerte : rien ne vous sera "
            "envoyé d'ici là.",
        )

    async def confirm_page(request: Request):
        row, refusal = subscription_from(request, "confirm", confirm_age)
        if refusal:
            return refusal
        return site.page(request, "confirm.html", {"pending": row["status"] == web_subscriptions.PENDING})

    async def confirm(request: Request):
        form, refusal = await posted(request)
        if refusal:
            return refusal
        row, refusal = subscription_from(request, "confirm", confirm_age)
        if refusal:
            return refusal
        web_subscriptions.confirm(site.db, row["id"], clock.now())
        links = subscription_links(site.signer, site.base_url, row["id"], row["link_key"])
        return site.message(
            request,
            "Alerte activée",
            "Votre alerte est active : vous recevrez les nouvelles offres qui lui correspondent. Chaque message "
            "contient un lien pour la modifier ou vous désabonner.",
            links=[(links.manage.removeprefix(site.base_url), "Gérer mon alerte")],
        )

    # -- manage ---------------------------------------------------------------------------------------------

    def manage_context(row: dict) -> dict:
        history = web_subscriptions.sent_history(site.db, row["id"], 50)
        views = JobUnits().views(site.db, [item["unit"] for item in history], today=clock.paris_today())
        feed_token = site.signer.token("feed", {"id": row["id"], "k": row["link_key"]})
        return {
            "row": row,
            "history": [(item, views.get(item["unit"])) for item in history],
            "feed_url": f"{site.base_url}/flux/{feed_token}.atom",
        }

    async def manage_page(request: Request):
        row, refusal = subscription_from(request, "manage", link_age)
        if refusal:
            return refusal
        return form_page(request, "manage.html", form_from_stored(row), manage_context(row))

    async def manage(request: Request):
        form, refusal = await posted(request)
        if refusal:
            return refusal
        row, refusal = subscription_from(request, "manage", link_age)
        if refusal:
            return refusal
        action, now = first(form, "action"), clock.now()
        if action == "pause":
            web_subscriptions.set_status(site.db, row["id"], web_subscriptions.PAUSED, now)
            return site.message(request, "Alerte en pause", "Plus rien ne vous sera envoyé jusqu'à sa reprise.")
        if action == "reprendre":
            if row["status"] == web_subscriptions.DISABLED:
                return site.message(request, "Alerte désactivée", "Cette alerte a été désactivée.", status=409)
            web_subscriptions.set_status(site.db, row["id"], web_subscriptions.ACTIVE, now)
            return site.message(request, "Alerte reprise", "Vous recevrez les offres publiées à partir de maintenant.")
        if action == "supprimer":
            web_subscriptions.erase(site.db, row["id"])
            return site.message(
                request, "Alerte supprimée", "Votre alerte, votre adresse et l'historique des envois ont été effacés."
            )
        typed = subscription_form(form, with_email=False)
        typed.email = row["email"]
        if typed.errors:
            return form_page(request, "manage.html", typed, manage_context(row), status=400)
        web_subscriptions.update(
            site.db,
            row["id"],
            filters=typed.filters,
            mode=typed.mode,
            sort=typed.stored_sort,
            max_age_days=row["max_age_days"],
            now=now,
        )
        return site.message(request, "Modifications enregistrées", "Votre alerte suit désormais ces critères.")

    # -- unsubscribe ------------------------------------------------------------------------------------------

    async def unsubscribe_page(request: Request):
        row, refusal = subscription_from(request, "unsubscribe", link_age)
        if refusal:
            return refusal
        return site.page(request, "unsubscribe.html", {})

    async def unsubscribe(request: Request):
        # RFC 8058: the mail client posts "List-Unsubscribe=One-Click", without cookies; it unsubscribes at once.
        try:
            await read_form(request)
        except FormTooLarge:
            pass
        row, refusal = subscription_from(request, "unsubscribe", link_age)
        if refusal:
            return refusal
        web_subscriptions.erase(site.db, row["id"])
        return site.message(
            request, "Vous êtes désabonné·e", "Plus rien ne vous sera envoyé, et votre adresse a été effacée."
        )

    # -- feedback ---------------------------------------------------------------------------------------------

    def feedback_from(request):
        verdict = request.query_params.get("avis", "")
        try:
            payload = site.signer.read("feedback", request.path_params["token"], max_age_seconds=link_age)
        except LinkError as error:
            return None, site.message(
                request, "Lien expiré" if error.expired else "Lien non valide", "Rien n'a été enregistré.", status=400
            )
        name, unit = payload.get("s"), payload.get("u")
        if verdict not in VERDICTS or not isinstance(name, str) or not isinstance(unit, str):
            return None, site.message(request, "Lien non valide", "Rien n'a été enregistré.", status=400)
        subscription_id = web_subscriptions.parse_name(name)
        if subscription_id is not None and web_subscriptions.get(site.db, subscription_id) is None:
            return None, site.message(request, "Alerte supprimée", "Cette alerte n'existe plus.", status=410)
        return (name, unit, verdict), None

    async def feedback_page(request: Request):
        found, refusal = feedback_from(request)
        if refusal:
            return refusal
        name, unit, verdict = found
        views = JobUnits().views(site.db, [unit], today=clock.paris_today())
        return site.page(request, "feedback.html", {"verdict": VERDICTS[verdict], "job": views.get(unit)})

    async def feedback(request: Request):
        form, refusal = await posted(request)
        if refusal:
            return refusal
        found, refusal = feedback_from(request)
        if refusal:
            return refusal
        name, unit, verdict = found
        web_limits.record_feedback(site.db, name, unit, verdict, clock.now())
        return site.message(
            request, "Merci", f"C'est noté : offre « {VERDICTS[verdict]} ». Votre avis améliore les prochaines alertes."
        )

    return [
        Route("/abonnement", subscribe_form, methods=["GET"]),
        Route("/abonnement", subscribe, methods=["POST"]),
        Route("/confirmer/{token}", confirm_page, methods=["GET"]),
        Route("/confirmer/{token}", confirm, methods=["POST"]),
        Route("/gerer/{token}", manage_page, methods=["GET"]),
        Route("/gerer/{token}", manage, methods=["POST"]),
        Route("/desabonnement/{token}", unsubscribe_page, methods=["GET"]),
        Route("/desabonnement/{token}", unsubscribe, methods=["POST"]),
        Route("/avis/{token}", feedback_page, methods=["GET"]),
        Route("/avis/{token}", feedback, methods=["POST"]),
    ]


def _confirmation_mail(site, to: str, url: str):
    hours = site.web.confirm_hours
    text = (
        "Bonjour,\n\nQuelqu'un, sans doute vous, a demandé à recevoir par e-mail les offres d'emploi public "
        f"suivies par veille.\n\nPour activer cette alerte, suivez ce lien dans les {hours} heures :\n{url}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : rien ne vous sera envoyé et votre adresse sera effacée.\n"
    )
    template = site.templates.get_template("mail_confirm.html")
    html = template.render(url=url, hours=hours)
    return build_message(site.sender, to, "veille · confirmez votre alerte", text, html)
