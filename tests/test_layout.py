"""The runtime stands apart from the local tools: Lambda never imports ``skill.tools``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import load_event
from skill.settings import PROJECT_DIR
from skill.tools.envelopes import Session, slot

#: Runs in a fresh interpreter: every request kind through the Lambda entry, then reports
#: which of the project's modules were imported.
_PROBE = """
import json, sys
from skill.lambda_function import handler
for event in json.load(sys.stdin):
    handler(event, None)
print(json.dumps(sorted(name for name in sys.modules if name.startswith("skill"))))
"""


def _events() -> list[dict[str, object]]:
    session = Session()
    return [
        load_event("launch.json"),
        load_event("echo_show_launch.json"),
        load_event("intent_trigger_er_match.json"),
        load_event("intent_trigger_er_no_match.json"),
        load_event("session_ended_error.json"),
        load_event("exception_encountered.json"),
        session.intent("TriggerIntent", {"trigger": slot("trigger", "pineapple")}),
        session.intent("RedFlagIntent", {"redFlag": slot("redFlag", "a stiff neck")}),
        session.intent("AMAZON.FallbackIntent"),
        session.intent("NoSuchIntent"),
    ]


def test_the_lambda_entry_imports_no_local_tool() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE],
        input=json.dumps(_events()),
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=True,
        timeout=60,
    )
    imported = json.loads(completed.stdout.splitlines()[-1])
    assert "skill.app" in imported and "skill.handlers" in imported
    assert [name for name in imported if name.startswith("skill.tools")] == []
    assert "skill.web" not in imported and "skill.verification" not in imported


_COLD_PROBE = """
import json, sys
from skill.lambda_function import handler
for event in json.load(sys.stdin):
    handler(event, None)
print(json.dumps(sorted(sys.modules)))
"""


def test_a_cold_start_loads_only_what_a_launch_and_a_topic_need(tmp_path: Path) -> None:
    """As in the bundle (the content's snapshot): no YAML, parser, triage engine or router."""
    from skill.tools.compile import write_snapshot

    write_snapshot(PROJECT_DIR / "content", tmp_path)
    completed = subprocess.run(
        [sys.executable, "-c", _COLD_PROBE],
        input=json.dumps([load_event("launch.json"), load_event("intent_trigger_er_match.json")]),
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={
            **os.environ,
            "SKILL_CONTENT_DIR": str(tmp_path),
            "SKILL_STORE_PATH": str(tmp_path / "p.json"),
        },
        check=True,
        timeout=60,
    )
    imported = set(json.loads(completed.stdout.splitlines()[-1]))
    assert "skill.content.snapshot" in imported
    unwanted = {
        "yaml",
        "skill.content.parser",
        "skill.content.library",
        "skill.triage",
        "skill.routing",
        "snowballstemmer",
        "skill.text",
    }
    assert imported & unwanted == set()
