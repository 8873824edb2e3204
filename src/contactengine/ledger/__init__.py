"""The floor above the engine and the store: decisions asked of Python, of a ledger, or both.

`decide` is the one way a request becomes a decision: requests carrying their facts go to
the engine, requests by ids to a `Ledger`, which reads the facts from its store, decides,
and logs. `Engine` is the Python entry point; `Ledger` adds reservations and the log.
"""

from contactengine.ledger.decide import decide
from contactengine.ledger.engine import Engine, can_contact, decide_many, load_engine
from contactengine.ledger.ledger import Ledger

__all__ = ["Engine", "Ledger", "can_contact", "decide", "decide_many", "load_engine"]
