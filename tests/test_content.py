"""The content loader fails loudly and precisely; the shipped content passes every rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from skill.content import (
    CALL_NOW_OPENING,
    COMPILED_NAME,
    ContentError,
    compile_content,
    load_library,
)
from skill.settings import PROJECT_DIR, Settings
from skill.tools.check import run_checks

CONTENT_DIR = PROJECT_DIR / "content"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _edit(path: Path, change: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert callable(change)
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _problems(content_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_library(content_dir)
    return caught.value.problems


def test_shipped_content_loads_every_locale() -> None:
    library = load_library(CONTENT_DIR)
    assert {"en-US", "en-GB", "en-CA", "en-AU", "en-IN"} <= set(library.locales)
    for content in library.locales.values():
        assert content.emergency.red_flag.startswith(CALL_NOW_OPENING)
        assert content.clinic.phone_display.startswith("(555) 010-01")


def test_a_missing_key_is_named(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].pop("sources"))
    assert any("topics.aura.sources" in problem for problem in _problems(content_copy))


def test_a_long_first_answer_is_refused(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].update(first="word " * 41))
    problems = _problems(content_copy)
    assert any("topics.aura.first: 41 words; at most 40" in problem for problem in problems)


def test_unknown_placeholders_and_literal_numbers_are_refused(content_copy: Path) -> None:
    def change(document: dict[str, object]) -> None:
        messages = document["messages"]
        assert isinstance(messages, dict)
        messages["goodbye"] = "Bye {user_name}."
        messages["fallback"] = "Call 911 if you need to."

    _edit(content_copy / "en.yaml", change)
    problems = _problems(content_copy)
    assert any("messages.goodbye: unknown placeholder {user_name}" in p for p in problems)
    assert any("messages.fallback: names an emergency number" in p for p in problems)


def test_emergency_answers_must_open_with_the_instruction(content_copy: Path) -> None:
    _edit(
        content_copy / "en.yaml",
        lambda d: d["emergency"].update(red_flag="Please consider calling {emergency_number}."),
    )
    assert any("emergency.red_flag: must open with" in p for p in _problems(content_copy))


def test_overlay_must_extend_an_existing_base(content_copy: Path) -> None:
    (content_copy / "en-NZ.yaml").write_text("extends: english\nlocale: en-NZ\n", encoding="utf-8")
    assert any("en-NZ.yaml: extends 'english'" in p for p in _problems(content_copy))


def test_an_overlay_number_must_be_digits(content_copy: Path) -> None:
    _edit(content_copy / "en-GB.yaml", lambda d: d["emergency"].update(number="nine nine nine"))
    assert any("en-GB.yaml: emergency.number" in p for p in _problems(content_copy))


def test_unreadable_yaml_is_reported_not_raised(content_copy: Path) -> None:
    (content_copy / "en.yaml").write_text("topics: [unclosed", encoding="utf-8")
    assert any("en.yaml: cannot be read as YAML" in p for p in _problems(content_copy))


def test_a_misspelt_message_key_is_reported(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["messages"].update(goodby="Bye."))
    assert any("messages.goodby: is not a message" in p for p in _problems(content_copy))


def test_every_answer_was_reviewed_and_has_sources() -> None:
    library = load_library(CONTENT_DIR)
    content = library.for_locale("en-US")
    for topic in content.topics.values():
        for answer in (topic.answer, *topic.items.values()):
            assert answer.sources, answer.key
            assert answer.reviewed.year >= 2026, answer.key


def test_compiled_content_is_the_same_library(content_copy: Path) -> None:
    """The Lambda bundle reads content/compiled.json instead of the YAML: same answers."""
    from_yaml = load_library(content_copy)
    (content_copy / COMPILED_NAME).write_text(compile_content(content_copy), encoding="utf-8")
    for path in content_copy.glob("*.yaml"):
        path.unlink()  # prove the YAML is not read
    from_json = load_library(content_copy)
    assert from_json.locales == from_yaml.locales


def test_stale_compiled_content_fails_the_check(content_copy: Path) -> None:
    (content_copy / COMPILED_NAME).write_text(compile_content(content_copy), encoding="utf-8")
    _edit(content_copy / "en.yaml", lambda d: d["messages"].update(goodbye="Bye now."))
    problems = run_checks(Settings(content_dir=content_copy))
    assert problems == [f"content: {COMPILED_NAME} is older than the YAML; rebuild it or delete it"]


def test_a_broken_locale_falls_back_at_run_time_but_fails_the_check(content_copy: Path) -> None:
    _edit(content_copy / "en-GB.yaml", lambda d: d["emergency"].update(red_flag="Maybe call."))
    assert any("en-GB.yaml: emergency.red_flag" in p for p in _problems(content_copy))
    library = load_library(content_copy, validate_all=False)  # the cold-start path
    assert library.for_locale("en-GB").locale == "en-US"
