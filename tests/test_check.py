"""``python -m skill check``: passes on the repository, and names each problem it finds once,
with the file and key that hold it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from skill.content import SNAPSHOT_DIR, ContentLibrary, load_library
from skill.settings import PROJECT_DIR, Settings
from skill.tools.check import (
    check_clinic,
    check_model,
    run_checks,
    safety_problems,
    ssml_problems,
)
from skill.tools.rules import locale_problems

CONTENT_DIR = PROJECT_DIR / "content"
MODEL = PROJECT_DIR / "interaction_model" / "interactionModels" / "custom" / "en-US.json"
NUMBERS = frozenset({"911", "999", "000", "112", "988", "116 123"})


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns(SNAPSHOT_DIR))
    return target


def _edit(path: Path, change: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert callable(change)
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _writing(content_dir: Path, locale: str = "en-US") -> list[str]:
    content = load_library(content_dir).content(locale)
    return [f"{path}: {problem}" for path, problem in locale_problems(content, NUMBERS)]


def test_check_passes_on_the_repository() -> None:
    assert run_checks(Settings()).problems == []


def test_word_counts_are_of_the_rendered_speech_with_its_offer(content_copy: Path) -> None:
    # 36 words of text: under 40 in the YAML, but 42 once "Would you like to hear more?" follows
    _edit(
        content_copy / "en.yaml", lambda d: d["topics"]["aura"].update(first="An aura may. " * 12)
    )
    assert "topics.aura.first: 42 spoken words with the line after it; at most 40" in _writing(
        content_copy
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Visit https://example.com for more.", "a web address is not spoken"),
        ("Rest in a *dark* room.", "has markup"),
        ("Rest well \U0001f634 tonight.", "has an emoji"),
        ("Rest well.. tonight.", "has a doubled full stop"),
        ("Rest well , tonight.", "has a space before punctuation"),
        ("Rest & relax.", "has a symbol"),
        ("Yes. Rest in a dark room.", "opens with yes or no"),
        ("Call 911 if it gets worse.", "writes the number 911 out"),
    ],
)
def test_writing_rules_on_spoken_text(content_copy: Path, text: str, problem: str) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].update(first=text))
    assert any(line.startswith("topics.aura.first: " + problem) for line in _writing(content_copy))


def test_a_card_title_is_not_a_phrase(content_copy: Path) -> None:
    _edit(
        content_copy / "en.yaml", lambda d: d["topics"]["clinic"].update(name="Contact the clinic")
    )
    assert any(
        "topics.clinic.name: uses the card title 'Contact the clinic' as a phrase" in line
        for line in _writing(content_copy)
    )


def test_safety_answers_must_give_their_numbers(content_copy: Path) -> None:
    def change(document: dict[str, object]) -> None:
        safety = document["safety"]
        assert isinstance(safety, dict)
        safety["call_now"]["first"] = "Please get help. Call {emergency_number}."
        safety["crisis"]["first"] = "I'm sorry. Call {emergency_number} if you're in danger."
        messages = document["messages"]
        assert isinstance(messages, dict)
        messages["fallback"] = "In an emergency call {emergency_number}. What would you like?"

    _edit(content_copy / "en.yaml", change)
    problems = [
        f"{p}: {q}" for p, q in safety_problems(load_library(content_copy).content("en-US"))
    ]
    assert "safety.call_now.first: must give {emergency_number} in its first sentence" in problems
    assert "safety.call_now.first: must say plainly that the skill can't make calls" in problems
    assert "safety.crisis.first: must give the crisis line, {crisis_number}" in problems
    assert any(
        p.startswith("messages.fallback: must end with what to do in an emergency")
        for p in problems
    )


def test_a_poison_line_goes_in_the_first_sentence(content_copy: Path) -> None:
    _edit(
        content_copy / "en-US.yaml",
        lambda d: d["safety"]["poisoning"].update(
            first="Call {emergency_number} now, even if you feel well. I can't make calls."
        ),
    )
    problems = dict(safety_problems(load_library(content_copy).content("en-US")))
    assert "poison line" in problems["safety.poisoning.first"]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("phone", "+1-555-O1O-0142", "no letters"),
        ("phone", "+1 555 010 0142", "not a valid number"),
        ("website", "http://clinic.example.com", "must be an https:// address"),
        ("hours", "Mon-Fri 08:00-17:00", "must read aloud as words"),
    ],
)
def test_clinic_details_are_checked(
    content_copy: Path, field: str, value: str, problem: str
) -> None:
    _edit(content_copy / "clinic.yaml", lambda d: d.update({field: value}))
    problems, _ = check_clinic(load_library(content_copy))
    assert any(line.startswith(f"{field}:") and problem in line for line in problems), problems


def test_a_real_number_containing_911_is_fine(content_copy: Path) -> None:
    _edit(content_copy / "clinic.yaml", lambda d: d.update(phone="+1 212 555 9110"))
    library = load_library(content_copy)
    problems, warnings = check_clinic(library)
    assert [p for p in problems if p.startswith("phone")] == []
    assert not any("fictional" in w for w in warnings)
    assert not any("911" in line for line in _writing(content_copy))


def test_the_shipped_example_number_is_a_warning_not_a_failure() -> None:
    problems, warnings = check_clinic(load_library(CONTENT_DIR))
    assert problems == []
    assert any("fictional example number" in w for w in warnings)


def test_pending_review_warns_and_a_late_review_fails_only_when_strict(content_copy: Path) -> None:
    review = {
        "reviewed_by": "Dr A. Example",
        "reviewed_on": "2025-01-10",
        "next_review": "2026-01-10",
    }
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].update(review=review))
    settings = Settings(content_dir=content_copy)
    today = dt.date(2026, 12, 1)
    relaxed = run_checks(settings, today=today)
    assert any("await clinical review" in w for w in relaxed.warnings)
    assert any("topics.aura: review was due on 2026-01-10" in w for w in relaxed.warnings)
    assert not any("review was due" in p for p in relaxed.problems)
    strict = run_checks(settings, strict=True, today=today)
    assert any("topics.aura: review was due on 2026-01-10" in p for p in strict.problems)


def test_the_model_is_cross_checked_with_content(library: ContentLibrary) -> None:
    model = json.loads(MODEL.read_text(encoding="utf-8"))
    language_model = model["interactionModel"]["languageModel"]
    language_model["intents"] = [i for i in language_model["intents"] if i["name"] != "AuraIntent"]
    language_model["intents"].append({"name": "HoroscopeIntent", "samples": ["my horoscope"]})
    trigger = next(t for t in language_model["types"] if t["name"] == "TRIGGER")
    trigger["values"].append({"id": "cheese_on_toast", "name": {"value": "cheese on toast"}})
    causes = next(i for i in language_model["intents"] if i["name"] == "CausesIntent")
    causes["samples"].append("what triggers migraines")
    causes["samples"].append("is {symptom} normal")  # no such slot in CausesIntent
    problems = check_model(model, library.content("en-US"))
    assert "intent AuraIntent is handled but missing from the model" in problems
    assert "intent HoroscopeIntent has no handler and no content topic" in problems
    assert any("value 'cheese_on_toast' has no topics.triggers.items" in p for p in problems)
    assert any("'what triggers migraines' appears also in" in p for p in problems)
    assert any("uses undeclared slot {symptom}" in p for p in problems)


def test_utterance_conflicts_are_found_with_slot_values_filled_in(library: ContentLibrary) -> None:
    model = json.loads(MODEL.read_text(encoding="utf-8"))
    intents = model["interactionModel"]["languageModel"]["intents"]
    symptoms = next(i for i in intents if i["name"] == "SymptomsIntent")
    symptoms["samples"].append("i keep getting {symptom}")
    causes = next(i for i in intents if i["name"] == "CausesIntent")
    causes["samples"].append("i keep getting nausea")
    problems = check_model(model, library.content("en-US"))
    assert "'i keep getting nausea' is claimed by both CausesIntent and SymptomsIntent" in problems


def test_a_topic_sample_that_triages_unsafe_is_refused(library: ContentLibrary) -> None:
    model = json.loads(MODEL.read_text(encoding="utf-8"))
    intents = model["interactionModel"]["languageModel"]["intents"]
    next(i for i in intents if i["name"] == "SelfCareIntent")["samples"].append("i want to die")
    problems = check_model(model, library.content("en-US"))
    assert any(
        p.startswith("SelfCareIntent: sample 'i want to die' triages crisis") for p in problems
    )


def test_a_stale_model_fails_the_check(tmp_path: Path) -> None:
    model_dir = tmp_path / "interaction_model"
    shutil.copytree(PROJECT_DIR / "interaction_model", model_dir)
    grammar = model_dir / "grammar" / "en-GB.yaml"
    grammar.write_text(
        grammar.read_text(encoding="utf-8") + "\n# a new sample nobody expanded\n",
        encoding="utf-8",
    )
    document = yaml.safe_load(grammar.read_text(encoding="utf-8")) or {}
    document.setdefault("intents", {}).setdefault("DiaryIntent", {}).setdefault(
        "samples", []
    ).append("a brand new way to ask about a diary")
    grammar.write_text(yaml.safe_dump(document), encoding="utf-8")
    problems = run_checks(Settings(model_dir=model_dir)).problems
    assert any("en-GB.json: not what grammar/en-GB.yaml expands to" in p for p in problems)


def test_ssml_problems_are_found() -> None:
    assert ssml_problems("<speak>fine</speak>") == []
    assert ssml_problems("<speak>a & b</speak>")
    assert ssml_problems("<speak><audio src='x'/></speak>")
    assert ssml_problems("<speak>" + "a" * 8000 + "</speak>")


def test_check_command_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "skill", "check"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "warning: review:" in ok.stderr  # honest about what is still pending
    broken = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, broken)
    (broken / "en.yaml").write_text("skill_name: [unclosed\n", encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, "-m", "skill", "check"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={"SKILL_CONTENT_DIR": str(broken), "PATH": ""},
        check=False,
    )
    assert failed.returncode == 1
    assert "en.yaml: is not valid YAML at line 1" in failed.stderr
    assert "Traceback" not in failed.stderr
