"""Masks personal data shown in evidence and logs: `+1617•••0100`, `p•••@example.com`."""

from __future__ import annotations

import re


def mask_phone(number: str) -> str:
    if len(number) <= 8:
        return number[:2] + "•••"
    return number[:5] + "•••" + number[-4:]


def mask_email(address: str) -> str:
    local, at, domain = address.partition("@")
    if not at:
        return "•••"
    return local[:1] + "•••@" + domain


def mask_contact(value: str | None) -> str:
    if value is None:
        return "-"
    return mask_email(value) if "@" in value else mask_phone(value)


_PHONE = re.compile(r"\+\d{7,15}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_text(text: str) -> str:
    """Free text (an error, a reason) with every phone number and email in it masked."""
    text = _PHONE.sub(lambda m: mask_phone(m.group()), text)
    return _EMAIL.sub(lambda m: mask_email(m.group()), text)
