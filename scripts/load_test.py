#!/usr/bin/env python3
"""Load test of the production web server (waitress + Flask) on loopback.

    .venv/bin/python scripts/load_test.py                     # 16 clients for 10 seconds
    .venv/bin/python scripts/load_test.py --clients 32 --seconds 5 --max-requests 20000

Starts ``skill.web``'s waitress server in dev mode (verification off, so loopback only) on
127.0.0.1 with an ephemeral port and a preference store in a temporary directory, in a child
process of its own (so the clients' threads do not share its interpreter lock; ``--same-process``
runs it in a thread here instead). Then N client threads, each with a ``requests.Session``, post
a mix of real envelopes (``tests/events``, ``../shared/envelopes`` and conversation turns) until
the time is up or the request budget is spent, and the server is stopped. Reported:
throughput, latency percentiles, status codes and errors (a non-200, a transport error, or a
body that is not a response envelope). Exits non-zero if there was any error.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = REPO_ROOT / "tests" / "events"
SHARED_ENVELOPES_DIR = REPO_ROOT.parent / "shared" / "envelopes"
HOST = "127.0.0.1"  # loopback only: dev mode has request verification off
REQUEST_TIMEOUT = 10.0


# --------------------------------------------------------------------------------------------
# The server


def build_server(store_dir: str) -> Any:
    """A bound (not yet running) waitress server for the skill in dev mode on an ephemeral port."""
    # With more clients than server threads, waitress warns about its queue on every request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from skill.app import build_skill
    from skill.settings import Settings
    from skill.web import create_app, create_server

    settings = Settings(store_path=Path(store_dir) / "preferences.json")
    app = create_app(settings, skill=build_skill(settings), dev=True)
    return create_server(HOST, 0, dev=True, settings=settings, app=app)


def stop_server(server: Any, thread: threading.Thread) -> None:
    server.trigger.pull_trigger(server.close)  # close() must run on the server's own loop
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


def serve_in_child(conn: Connection, store_dir: str) -> None:
    """Child process: start the server, report its port, serve until told to stop."""
    server = build_server(store_dir)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    conn.send(int(server.effective_port))
    conn.poll(None)  # anything (or the parent going away) means stop
    stop_server(server, thread)
    conn.close()


@dataclass
class RunningServer:
    url: str
    stop: Callable[[], None]


def start_server(store_dir: str, *, same_process: bool) -> RunningServer:
    if same_process:
        server = build_server(store_dir)
        thread = threading.Thread(target=server.run, name="waitress", daemon=True)
        thread.start()
        return RunningServer(
            f"http://{HOST}:{server.effective_port}/", lambda: stop_server(server, thread)
        )
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve_in_child, args=(child, store_dir), daemon=True)
    process.start()
    if not parent.poll(60):
        process.terminate()
        raise SystemExit("the server did not start within 60 s")
    port = parent.recv()

    def stop() -> None:
        parent.send("stop")
        process.join(timeout=15)
        if process.is_alive():  # only the child this script started
            process.terminate()
            process.join(timeout=5)

    return RunningServer(f"http://{HOST}:{port}/", stop)


# --------------------------------------------------------------------------------------------
# The requests


def envelopes() -> list[tuple[str, bytes]]:
    """Real envelopes plus a conversation's turns, as (label, JSON body)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from skill.tools.envelopes import Session, slot

    mix: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(EVENTS_DIR.glob("*.json")):
        mix.append((path.stem, json.loads(path.read_text(encoding="utf-8"))))
    if SHARED_ENVELOPES_DIR.is_dir():
        for path in sorted(SHARED_ENVELOPES_DIR.glob("*.json")):
            mix.append((f"shared:{path.stem}", json.loads(path.read_text(encoding="utf-8-sig"))))
    session = Session(user_id="amzn1.ask.account.LOADTEST", screen=True)
    session.new = False
    mix += [
        ("help", session.intent("AMAZON.HelpIntent")),
        ("topic", session.intent("KetamineEvidenceIntent")),
        (
            "red flag",
            session.intent("RedFlagIntent", {"redFlag": slot("redFlag", "numb", "weakness")}),
        ),
        (
            "symptom",
            session.intent("SymptomsIntent", {"symptom": slot("symptom", "nausea", "nausea")}),
        ),
        ("fallback", session.intent("AMAZON.FallbackIntent")),
        ("emergency", session.intent("EmergencyCheckIntent")),
        ("clinic", session.intent("ClinicIntent")),
    ]
    return [(label, json.dumps(event).encode("utf-8")) for label, event in mix]


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    by_label: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(
    index: int,
    url: str,
    mix: Sequence[tuple[str, bytes]],
    deadline: float,
    budget: itertools.count[int],
    limit: int,
    results: Results,
) -> None:
    import requests

    latencies: list[tuple[str, float]] = []
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    with requests.Session() as http:
        http.headers["Content-Type"] = "application/json"
        for label, body in itertools.islice(itertools.cycle(mix), index, None):
            if time.monotonic() >= deadline or next(budget) >= limit:
                break
            started = time.perf_counter()
            try:
                response = http.post(url, data=body, timeout=REQUEST_TIMEOUT)
                elapsed = (time.perf_counter() - started) * 1000
                statuses[str(response.status_code)] += 1
                if response.status_code != 200:
                    errors[f"HTTP {response.status_code} ({label})"] += 1
                elif not isinstance(response.json().get("response"), dict):
                    errors[f"not a response envelope ({label})"] += 1
            except Exception as error:  # a transport error is a result here, not a crash
                elapsed = (time.perf_counter() - started) * 1000
                statuses["no response"] += 1
                errors[f"{type(error).__name__} ({label})"] += 1
            latencies.append((label, elapsed))
    with results.lock:
        results.latencies_ms.extend(ms for _, ms in latencies)
        for label, ms in latencies:
            results.by_label.setdefault(label, []).append(ms)
        results.statuses.update(statuses)
        results.errors.update(errors)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (1-256)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to run (<= 600)")
    parser.add_argument(
        "--max-requests", type=int, default=500_000, help="stop after this many requests"
    )
    parser.add_argument(
        "--same-process", action="store_true", help="run the server in a thread of this process"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256:
        parser.error("--clients must be between 1 and 256")
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be more than 0 and at most 600")
    if args.max_requests < 1:
        parser.error("--max-requests must be positive")

    mix = envelopes()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="migraine-load-") as store_dir:
        server = start_server(store_dir, same_process=args.same_process)
        where = "in this process" if args.same_process else "in a child process"
        print(f"server: {server.url} (waitress, dev mode, {where}); store in {store_dir}")
        print(
            f"load: {args.clients} clients for {args.seconds:g} s "
            f"(at most {args.max_requests} requests), {len(mix)} different envelopes"
        )
        try:
            budget = itertools.count()
            started = time.monotonic()
            deadline = started + args.seconds
            threads = [
                threading.Thread(
                    target=client,
                    args=(i, server.url, mix, deadline, budget, args.max_requests, results),
                    name=f"client-{i}",
                )
                for i in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.seconds + REQUEST_TIMEOUT + 30)
            elapsed = time.monotonic() - started
        finally:
            server.stop()

    latencies = results.latencies_ms
    if not latencies:
        print("no requests completed")
        return 1
    total = len(latencies)
    error_count = sum(results.errors.values())
    print(f"\nrequests: {total} in {elapsed:.2f} s = {total / elapsed:.0f} requests/s")
    print(
        "latency (ms): "
        f"p50 {percentile(latencies, 0.5):.2f}  p90 {percentile(latencies, 0.9):.2f}  "
        f"p99 {percentile(latencies, 0.99):.2f}  max {max(latencies):.2f}  "
        f"mean {statistics.fmean(latencies):.2f}"
    )
    print("status codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(results.statuses.items())))
    slowest = sorted(results.by_label.items(), key=lambda item: -percentile(item[1], 0.5))[:5]
    print(
        "slowest envelopes (p50 ms): "
        + ", ".join(f"{k} {percentile(v, 0.5):.2f}" for k, v in slowest)
    )
    print(f"errors: {error_count}")
    for reason, count in results.errors.most_common(10):
        print(f"  {count:6d}  {reason}")
    return 1 if error_count else 0


if __name__ == "__main__":
    sys.exit(main())
