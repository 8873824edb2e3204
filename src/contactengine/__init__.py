"""contactengine: executable contact rules for debt-collection communications.

The public surface is small: load a rule set, ask `can_contact()`, get a reasoned decision.
`decide()` is the one function every entry point uses: a request (JSON, a mapping or a
model) in, a `Decision` out.
"""

from contactengine.ledger import Engine, can_contact, decide, decide_many, load_engine
from contactengine.model import ContactRequest, Decision, RequestError

__all__ = [
    "ContactRequest",
    "Decision",
    "Engine",
    "RequestError",
    "can_contact",
    "decide",
    "decide_many",
    "load_engine",
]
