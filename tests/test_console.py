"""The console: typed utterances resolved offline and answered through the Lambda entry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skill.content import ContentLibrary
from skill.handlers.safety import carries_words
from skill.settings import PROJECT_DIR, Settings
from skill.tools.console import Console

GOLDEN_DIR = Path(__file__).with_name("golden")

CONVERSATIONS = {
    "first_visit": ["open migraine helper", "what triggers migraines", "yes", "repeat", "no", "no"],
    "emergency_no": ["ask migraine helper is this an emergency", "no", "yes", "stop"],
    "emergency_yes": ["is this an emergency", "yes"],
    "red_flag": ["alexa ask migraine helper i have the worst headache of my life"],
    "ketamine": [
        "tell me about ketamine",
        "does ketamine really work for migraines",
        "is ketamine addictive",
        "tell me more",
        "what are the side effects of ketamine",
    ],
    "slots": [
        "can red wine give me a migraine",
        "can pineapple trigger a migraine",
        "yes",
        "is dizziness a symptom of migraine",
    ],
    "whisper": ["whisper", "what is an aura", "speak normally", "help", "cancel"],
}


def _transcript(console: Console, utterances: list[str]) -> str:
    lines = []
    for utterance in utterances:
        turn = console.say(utterance)
        lines.append(f"you> {utterance}")
        lines.append(f"     {turn.explain()}")
        lines.append(f"alexa> {turn.speech}")
        if turn.ended:
            lines.append("(session ended)")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_golden_transcripts(name: str, settings: Settings, request: pytest.FixtureRequest) -> None:
    """Key conversations, word for word; `pytest --update-golden` rewrites them for review."""
    transcript = _transcript(Console(settings), CONVERSATIONS[name])
    path = GOLDEN_DIR / f"{name}.txt"
    if request.config.getoption("--update-golden"):
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(transcript, encoding="utf-8")
    assert path.is_file(), f"no golden transcript {path.name}: run pytest --update-golden"
    assert transcript == path.read_text(encoding="utf-8")


PHRASINGS = [
    ("what triggers migraines", "TriggerIntent", "Common migraine triggers"),
    ("can chocolate cause a migraine", "TriggerIntent", "Chocolate"),
    ("does the weather affect migraines", "TriggerIntent", "Changes in the weather"),
    ("why do i get migraines", "CausesIntent", ""),
    ("what are the symptoms of a migraine", "SymptomsIntent", ""),
    ("what is an aura", "AuraIntent", ""),
    ("how does ketamine help migraines", "KetamineIntent", ""),
    ("what can i do right now", "SelfCareIntent", ""),
    ("what is a rebound headache", "MedicationOveruseIntent", ""),
    ("what's the clinic's phone number", "ClinicIntent", ""),
    ("is this medical advice", "DisclaimerIntent", ""),
    ("my speech is slurred", "RedFlagIntent", "Call 911 now."),
]


@pytest.mark.parametrize(("utterance", "intent", "opening"), PHRASINGS)
def test_people_phrasings_reach_the_right_answer(
    settings: Settings, library: ContentLibrary, utterance: str, intent: str, opening: str
) -> None:
    """Matched to the intent's samples, or carried whole to the skill and routed there."""
    turn = Console(settings).say(utterance)
    assert turn.resolution.intent == intent or carries_words(turn.resolution.intent), turn.explain()
    assert turn.speech.startswith(opening)
    topic = library.for_locale("en-US").topic_for_intent(intent)
    if topic is not None and not opening:  # the topic's own answer, by its card's title
        assert turn.card is not None and turn.card.startswith(topic.answer.title), turn.explain()
    assert len(turn.speech.split()) >= 10


def _run(
    args: list[str], tmp_path: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SKILL_STORE_PATH": str(tmp_path / "prefs.json")}
    return subprocess.run(
        [sys.executable, "-m", "skill", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env=env,
        timeout=60,
        check=False,
    )


def test_ask_prints_the_spoken_answer(tmp_path: Path) -> None:
    result = _run(["ask", "is ketamine addictive", "--explain"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Ketamine")
    assert "[KetamineAddictionIntent]" in result.stderr
    uk = _run(["ask", "my face is drooping", "--locale", "en-GB"], tmp_path)
    assert uk.stdout.startswith("Call 999 now.")


def test_chat_keeps_the_session_across_turns(tmp_path: Path) -> None:
    result = _run(["chat"], tmp_path, stdin="what is an aura\nyes\nrepeat\nstop\n")
    assert result.returncode == 0, result.stderr
    answers = [line for line in result.stdout.splitlines() if line.startswith("alexa> ")]
    assert len(answers) == 4
    assert answers[1] == answers[2]  # "repeat" said the "yes" part again
    assert answers[0] != answers[1]
