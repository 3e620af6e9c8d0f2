"""The per-request line: valid CloudWatch embedded-metric format, anonymous, one per request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import Conversation, load_event
from skill.app import build_skill, handle_event
from skill.content import ContentLibrary
from skill.metrics import DIMENSIONS, NAMESPACE, RequestRecorder, request_line
from skill.settings import PROJECT_DIR, Settings
from skill.tools.envelopes import Session, slot


def assert_emf(document: dict[str, Any]) -> None:
    """What CloudWatch requires of an EMF document (its specification, in brief)."""
    meta = document["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_600_000_000_000
    [directive] = meta["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    for dimension_set in directive["Dimensions"]:
        assert 1 <= len(dimension_set) <= 30
        for name in dimension_set:
            assert isinstance(document[name], str) and document[name], name
    for metric in directive["Metrics"]:
        assert isinstance(document[metric["Name"]], int | float), metric
        assert metric["Unit"] in {"Count", "Milliseconds"}


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def recorded(settings: Settings, library: ContentLibrary, lines: list[str]) -> Conversation:
    skill = build_skill(settings, library, recorder=RequestRecorder(lines.append))
    return Conversation(lambda event: handle_event(event, None, skill=skill, settings=settings))


def test_each_kind_of_request_is_counted(recorded: Conversation, lines: list[str]) -> None:
    recorded.launch()
    recorded.say("TriggerIntent", trigger=("red wine", "alcohol"))
    recorded.say("StatementIntent", statement="want to die")
    recorded.say("StatementIntent", statement="feel sick")
    recorded.say("AMAZON.FallbackIntent")
    recorded.say("AMAZON.StopIntent")
    documents = [json.loads(line) for line in lines]
    for document in documents:
        assert_emf(document)
    assert [d["Kind"] for d in documents] == [
        "launch",
        "topic",
        "safety",
        "statement",
        "fallback",
        "dialog",
    ]
    assert documents[1]["Topic"] == "triggers" and documents[1]["item"] == "alcohol"
    assert documents[2]["SafetyLevel"] == "crisis" and documents[2]["Topic"] == "crisis"
    assert documents[3]["Topic"] == "symptoms" and documents[3]["item"] == "nausea"
    assert ["Topic"] in documents[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert ["SafetyLevel"] not in documents[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]


def test_an_error_is_counted_as_one(recorded: Conversation, lines: list[str]) -> None:
    recorded.say("TriggerIntent", trigger=("z" * 9000, None))  # over the speech limit
    assert json.loads(lines[-1])["Kind"] == "error"


def test_only_known_fields_are_written_and_long_values_are_clipped() -> None:
    fields = {"intent": "X" * 500, "user_id": "amzn1.ask.account.A"}
    line = json.loads(request_line("topic", fields, 1_700_000_000_000))
    assert "user_id" not in line and len(line["intent"]) <= 83
    assert json.loads(request_line("weird kind", {}, 1_700_000_000_000))["Kind"] == "other"
    bare = json.loads(request_line("topic", {}, 1))
    assert bare["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Kind"]]
    assert DIMENSIONS[0] == ("Kind",)


def test_above_info_the_line_is_not_written(settings: Settings, library: ContentLibrary) -> None:
    lines: list[str] = []
    quiet = RequestRecorder(lines.append, enabled=False)
    skill = build_skill(settings, library, recorder=quiet)
    handle_event(load_event("launch.json"), None, skill=skill, settings=settings)
    assert lines == []


def test_in_lambda_the_line_goes_to_stdout_as_emf(tmp_path: Path) -> None:
    """CloudWatch reads EMF from the function's stdout; one whole JSON document a line."""
    session = Session()
    events = [
        session.launch(),
        session.intent("TriggerIntent", {"trigger": slot("trigger", "chocolate", "chocolate")}),
        session.intent("RedFlagIntent"),
    ]
    probe = (
        "import json, sys\n"
        "from skill.lambda_function import handler\n"
        "for event in json.load(sys.stdin):\n"
        "    handler(event, None)\n"
    )
    env = {
        **os.environ,
        "AWS_LAMBDA_FUNCTION_NAME": "migraine-helper-test",
        "SKILL_STORE_PATH": str(tmp_path / "prefs.json"),
    }
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        timeout=60,
    )
    documents = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(documents) == 3
    for document in documents:
        assert_emf(document)
    assert [d["Kind"] for d in documents] == ["launch", "topic", "safety"]
    assert documents[0]["cold_start"] is True and documents[1]["cold_start"] is False
