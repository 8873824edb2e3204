"""A consumer's reply is read as a revocation whenever it plausibly asks to stop.

The table holds the FCC's per se words in their everyday shapes, plain-language and
Spanish requests, help requests, and the look-alikes that must stay ordinary messages.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactengine.webhooks.inbound_sms import (
    MAX_BODY_CHARS,
    Intent,
    Reading,
    read_inbound_sms,
)

REVOKE, HELP, MESSAGE = Intent.REVOKE, Intent.HELP, Intent.MESSAGE


def case(body: str, intent: Intent, name: str) -> object:
    return pytest.param(body, intent, id=name)


PER_SE_WORDS = [
    case("stop", REVOKE, "stop"),
    case("STOP.", REVOKE, "stop-period"),
    case("Stop!!!", REVOKE, "stop-exclaimed"),
    case("please stop", REVOKE, "please-stop"),
    case("STOP texting me", REVOKE, "stop-texting-me"),
    case("Stoppp", REVOKE, "stop-stretched"),
    case("STOPALL", REVOKE, "stopall"),
    case("opt-out", REVOKE, "opt-hyphen-out"),
    case("OPT OUT", REVOKE, "opt-space-out"),
    case("optout", REVOKE, "optout"),
    case("Opt me out", REVOKE, "opt-me-out"),
    case("unsubscribe me", REVOKE, "unsubscribe-me"),
    case("unsub", REVOKE, "unsub"),
    case("cancel", REVOKE, "cancel"),
    case("end", REVOKE, "end"),
    case("quit", REVOKE, "quit"),
    case("revoke", REVOKE, "revoke"),
    case("I want to cancel", REVOKE, "want-to-cancel"),
    case("ok cancel that", REVOKE, "cancel-that"),
    case("cancel my account", REVOKE, "cancel-account"),
    case("I want this to end", REVOKE, "want-this-to-end"),
    case("I'll pay friday. stop", REVOKE, "stop-after-other-words"),
    case("STOP payment reminders", REVOKE, "stop-payment-reminders"),
    case("cancel the late fee texts", REVOKE, "cancel-fee-texts"),
    case("please don't stop", REVOKE, "negation-is-not-read"),
    case("Please stop charging me fees", REVOKE, "stop-charging-me"),
    case("ＳＴＯＰ", REVOKE, "full-width"),
    case("S\u0301TOP", REVOKE, "combining-accent"),
    case("\U0001f6d1", REVOKE, "stop-sign-emoji"),
]

PLAIN_LANGUAGE = [
    case("pls quit texting me", REVOKE, "pls-quit-texting"),
    case("don't text me anymore", REVOKE, "dont-text-me"),
    case("pls dont txt me anymore", REVOKE, "dont-txt-abbreviated"),
    case("Do not contact me", REVOKE, "do-not-contact"),
    case("no more msgs plz", REVOKE, "no-more-msgs"),
    case("I don't want any more texts from u", REVOKE, "dont-want-texts"),
    case("I no longer want to receive calls", REVOKE, "no-longer-want-calls"),
    case("never text me again", REVOKE, "never-text-me"),
    case("leave me alone", REVOKE, "leave-me-alone"),
    case("remove me from your list", REVOKE, "remove-me"),
    case("take me off your list", REVOKE, "take-me-off"),
    case("take my number off", REVOKE, "take-my-number-off"),
    case("lose my number", REVOKE, "lose-my-number"),
    case("wrong number", REVOKE, "wrong-number"),
    case("Wrong #", REVOKE, "wrong-hash"),
    case("this isn't John, wrong person", REVOKE, "wrong-person"),
    case("nobody here by that name", REVOKE, "nobody-by-that-name"),
    case("not interested", REVOKE, "not-interested"),
    case("f off", REVOKE, "f-off"),
    case("I'm blocking you", REVOKE, "blocking-you"),
    case("cease and desist", REVOKE, "cease-and-desist"),
    case("put me on your do not call list", REVOKE, "do-not-call-list"),
]

SPANISH = [
    case("ALTO", REVOKE, "es-alto"),
    case("ÁLTO", REVOKE, "es-alto-accented"),
    case("PARAR", REVOKE, "es-parar"),
    case("CANCELAR", REVOKE, "es-cancelar"),
    case("BAJA", REVOKE, "es-baja"),
    case("quiero darme de baja", REVOKE, "es-darme-de-baja"),
    case("no me envíe mensajes", REVOKE, "es-no-me-envie"),
    case("No me envies mas mensajes", REVOKE, "es-no-me-envies"),
    case("deje de escribirme", REVOKE, "es-deje-de-escribirme"),
    case("Dejen de llamarme!!", REVOKE, "es-dejen-de-llamarme"),
    case("no me vuelvan a llamar", REVOKE, "es-no-me-vuelvan"),
    case("déjame en paz", REVOKE, "es-dejame-en-paz"),
    case("no más", REVOKE, "es-no-mas"),
    case("No mas mensajes por favor", REVOKE, "es-no-mas-mensajes"),
    case("número equivocado", REVOKE, "es-numero-equivocado"),
    case("no me interesa", REVOKE, "es-no-me-interesa"),
    case("ya basta", REVOKE, "es-ya-basta"),
    case("quiten mi número de su lista", REVOKE, "es-quiten-mi-numero"),
    case("el pago es muy alto", MESSAGE, "es-alto-as-high"),
    case("la cuota es baja", MESSAGE, "es-baja-as-low"),
    case("baja el pago por favor", MESSAGE, "es-baja-el-pago"),
    case("quiero cancelar la deuda", MESSAGE, "es-cancelar-la-deuda"),
    case("no envié el pago todavía", MESSAGE, "es-no-envie-el-pago"),
    case("para el viernes", MESSAGE, "es-para-as-for"),
]

HELP_REQUESTS = [
    case("help", HELP, "help"),
    case("HELP!", HELP, "help-exclaimed"),
    case("Help?", HELP, "help-question"),
    case("INFO", HELP, "info"),
    case("info please", HELP, "info-please"),
    case("can you help me", HELP, "can-you-help-me"),
    case("I need help", HELP, "need-help"),
    case("heeelp", HELP, "help-stretched"),
    case("AYUDA", HELP, "ayuda"),
    case("necesito ayuda por favor", HELP, "necesito-ayuda"),
    case("HELP stop", REVOKE, "help-and-stop"),
    case("help! stop texting me", REVOKE, "help-and-stop-texting"),
    case("AYUDA. ALTO", REVOKE, "ayuda-and-alto"),
]

ORDINARY = [
    case("", MESSAGE, "empty"),
    case("   \n\t", MESSAGE, "whitespace"),
    case("stopwatch", MESSAGE, "stopwatch"),
    case("backend", MESSAGE, "backend"),
    case("ending", MESSAGE, "ending"),
    case("cancellation fee?", MESSAGE, "cancellation-fee"),
    case("Stopped by the office yesterday", MESSAGE, "stopped"),
    case("can you cancel my late fee", MESSAGE, "cancel-late-fee"),
    case("please stop the payments, I lost my job", MESSAGE, "stop-the-payments"),
    case("I'll pay at the end of the month", MESSAGE, "end-of-the-month"),
    case("paying at month end", MESSAGE, "month-end"),
    case("I will stop by the office friday", MESSAGE, "stop-by"),
    case("revoke my payment authorization", MESSAGE, "revoke-payment-authorization"),
    case("take me to court then", MESSAGE, "take-me-to-court"),
    case("I quit my job so I need more time", MESSAGE, "quit-my-job"),
    case("I can't help it", MESSAGE, "cant-help-it"),
    case("help me understand my balance", MESSAGE, "help-with-other-words"),
    case("don't worry I will call you tomorrow", MESSAGE, "dont-worry-call"),
    case("you never call me back", MESSAGE, "never-call-back"),
    case("I sent the payment", MESSAGE, "sent-payment"),
    case("who is this?", MESSAGE, "who-is-this"),
    case("START", MESSAGE, "start"),
    case("Yes", MESSAGE, "yes"),
]


@pytest.mark.parametrize(
    ("body", "intent"), PER_SE_WORDS + PLAIN_LANGUAGE + SPANISH + HELP_REQUESTS + ORDINARY
)
def test_reading(body: str, intent: Intent) -> None:
    assert read_inbound_sms(body).intent is intent


@pytest.mark.parametrize(
    ("body", "matched"),
    [
        ("STOP texting me", "stop"),
        ("OPT-OUT", "opt out"),
        ("leave me alone", "leave me alone"),
        ("pls dont txt me", "dont text me"),
        ("AYUDA", "ayuda"),
        ("hello", None),
    ],
)
def test_reading_records_what_decided_it(body: str, matched: str | None) -> None:
    assert read_inbound_sms(body).matched == matched


@given(st.text(max_size=MAX_BODY_CHARS + 200))
def test_any_text_is_read(body: str) -> None:
    reading = read_inbound_sms(body)
    assert isinstance(reading, Reading)
    assert reading.intent in Intent
    assert (reading.matched is None) == (reading.intent is Intent.MESSAGE)


@given(st.text(max_size=MAX_BODY_CHARS + 200))
def test_stop_as_the_last_word_always_revokes(body: str) -> None:
    assert read_inbound_sms(body + " STOP").intent is Intent.REVOKE


@pytest.mark.parametrize(
    "body",
    [
        "STOP " + "I will pay soon. " * 200,
        "I will pay soon. " * 200 + "STOP",
    ],
    ids=["stop-first", "stop-last"],
)
def test_an_overlong_body_is_read_at_both_ends(body: str) -> None:
    assert len(body) > MAX_BODY_CHARS
    assert read_inbound_sms(body).intent is Intent.REVOKE


@pytest.mark.parametrize(
    "body",
    [
        "dont " * 400,
        "dont want you me " * 100,
        "no " * 800,
        "a" * 100_000,
        "stop by " * 200,
        "borrrrr" * 300,
        "\ufdfa" * MAX_BODY_CHARS,
    ],
    ids=["negators", "gap-words", "no", "one-long-word", "stop-by", "repeats", "nfkc-expands"],
)
def test_adversarial_bodies_are_read_quickly(body: str) -> None:
    started = time.perf_counter()
    read_inbound_sms(body)
    assert time.perf_counter() - started < 0.5
