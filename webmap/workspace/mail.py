"""Relaying a resident's message to a local creator by e-mail (issue 16), when an SMTP
server is configured (setting ``smtp_url``): the creator gets the text with the sender's
address as Reply-To, so neither side ever sees the other's contact on the site.

Standard library only (smtplib, email): one message at a time, at the rate residents write.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from geo.settings import Settings

TIMEOUT_S = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class RelayError(Exception):
    """The message could not be handed to the mail server (it stays for a planner)."""


def relay_message(settings: Settings, to: str, reply_to: str, creator_name: str,
                  text: str) -> None:
    """Send ``text`` to ``to`` through ``settings.smtp_url``; raises RelayError."""
    url = urlsplit(settings.smtp_url)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Reply-To"] = reply_to
    message["Subject"] = f"Mensaje para {creator_name} desde el directorio de culturamap"
    message.set_content(
        f"{text}\n\n--\nEste mensaje llegó por el formulario del directorio de creadores de "
        "culturamap. Responda a este correo para contestar a quien lo escribió; el sitio no "
        "publica su dirección ni la suya.\n")
    client = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    try:
        with client(url.hostname or "", url.port or DEFAULT_PORTS[url.scheme],
                    timeout=TIMEOUT_S) as smtp:
            if url.scheme == "smtp":
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls()
                    smtp.ehlo()
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise RelayError(f"{url.hostname}: {exc}") from exc
