"""Understood as people speak: phrasing sets nobody tuned a sample to, scored through an
independent emulator (virtual-alexa, exact samples and listed slot values only) and the
Lambda entry, per locale and per intent; the safety sets must route 100% of each class.

The held-out sets (``holdout/``), written later by someone else and never tuned for, are
scored and reported, not gated: they say how well the grammar generalises. The console's
own score on the same sets is reported too. Reports print at the end of the test run.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skill.app import build_skill, handle_event
from skill.content import ContentLibrary
from skill.metrics import RequestRecorder
from skill.settings import PROJECT_DIR, Settings
from skill.tools.console import Console
from skill.tools.grammar import grammar_files
from support.emulation import (
    PHRASINGS_DIR,
    SAFETY_DIR,
    Emulator,
    Phrasing,
    Score,
    load_phrasings,
    load_safety,
    score,
    understood,
)

LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")
REQUIRED_ACCURACY = 0.95
#: Printed at the end of the run by conftest's terminal summary.
REPORTS: list[str] = []


@pytest.mark.parametrize("locale", LOCALES)
def test_phrasings_are_understood(emulator: Emulator, library: ContentLibrary, locale: str) -> None:
    phrasings = load_phrasings(PHRASINGS_DIR / f"{locale}.json")
    result = score(emulator, phrasings, library.for_locale(locale), locale=locale)
    REPORTS.append(result.report(f"phrasings {locale} (emulator, Lambda entry)"))
    assert result.accuracy >= REQUIRED_ACCURACY, result.report(locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_safety_phrasing_gets_its_safety_answer(
    emulator: Emulator, library: ContentLibrary, locale: str
) -> None:
    phrasings = load_safety(SAFETY_DIR / f"{locale}.json")
    result = score(emulator, phrasings, library.for_locale(locale), locale=locale, by="safety")
    REPORTS.append(result.report(f"safety {locale} (emulator, Lambda entry)"))
    failed = {group: result.of(group) for group in result.totals if result.of(group) < 1.0}
    assert not failed, result.report(locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_held_out_sets_are_scored_and_reported(
    emulator: Emulator, library: ContentLibrary, locale: str
) -> None:
    content = library.for_locale(locale)
    phrasings = load_phrasings(PHRASINGS_DIR / "holdout" / f"{locale}.json")
    safety = load_safety(SAFETY_DIR / "holdout" / f"{locale}.json")
    held_out = score(emulator, phrasings, content, locale=locale)
    held_out_safety = score(emulator, safety, content, locale=locale, by="safety")
    REPORTS.append(held_out.report(f"held-out phrasings {locale} (reported, not gated)"))
    REPORTS.append(held_out_safety.report(f"held-out safety {locale} (reported, not gated)"))
    assert held_out.totals and held_out_safety.totals


@pytest.mark.parametrize("locale", LOCALES)
def test_the_console_is_scored_on_the_same_phrasings(
    tmp_path: Path, library: ContentLibrary, locale: str
) -> None:
    """What a developer typing these phrasings would be told, strictly and not: scored as
    the emulator's are, on what the skill answered."""
    settings = Settings(store_path=tmp_path / "preferences.json")
    phrasings = load_phrasings(PHRASINGS_DIR / f"{locale}.json")
    content = library.for_locale(locale)
    for strict in (True, False):
        lines: list[dict[str, Any]] = []
        skill = build_skill(settings, library, recorder=RequestRecorder(_keep(lines)))
        console = Console(
            settings,
            locale=locale,
            strict=strict,
            library=library,
            invoke=functools.partial(handle_event, skill=skill, settings=settings),
        )
        result = Score()
        for phrasing in phrasings:
            lines.clear()
            turn = console.say(phrasing.text)
            record = lines[-1] if lines else {}
            slots = {
                name: {"id": match.value_id, "value": match.spoken}
                for name, match in turn.resolution.slots.items()
            }
            heard = {"intent": turn.resolution.intent, "slots": slots, "text": turn.speech}
            ok = understood(phrasing, heard, record, content)
            result.add(str(phrasing.intent), ok, f"{phrasing.text!r} -> {turn.explain()}")
        mode = "--strict" if strict else "default (exact, then similar)"
        REPORTS.append(f"console {locale}, {mode}: {result.accuracy:.1%} of {len(phrasings)}")
        assert result.totals


def _keep(lines: list[dict[str, Any]]) -> Callable[[str], None]:
    return lambda line: lines.append(json.loads(line))


def _literal_grammar_lines() -> set[str]:
    """Grammar lines with no alternatives, optional words or groups: written as is."""
    import yaml

    lines: set[str] = set()
    for path in grammar_files(PROJECT_DIR / "interaction_model").values():
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for intent in (document.get("intents") or {}).values():
            for sample in (intent or {}).get("samples") or []:
                if not re.search(r"[()\[\]~|]", str(sample)):
                    lines.add(" ".join(str(sample).lower().split()))
    return lines


def _all_phrasings() -> list[Phrasing]:
    found: list[Phrasing] = []
    for directory in (PHRASINGS_DIR, PHRASINGS_DIR / "holdout"):
        for locale in LOCALES:
            found += load_phrasings(directory / f"{locale}.json")
    for directory in (SAFETY_DIR, SAFETY_DIR / "holdout"):
        for locale in LOCALES:
            found += load_safety(directory / f"{locale}.json")
    return found


def test_no_phrasing_is_written_into_the_grammar() -> None:
    # The sets measure generalisation: a phrasing pasted into the grammar as a sample would
    # be tested with itself. (Expanded samples may of course coincide with what people say.)
    literal = _literal_grammar_lines()
    pasted = sorted({p.text for p in _all_phrasings() if " ".join(p.text.split()) in literal})
    assert pasted == []


def test_phrasing_sets_are_large_enough() -> None:
    us = load_phrasings(PHRASINGS_DIR / "en-US.json")
    per_intent: dict[str, int] = {}
    per_value: dict[str, int] = {}
    for phrasing in us:
        per_intent[str(phrasing.intent)] = per_intent.get(str(phrasing.intent), 0) + 1
        if phrasing.value:
            per_value[phrasing.value] = per_value.get(phrasing.value, 0) + 1
    custom = {name: n for name, n in per_intent.items() if not name.startswith("AMAZON.")}
    assert min(custom.values()) >= 25 and min(per_value.values()) >= 25
    safety = {loc: len(load_safety(SAFETY_DIR / f"{loc}.json")) for loc in LOCALES}
    assert sum(safety.values()) >= 300
    assert all(count >= 40 for loc, count in safety.items() if loc != "en-US")
    for locale in LOCALES[1:]:
        counts: dict[str, int] = {}
        for phrasing in load_phrasings(PHRASINGS_DIR / f"{locale}.json"):
            counts[str(phrasing.intent)] = counts.get(str(phrasing.intent), 0) + 1
        assert min(n for name, n in counts.items() if not name.startswith("AMAZON.")) >= 10


def test_phrasing_files_hold_each_text_once() -> None:
    for directory in (PHRASINGS_DIR, SAFETY_DIR, PHRASINGS_DIR / "holdout", SAFETY_DIR / "holdout"):
        for path in sorted(directory.glob("*.json")):
            is_safety = directory.name == "safety" or directory.parent.name == "safety"
            texts = [p.text for p in (load_safety(path) if is_safety else load_phrasings(path))]
            assert len(texts) == len(set(texts)), path.name
