"""The bottom floor: the domain's shapes, each parsed and normalised in one place.

Requests and what they carry (debtors, debts, consents, opt-outs, flags, history), the
records the ledger keeps (attempts, planned messages), decisions and their reasons, the
closed vocabulary, instants, contact points, masking and the bounds on input. Nothing here
imports another floor; every other floor compares the normal forms made here.
"""

from contactengine.model.debtor import (
    Address,
    Consent,
    Debt,
    Debtor,
    Email,
    Flags,
    InconvenientTime,
    OptOut,
    Phone,
    Revocation,
)
from contactengine.model.decision import Decision, DecisionJSON, Reason, ZoneEvidence
from contactengine.model.errors import FieldError, RequestError
from contactengine.model.history import Attempt, HistoryEntry
from contactengine.model.instant import Instant, InstantError, instant, iso
from contactengine.model.records import (
    AttemptRecord,
    ConsentRecord,
    Event,
    OptOutRecord,
    PlannedMessage,
)
from contactengine.model.request import (
    AnyRequest,
    ContactRequest,
    LedgerRequest,
    parse_ledger_request,
    parse_request,
    read_request,
)

__all__ = [
    "Address",
    "AnyRequest",
    "Attempt",
    "AttemptRecord",
    "Consent",
    "ConsentRecord",
    "ContactRequest",
    "Debt",
    "Debtor",
    "Decision",
    "DecisionJSON",
    "Email",
    "Event",
    "FieldError",
    "Flags",
    "HistoryEntry",
    "InconvenientTime",
    "Instant",
    "InstantError",
    "LedgerRequest",
    "OptOut",
    "OptOutRecord",
    "Phone",
    "PlannedMessage",
    "Reason",
    "RequestError",
    "Revocation",
    "ZoneEvidence",
    "instant",
    "iso",
    "parse_ledger_request",
    "parse_request",
    "read_request",
]
