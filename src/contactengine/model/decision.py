"""A decision: allowed or not, why, which law, from when; and its v1 JSON form (SPEC §5).

Inside, a decision is the frozen `Decision` with its instants as epoch seconds; `to_json()`
writes the contract exactly (`from`, instants as ISO text, `attempt_id` only on a
reservation that was made), typed by `DecisionJSON` so a misspelt key is a type error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from contactengine.model.instant import iso


class ReasonJSON(TypedDict):
    rule: str
    citation: str | None
    message: str
    source: str
    until: str | None


ZoneJSON = TypedDict("ZoneJSON", {"zone": str, "from": str})


class DecisionJSON(TypedDict):
    allowed: bool
    decision_id: str
    ruleset: str
    at: str
    reasons: list[ReasonJSON]
    warnings: list[ReasonJSON]
    next_allowed_at: str | None
    zones: list[ZoneJSON]
    jurisdictions: list[str]
    required_content: list[str]
    attempt_id: NotRequired[str]


ENGINE_SOURCE = "engine"  # the `source` of a reason the engine gives rather than a rule


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule (or the engine itself) refused or warned; `until` when it stops."""

    rule: str
    citation: str | None
    message: str
    source: str
    until: float | None = None

    def to_json(self) -> ReasonJSON:
        return {
            "rule": self.rule,
            "citation": self.citation,
            "message": self.message,
            "source": self.source,
            "until": None if self.until is None else iso(self.until),
        }


@dataclass(frozen=True, slots=True)
class ZoneEvidence:
    """A candidate time zone and where it came from (`from` in JSON)."""

    zone: str
    source: str

    def to_json(self) -> ZoneJSON:
        return {"zone": self.zone, "from": self.source}


@dataclass(frozen=True, slots=True)
class Decision:
    """SPEC §5's decision. `jurisdictions` and `required_content` extend the contract;
    `attempt_id` names the attempt a reservation recorded (allowed reservations only)."""

    allowed: bool
    decision_id: str
    ruleset: str
    at: float
    reasons: tuple[Reason, ...]
    warnings: tuple[Reason, ...]
    next_allowed_at: float | None
    zones: tuple[ZoneEvidence, ...]
    jurisdictions: tuple[str, ...] = ()
    required_content: tuple[str, ...] = ()
    attempt_id: str | None = field(default=None)

    def to_json(self) -> DecisionJSON:
        at = iso(self.at)
        following = self.next_allowed_at
        out: DecisionJSON = {
            "allowed": self.allowed,
            "decision_id": self.decision_id,
            "ruleset": self.ruleset,
            "at": at,
            "reasons": [r.to_json() for r in self.reasons],
            "warnings": [w.to_json() for w in self.warnings],
            "next_allowed_at": (
                None if following is None else at if following == self.at else iso(following)
            ),
            "zones": [z.to_json() for z in self.zones],
            "jurisdictions": list(self.jurisdictions),
            "required_content": list(self.required_content),
        }
        if self.attempt_id is not None:
            out["attempt_id"] = self.attempt_id
        return out
