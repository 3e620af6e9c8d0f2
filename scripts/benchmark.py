#!/usr/bin/env python3
"""Cold start and warm latency of the Lambda entry, against the ask-sdk hello-world skill.

    .venv/bin/python scripts/benchmark.py                 # everything (about a minute)
    .venv/bin/python scripts/benchmark.py --runs 31 --warm-requests 10000

(a) Cold start: a fresh ``python -c`` process imports the entry and handles a LaunchRequest
    and then an IntentRequest; ours (``skill.lambda_function.handler``, embedded file store in a
    temporary directory, no SKILL_TABLE_NAME) and hello-world (``scripts/hello_skill.py``)
    alternate, run after run. Reported: the time inside the process (``perf_counter`` from its
    first line to the second response), from process launch to the second response (wall
    clock, set by the parent just before the launch), and the subprocess's whole wall time.
(b) Warm latency: one worker process loads both entries and times each request, in
    alternating blocks, over a mix of requests (ours: launch, topics with and without slots,
    yes and more, help, a red flag, fallback; hello-world: launch, hello, help).
(c) Import costs: ``python -X importtime`` of both entries; the modules only ours imports, by
    their own import time, and a breakdown of our first request.

Targets: cold start <= 1.10x hello-world, warm p50 <= 1.10x, our warm p99 < 1 ms (on the
read-only mix; preference writes are reported apart). The last line says "targets: met" or
which were missed; it exits 1 for a miss only with ``--strict``. ``--bundle build/lambda``
measures the shipped bundle (``make package``), its children importing nothing else.
Nothing is written outside a temporary directory (byte code goes to a temporary
PYTHONPYCACHEPREFIX, warmed before measuring).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPTS_DIR = REPO_ROOT / "scripts"
EVENTS_DIR = REPO_ROOT / "tests" / "events"
OURS = ("skill.lambda_function", "handler")
HELLO = ("hello_skill", "lambda_handler")
#: Modules that must stay off the Lambda path (the runtime imports them lazily or never).
HEAVY = ("boto3", "botocore", "flask", "werkzeug", "waitress", "requests", "cryptography")
TARGET_COLD = 1.10
TARGET_WARM_P50 = 1.10
TARGET_P99_MS = 1.0

# --------------------------------------------------------------------------------------------
# What runs in the child processes

COLD_CHILD = r"""
import time
_started = time.perf_counter()
import json, os, sys
module_name, attribute, first_path, second_path = sys.argv[1:5]
handler = getattr(__import__(module_name, fromlist=[attribute]), attribute)
_imported = time.perf_counter()
with open(first_path, encoding="utf-8") as f:
    first = json.load(f)
with open(second_path, encoding="utf-8") as f:
    second = json.load(f)
r1 = handler(first, None)
_first = time.perf_counter()
r2 = handler(second, None)
_done = time.perf_counter()
_wall_done = time.time()
print(json.dumps({
    "inside_ms": (_done - _started) * 1000,
    "import_ms": (_imported - _started) * 1000,
    "first_ms": (_first - _imported) * 1000,
    "second_ms": (_done - _first) * 1000,
    "to_response_ms": (_wall_done - float(os.environ["BENCH_LAUNCHED_AT"])) * 1000,
    "spoke": [bool(r["response"].get("outputSpeech")) for r in (r1, r2)],
    "heavy": sorted(m for m in os.environ["BENCH_HEAVY"].split(",") if m in sys.modules),
}))
"""

WARM_CHILD = r"""
import json, sys, time
from skill.lambda_function import handler as ours
from hello_skill import lambda_handler as hello

mixes_path, requests_per_skill, block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(mixes_path, encoding="utf-8") as f:
    mixes = json.load(f)
runners = {"ours": ours, "hello": hello, "writes": ours}
for name, mix in mixes.items():
    for label, event in mix:
        assert runners[name](event, None)["response"].get("outputSpeech"), (name, label)

results = {name: [] for name in mixes}
for name, mix in mixes.items():  # warm-up
    for i in range(200):
        runners[name](mix[i % len(mix)][1], None)
clock = time.perf_counter_ns
blocks = max(1, requests_per_skill // block)
for b in range(blocks):
    order = ("ours", "hello") if b % 2 == 0 else ("hello", "ours")
    for name in (*order, "writes"):
        run, mix, samples = runners[name], mixes[name], results[name]
        for i in range(block if name != "writes" else max(1, block // 10)):
            label, event = mix[i % len(mix)]
            started = clock()
            run(event, None)
            samples.append((label, clock() - started))
print(json.dumps(results))
"""


def request_mixes() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The warm requests, built here (the bundle carries no envelope factory).

    ``ours`` is read-only (what most requests are); ``writes`` toggles whisper on and off, so
    every request saves a preference (the embedded store writes and fsyncs a file).
    """
    sys.path.insert(0, str(REPO_ROOT))
    from skill.tools.envelopes import Session, slot

    session = Session(user_id="amzn1.ask.account.BENCHMARK")
    launch = session.launch()

    def turn(name: str, slots: dict[str, Any] | None = None, **attributes: Any) -> dict[str, Any]:
        event = session.intent(name, slots)
        event["session"]["new"] = False
        if attributes:
            event["session"]["attributes"] = attributes
        return event

    mid_topic: dict[str, Any] = {
        "topic": {"topic": "triggers", "item": "alcohol", "next_part": 1},
        "pending": "more",
        "prefs": {"voice": "normal", "heard_welcome": True},
    }
    ours = [
        ("launch", launch),
        ("topic", turn("CausesIntent")),
        ("topic+slot", turn("TriggerIntent", {"trigger": slot("trigger", "red wine", "alcohol")})),
        ("topic+unmatched slot", turn("TriggerIntent", {"trigger": slot("trigger", "pineapple")})),
        ("yes", turn("AMAZON.YesIntent", **mid_topic)),
        ("more", turn("AMAZON.MoreIntent", **mid_topic)),
        ("help", turn("AMAZON.HelpIntent")),
        ("red flag", turn("RedFlagIntent")),
        (
            "statement (triaged)",
            turn("StatementIntent", {"statement": slot("statement", "feel sick and dizzy")}),
        ),
        ("fallback", turn("AMAZON.FallbackIntent")),
    ]
    normal = {"voice": "normal", "heard_welcome": True}
    whisper = {"voice": "whisper", "heard_welcome": True}
    writes = [
        ("whisper (writes)", turn("WhisperIntent", prefs=normal)),
        ("speak normally (writes)", turn("NormalVoiceIntent", prefs=whisper)),
    ]
    hello_session = Session(user_id="amzn1.ask.account.BENCHMARK")
    hello = [
        ("launch", hello_session.launch()),
        ("hello", hello_session.intent("HelloWorldIntent")),
        ("help", hello_session.intent("AMAZON.HelpIntent")),
    ]
    return {"ours": ours, "hello": hello, "writes": writes}


FIRST_REQUEST_CHILD = r"""
import time
t0 = time.perf_counter()
import json, sys
import skill.lambda_function
t1 = time.perf_counter()
from skill.app import default_skill
default_skill()
t2 = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as f:
    launch = json.load(f)
with open(sys.argv[2], encoding="utf-8") as f:
    intent = json.load(f)
skill.lambda_function.handler(launch, None)
t3 = time.perf_counter()
skill.lambda_function.handler(intent, None)
t4 = time.perf_counter()
print(json.dumps({"import": (t1 - t0) * 1000, "build skill (content, model)": (t2 - t1) * 1000,
                  "first request": (t3 - t2) * 1000, "second request": (t4 - t3) * 1000}))
"""


@dataclass
class Bench:
    python: str
    work: Path
    env: dict[str, str]
    bundle: Path | None = None  # children import only the bundle (and the hello-world script)

    def run(self, code: str, *args: str, extra_env: dict[str, str] | None = None) -> str:
        env = dict(self.env, **(extra_env or {}))
        isolated = ["-S"] if self.bundle is not None else []  # no site-packages: the bundle's
        completed = subprocess.run(
            [self.python, *isolated, "-c", code, *args],
            env=env,
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if completed.returncode != 0:
            raise SystemExit(f"child failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
        return completed.stdout


def child_env(work: Path, log_level: str = "INFO", bundle: Path | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SKILL_", "AWS_", "PYTHON"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(bundle or REPO_ROOT), str(SCRIPTS_DIR)]),
        PYTHONPYCACHEPREFIX=str(work / "pycache"),  # nothing written into the repository
        SKILL_STORE_PATH=str(work / "store" / "preferences.json"),
        SKILL_LOG_LEVEL=log_level,  # INFO: one JSON line a request, as deployed
        BENCH_HEAVY=",".join(HEAVY),
    )
    return env


# --------------------------------------------------------------------------------------------
# Statistics


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def ratio(ours: float, hello: float) -> float:
    return ours / hello if hello else float("inf")


def row(label: str, ours: float, hello: float, unit: str = "ms") -> str:
    return f"  {label:<32} {ours:>10.3f} {hello:>10.3f} {unit:<3} {ratio(ours, hello):>7.2f}x"


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'':<32} {'ours':>10} {'hello':>10} {'':<3} {'ratio':>8}")


# --------------------------------------------------------------------------------------------
# (a) Cold start


def write_events(work: Path) -> dict[str, tuple[Path, Path]]:
    launch = json.loads((EVENTS_DIR / "launch.json").read_text(encoding="utf-8"))
    intent = json.loads((EVENTS_DIR / "intent_trigger_er_match.json").read_text(encoding="utf-8"))
    hello_intent = json.loads(json.dumps(intent))
    hello_intent["request"]["intent"] = {
        "name": "HelloWorldIntent",
        "confirmationStatus": "NONE",
        "slots": {},
    }
    hello_intent["session"]["new"] = False
    intent["session"]["new"] = False
    paths: dict[str, tuple[Path, Path]] = {}
    for name, second in (("ours", intent), ("hello", hello_intent)):
        first_path = work / f"{name}-launch.json"
        second_path = work / f"{name}-intent.json"
        first_path.write_text(json.dumps(launch), encoding="utf-8")
        second_path.write_text(json.dumps(second), encoding="utf-8")
        paths[name] = (first_path, second_path)
    return paths


@dataclass(frozen=True)
class Variant:
    """One thing to cold-start: an entry, its events, and any extra environment."""

    name: str
    entry: tuple[str, str]
    events: tuple[Path, Path]
    env: dict[str, str]


def compiled_content_dir(work: Path) -> Path | None:
    """A content directory holding only the content's snapshot, as the Lambda bundle has it."""
    sys.path.insert(0, str(REPO_ROOT))
    try:
        from skill.tools.compile import write_snapshot
    finally:
        sys.path.pop(0)
    directory = work / "compiled-content"
    directory.mkdir()
    write_snapshot(REPO_ROOT / "content", directory)
    return directory


def cold_once(bench: Bench, variant: Variant) -> dict[str, Any]:
    launched = time.time()
    started = time.perf_counter()
    out = bench.run(
        COLD_CHILD,
        *variant.entry,
        *map(str, variant.events),
        extra_env={**variant.env, "BENCH_LAUNCHED_AT": repr(launched)},
    )
    result: dict[str, Any] = json.loads(out)
    result["process_ms"] = (time.perf_counter() - started) * 1000
    if not all(result["spoke"]):
        raise SystemExit(f"{variant.name}: a cold request got no speech: {result}")
    return result


COLD_ROWS = (
    ("inside_ms", "inside (perf_counter)"),
    ("to_response_ms", "launch to 2nd response (wall)"),
    ("process_ms", "whole subprocess (wall)"),
    ("import_ms", "  of which: import the entry"),
    ("first_ms", "  of which: 1st request"),
    ("second_ms", "  of which: 2nd request"),
)


def cold_start(bench: Bench, runs: int) -> tuple[dict[str, float], list[str], list[str]]:
    """Cold-start ratios (ours/hello, by measure) for the configuration that ships."""
    events = write_events(bench.work)
    variants = [
        Variant("ours", OURS, events["ours"], {}),
        Variant("hello", HELLO, events["hello"], {}),
    ]
    if bench.bundle is not None:  # the bundle reads its own content snapshot
        variants.append(Variant("ours, bundle", OURS, events["ours"], {}))
        variants = [v for v in variants if v.name != "ours"]
    else:
        compiled = compiled_content_dir(bench.work)
        variants.append(
            Variant("ours, compiled", OURS, events["ours"], {"SKILL_CONTENT_DIR": str(compiled)})
        )
    for variant in variants:  # compile byte code into the cache, create the store
        cold_once(bench, variant)
    samples: dict[str, list[dict[str, Any]]] = {variant.name: [] for variant in variants}
    for run in range(runs):
        shift = run % len(variants)  # rotate who goes first
        for variant in variants[shift:] + variants[:shift]:
            samples[variant.name].append(cold_once(bench, variant))

    print(f"(a) cold start: {runs} fresh processes each, rotating; a launch, then an intent")
    ratios: dict[str, float] = {}
    for name in [variant.name for variant in variants if variant.name != "hello"]:
        where = {
            "ours, bundle": f"the shipped bundle, {bench.bundle}",
            "ours, compiled": "content/compiled/ (the snapshot), as in the Lambda bundle",
        }.get(name, "content/*.yaml, as in a checkout")
        header(f"    {name} ({where}) vs hello: median / p90 (ms)")
        for key, label in COLD_ROWS:
            ours = [sample[key] for sample in samples[name]]
            hello = [sample[key] for sample in samples["hello"]]
            print(row(f"{label} p50", statistics.median(ours), statistics.median(hello)))
            if not label.startswith("  of"):
                print(row(f"{label} p90", percentile(ours, 0.9), percentile(hello, 0.9)))
            ratios[f"{name}:{key}"] = ratio(statistics.median(ours), statistics.median(hello))
    judged = variants[-1].name  # the bundle's configuration when it can be built
    print(f"    targets judged on: {judged}")
    cold = {key.split(":", 1)[1]: value for key, value in ratios.items() if key.startswith(judged)}
    return cold, samples[judged][-1]["heavy"], samples["hello"][-1]["heavy"]


# --------------------------------------------------------------------------------------------
# (b) Warm latency


def warm_latency(bench: Bench, requests: int, block: int) -> tuple[float, float]:
    mixes_path = bench.work / "mixes.json"
    mixes_path.write_text(json.dumps(request_mixes()), encoding="utf-8")
    out = bench.run(WARM_CHILD, str(mixes_path), str(requests), str(block))
    results: dict[str, list[tuple[str, int]]] = json.loads(out)
    ms = {name: [ns / 1e6 for _, ns in samples] for name, samples in results.items()}
    count = len(ms["ours"])
    print(f"\n(b) warm latency: {count} read-only requests each in one process, blocks of {block}")
    header("    per request (ms)")
    for fraction, label in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p99.9")):
        print(row(label, percentile(ms["ours"], fraction), percentile(ms["hello"], fraction)))
    print(row("max", max(ms["ours"]), max(ms["hello"])))
    by_label: dict[str, list[float]] = defaultdict(list)
    for label, ns in results["ours"] + results["writes"]:
        by_label[label].append(ns / 1e6)
    print("\n    ours by request (ms):  p50      p99")
    for label, values in by_label.items():
        print(f"      {label:<26} {percentile(values, 0.5):7.3f}  {percentile(values, 0.99):7.3f}")
    writes = ms["writes"]
    print(
        f"    preference writes, reported apart ({len(writes)} requests, each saving the store):"
        f" p50 {percentile(writes, 0.5):.3f} ms, p99 {percentile(writes, 0.99):.3f} ms"
    )
    return (
        ratio(percentile(ms["ours"], 0.5), percentile(ms["hello"], 0.5)),
        percentile(ms["ours"], 0.99),
    )


# --------------------------------------------------------------------------------------------
# (c) Import costs


IMPORT_CHILD = r"""
import json, sys
module_name, attribute, first_path, second_path = sys.argv[1:5]
handler = getattr(__import__(module_name, fromlist=[attribute]), attribute)
for path in (first_path, second_path):
    with open(path, encoding="utf-8") as f:
        handler(json.load(f), None)
"""


def import_times(
    bench: Bench,
    entry: tuple[str, str],
    events: tuple[Path, Path],
    repeats: int,
    extra_env: dict[str, str] | None = None,
) -> dict[str, tuple[float, float]]:
    """Module -> (median self ms, median cumulative ms) from ``-X importtime``.

    The child imports the entry and handles both cold requests, so that modules imported
    lazily on the way (the content's YAML parser, say) are counted too.
    """
    selfs: dict[str, list[float]] = defaultdict(list)
    cumulatives: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        completed = subprocess.run(
            [bench.python, "-X", "importtime", "-c", IMPORT_CHILD, *entry, *map(str, events)],
            env=dict(bench.env, **(extra_env or {})),
            cwd=bench.work,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        for line in completed.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, cumulative, name = line.removeprefix("import time:").split("|")
            selfs[name.strip()].append(int(own) / 1000)
            cumulatives[name.strip()].append(int(cumulative) / 1000)
    return {
        name: (statistics.median(values), statistics.median(cumulatives[name]))
        for name, values in selfs.items()
    }


def import_costs(bench: Bench, top: int) -> None:
    events = write_events(bench.work)
    compiled = bench.work / "compiled-content"
    configurations: dict[str, dict[str, str]] = {"checkout (YAML)": {}}
    if compiled.is_dir():
        configurations["bundle (snapshot)"] = {"SKILL_CONTENT_DIR": str(compiled)}
    hello = import_times(bench, HELLO, events["hello"], 5)
    total_hello = sum(own for own, _ in hello.values())
    for label, env in configurations.items():
        ours = import_times(bench, OURS, events["ours"], 5, env)
        only_ours = {name: cost for name, cost in ours.items() if name not in hello}
        total_ours = sum(own for own, _ in ours.values())
        extra = sum(own for own, _ in only_ours.values())
        print(
            f"\n(c) imports up to the 2nd response, {label} (self times summed, median of 5): "
            f"ours {total_ours:.1f} ms, hello-world {total_hello:.1f} ms; "
            f"{len(only_ours)} modules only ours imports, {extra:.1f} ms of their own"
        )
        packages: dict[str, float] = defaultdict(float)
        for name, (own, _) in only_ours.items():
            parts = name.split(".")
            key = ".".join(parts[:4]) if parts[0] == "ask_sdk_model" else ".".join(parts[:2])
            packages[key] += own
        print("    only ours, by package (self ms):")
        for name, own in sorted(packages.items(), key=lambda item: -item[1])[:top]:
            print(f"      {own:7.2f}  {name}")
        print("    only ours, biggest modules (self ms / cumulative ms):")
        biggest = sorted(only_ours.items(), key=lambda item: -item[1][0])[:top]
        for name, (own, cumulative) in biggest:
            print(f"      {own:7.2f} {cumulative:8.2f}  {name}")
        runs = [
            json.loads(bench.run(FIRST_REQUEST_CHILD, *map(str, events["ours"]), extra_env=env))
            for _ in range(5)
        ]
        print("    our cold path, step by step (median of 5, ms):")
        for key in runs[0]:
            print(f"      {statistics.median(run[key] for run in runs):7.2f}  {key}")


# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21, help="cold runs per skill (>= 15)")
    parser.add_argument("--warm-requests", type=int, default=6000, help="warm requests per skill")
    parser.add_argument("--block", type=int, default=250, help="requests per interleaved block")
    parser.add_argument("--top", type=int, default=15, help="import costs to list")
    parser.add_argument("--skip-imports", action="store_true", help="leave out part (c)")
    parser.add_argument(
        "--bundle",
        type=Path,
        help="measure the built Lambda bundle (make package: build/lambda) instead of the repo",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (CI gates)"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="our SKILL_LOG_LEVEL (INFO as deployed; WARNING shows what the request log costs)",
    )
    args = parser.parse_args(argv)
    if args.runs < 15:
        parser.error("--runs must be at least 15")

    with tempfile.TemporaryDirectory(prefix="migraine-bench-") as tmp:
        work = Path(tmp)
        bundle = args.bundle.resolve() if args.bundle else None
        if bundle is not None and not (bundle / "skill" / "lambda_function.py").is_file():
            parser.error(f"{bundle} is no Lambda bundle: run `make package` first")
        bench = Bench(
            python=sys.executable,
            work=work,
            env=child_env(work, args.log_level, bundle),
            bundle=bundle,
        )
        print(f"python {sys.version.split()[0]} ({sys.executable}); store in {work}/store\n")
        cold, heavy_ours, heavy_hello = cold_start(bench, args.runs)
        warm_p50, our_p99 = warm_latency(bench, args.warm_requests, args.block)
        print(
            f"\nLambda path imports {', '.join(heavy_ours) or 'none'} of {', '.join(HEAVY)}"
            f" (hello-world: {', '.join(heavy_hello) or 'none'})"
        )
        if not args.skip_imports:
            import_costs(bench, args.top)

    checks = [
        (
            f"cold start {cold['to_response_ms']:.2f}x <= {TARGET_COLD}x",
            cold["to_response_ms"] <= TARGET_COLD,
        ),
        (f"warm p50 {warm_p50:.2f}x <= {TARGET_WARM_P50}x", warm_p50 <= TARGET_WARM_P50),
        (f"our warm p99 {our_p99:.3f} ms < {TARGET_P99_MS} ms", our_p99 < TARGET_P99_MS),
        ("no boto3/flask on the Lambda path", not heavy_ours),
    ]
    print("\nSummary:")
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    missed = [label for label, ok in checks if not ok]
    print("targets: met" if not missed else "targets: missed: " + "; ".join(missed))
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
