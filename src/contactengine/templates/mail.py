"""The parts of an email that are headers: the subject and the unsubscribe headers.

A header is one line; a newline in a rendered subject or an unsubscribe URL would let
template text write headers of its own, so the subject is folded onto one line and a URL
with a line break, a space or an angle bracket is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from contactengine.templates.errors import TemplateError

ONE_CLICK = "List-Unsubscribe=One-Click"
_FORBIDDEN_IN_URL = frozenset('\r\n\t <>"')


def subject_line(rendered: str) -> str:
    subject = " ".join(rendered.split())
    if not subject:
        raise TemplateError("the subject is empty; an email needs a subject")
    return subject


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the URL, and the body a mail client POSTs to it."""
    check_unsubscribe_url(url)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}


def check_unsubscribe_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise TemplateError(
            f"the unsubscribe URL `{url}` is not an https URL; one-click unsubscribe "
            "(RFC 8058) needs one"
        )
    if any(char in _FORBIDDEN_IN_URL for char in url):
        raise TemplateError(
            f"the unsubscribe URL {url!r} holds a space, quote, angle bracket or line "
            "break; encode it"
        )
