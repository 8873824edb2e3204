"""Writes a large, realistic rule file for the compile-time benchmark.

`python -m bench.gen_rules [COUNT] [PATH]` writes COUNT (default 1,000) rules. The rules
are seeded and varied: calling hours and day-of-week windows, holidays, call and text
frequency caps with `where` filters over outcomes and directions, rolling and calendar
windows, consent and opt-out checks, flags, effective dates, debt types, actors,
`applies when` / `unless`, warnings and required content, over many jurisdictions and
channel sets. Every generated file passes the checker with no errors.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

SEED = 1000
DEFAULT_COUNT = 1000

JURISDICTIONS = (
    "US",
    "US-MA",
    "US-NY",
    "US-NY-NYC",
    "US-CA",
    "US-TX",
    "US-FL",
    "US-IL",
    "US-PA",
    "US-WA",
    "US-CO",
    "US-AZ",
    "US-GA",
    "US-MI",
    "US-NV",
    "US-CT",
    "US-DC",
    "US-WV",
)
HOLIDAY_CALENDARS = ("US", "US-MA", "US-NY", "US-CA", "US-TX")
CHANNEL_SETS = (
    ("call",),
    ("sms",),
    ("email",),
    ("call", "sms"),
    ("sms", "email"),
    ("call", "sms", "email"),
    ("call", "sms", "email", "letter"),
)
DEBT_TYPES = ("credit_card", "medical", "student_loan", "auto_loan", "utility", "telecom")
PURPOSES = ("validation_notice", "response_to_consumer", "opt_out_confirmation")
COUNTED = {"call": "calls", "sms": "texts", "email": "emails", "letter": "letters"}

Body = Callable[[random.Random, tuple[str, ...]], list[str]]


def _hhmm(hour: int, minute: int = 0) -> str:
    return f"{hour:02d}:{minute:02d}"


def _hours(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    start, end = rng.choice((7, 8, 9)), rng.choice((19, 20, 21))
    lines = [f"allow only when local time between {_hhmm(start)} and {_hhmm(end)}"]
    if rng.random() < 0.4:
        lines.append(
            f"deny when local day is sun and local time < {_hhmm(rng.choice((10, 12, 13)))}"
        )
    lines.append('message "it is {local_time} in {zone}: outside the hours allowed here"')
    return lines


def _weekend(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    days = rng.choice(("[sat, sun]", "[sun]", "[sat]"))
    lines = [f"deny when local day in {days} and purpose is collection"]
    if rng.random() < 0.5:
        lines.insert(0, "unless answering_consumer")
    return [*lines, 'message "no collection contact on this day ({local_date})"']


def _holiday(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    calendar = rng.choice(HOLIDAY_CALENDARS)
    return [
        f"deny when holiday({calendar}) or local date between 2026-12-24 and 2026-12-27",
        'message "no contact on a public holiday ({local_date})"',
    ]


def _frequency(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    channel = rng.choice([c for c in channels if c != "letter"] or ["call"])
    key = rng.choice(("debt", "debtor", "contact"))
    if rng.random() < 0.5:
        window = f"{rng.choice((1, 2, 7, 14, 30))} calendar days"
    else:
        window = rng.choice(("24 hours", "48 hours", "3 days", "1 week", "2 weeks"))
    excluded = rng.choice(
        (
            "outcome is not not_connected",
            "outcome not in [not_connected, wrong_party]",
            "outcome in [conversation, voicemail, limited_content_message]",
            "message_left",
        )
    )
    where = (
        f"direction is outbound and {excluded}" if channel == "call" else "direction is outbound"
    )
    if rng.random() < 0.3:
        where += " and not consent(call within 7 calendar days where given_to is debt_collector)"
    limit = rng.randint(2, 10)
    return [
        f"deny when count({COUNTED[channel]} per {key} within {window} where {where}) >= {limit}",
        'message "{count} contacts already in the window ending {local_date}"',
    ]


def _cooldown(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    days = rng.choice((1, 2, 3, 7))
    return [
        f"unless consent(call within {days} calendar days where given_to is debt_collector)",
        f"deny when any(calls per debt within {days} calendar days where outcome is conversation)",
        'message "a conversation about debt {debt} in the window ending {local_date}"',
    ]


def _consent(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    given_to = rng.choice(("debt_collector", "creditor"))
    channel = rng.choice(("sms", "call"))
    lines = [
        f"deny when to.kind in [mobile, voip] and (automated or channel is sms)"
        f" and not consent({channel} where given_to is {given_to} or kind is esign)",
        'message "no consent on file for {channel} to {to}"',
    ]
    if rng.random() < 0.4:
        lines.insert(0, "applies when automated")
    return lines


def _opt_out(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    purpose = rng.choice(PURPOSES)
    media = rng.choice(("", "sms", "emails", "calls, texts"))
    window = rng.choice(("", " within 365 days", " within 2 calendar weeks"))
    inside = f"{media}{window}".strip()
    return [
        f"unless purpose is {purpose}",
        f"deny when opt_out({inside})",
        'message "the consumer opted out of {channel} to {to}"',
    ]


def _flags(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    flag = rng.choice(
        (
            "bankruptcy or deceased",
            "cease_communication and purpose is not cease_exception_notice",
            "attorney_represented",
            "employer_prohibits_contact and (to.kind is work or to.employer_provided)",
        )
    )
    return [f"deny when {flag}", 'message "this debtor may not be contacted about {debt}"']


def _freshness(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    days = rng.choice((30, 60, 90))
    return [
        f"deny when channel is sms and not any(texts per contact within {days} days"
        f" where direction is inbound) and not reassignment_check(within {days} days)",
        'message "the number {to} was not verified recently"',
    ]


def _volume_warning(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    limit = rng.randint(3, 12)
    unit = rng.choice(("1 calendar days", "1 calendar weeks", "72 hours"))
    return [
        f"warn when count(contacts per debtor within {unit} where direction is outbound) >= {limit}",
        'message "{count} contacts in a short time: review for harassment"',
    ]


def _content(rng: random.Random, channels: tuple[str, ...]) -> list[str]:
    words = rng.sample(
        ("debt_collector_disclosure", "opt_out_notice", "state_license_number", "mini_miranda"), 2
    )
    lines = [f"require content {', '.join(words)}"]
    if rng.random() < 0.5:
        lines.insert(0, f"applies when purpose in [collection, {rng.choice(PURPOSES)}]")
    return lines


BODIES: tuple[tuple[Body, int], ...] = (
    (_hours, 14),
    (_weekend, 8),
    (_holiday, 6),
    (_frequency, 20),
    (_cooldown, 8),
    (_consent, 10),
    (_opt_out, 10),
    (_flags, 8),
    (_freshness, 5),
    (_volume_warning, 6),
    (_content, 5),
)


def rule_text(rng: random.Random, index: int) -> str:
    body = rng.choices([b for b, _ in BODIES], weights=[w for _, w in BODIES])[0]
    jurisdiction = rng.choice(JURISDICTIONS)
    channels = rng.choice(CHANNEL_SETS)
    if body in (_cooldown,):
        channels = ("call",)
    if body is _freshness:
        channels = ("sms",)
    name = body.__name__.strip("_").replace("_", "-")
    lines = [
        f"rule gen-{jurisdiction.lower()}-{name}-{index:04d}",
        f'  title "Generated {name} rule {index} for {jurisdiction}"',
        f'  citation "{jurisdiction} Gen. Laws ch. {rng.randint(90, 280)}, § {rng.randint(1, 99)}"',
    ]
    roll = rng.random()
    if roll < 0.3:
        lines.append(f"  effective from 20{rng.randint(18, 26)}-0{rng.randint(1, 9)}-01")
    elif roll < 0.4:
        lines.append("  effective from 2024-01-01 until 2027-01-01")
    elif roll < 0.45:
        lines.append("  effective until 2030-06-30")
    lines.append(f"  jurisdiction {jurisdiction}")
    lines.append(
        "  actor " + rng.choice(("debt_collector", "debt_collector, creditor", "creditor"))
    )
    lines.append(f"  channels {', '.join(channels)}")
    if rng.random() < 0.15:
        lines.append(f"  debt types {', '.join(rng.sample(DEBT_TYPES, rng.randint(1, 3)))}")
    lines += [f"  {line}" for line in body(rng, channels)]
    lines.append("end")
    return "\n".join(lines) + "\n"


def generate_rules(count: int = DEFAULT_COUNT, seed: int = SEED) -> str:
    """`count` rules as the text of one `.rules` file; the same seed, the same text."""
    rng = random.Random(seed)
    header = f"# {count} generated rules for the compile benchmark (bench/gen_rules.py, seed {seed}).\n\n"
    return header + "\n".join(rule_text(rng, i) for i in range(count))


def write_rules(path: Path, count: int = DEFAULT_COUNT, seed: int = SEED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate_rules(count, seed), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else DEFAULT_COUNT
    path = Path(args[1]) if len(args) > 1 else Path(f"bench/results/generated_{count}.rules")
    write_rules(path, count)
    print(f"wrote {count} rules to {path}")


if __name__ == "__main__":
    main()
