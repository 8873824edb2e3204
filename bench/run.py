"""The `can_contact()` benchmark: `python -m bench.run [--quick] [--profile]`.

Measures, on one core, decisions per second from facts in memory and from JSON requests,
per-call latency, rule compile time and memory, prints a table and writes
bench/results/latest.json. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.gen_rules import write_rules
from bench.workload import Workload, generate, summary, with_full_history
from contactengine.engine import compiler
from contactengine.engine.facts import Facts, facts_from_request
from contactengine.engine.loader import load_ruleset
from contactengine.language import checker, parser
from contactengine.ledger import Engine
from contactengine.model import Decision, RequestError, parse_request

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

TARGET_FACTS_PER_S = 100_000
TARGET_JSON_PER_S = 20_000
TARGET_COMPILE_1000_S = 1.0
GENERATED_RULES = 1000


@dataclass(frozen=True)
class Sizes:
    debtors: int
    requests: int
    json_requests: int
    latency_calls: int
    memory_decisions: int
    profile_decisions: int
    compile_runs: int
    repeats: int


FULL = Sizes(10_000, 100_000, 20_000, 20_000, 10_000, 5_000, 7, 3)
QUICK = Sizes(1_000, 5_000, 1_000, 1_000, 1_000, 1_000, 3, 1)

_START = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _START:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- the machine -------------------------------------------------------------------------


def pin_to_one_core(cpu: int = 0) -> str:
    """Run on one CPU only, where the OS allows it: the figures are single-core figures."""
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {cpu})
            return f"pinned to CPU {cpu}"
        except OSError as exc:
            return f"not pinned ({exc.strerror})"
    return "not pinned (no sched_setaffinity on this OS)"


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src", "rules"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes in src/ or rules/' if dirty else ''}" or "unknown"


def source_digest() -> str:
    """A short hash of the engine's source as run: the tree may differ from the commit."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "contactengine").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_info(pinning: str) -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "affinity": pinning,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "commit": git_commit(),
        "src_digest": source_digest(),
        "load_average_at_start": load_average(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- measuring ---------------------------------------------------------------------------


def percentile(sorted_values: Sequence[int], share: float) -> int:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def latency(
    call: Callable[[Any], Any], items: Sequence[Any], calls: int
) -> dict[str, float | dict[str, float]]:
    """Per-call wall time in µs over `calls` calls cycling through `items`; the medians of
    allowed and denied decisions apart (a denial also searches for `next_allowed_at`)."""
    samples: list[int] = []
    by_outcome: dict[str, list[int]] = {"allowed": [], "denied": []}
    clock = time.perf_counter_ns
    count = len(items)
    for i in range(calls):
        item = items[i % count]
        start = clock()
        decision = call(item)
        elapsed = clock() - start
        samples.append(elapsed)
        allowed = decision.allowed
        by_outcome["allowed" if allowed else "denied"].append(elapsed)
    samples.sort()
    medians = {
        key: statistics.median(values) / 1000 for key, values in by_outcome.items() if values
    }
    return {
        "median_us_by_outcome": medians,
        "calls": calls,
        "median_us": percentile(samples, 0.5) / 1000,
        "p90_us": percentile(samples, 0.9) / 1000,
        "p99_us": percentile(samples, 0.99) / 1000,
        "max_us": samples[-1] / 1000,
        "mean_us": statistics.fmean(samples) / 1000,
    }


Answer = Decision | RequestError


def timed_runs(
    run: Callable[[], list[Answer]], count: int, repeats: int
) -> tuple[dict[str, Any], list[Answer]]:
    """Run `repeats` times; the median run is the figure, every run is kept."""
    runs: list[float] = []
    decisions: list[Answer] = []
    for _ in range(repeats):
        decisions = []
        gc.collect()
        start = time.perf_counter()
        decisions = run()
        runs.append(time.perf_counter() - start)
    seconds = statistics.median(runs)
    figure = {
        "decisions": count,
        "seconds": round(seconds, 3),
        "per_second": round(count / seconds, 1),
        "us_per_decision": round(seconds / count * 1e6, 2),
        "runs_per_second": [round(count / r, 1) for r in runs],
    }
    return figure, decisions


def outcome_summary(decisions: list[Answer]) -> dict[str, Any]:
    """How the decisions came out, and anything that looks like an engine failure."""
    rejected = [d for d in decisions if isinstance(d, RequestError)]
    decided = [d for d in decisions if isinstance(d, Decision)]
    reasons = Counter(r.rule for d in decided for r in d.reasons)
    warnings = Counter(r.rule for d in decided for r in d.warnings)
    broken = [
        r
        for d in decided
        for r in d.reasons
        if r.rule == "engine-error" or "could not be evaluated" in r.message
    ]
    return {
        "decisions": len(decisions),
        "allowed": sum(d.allowed for d in decided),
        "rejected_requests": len(rejected),
        "rejected_examples": [str(d) for d in rejected[:3]],
        "engine_errors": len(broken),
        "engine_error_examples": [r.message for r in broken[:3]],
        "denied_without_next_allowed": sum(
            1 for d in decided if not d.allowed and d.next_allowed_at is None
        ),
        "zones_per_decision": dict(sorted(Counter(len(d.zones) for d in decided).items())),
        "reasons": dict(reasons.most_common()),
        "warnings": dict(warnings.most_common()),
    }


def build_facts(requests: list[dict[str, Any]]) -> tuple[list[Facts], int, float]:
    """Validate every request and turn it into facts (outside any timed section)."""
    facts: list[Facts] = []
    rejected = 0
    start = time.perf_counter()
    for request in requests:
        try:
            facts.append(facts_from_request(parse_request(request)))
        except RequestError as exc:
            rejected += 1
            if rejected <= 3:
                log(f"request rejected: {exc}")
    return facts, rejected, time.perf_counter() - start


def json_stages(engine: Engine, strings: list[str]) -> dict[str, float]:
    """Where a JSON decision's time goes: mean µs per request of each stage, request by
    request (as in `decide_many`), each stage timed with `perf_counter_ns`."""
    clock = time.perf_counter_ns
    totals = [0, 0, 0, 0]
    for text in strings:
        t1 = clock()
        model = parse_request(text)  # the JSON text read straight into the model
        t2 = clock()
        facts = facts_from_request(model)
        t3 = clock()
        decision = engine.decide_facts(facts)
        t4 = clock()
        decision.to_json()  # what the HTTP service and `decide` add: the contract's JSON
        t5 = clock()
        for i, (a, b) in enumerate(((t1, t2), (t2, t3), (t3, t4), (t4, t5))):
            totals[i] += b - a
    names = (
        "read_request_us",
        "facts_from_request_us",
        "decide_us",
        "to_json_us",
    )
    count = max(len(strings), 1)
    return {name: round(total / count / 1000, 1) for name, total in zip(names, totals, strict=True)}


def time_compile(path: str, runs: int) -> dict[str, Any]:
    """`load_ruleset([path])` (read, parse, check, compile): first run and median of `runs`."""
    first_start = time.perf_counter()
    ruleset = load_ruleset([path])
    first = time.perf_counter() - first_start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        load_ruleset([path])
        times.append(time.perf_counter() - start)
    return {
        "rules": len(ruleset.rules),
        "first_s": round(first, 4),
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
        "runs": runs,
    }


FRESH_COMPILE = """
import time
from contactengine.engine.loader import load_ruleset
start = time.perf_counter()
load_ruleset([{path!r}])
print(time.perf_counter() - start)
"""


def fresh_process_compile(path: str) -> float | None:
    """`load_ruleset` once in a new interpreter: grammar build and lazy imports included."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", FRESH_COMPILE.format(path=path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"fresh-process compile failed: {exc}")
        return None
    return round(float(done.stdout.strip().splitlines()[-1]), 4)


def compile_phases(path: Path, runs: int) -> dict[str, float]:
    """Median seconds of each phase, for a file: parse, check, compile."""
    text = path.read_text(encoding="utf-8")
    name = str(path)
    phases: dict[str, list[float]] = {"parse_s": [], "check_s": [], "compile_s": []}
    for _ in range(runs):
        start = time.perf_counter()
        parsed, problems = parser.parse(text, name)
        parsed_at = time.perf_counter()
        assert parsed is not None, problems
        diagnostics = checker.check([parsed])
        checked_at = time.perf_counter()
        assert not any(d.is_error for d in diagnostics), diagnostics[:3]
        compiler.compile_files([parsed], compiler.ruleset_digest([(name, text)]))
        done = time.perf_counter()
        phases["parse_s"].append(parsed_at - start)
        phases["check_s"].append(checked_at - parsed_at)
        phases["compile_s"].append(done - checked_at)
    return {key: round(statistics.median(values), 4) for key, values in phases.items()}


# --- the runs ----------------------------------------------------------------------------


def prepare(
    sizes: Sizes, rules: list[str] | None = None
) -> tuple[Workload, Engine, list[Facts], dict[str, Any]]:
    log(f"generating {sizes.debtors:,} debtors and {sizes.requests:,} requests")
    workload = generate(sizes.debtors, sizes.requests)
    engine = Engine(load_ruleset(list(rules or ["rules"])))
    log("validating requests and building facts (not timed as part of the facts figure)")
    facts, rejected, seconds = build_facts(workload.requests)
    info = {
        "workload": summary(workload),
        "rules": len(engine.ruleset.rules),
        "rule_paths": list(rules or ["rules"]),
        "ruleset": engine.ruleset.digest,
        "facts_build": {
            "requests": len(workload.requests),
            "rejected": rejected,
            "seconds": round(seconds, 3),
            "us_per_request": round(seconds / max(len(workload.requests), 1) * 1e6, 1),
            "note": "setup, while the collector scans the growing list; see json_stages",
        },
    }
    return workload, engine, facts, info


def run_benchmarks(
    sizes: Sizes, machine: dict[str, Any], rules: list[str] | None = None
) -> dict[str, Any]:
    workload, engine, facts, info = prepare(sizes, rules)
    results: dict[str, Any] = {"machine": machine, "sizes": sizes.__dict__, **info}

    log(f"preparing {sizes.json_requests:,} JSON requests with 40-entry histories")
    json_requests = [json.dumps(r) for r in with_full_history(workload, sizes.json_requests)]
    results["json_request_bytes_mean"] = round(statistics.fmean(len(s) for s in json_requests), 0)

    engine.decide_many(facts[:1000])  # warm the caches a long-running service would have
    engine.decide_many(json_requests[:200])
    gc.collect()
    gc.freeze()  # the prepared workload is scaffolding: keep it out of the collector's scans

    log(f"decide_many over {len(facts):,} facts in memory, {sizes.repeats} run(s)")
    results["facts_path"], decisions = timed_runs(
        lambda: engine.decide_many(facts), len(facts), sizes.repeats
    )
    results["facts_outcomes"] = outcome_summary(decisions)
    del decisions

    log(f"decide_many over {len(json_requests):,} JSON requests, {sizes.repeats} run(s)")
    results["json_path"], decisions = timed_runs(
        lambda: engine.decide_many(json_requests),
        len(json_requests),
        sizes.repeats,
    )
    results["json_outcomes"] = outcome_summary(decisions)
    del decisions
    gc.collect()
    results["json_stages"] = json_stages(engine, json_requests)

    log(f"latency: {sizes.latency_calls:,} single calls per path")
    results["latency_facts"] = latency(engine.decide_facts, facts, sizes.latency_calls)
    results["latency_json"] = latency(
        lambda s: engine.can_contact(s), json_requests, sizes.latency_calls
    )

    log("compile times")
    results["compile_shipped"] = time_compile("rules", sizes.compile_runs)
    generated = write_rules(RESULTS / f"generated_{GENERATED_RULES}.rules", GENERATED_RULES)
    generated_name = str(generated.relative_to(ROOT))
    results["compile_generated"] = {
        **time_compile(generated_name, sizes.compile_runs),
        **compile_phases(generated.relative_to(ROOT), sizes.compile_runs),
        "fresh_process_s": fresh_process_compile(generated_name),
        "file": generated_name,
    }

    subset = facts[: sizes.memory_decisions]
    log(f"memory: tracemalloc over decide_many of {len(subset):,} facts")
    gc.collect()
    tracemalloc.start()
    decisions = engine.decide_many(subset)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del decisions
    results["memory"] = {
        "tracemalloc_decisions": len(subset),
        "tracemalloc_peak_mb": round(peak / 2**20, 2),
        "tracemalloc_peak_kb_per_decision": round(peak / 1024 / max(len(subset), 1), 2),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    gc.unfreeze()
    results["machine"]["load_average_at_end"] = load_average()
    results["targets"] = targets(results)
    return results


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    facts = results["facts_path"]["per_second"]
    from_json = results["json_path"]["per_second"]
    compile_s = results["compile_generated"]["median_s"]
    return {
        "facts_per_second": {
            "target": f">= {TARGET_FACTS_PER_S:,}/s",
            "measured": facts,
            "met": facts >= TARGET_FACTS_PER_S,
        },
        "json_per_second": {
            "target": f">= {TARGET_JSON_PER_S:,}/s",
            "measured": from_json,
            "met": from_json >= TARGET_JSON_PER_S,
        },
        "compile_1000_rules": {
            "target": f"< {TARGET_COMPILE_1000_S:g} s",
            "measured": compile_s,
            "met": compile_s < TARGET_COMPILE_1000_S,
        },
    }


def run_profile(sizes: Sizes) -> None:
    _, engine, facts, _ = prepare(Sizes(**{**sizes.__dict__, "requests": sizes.profile_decisions}))
    subset = facts[: sizes.profile_decisions]
    engine.decide_many(subset[:200])
    log(f"cProfile over decide_many of {len(subset):,} facts")
    profile = cProfile.Profile()
    profile.enable()
    engine.decide_many(subset)
    profile.disable()
    RESULTS.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(str(RESULTS / "profile.pstats"))
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(sum(entry[2] for entry in raw.values()), max(entry[3] for entry in raw.values()))
    rows = sorted(raw.items(), key=lambda item: item[1][2], reverse=True)[:25]
    print(f"\ncProfile, facts path, {len(subset):,} decisions: top 25 by own time")
    print(f"(profiled total {total:.2f} s; profiling itself slows the engine down)\n")
    print(f"{'share':>6}  {'tottime':>8}  {'cumtime':>8}  {'calls':>10}  function")
    for (filename, line, function), (_, calls, tottime, cumtime, _) in rows:
        where = _short(filename)
        print(
            f"{tottime / total:6.1%}  {tottime:8.3f}  {cumtime:8.3f}  {calls:>10}  "
            f"{_qualname(filename, line, function)} ({where}:{line})"
        )
    cumulative = sorted(raw.items(), key=lambda item: item[1][3], reverse=True)[:15]
    print("\nTop 15 by cumulative time (where the time goes, callees included)\n")
    print(f"{'share':>6}  {'cumtime':>8}  {'calls':>10}  function")
    for (filename, line, function), (_, calls, _, cumtime, _) in cumulative:
        print(
            f"{cumtime / total:6.1%}  {cumtime:8.3f}  {calls:>10}  "
            f"{_qualname(filename, line, function)} ({_short(filename)}:{line})"
        )
    print(f"\nfull profile: {RESULTS / 'profile.pstats'}")


def _qualname(filename: str, line: int, function: str) -> str:
    """`Class.method` for a method of the engine (cProfile names only the function)."""
    if "contactengine" not in filename or line < 1:
        return function
    try:
        lines = Path(filename).read_text(encoding="utf-8").splitlines()[:line]
    except OSError:
        return function
    if not lines or not lines[-1].startswith((" ", "\t")):
        return function
    for text in reversed(lines):
        if text.startswith("class "):
            return f"{text[6:].split('(')[0].split(':')[0]}.{function}"
        if text.startswith("def "):
            return f"{text[4:].split('(')[0]}.{function}"
    return function


def _short(filename: str) -> str:
    marker = "contactengine/"
    if marker in filename:
        return filename[filename.index(marker) :]
    return Path(filename).name if filename.startswith("/") else filename


# --- the report --------------------------------------------------------------------------


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    fp, jp = results["facts_path"], results["json_path"]
    lf, lj = results["latency_facts"], results["latency_json"]
    cs, cg = results["compile_shipped"], results["compile_generated"]
    mem = results["memory"]
    t = results["targets"]

    def mark(key: str) -> str:
        return "met" if t[key]["met"] else "NOT met"

    rows = [
        ("decide_many, facts in memory", f"{fp['per_second']:,.0f} /s", _each(fp), f"≥ 100,000/s: {mark('facts_per_second')}"),
        ("decide_many, JSON (40-entry history)", f"{jp['per_second']:,.0f} /s", _each(jp), f"≥ 20,000/s: {mark('json_per_second')}"),
        ("latency, facts: median / p99", f"{lf['median_us']:,.1f} µs", f"p99 {lf['p99_us']:,.1f} µs", _split(lf)),
        ("latency, JSON can_contact: median / p99", f"{lj['median_us']:,.1f} µs", f"p99 {lj['p99_us']:,.1f} µs", _split(lj)),
        (f"compile shipped pack ({cs['rules']} rules)", f"{cs['median_s'] * 1000:,.1f} ms", f"first {cs['first_s'] * 1000:,.0f} ms", ""),
        (f"compile {cg['rules']:,} generated rules", f"{cg['median_s'] * 1000:,.0f} ms", f"new process {_ms(cg['fresh_process_s'])}", f"< 1 s: {mark('compile_1000_rules')}"),
        ("  parse / check / compile", f"{cg['parse_s'] * 1000:,.0f} / {cg['check_s'] * 1000:,.0f} / {cg['compile_s'] * 1000:,.0f} ms", "", ""),
        ("tracemalloc peak, decide_many", f"{mem['tracemalloc_peak_mb']:,.1f} MB", f"{mem['tracemalloc_decisions']:,} decisions", ""),
        ("ru_maxrss (whole run)", f"{mem['ru_maxrss_mb']:,.0f} MB", "", ""),
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        f"contactengine benchmark, {m['date']}",
        f"machine: {m['cpu']}, {m['cores']} cores ({m['affinity']}), {m['python']}, {m['os']}",
        f"load average (1/5/15 min) at start {m['load_average_at_start']},"
        f" at end {m.get('load_average_at_end', '?')}",
        f"commit: {m['commit']} (src digest {m['src_digest']}); rules: {results['rules']} from {', '.join(results.get('rule_paths', ['rules']))} ({results['ruleset'][:19]}…)",
        _workload_line(results),
        "",
    ]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    lines.append(f"\nJSON path stages, µs per request: {_stages(results['json_stages'])}")
    for key in ("facts_outcomes", "json_outcomes"):
        outcome = results[key]
        lines.append(
            f"\n{key.replace('_', ' ')}: {outcome['allowed']:,} of {outcome['decisions']:,} allowed;"
            f" rejected requests {outcome['rejected_requests']}, engine errors"
            f" {outcome['engine_errors']}; zones per decision {outcome['zones_per_decision']}"
        )
    return "\n".join(lines)


def _each(figure: dict[str, Any]) -> str:
    runs = figure["runs_per_second"]
    spread = f" (runs {min(runs):,.0f}-{max(runs):,.0f}/s)" if len(runs) > 1 else ""
    return f"{figure['us_per_decision']:.1f} µs each{spread}"


def _stages(stages: dict[str, float]) -> str:
    names = {
        "read_request_us": "read (JSON and validation)",
        "facts_from_request_us": "facts",
        "decide_us": "decide",
        "to_json_us": "to JSON",
    }
    return ", ".join(f"{names[k]} {v:,.0f}" for k, v in stages.items())


def _split(figure: dict[str, Any]) -> str:
    medians = figure["median_us_by_outcome"]
    return "median " + " / ".join(f"{k} {v:,.0f} µs" for k, v in medians.items())


def _ms(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds * 1000:,.0f} ms"


def _workload_line(results: dict[str, Any]) -> str:
    w = results["workload"]
    return (
        f"workload: seed {w['seed']}, {w['debtors']:,} debtors ({w['massachusetts_share']:.0%} MA,"
        f" {w['states']} states), {w['requests']:,} requests {w['channels']},"
        f" history mean {w['history_mean']} (max {w['history_max']})"
    )


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    options.add_argument("--quick", action="store_true", help="a small workload (seconds)")
    options.add_argument(
        "--profile", action="store_true", help="cProfile the facts path; print top 25 by tottime"
    )
    options.add_argument("--requests", type=int, help="requests in the workload")
    options.add_argument("--cpu", type=int, default=0, help="the CPU to pin to (default 0)")
    options.add_argument("--output", type=Path, help="results file (default: latest.json)")
    options.add_argument(
        "--rules",
        action="append",
        help="rule files or folders to decide with (default: rules/, every pack); repeatable",
    )
    args = options.parse_args(argv)

    os.chdir(ROOT)  # rule sources are named relative to the repository root
    pinning = pin_to_one_core(args.cpu)
    machine = machine_info(pinning)
    sizes = QUICK if args.quick else FULL
    if args.requests:
        sizes = Sizes(**{**sizes.__dict__, "requests": args.requests})
    if args.profile:
        run_profile(sizes)
        return 0
    results = run_benchmarks(sizes, machine, args.rules)
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = args.output or RESULTS / "latest.json"
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report(results))
    print(f"\nresults written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
