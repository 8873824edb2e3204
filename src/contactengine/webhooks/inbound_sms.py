"""What a consumer's reply text asks for: to revoke consent, for help, or neither.

47 CFR 64.1200(a)(10) (in force 2025-04-11) lets a consumer revoke consent by any
reasonable means, and makes "stop", "quit", "end", "revoke", "opt out", "cancel" or
"unsubscribe" sent in reply a revocation per se. A missed revocation costs up to $1,500
a text, a wrong one costs a channel the consumer can reopen, so the reading fails closed:

- A per se word revokes wherever it stands as a whole word: "please stop", "I want to
  cancel", "STOP texting me", even "don't stop" (a negation is not read). So do the
  carriers' forms "stopall", "optout", "opt-out", "opt me out", "unsub", stretched
  spellings ("stoppp"), and the Spanish "alto", "parar", "cancelar", "baja". Words that
  only contain one ("stopwatch", "backend", "ending", "cancellation") do not.
- It does not revoke where the words right after it give it another subject: money
  ("cancel my late fee", "stop the payments", "cancelar la deuda", but not "stop payment
  reminders"), "end of the month", "stop by", "quit my job"; nor the Spanish adjectives
  in "muy alto" or "la cuota es baja".
- Plain language revokes when a reasonable person would read it as a wish to hear no
  more: "don't text me", "no more calls", "leave me alone", "remove me", "take me off
  your list", "not interested", "I'm blocking you", "cease and desist", "f off", and
  "wrong number" (nobody at a wrong number consented); in Spanish "no me envíe mensajes",
  "deje de escribirme", "déjame en paz", "no más", "número equivocado".
- HELP, INFO or AYUDA asks for help when the rest is filler ("help me please", "I need
  info"); a revocation anywhere in the message wins over it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# Twilio's limit for one concatenated SMS; anything longer did not come from a phone as is.
MAX_BODY_CHARS = 1600


class Intent(StrEnum):
    """Revoke consent at once, answer with help, or pass on as an ordinary message."""

    REVOKE = "revoke"
    HELP = "help"
    MESSAGE = "message"


@dataclass(frozen=True)
class Reading:
    """What a reply asks for, and the word or phrase that decided it, kept for the record."""

    intent: Intent
    matched: str | None = None


_PRECEDENCE = (Intent.REVOKE, Intent.HELP, Intent.MESSAGE)

# Apostrophes go so "don't" is one word; "#" usually means "number" ("wrong #").
_SYMBOLS = str.maketrans(
    {"'": "", "\u2019": "", "\u2018": "", "`": "", "\u00b4": "", "\u02bc": "", "\uff07": ""}
    | {"#": " number ", "\uff03": " number ", "\U0001f6d1": " stop "}
)
_WORD = re.compile(r"[^\W_]+")
_REPEATS = re.compile(r"(.)\1+")
_OPT_OUT = re.compile(r"\bopt (?:me |us |this number )?out\b")

# Texting shorthand, so the phrases below need one spelling of each word.
_SPELLINGS = {
    **dict.fromkeys(("pls", "plz", "plse", "plez"), "please"),
    **dict.fromkeys(("u", "yu"), "you"),
    "ur": "your",
    "dnt": "dont",
    **dict.fromkeys(("txt", "txts", "txting", "txtin", "texts", "texting", "textin"), "text"),
    **dict.fromkeys(("msg", "msgs", "mssg", "mesg", "messages", "messaging"), "message"),
    **dict.fromkeys(("calls", "calling", "callin"), "call"),
    **dict.fromkeys(("contacting", "contacts"), "contact"),
    **dict.fromkeys(("emails", "emailing"), "email"),
    "bothering": "bother",
    **dict.fromkeys(("harassing", "harrassing", "harrass"), "harass"),
    "num": "number",
}


def _squeeze(word: str) -> str:
    """The word with each run of a repeated letter cut to one: "stooopp" reads "stop"."""
    return _REPEATS.sub(r"\1", word)


def _words(text: str) -> list[str]:
    """Lowercase words without accents or compatibility forms, shorthand spelled out."""
    text = unicodedata.normalize("NFKC", text.translate(_SYMBOLS)).casefold()
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    words = (_SPELLINGS.get(word, word) for word in _WORD.findall(bare))
    return _OPT_OUT.sub("optout", " ".join(words)).split()


# Per se words (64.1200(a)(10)), carrier forms and Spanish, keyed as _squeeze spells them.
_KEYWORDS = {
    _squeeze(word): label
    for label, spellings in {
        "stop": ("stop", "stopall"),
        "quit": ("quit",),
        "end": ("end",),
        "revoke": ("revoke",),
        "opt out": ("optout",),
        "cancel": ("cancel",),
        "unsubscribe": ("unsubscribe", "unsub", "unsuscribe", "unsubcribe"),
        "alto": ("alto",),
        "parar": ("parar",),
        "cancelar": ("cancelar",),
        "baja": ("baja",),
    }.items()
    for word in spellings
}

_MONEY_OBJECT = re.compile(
    r"(?:(?:the|my|this|that|these|those|your|all|any|our|a|an"
    r"|el|la|los|las|mi|mis|su|sus|tu|tus|ese|esa|este|esta|un|una) )?"
    r"(?:(?:late|extra|monthly|auto|automatic|recurring|next|pending|processing) ){0,2}"
    r"(?:fee|fees|charge|charges|interest|penalty|penalties|payment|payments|autopay|debit"
    r"|garnishment|balance|debt|debts|deuda|deudas|saldo|pago|pagos|cuota|cuotas|interes"
    r"|intereses|cargo|cargos|multa|multas|recargo|recargos|mensualidad)\b"
    # "stop payment reminders" is about the messages after all.
    r"(?! (?:reminder|reminders|notification|notifications|alert|alerts|notice|notices"
    r"|text|message|call|email|sms|recordatorio|recordatorios|mensaje|mensajes|aviso|avisos"
    r"|llamada|llamadas)\b)"
)
_OTHER_SENSE_AFTER = {
    "stop": re.compile(r"by\b"),
    "end": re.compile(
        r"of (?:(?:the|this|next|each|every|that) )?"
        r"(?:day|days|week|weeks|month|months|year|years|quarter|shift)\b"
    ),
    "quit": re.compile(r"(?:(?:my|the|a|this|that) )?(?:job|jobs|work)\b"),
}
_INTENSIFIERS = frozenset(("muy", "demasiado", "mas", "tan", "bastante", "super", "bien"))
_COPULAS = frozenset(("es", "esta", "son", "estan", "sea"))
_OTHER_SENSE_BEFORE = {
    "end": frozenset(("month", "months", "week", "weeks", "year", "years", "quarter")),
    "alto": _INTENSIFIERS
    | _COPULAS
    | frozenset(("pago", "precio", "interes", "monto", "saldo", "cargo", "cobro")),
    "baja": _INTENSIFIERS | _COPULAS | frozenset(("cuota", "tasa", "mensualidad", "renta")),
}


def _other_sense(keyword: str, words: list[str], at: int) -> bool:
    """Whether the neighbours show the keyword at `at` is about something else, not messages.

    Only the following words decide it for "stop", so "... STOP" always revokes.
    """
    after = " ".join(words[at + 1 : at + 6])
    if _MONEY_OBJECT.match(after):
        return True
    follows = _OTHER_SENSE_AFTER.get(keyword)
    if follows is not None and follows.match(after):
        return True
    before = words[at - 1] if at else ""
    return before in _OTHER_SENSE_BEFORE.get(keyword, frozenset())


_CONTACT = r"(?:text|message|call|contact|email|sms|bother|harass|reach|talk|speak|hear)"
_BETWEEN = (
    r"(?:(?:want|wanna|need|send|sending|receive|ever|you|me|any|more|anymore|these|those"
    r"|your|the|this|such|please|again|even|to|fucking|freaking) ){0,4}"
)
_YOUR_NUMBER = r"(?:my|this) (?:(?:phone|cell|mobile) )?(?:number|info|information|contact)"
_ES_ASK = (
    r"(?:envie|envies|envien|mande|mandes|manden|escriba|escribas|escriban|llame|llames"
    r"|llamen|contacte|contactes|contacten|moleste|molestes|molesten|textee|textees|texteen)"
)
_ES_VERB = r"(?:enviar|mandar|escribir|llamar|contactar|molestar|textear)(?:me|nos)?"

# Plain-language revocations, matched over the words joined by single spaces.
_PHRASES = (
    rf"(?:dont|do not|no more|no longer) {_BETWEEN}{_CONTACT}(?: me| us)?",
    rf"never {_BETWEEN}{_CONTACT} me(?! back)",
    r"leave (?:me|us) (?:alone|be)",
    rf"(?:remove|delete|erase|lose) (?:me|us|{_YOUR_NUMBER})",
    rf"take (?:me|us|{_YOUR_NUMBER}) off",
    r"wrong (?:number|person|phone|guy|girl|lady|man|cell|contact)",
    r"(?:no one|nobody|noone) (?:here )?(?:by that name|named|with that name)",
    r"not interested|no (?:estoy )?interesad[oa]|no me interesan?",
    r"(?:fuck|fck|fk|f|piss|back|buzz) off|get lost",
    r"(?:block|blocking|blocked) (?:you|your|this|these)",
    r"cease|desist",
    rf"no (?:me|nos) {_ES_ASK}",
    rf"no (?:me|nos) (?:vuelva|vuelvas|vuelvan) a {_ES_VERB}",
    rf"(?:deje|dejen|deja|dejar|pare|paren|para|parar|basta) de {_ES_VERB}",
    r"dej(?:a|e|en)(?:me|nos)? (?:(?:me|nos) )?en paz",
    r"no mas (?:mensajes?|textos?|llamadas?|correos?|sms|text|message|call|email)",
    r"^no mas(?: por favor| gracias)?$|ya basta|basta ya|^basta$",
    r"(?:numero|persona) (?:equivocad[oa]|incorrect[oa])|equivoc\w{0,4} de (?:numero|persona)",
    r"(?:borr|quit|elimin|sac|saqu)\w{0,5} (?:mi numero|de (?:la|su|tu|sus|tus) lista)",
)
_PLAIN_LANGUAGE = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in _PHRASES) + r")\b")


def _revocation(words: list[str]) -> Reading | None:
    for at, word in enumerate(words):
        keyword = _KEYWORDS.get(_squeeze(word))
        if keyword is not None and not _other_sense(keyword, words, at):
            return Reading(Intent.REVOKE, keyword)
    phrase = _PLAIN_LANGUAGE.search(" ".join(words))
    return Reading(Intent.REVOKE, phrase.group(0)) if phrase else None


_HELP_WORDS = {
    _squeeze(word): label
    for word, label in (
        ("help", "help"),
        ("info", "info"),
        ("information", "info"),
        ("informacion", "info"),
        ("ayuda", "ayuda"),
    )
}
_FILLER = frozenset(
    _squeeze(word)
    for word in (
        "please i me need can could you someone somebody some more with this get send hi"
        " hello hey thanks necesito quiero por favor mas hola gracias"
    ).split()
)


def _help_request(words: list[str]) -> Reading | None:
    """HELP when the message asks for help and nothing else: "help", "I need info please"."""
    squeezed = [_squeeze(word) for word in words]
    asked = [_HELP_WORDS[word] for word in squeezed if word in _HELP_WORDS]
    if asked and all(word in _HELP_WORDS or word in _FILLER for word in squeezed):
        return Reading(Intent.HELP, asked[0])
    return None


def _read(text: str) -> Reading:
    words = _words(text)
    return _revocation(words) or _help_request(words) or Reading(Intent.MESSAGE)


def read_inbound_sms(body: str) -> Reading:
    """What the consumer's reply `body` asks for; an empty body is an ordinary message.

    A body longer than one SMS is read at both ends and the stronger reading kept, so a
    STOP at either end still revokes while the work stays bounded.
    """
    if len(body) <= MAX_BODY_CHARS:
        return _read(body)
    ends = (_read(body[:MAX_BODY_CHARS]), _read(body[-MAX_BODY_CHARS:]))
    return min(ends, key=lambda reading: _PRECEDENCE.index(reading.intent))
