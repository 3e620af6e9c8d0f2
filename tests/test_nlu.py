"""The console's offline understanding (skill/tools/nlu.py): honest about how it matched.

Strict mode is virtual-alexa's matcher, proven by running every phrasing of every locale
through both; the default mode may add a labelled similarity match, never for danger.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.settings import PROJECT_DIR, Settings
from skill.tools.console import Console
from skill.tools.nlu import (
    FALLBACK_INTENT,
    LAUNCH_REQUEST,
    UtteranceResolver,
    emulator_form,
    load_resolver,
)
from support.emulation import Emulator

MODEL: dict[str, Any] = {
    "interactionModel": {
        "languageModel": {
            "invocationName": "migraine helper",
            "intents": [
                {
                    "name": "TriggerIntent",
                    "slots": [{"name": "trigger", "type": "TRIGGER"}],
                    "samples": ["what triggers migraines", "can {trigger} cause a migraine"],
                },
                {
                    "name": "StatementIntent",
                    "slots": [{"name": "statement", "type": "AMAZON.SearchQuery"}],
                    "samples": ["i {statement}"],
                },
                {"name": "CausesIntent", "samples": ["what causes migraines", "i get migraines"]},
                {"name": "AMAZON.HelpIntent", "samples": []},
                {"name": "AMAZON.StopIntent", "samples": []},
                {"name": "AMAZON.FallbackIntent", "samples": []},
            ],
            "types": [
                {
                    "name": "TRIGGER",
                    "values": [
                        {"id": "alcohol", "name": {"value": "alcohol", "synonyms": ["red wine"]}},
                    ],
                }
            ],
        }
    }
}


@pytest.fixture
def resolver() -> UtteranceResolver:
    return UtteranceResolver(MODEL)


def test_an_exact_sample_and_a_listed_synonym(resolver: UtteranceResolver) -> None:
    resolution = resolver.resolve("Can red wine cause a migraine?")
    assert resolution.intent == "TriggerIntent" and resolution.how == "exact"
    assert resolution.slots["trigger"].value_id == "alcohol"
    assert resolution.explain() == (
        "[TriggerIntent trigger='red wine'->alcohol] exact match of the sample "
        "'can {trigger} cause a migraine'"
    )


def test_a_custom_slot_takes_only_its_listed_values(resolver: UtteranceResolver) -> None:
    """As the emulator: "pineapple" is no TRIGGER value, so no sample matches."""
    assert resolver.resolve("can pineapple cause a migraine", strict=True).intent == FALLBACK_INTENT


def test_the_sample_with_more_literal_words_wins(resolver: UtteranceResolver) -> None:
    # "i get migraines" and "i {statement}" both match; the literal sample wins, as on virtual-alexa
    assert resolver.resolve("i get migraines").intent == "CausesIntent"
    statement = resolver.resolve("i feel awful")
    assert statement.intent == "StatementIntent"
    assert statement.slots["statement"].spoken == "feel awful"


def test_the_emulators_built_in_phrases(resolver: UtteranceResolver) -> None:
    assert resolver.resolve("help me", strict=True).intent == "AMAZON.HelpIntent"
    assert resolver.resolve("shut up", strict=True).intent == "AMAZON.StopIntent"


def test_launch_phrases(resolver: UtteranceResolver) -> None:
    assert resolver.resolve("open migraine helper").intent == LAUNCH_REQUEST
    asked = resolver.resolve("Alexa, ask migraine helper what causes migraines")
    assert asked.intent == "CausesIntent"
    assert (
        resolver.resolve("can you tell me what causes migraines", strict=True).intent
        != LAUNCH_REQUEST
    )


def test_similar_matches_are_labelled_and_absent_in_strict_mode(
    resolver: UtteranceResolver,
) -> None:
    similar = resolver.resolve("what cause migraines")
    assert similar.intent == "CausesIntent" and similar.device_may_differ
    assert "a device may not make this match" in similar.explain()
    assert resolver.resolve("what cause migraines", strict=True).intent == FALLBACK_INTENT


def test_unrelated_words_go_to_fallback_with_no_words(resolver: UtteranceResolver) -> None:
    fallback = resolver.resolve("purple monkey dishwasher")
    assert fallback.intent == FALLBACK_INTENT and fallback.slots == {}
    assert "Alexa would send FallbackIntent" in fallback.explain()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(utterance: str) -> None:
    resolution = UtteranceResolver(MODEL).resolve(utterance)
    assert resolution.intent


def test_emulator_form_removes_what_virtual_alexa_removes() -> None:
    assert emulator_form("What's   the (CAUSE)?") == "what's the cause"


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-AU", "en-CA", "en-IN"])
def test_strict_mode_agrees_with_virtual_alexa_on_every_phrasing(
    locale: str, emulator: Emulator
) -> None:
    """The proof behind ``--strict``: the same intent and slot ids as the emulator, always."""
    resolver = load_resolver(PROJECT_DIR / "interaction_model", locale)
    disagreements = []
    for text, turn in emulator.turns(locale).items():
        ours = resolver.resolve(text, strict=True)
        theirs = {name: slot.get("id") or slot.get("value") for name, slot in turn["slots"].items()}
        mine = {name: match.value_id or match.spoken for name, match in ours.slots.items()}
        if ours.intent != turn["intent"] or mine != {k: v for k, v in theirs.items() if v}:
            disagreements.append((text, ours.intent, mine, turn["intent"], theirs))
    assert disagreements == []


def test_the_console_never_matches_danger_to_a_topic_by_similarity(settings: Settings) -> None:
    console = Console(settings)
    turn = console.say("honestly i keep thinking everyone would be better off without me")
    assert turn.resolution.intent in {"StatementIntent", "CrisisIntent"}, turn.explain()
    assert "Lifeline" in turn.speech
