"""Understood as people speak: phrasing sets nobody tuned a sample to, scored through an
independent emulator (virtual-alexa, exact samples and listed slot values only) and the
Lambda entry, per locale and per intent; the safety sets must route 100% of each class.

The reports are printed at the end of the test run (``pytest -rA`` shows them in full).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from skill.content import ContentLibrary
from skill.settings import PROJECT_DIR, Settings
from skill.tools.grammar import grammar_files
from support.emulation import (
    PHRASINGS_DIR,
    SAFETY_DIR,
    Phrasing,
    lambda_bridge,
    load_phrasings,
    load_safety,
    score,
)

LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")
REQUIRED_ACCURACY = 0.95
#: Printed at the end of the run by conftest's terminal summary.
REPORTS: list[str] = []


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory, library: ContentLibrary) -> Iterator[str]:
    settings = Settings(store_path=tmp_path_factory.mktemp("store") / "preferences.json")
    with lambda_bridge(settings, library) as url:
        yield url


@pytest.mark.parametrize("locale", LOCALES)
def test_phrasings_are_understood(bridge: str, library: ContentLibrary, locale: str) -> None:
    phrasings = load_phrasings(PHRASINGS_DIR / f"{locale}.json")
    result = score(bridge, phrasings, library.for_locale(locale), locale=locale)
    REPORTS.append(result.report(f"phrasings {locale} (emulator, Lambda entry)"))
    assert result.accuracy >= REQUIRED_ACCURACY, result.report(locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_safety_phrasing_gets_its_safety_answer(
    bridge: str, library: ContentLibrary, locale: str
) -> None:
    phrasings = load_safety(SAFETY_DIR / f"{locale}.json")
    result = score(bridge, phrasings, library.for_locale(locale), locale=locale, by="safety")
    REPORTS.append(result.report(f"safety {locale} (emulator, Lambda entry)"))
    failed = {group: result.of(group) for group in result.totals if result.of(group) < 1.0}
    assert not failed, result.report(locale)


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
    for locale in LOCALES:
        found += load_phrasings(PHRASINGS_DIR / f"{locale}.json")
        found += load_safety(SAFETY_DIR / f"{locale}.json")
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


def test_phrasing_files_are_distinct_from_each_other() -> None:
    for directory in (PHRASINGS_DIR, SAFETY_DIR):
        for path in sorted(Path(directory).glob("*.json")):
            texts = [
                p.text
                for p in (load_safety(path) if directory == SAFETY_DIR else load_phrasings(path))
            ]
            assert len(texts) == len(set(texts)), path.name
