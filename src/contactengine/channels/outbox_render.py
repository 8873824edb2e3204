"""The outbox's files: what a provider would have been sent, laid out for a person to read.

Email is a real RFC 5322 message (open it in a mail client, or read it as text); texts
and calls are a short header block, a blank line and the body, with the TwiML for calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from contactengine.channels.config import ChannelConfig
from contactengine.channels.content import call_twiml, email_headers, tracking_args
from contactengine.channels.message import OutboundMessage
from contactengine.channels.segments import count_segments

# UTF-8 headers and 8-bit bodies keep the file readable as plain text; long header values
# (an unsubscribe link) stay on one line rather than being folded into encoded words.
_READABLE = policy.default.clone(utf8=True, max_line_length=None)


def render(config: ChannelConfig, message: OutboundMessage, now: float) -> str:
    if config.channel == "email":
        return render_email(config, message, now)
    return render_phone(config, message, now)


def render_email(config: ChannelConfig, message: OutboundMessage, now: float) -> str:
    mail = EmailMessage(policy=_READABLE)
    mail["From"] = Address(config.from_name or "", addr_spec=config.from_email or "")
    mail["To"] = message.to
    mail["Subject"] = message.subject or ""
    mail["Date"] = formatdate(now, usegmt=True)
    mail["X-Outbox-Message-Id"] = message.message_id
    mail["X-Outbox-Idempotency-Key"] = message.idempotency_key
    mail["X-Outbox-Custom-Args"] = _pairs(tracking_args(message))
    for name, value in email_headers(config, message).items():
        mail[name] = value
    if message.text:
        mail.set_content(message.text, cte="8bit")
        if message.html:
            mail.add_alternative(message.html, subtype="html", cte="8bit")
    else:
        mail.set_content(message.html or "", subtype="html", cte="8bit")
    return mail.as_bytes().decode("utf-8")


def render_phone(config: ChannelConfig, message: OutboundMessage, now: float) -> str:
    fields = {
        "Channel": config.channel,
        "Message-Id": message.message_id,
        "Idempotency-Key": message.idempotency_key,
        "Date": formatdate(now, usegmt=True),
        "From": config.from_number or f"messaging service {config.messaging_service_sid}",
        "To": message.to,
        "Status-Callback": config.status_callback or "",
        "Metadata": _pairs(message.metadata),
    }
    if config.channel == "sms":
        fields["Segments"] = str(count_segments(message.text))
        body = message.text
    else:
        script = f"{message.text.strip()}\n\n" if message.text.strip() else ""
        body = f"{script}--- TwiML ---\n{call_twiml(message)}"
    head = "".join(f"{name}: {value}\n" for name, value in fields.items() if value)
    return f"{head}\n{body.rstrip()}\n"


def _pairs(values: Mapping[str, str]) -> str:
    return "; ".join(f"{key}={value}" for key, value in values.items())
