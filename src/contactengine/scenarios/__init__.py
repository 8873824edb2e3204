"""Decision cases as data: TOML scenario files a compliance officer can read and write.

A file holds a `[defaults]` request (merged over the built-in default debtor) and one or
more `[[scenario]]` tables: an id, a frozen `at`, the expected outcome, the rule ids that
must refuse it (exactly those: a rule that starts refusing too fails the scenario), the
rule ids that must warn, and optionally the expected `next_allowed_at` ("never" for none).
"""

from contactengine.scenarios.runner import (
    Outcome,
    Scenario,
    ScenarioFileError,
    load_scenarios,
    run_scenario,
)

__all__ = ["Outcome", "Scenario", "ScenarioFileError", "load_scenarios", "run_scenario"]
