"""`contactengine check | decide | explain | test | db | audit | plan | dispatch`.

The compliance officer's, the integrator's and the operator's tools.

Exit codes: 0 success, 1 problems found (rule errors, refused input), 2 unusable invocation.
No Python traceback reaches the user: unexpected failures print one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from contactengine.channels import check_channels
from contactengine.cli.dispatching import add_commands, add_db_load, load_ledger
from contactengine.cli.serving import add_commands as add_serving_commands
from contactengine.engine.explain import explain, render_explanation
from contactengine.engine.facts import facts_from_request
from contactengine.engine.loader import load_paths
from contactengine.engine.ruleset import RuleSet
from contactengine.language.diagnostics import render_all_human, render_all_json
from contactengine.ledger import decide
from contactengine.model.errors import RequestError
from contactengine.model.masking import mask_contact
from contactengine.model.request import parse_request
from contactengine.scenarios.report import render_human, render_json, run_files
from contactengine.store.audit import export, verify
from contactengine.store.base import StoreError
from contactengine.store.connect import open_store
from contactengine.templates import TemplateError, TemplateSet


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last line of defence: one readable line, never a traceback
        print(f"contactengine: internal error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contactengine",
        description="Executable contact rules for debt-collection communications.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate rule files, templates and channel files")
    check.add_argument("paths", nargs="+", help="rule files or folders")
    check.add_argument(
        "--templates", help="also check this templates folder against the rules' requirements"
    )
    check.add_argument("--channels", help="also check this folder of channel files")
    check.add_argument("--format", choices=("human", "json"), default="human")
    check.set_defaults(run=_check)

    decide_cmd = commands.add_parser(
        "decide",
        help="decide JSON Lines requests",
        description="Decide each line; a bad line gets its error object in its place."
        " Exits 1 when any line was invalid.",
    )
    decide_cmd.add_argument("input", nargs="?", default="-", help="JSON Lines file (- for stdin)")
    decide_cmd.add_argument("--rules", action="append", default=None, help="rules folder or file")
    decide_cmd.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    decide_cmd.set_defaults(run=_decide)

    test_cmd = commands.add_parser("test", help="run scenario files against the rules")
    test_cmd.add_argument("paths", nargs="+", help="scenario files (.toml) or folders")
    test_cmd.add_argument("--rules", action="append", default=None, help="rules folder or file")
    test_cmd.add_argument("--format", choices=("human", "json"), default="human")
    test_cmd.add_argument("--verbose", "-v", action="store_true", help="list passing ones too")
    test_cmd.set_defaults(run=_test)

    db_cmd = commands.add_parser("db", help="the contact ledger's schema")
    db_cmd.add_argument(
        "action",
        choices=("upgrade", "load"),
        help="upgrade: apply pending migrations; load: add debtors from a JSON Lines file",
    )
    add_db_load(db_cmd)
    db_cmd.add_argument("--database", help="ledger URL (default: $CONTACTENGINE_DATABASE_URL)")
    db_cmd.set_defaults(run=_db)

    audit_cmd = commands.add_parser("audit", help="check the decision log, export a history")
    audit_cmd.add_argument("action", choices=("verify", "export"))
    audit_cmd.add_argument("--debtor", help="the debtor whose history to export")
    audit_cmd.add_argument("--database", help="ledger URL (default: $CONTACTENGINE_DATABASE_URL)")
    audit_cmd.set_defaults(run=_audit)

    explain_cmd = commands.add_parser("explain", help="explain one decision in plain words")
    explain_cmd.add_argument("request", help="a JSON request file (- for stdin)")
    explain_cmd.add_argument("--rules", action="append", default=None, help="rules folder or file")
    explain_cmd.add_argument("--format", choices=("human", "json"), default="human")
    explain_cmd.set_defaults(run=_explain)
    add_commands(commands)
    add_serving_commands(commands)
    return parser


def _check(args: argparse.Namespace) -> int:
    result = load_paths(args.paths)
    others = _content_problems(args, result.ruleset)
    if args.format == "json":
        if args.templates or args.channels:
            report = {
                "rules": [d.to_json() for d in result.diagnostics],
                "templates": [str(p) for p in others.get("templates", [])],
                "channels": others.get("channels", []),
            }
            sys.stdout.write(json.dumps(report, indent=2) + "\n")
        else:
            sys.stdout.write(render_all_json(result.diagnostics))
    else:
        if result.diagnostics:
            sys.stdout.write(render_all_human(result.diagnostics, result.sources))
        else:
            rules = len(result.ruleset.rules) if result.ruleset else 0
            print(f"ok: {rules} rules checked, no problems")
        for place in result.ruleset.uncovered() if result.ruleset else []:
            print(
                f"warning: no pack covers {place}: every request there is refused"
                " (outside-coverage); add a pack with `jurisdiction` and `covers from`"
            )
        for kind, problems in others.items():
            for problem in problems:
                print(f"error: {problem}")
            if not problems:
                print(f"ok: {kind} checked, no problems")
    return 1 if result.errors or any(others.values()) else 0


def _content_problems(args: argparse.Namespace, ruleset: RuleSet | None) -> dict[str, list[Any]]:
    """Templates that can never meet the rules, and channel files that cannot be used."""
    found: dict[str, list[Any]] = {}
    if args.templates:
        try:
            templates = TemplateSet(args.templates)
        except TemplateError as exc:
            found["templates"] = [str(exc)]
        else:
            requirements = {
                (channel, info.purpose): (
                    ruleset.content_required(channel, info.purpose) if ruleset else frozenset()
                )
                for info in templates.kinds().values()
                for channel, _ in info.variants
            }
            found["templates"] = list(templates.problems(requirements))
    if args.channels:
        found["channels"] = check_channels(args.channels)
    return found


def _load_rules(paths: list[str] | None) -> RuleSet | None:
    result = load_paths(list(paths or ["rules"]))
    if result.ruleset is None:
        sys.stderr.write(render_all_human(result.diagnostics, result.sources))
        return None
    return result.ruleset


def _decide(args: argparse.Namespace) -> int:
    """Every line answered, in order: a decision, or the line's error object; exit 1 when
    any line was invalid, so a script notices."""
    ruleset = _load_rules(args.rules)
    if ruleset is None:
        return 2
    invalid = 0
    with _open(args.input) as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            answer = _decide_line(line, number, ruleset)
            invalid += "error" in answer
            if args.format == "table":
                sys.stdout.write(_readable(answer, line))
            else:
                sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    return 1 if invalid else 0


def _decide_line(line: str, number: int, ruleset: RuleSet) -> dict[str, Any]:
    try:
        return dict(decide(line, ruleset).to_json())
    except RequestError as exc:
        return {**exc.to_json(), "line": number}


def _readable(answer: dict[str, Any], line: str) -> str:
    if "error" in answer:
        fields = "; ".join(f"{f['field']}: {f['message']}" for f in answer.get("fields", []))
        return (
            f"line {answer['line']}: {answer['error']}: {fields or answer.get('message', '')}\n\n"
        )
    try:
        request = json.loads(line)
        who = (
            f"{request['debtor']['id']} {request['channel']} to {mask_contact(request.get('to'))}"
            f" about {request['debt']['id']} ({request['debt']['actor'].replace('_', ' ')})"
        )
    except (KeyError, TypeError, ValueError):
        who = "request"
    verdict = "ALLOWED" if answer["allowed"] else "REFUSED"
    zones = ", ".join(z["zone"] for z in answer["zones"]) or "none"
    out = [f"{who} at {answer['at']}: {verdict}", f"  zones: {zones}"]
    for reason in answer["reasons"]:
        cite = f" [{reason['citation']}]" if reason.get("citation") else ""
        out.append(f"  - {reason['rule']}{cite}: {reason['message']}")
    for warning in answer["warnings"]:
        out.append(f"  ! {warning['rule']}: {warning['message']}")
    if not answer["allowed"]:
        out.append(f"  next allowed: {answer['next_allowed_at'] or 'never, as things stand'}")
    return "\n".join(out) + "\n\n"


def _test(args: argparse.Namespace) -> int:
    ruleset = _load_rules(args.rules)
    if ruleset is None:
        return 2
    run = run_files(args.paths, ruleset)
    if args.format == "json":
        sys.stdout.write(render_json(run))
    else:
        sys.stdout.write(render_human(run, verbose=args.verbose))
    return run.exit_code


def _db(args: argparse.Namespace) -> int:
    if args.action == "load":
        return load_ledger(args)
    try:
        store = open_store(args.database)
        version = store.upgrade()
    except StoreError as exc:
        print(f"contactengine: {exc}", file=sys.stderr)
        return 2
    print(f"ledger at schema version {version}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    try:
        store = open_store(args.database)
        store.upgrade()
        if args.action == "export":
            if not args.debtor:
                print("contactengine: `audit export` needs --debtor ID", file=sys.stderr)
                return 2
            sys.stdout.write(json.dumps(export(store, args.debtor), indent=2) + "\n")
            return 0
        result = verify(store)
    except StoreError as exc:
        print(f"contactengine: {exc}", file=sys.stderr)
        return 2
    if result.ok:
        print(f"ok: {result.entries} decisions, the chain holds")
        return 0
    print(f"broken: decision log entry {result.broken_at}: {result.reason}")
    return 1


def _explain(args: argparse.Namespace) -> int:
    ruleset = _load_rules(args.rules)
    if ruleset is None:
        return 2
    with _open(args.request) as stream:
        text = stream.read()
    try:
        request = parse_request(text)
    except RequestError as exc:
        for error in exc.errors:
            print(f"{args.request}: {error.field}: {error.message}", file=sys.stderr)
        return 1
    facts = facts_from_request(request)
    account = explain(facts, ruleset)
    if args.format == "json":
        sys.stdout.write(json.dumps(account, indent=2) + "\n")
    else:
        sys.stdout.write(render_explanation(facts, account))
    return 0


class _open:
    """A file or stdin as a context manager, with a readable error when it cannot open."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stream: TextIO | None = None

    def __enter__(self) -> TextIO:
        if self.name == "-":
            return sys.stdin
        try:
            self.stream = Path(self.name).open(encoding="utf-8")
        except OSError as exc:
            print(f"contactengine: cannot open {self.name}: {exc.strerror}", file=sys.stderr)
            raise SystemExit(2) from None  # an unusable invocation, as the module docstring says
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()


if __name__ == "__main__":
    raise SystemExit(main())
