"""contactengine: executable contact rules for debt-collection communications.

The public surface is small: load a rule set, ask `can_contact()`, get a reasoned decision.
"""

from contactengine.engine.api import Engine, can_contact, decide_many, load_engine
from contactengine.engine.models import ContactRequest, Decision, RequestError

__all__ = [
    "ContactRequest",
    "Decision",
    "Engine",
    "RequestError",
    "can_contact",
    "decide_many",
    "load_engine",
]
