"""Which of the debtor's contact points a message goes to when the plan names none."""

from __future__ import annotations

from contactengine.model.debtor import Debtor

# Texts only reach phones that take them; calls prefer personal numbers over work ones.
_SMS_KINDS = ("mobile", "voip")
_CALL_KINDS = ("mobile", "landline", "voip", "work")


def default_contact(debtor: Debtor, channel: str) -> str | None:
    """The first suitable contact point on file, or None: the engine decides the rest."""
    if channel == "sms":
        return _first_phone(debtor, _SMS_KINDS)
    if channel == "call":
        return _first_phone(debtor, _CALL_KINDS)
    if channel == "email":
        personal = [e.address for e in debtor.emails if not e.employer_provided]
        return personal[0] if personal else None  # 12 CFR 1006.22(f)(3): not a work address
    return None


def _first_phone(debtor: Debtor, kinds: tuple[str, ...]) -> str | None:
    for kind in kinds:
        for phone in debtor.phones:
            if phone.kind == kind:
                return phone.number
    return None
