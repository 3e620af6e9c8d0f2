"""An independent Alexa emulator (virtual-alexa, npm) drives the real web entry over HTTP.

virtual-alexa reads our interaction model, turns utterances into requests the way Alexa
does (samples, slots, entity resolution), and posts them to the skill; this is the closest
thing to a device that runs offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from skill.app import build_skill
from skill.content import ContentLibrary
from skill.settings import PROJECT_DIR, Settings
from skill.speech import ssml_to_text
from skill.web import create_app, create_server

SCRIPT = PROJECT_DIR / "tests" / "support" / "emulator.js"
MODEL = PROJECT_DIR / "interaction_model" / "interactionModels" / "custom" / "en-US.json"


@pytest.fixture
def skill_url(settings: Settings, library: ContentLibrary) -> Iterator[str]:
    app = create_app(settings, skill=build_skill(settings, library), dev=True)
    server = create_server("127.0.0.1", 0, dev=True, settings=settings, app=app)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/"
    finally:
        server.close()
        thread.join(timeout=5)


def emulate(url: str, *conversations: list[str]) -> list[list[dict[str, Any]]]:
    node = shutil.which("node")
    assert node is not None, "node is needed: run `make setup`"
    completed = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps({"url": url, "model": str(MODEL), "conversations": conversations}),
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=True,
        timeout=120,
    )
    results: list[list[dict[str, Any]]] = json.loads(completed.stdout)
    for turns in results:
        for turn in turns:
            assert "error" not in turn, turn
            if turn["ssml"] is not None:
                turn["text"] = ssml_to_text(turn["ssml"])
    return results


def test_a_first_visit_conversation(skill_url: str) -> None:
    [turns] = emulate(skill_url, ["LAUNCH", "what triggers migraines", "yes", "repeat", "no", "no"])
    launch, triggers, more, repeat, no, goodbye = turns
    assert "not medical advice" in launch["text"] and not launch["ended"]
    assert triggers["text"].startswith("Common migraine triggers")
    assert triggers["reprompt"] and not triggers["ended"]
    assert more["text"] != triggers["text"] and repeat["text"] == more["text"]
    assert "anything else" in no["text"] and not no["ended"]
    assert goodbye["ended"]


@pytest.mark.parametrize(
    "statement",
    [
        "i have the worst headache of my life",
        "my face is drooping",
        "my speech is slurred",
        "i had a seizure",
        "i hit my head",
        "i have a fever and a stiff neck",
    ],
)
def test_red_flags_through_the_emulator(skill_url: str, statement: str) -> None:
    [[turn]] = emulate(skill_url, [statement])
    assert turn["text"].startswith("Call 911 now.")
    assert "whispered" not in turn["ssml"]


def test_slots_are_resolved_by_the_emulator(skill_url: str) -> None:
    # virtual-alexa only fills custom slots with the type's own values, so an unknown value
    # ("pineapple") is covered through the Lambda path in test_topics.py instead.
    [[wine, dizzy]] = emulate(
        skill_url, ["can red wine trigger a migraine", "is dizziness a symptom of migraine"]
    )
    assert wine["text"].startswith("Alcohol")
    assert dizzy["text"].startswith("Dizziness")


def test_whisper_is_remembered_in_a_new_session(skill_url: str) -> None:
    [turns] = emulate(skill_url, ["LAUNCH", "whisper", "stop", "LAUNCH", "speak normally"])
    assert "whispered" in turns[1]["ssml"]
    assert turns[2]["ended"]
    assert "whispered" in turns[3]["ssml"]  # a new session for the same (emulated) user
    assert "whispered" not in turns[4]["ssml"]


def test_emergency_question_through_the_emulator(skill_url: str) -> None:
    yes, no = emulate(
        skill_url,
        ["is this an emergency", "yes"],
        ["is this an emergency", "no", "yes", "stop"],
    )
    assert yes[1]["text"].startswith("Call 911 now.") and yes[1]["ended"]
    assert "pregnant" in no[1]["text"]
    assert not no[2]["ended"] and no[3]["ended"]
