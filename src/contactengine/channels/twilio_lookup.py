"""Whether Twilio already has a text or call, for dispatch to settle a try that crashed.

Twilio keeps no caller reference on a Message or Call, and does not document that its
REST API deduplicates on `I-Twilio-Idempotency-Token`, so the lookup reads the resources
to the recipient from our sender and recognises ours among them. The filters sent are
`To`, `From` (left out for a Messaging Service, which has no fixed sender; the service's
SID on the resource is matched instead) and `PageSize`: one page of the newest resources.

No date filter is sent. Twilio's lists filter on `DateSent` (messages) and `StartTime`
(calls), and both stay empty while the resource waits in Twilio's queue ("Empty if the call
has not yet been dialed"); a message caught by a crash is most likely still queued, so a
date filter could hide the very resource we look for. The lookback is applied to each
resource's `date_created` instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contactengine.channels.config import ChannelConfig
from contactengine.channels.message import OutboundMessage, SendResult, accepted, permanent

LOOKBACK_SECONDS = 2 * 24 * 3600.0
"""How old a resource may be and still count as an earlier try of the message at hand.

Dispatch asks within minutes of a crash, or after an outage of a day or so; older than
that, an identical text is more likely an earlier message than this one's lost try.
"""

LOOKUP_LIMIT = 1000
"""Resources read per lookup: one page at Twilio's largest page size.

When the recipient has more than this from our sender, the older ones go unread, and a
lookup that found nothing says so (a refusal) rather than None: it proves nothing.
"""


def find_earlier_try(
    client: Any, config: ChannelConfig, message: OutboundMessage, now: float
) -> SendResult | None:
    """Accepted with the SID when Twilio has this message, None when it has no sign of it.

    SDK and network errors propagate, for the adapter to classify as it does for sends.
    """
    since = now - LOOKBACK_SECONDS
    filters: dict[str, object] = {"to": message.to, "page_size": LOOKUP_LIMIT}
    if config.from_number is not None:
        filters["from_"] = config.from_number
    if config.channel == "call":
        page, noun, what = client.calls.page(**filters), "calls", "a call to the recipient"
        found = next((call for call in page if _is_our_call(call, config, message, since)), None)
    else:
        page, noun, what = client.messages.page(**filters), "texts", "the text"
        found = next((text for text in page if _is_our_text(text, config, message, since)), None)
    if found is not None:
        return accepted(str(found.sid), f"Twilio has {what} ({found.status})")
    if page.next_page_url is not None:
        return permanent(
            "list-too-long",
            f"Twilio lists more than {LOOKUP_LIMIT} {noun} to the recipient from this sender; "
            "the older ones were not searched",
        )
    return None


def _is_our_text(
    resource: Any, config: ChannelConfig, message: OutboundMessage, since: float
) -> bool:
    """Ours: this exact body, to this number, from our number or our Messaging Service.

    A template edited between the two tries, or a service that rewrites bodies (Smart
    Encoding), defeats the exact match, and the text would be sent again.
    """
    service = config.messaging_service_sid
    return (
        resource.body == message.text
        and (service is None or resource.messaging_service_sid in (None, service))
        and _is_our_call(resource, config, message, since)
    )


def _is_our_call(
    resource: Any, config: ChannelConfig, message: OutboundMessage, since: float
) -> bool:
    """Ours: to this number, from our number, created within the lookback.

    That is the whole match for a call: a Call resource does not carry the TwiML it was
    placed with, so any call to the recipient from our number within the lookback is taken
    for ours. We would rather miss a call than place it twice. A resource whose creation
    date cannot be read counts as recent, for the same reason.
    """
    created = resource.date_created
    return (
        resource.to == message.to
        and (config.from_number is None or _sender(resource) == config.from_number)
        and (not isinstance(created, datetime) or created.timestamp() >= since)
    )


def _sender(resource: Any) -> object:
    """The resource's `from`: the SDK names it `from_` on a message and `_from` on a call."""
    return getattr(resource, "from_", getattr(resource, "_from", None))
