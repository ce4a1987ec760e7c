"""E-mail to web subscribers, built by veille itself and sent over SMTP.

apprise writes an e-mail's text part from its HTML and drops every link's URL on the way;
a message for one subscriber also needs headers of its own (RFC 8058's one-click
unsubscribe). So each message is an :class:`email.message.EmailMessage` with a text part
and an HTML part written from the same data, and the headers mailbox providers ask of
subscription mail: a sender display name, ``List-Unsubscribe`` (the HTTPS link and a
mailto), ``List-Unsubscribe-Post``, ``List-Id``, ``Auto-Submitted``.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote, unquote, urlsplit

from alerts.channels import SendResult
from alerts.masking import mask_url
from storage import clock


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # TLS from the start (smtps://); otherwise STARTTLS when the server offers it
    user: str | None = None
    password: str | None = None

    @property
    def masked(self) -> str:
        """The server as logs and errors show it, masked as every URL is (alerts.masking.mask_url)."""
        who = f"{quote(self.user, safe='')}:{quote(self.password or '', safe='')}@" if self.user else ""
        return mask_url(f"{'smtps' if self.tls else 'smtp'}://{who}{self.host}:{self.port}")


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://[user:password@]host[:port]`` or ``smtps://…``; ValueError without the password otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("expected smtp://[user:password@]host[:port] or smtps://…")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ValueError("the port is not a number") from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "smtps",
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True)
class Sender:
    address: str
    display_name: str
    smtp: SmtpServer | None

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "localhost"


def _address(display_name: str, address: str) -> Address:
    user, _, domain = address.rpartition("@")
    return Address(display_name=display_name, username=user, domain=domain)


def build_message(
    sender: Sender,
    to: str,
    subject: str,
    text: str,
    html: str,
    *,
    unsubscribe_url: str | None = None,
    list_id: str | None = None,
    mailto_subject: str | None = None,
) -> EmailMessage:
    """One e-mail for one recipient: text first, then HTML (multipart/alternative)."""
    message = EmailMessage()
    message["From"] = _address(sender.display_name, sender.address)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # Vacation and out-of-office replies must not answer an automatic message (RFC 3834; Exchange).
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    if list_id:
        message["List-Id"] = f"{sender.display_name} <{list_id}.{sender.domain}>"
    if unsubscribe_url:
        mailto = f"mailto:{sender.address}?subject={quote(mailto_subject or 'desabonnement')}"
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def send_message(sender: Sender, message: EmailMessage, *, timeout: float = 30) -> SendResult:
    """Hand the message to the SMTP server; ok only once the server accepted it."""
    server = sender.smtp
    if server is None:
        return SendResult(False, "[web] smtp_url is not set: web subscribers' e-mails cannot be sent")
    try:
        context = ssl.create_default_context()
        if server.tls:
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            if not server.tls:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
            if server.user:
                client.login(server.user, server.password or "")
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The error text never holds the password (it is not part of any SMTP exchange shown).
        return SendResult(False, f"{server.masked}: {type(error).__name__}: {error}"[:500])
    if refused:
        return SendResult(False, f"{server.masked}: recipient refused")
    return SendResult(True)
