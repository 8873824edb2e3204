"""A ledger, channel files and planned messages for the dispatch tests, pointed at stubs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from contactengine.model import Debt, Debtor, PlannedMessage
from contactengine.store.base import Store
from tests.stubs import sendgrid_stub, twilio_stub

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 6, 9, 15, tzinfo=dt.UTC).timestamp()  # 11:00 in New York
VARIABLES: dict[str, Any] = {
    "creditor": "Northwind Bank",
    "amount_due": "$180.00",
    "due_date": "June 15, 2026",
    "pay_url": "https://pay.example.com/a1",
    "callback_number": "+1 800 555 0199",
    "agent_name": "Chris Lee",
}


def channel_files(folder: Path, sms_tries: int = 3) -> Path:
    """Channel files that send through the stubs named by the environment, quickly."""
    folder.mkdir(parents=True, exist_ok=True)
    common = (
        'base_url_env = "{base}"\noutbox_fallback = false\ntimeout_seconds = {timeout}\n'
        "[rate_limit]\nper_second = 1000.0\nburst = 1000\n"
        "[retry]\nmax_tries = {tries}\nbase_seconds = 2.0\nmax_seconds = 60.0\n"
    )
    twilio = common.replace("{base}", "TWILIO_API_BASE_URL")
    (folder / "sms.toml").write_text(
        'channel = "sms"\nprovider = "twilio"\nfrom_number = "+15005550006"\nsegment_budget = 5\n'
        'status_callback = "https://hooks.example.com/twilio/status"\n'
        + twilio.format(timeout=2.0, tries=sms_tries)
    )
    (folder / "call.toml").write_text(
        'channel = "call"\nprovider = "twilio"\nfrom_number = "+15005550006"\n'
        + twilio.format(timeout=2.0, tries=3)
    )
    (folder / "email.toml").write_text(
        'channel = "email"\nprovider = "sendgrid"\nfrom_email = "collections@example.com"\n'
        'from_name = "Example Recovery"\nunsubscribe_url = "https://hooks.example.com/unsubscribe"\n'
        + common.replace("{base}", "SENDGRID_API_BASE_URL").format(timeout=2.0, tries=3)
    )
    return folder


def environment(twilio_url: str, sendgrid_url: str) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": twilio_stub.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": twilio_stub.AUTH_TOKEN,
        "TWILIO_API_BASE_URL": twilio_url,
        "SENDGRID_API_KEY": sendgrid_stub.API_KEY,
        "SENDGRID_API_BASE_URL": sendgrid_url,
    }


def phone(number: int) -> str:
    return f"+1617555{number:04d}"


def seed(store: Store, debtors: int) -> None:
    """Debtors in Boston who agreed to texts and calls, with a checked number and an email."""
    for number in range(debtors):
        debtor = Debtor.model_validate(
            {
                "id": f"C-{number}",
                "first_name": f"Pat{number}",
                "address": {"city": "Boston", "state": "MA", "zip": "02108", "country": "US"},
                "phones": [
                    {
                        "number": phone(number),
                        "kind": "mobile",
                        "reassignment_checked_at": "2026-06-01T15:00:00Z",
                    }
                ],
                "emails": [{"address": f"pat{number}@example.com"}],
                "consents": [
                    {
                        "channel": channel,
                        "to": phone(number),
                        "given_at": "2026-05-01T15:00:00Z",
                        "given_to": "debt_collector",
                    }
                    for channel in ("sms", "call")
                ],
            }
        )
        store.put_debtor(debtor)
        store.put_debt(
            debtor.id, Debt(id=f"D-{number}", type="credit_card", actor="debt_collector")
        )


def message(
    number: int, channel: str, template: str = "payment_reminder", **changes: Any
) -> PlannedMessage:
    values: dict[str, Any] = {
        "id": f"M-{channel}-{number}",
        "debtor_id": f"C-{number}",
        "debt_id": f"D-{number}",
        "channel": channel,
        "template": template,
        "not_before": NOW - 3600,
        "variables": VARIABLES,
    }
    values.update(changes)
    return PlannedMessage(**values)
