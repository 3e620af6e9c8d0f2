"""Offline utterance resolution (skill/nlu.py): a small inline model, then the real one."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.tools.nlu import (
    FALLBACK_INTENT,
    LAUNCH_REQUEST,
    ModelError,
    NoMatchError,
    Resolution,
    UtteranceResolver,
    load_resolver,
)

MODEL: dict[str, Any] = {
    "interactionModel": {
        "languageModel": {
            "invocationName": "migraine helper",
            "intents": [
                {
                    "name": "TriggerIntent",
                    "slots": [{"name": "trigger", "type": "TRIGGER"}],
                    "samples": [
                        "what triggers migraines",
                        "what sets off a migraine",
                        "tell me about migraine triggers",
                        "can {trigger} cause a migraine",
                        "is {trigger} a trigger",
                    ],
                },
                {
                    "name": "CausesIntent",
                    "samples": [
                        "what causes migraines",
                        "what's the cause of migraines",
                        "why do people get migraines",
                        "are migraines genetic",
                    ],
                },
                {
                    "name": "EmergencyCheckIntent",
                    "samples": [
                        "is this an emergency",
                        "should i call nine one one",
                        "should i go to the e r",
                    ],
                },
                {"name": "AMAZON.HelpIntent", "samples": []},
                {"name": "AMAZON.StopIntent", "samples": []},
                {"name": "AMAZON.YesIntent", "samples": []},
                {"name": "AMAZON.NoIntent", "samples": []},
                {"name": "AMAZON.MoreIntent", "samples": ["keep talking"]},
                {"name": "AMAZON.FallbackIntent", "samples": []},
            ],
            "types": [
                {
                    "name": "TRIGGER",
                    "values": [
                        {
                            "id": "alcohol",
                            "name": {"value": "alcohol", "synonyms": ["red wine", "wine", "beer"]},
                        },
                        {
                            "id": "weather",
                            "name": {
                                "value": "weather",
                                "synonyms": ["storm", "barometric pressure"],
                            },
                        },
                        {"id": "chocolate", "name": {"value": "chocolate"}},
                    ],
                }
            ],
        }
    }
}

MODEL_INTENTS = frozenset(i["name"] for i in MODEL["interactionModel"]["languageModel"]["intents"])
UNRELATED = [
    "what's the weather in paris",
    "play some music",
    "order a pizza",
    "tell me a joke",
    "set a timer for ten minutes",
]


@pytest.fixture(scope="module")
def resolver() -> UtteranceResolver:
    return UtteranceResolver.from_model(MODEL)


def _model_with(intents: list[dict[str, Any]]) -> dict[str, Any]:
    model = copy.deepcopy(MODEL)
    model["interactionModel"]["languageModel"]["intents"] = intents
    return model


# --------------------------------------------------------------------------- inline model


def test_properties(resolver: UtteranceResolver) -> None:
    assert resolver.invocation_name == "migraine helper"
    assert "TriggerIntent" in resolver.intent_names
    assert "AMAZON.CancelIntent" not in resolver.intent_names
    assert LAUNCH_REQUEST not in resolver.intent_names


@pytest.mark.parametrize(
    "utterance",
    ["what triggers migraines", "What triggers migraines?!", "  what   TRIGGERS migraines. "],
)
def test_exact_sample(resolver: UtteranceResolver, utterance: str) -> None:
    result = resolver.resolve(utterance)
    assert result == Resolution("TriggerIntent", {}, 1.0, "what triggers migraines")


@pytest.mark.parametrize(
    "utterance",
    [
        "whats the cause of migraines",
        "what is the cause of migraines",
        "What\u2019s the cause of migraines",
    ],
)
def test_contractions_match_either_way(resolver: UtteranceResolver, utterance: str) -> None:
    result = resolver.resolve(utterance)
    assert (result.intent, result.confidence) == ("CausesIntent", 1.0)


@pytest.mark.parametrize(
    "utterance", ["should i call 911", "Should I go to the ER?", "should i go to the e.r."]
)
def test_digits_and_spelt_letters(resolver: UtteranceResolver, utterance: str) -> None:
    result = resolver.resolve(utterance)
    assert (result.intent, result.confidence) == ("EmergencyCheckIntent", 1.0)


def test_slot_synonym_resolves_to_value_id(resolver: UtteranceResolver) -> None:
    result = resolver.resolve("can red wine cause a migraine")
    assert result.intent == "TriggerIntent"
    assert result.confidence == 1.0
    assert result.matched_sample == "can {trigger} cause a migraine"
    assert set(result.slots) == {"trigger"}
    slot = result.slots["trigger"]
    assert (slot.name, slot.spoken, slot.value_id, slot.canonical) == (
        "trigger",
        "red wine",
        "alcohol",
        "alcohol",
    )


def test_slot_value_name_resolves_too(resolver: UtteranceResolver) -> None:
    slot = resolver.resolve("is chocolate a trigger").slots["trigger"]
    assert (slot.value_id, slot.canonical) == ("chocolate", "chocolate")


def test_unknown_slot_value_still_fills_the_slot(resolver: UtteranceResolver) -> None:
    result = resolver.resolve("can pineapple cause a migraine")
    assert result.intent == "TriggerIntent"
    assert result.confidence < 1.0
    slot = result.slots["trigger"]
    assert (slot.spoken, slot.value_id, slot.canonical) == ("pineapple", None, None)


@pytest.mark.parametrize(
    ("utterance", "spoken", "value_id"),
    [
        ("can storms cause a migraine", "storms", "weather"),
        ("can the weather cause a migraine", "the weather", "weather"),
        ("can some beers cause a migraine", "some beers", "alcohol"),
        ("is my red wine a trigger", "my red wine", "alcohol"),
        ("is a chocolate a trigger", "a chocolate", "chocolate"),
    ],
)
def test_articles_and_plurals_are_tolerated(
    resolver: UtteranceResolver, utterance: str, spoken: str, value_id: str
) -> None:
    result = resolver.resolve(utterance)
    assert result.intent == "TriggerIntent"
    assert result.confidence == 1.0
    assert (result.slots["trigger"].spoken, result.slots["trigger"].value_id) == (spoken, value_id)


def test_value_inside_longer_slot_words(resolver: UtteranceResolver) -> None:
    result = resolver.resolve("can drinking red wine cause a migraine")
    assert result.slots["trigger"].spoken == "drinking red wine"
    assert result.slots["trigger"].value_id == "alcohol"
    assert result.confidence < 1.0  # the words are more than the value


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("alexa ask migraine helper what triggers migraines", "TriggerIntent"),
        ("Alexa, ask Migraine Helper: what causes migraines?", "CausesIntent"),
        ("ask migraine helper to tell me about migraine triggers", "TriggerIntent"),
        ("tell migraine helper to stop", "AMAZON.StopIntent"),
        ("open migraine helper and what triggers migraines", "TriggerIntent"),
        ("launch migraine helper and is this an emergency", "EmergencyCheckIntent"),
        ("please what triggers migraines", "TriggerIntent"),
        ("um what triggers migraines please", "TriggerIntent"),
        ("what triggers migraines using migraine helper", "TriggerIntent"),
    ],
)
def test_invocation_wrappers_are_stripped(
    resolver: UtteranceResolver, utterance: str, intent: str
) -> None:
    result = resolver.resolve(utterance)
    assert (result.intent, result.confidence) == (intent, 1.0)


@pytest.mark.parametrize(
    "utterance",
    [
        "open migraine helper",
        "Alexa, launch Migraine Helper.",
        "start migraine helper please",
        "migraine helper",
        "ask migraine helper",
        "talk to the migraine helper",
    ],
)
def test_opening_the_skill_is_a_launch_request(resolver: UtteranceResolver, utterance: str) -> None:
    assert resolver.resolve(utterance) == Resolution(LAUNCH_REQUEST, {}, 1.0, None)


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("help", "AMAZON.HelpIntent"),
        ("what can i say", "AMAZON.HelpIntent"),
        ("stop", "AMAZON.StopIntent"),
        ("that's all", "AMAZON.StopIntent"),
        ("yes", "AMAZON.YesIntent"),
        ("yes please", "AMAZON.YesIntent"),
        ("please do", "AMAZON.YesIntent"),
        ("nope", "AMAZON.NoIntent"),
        ("no thank you", "AMAZON.NoIntent"),
        ("i don't", "AMAZON.NoIntent"),
        ("tell me more", "AMAZON.MoreIntent"),
        ("keep talking", "AMAZON.MoreIntent"),  # the model's own sample for a built-in
    ],
)
def test_builtin_phrases(resolver: UtteranceResolver, utterance: str, intent: str) -> None:
    result = resolver.resolve(utterance)
    assert (result.intent, result.confidence) == (intent, 1.0)


@pytest.mark.parametrize("utterance", ["cancel", "start over", "repeat that"])
def test_only_declared_builtins_are_matched(resolver: UtteranceResolver, utterance: str) -> None:
    assert resolver.resolve(utterance).intent == FALLBACK_INTENT


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("what kinds of things trigger a migraine", "TriggerIntent"),
        ("why do some people get migraines", "CausesIntent"),
        ("is migraine genetic", "CausesIntent"),
        ("is it an emergency", "EmergencyCheckIntent"),
    ],
)
def test_fuzzy_rephrasing(resolver: UtteranceResolver, utterance: str, intent: str) -> None:
    result = resolver.resolve(utterance)
    assert result.intent == intent
    assert 0.0 < result.confidence < 1.0
    assert result.matched_sample is not None


def test_fuzzy_match_fills_slots_it_finds(resolver: UtteranceResolver) -> None:
    result = resolver.resolve("does beer trigger migraines")
    assert result.intent == "TriggerIntent"
    assert result.confidence < 1.0
    assert result.slots["trigger"].value_id == "alcohol"
    assert result.slots["trigger"].spoken == "beer"


@pytest.mark.parametrize("utterance", UNRELATED)
def test_unrelated_goes_to_fallback(resolver: UtteranceResolver, utterance: str) -> None:
    assert resolver.resolve(utterance) == Resolution(FALLBACK_INTENT, {}, 0.0, None)


@pytest.mark.parametrize(
    "utterance",
    ["", "   ", "\n\t", "🙂", "?!?", "'", "{}", "alexa", "ümlaut çafé", "x" * 10_000],
)
def test_empty_and_odd_input_goes_to_fallback(resolver: UtteranceResolver, utterance: str) -> None:
    assert resolver.resolve(utterance).intent == FALLBACK_INTENT


def test_long_input_still_resolves(resolver: UtteranceResolver) -> None:
    result = resolver.resolve("what triggers migraines " * 1000)
    assert result.intent == "TriggerIntent"
    assert result.confidence < 1.0  # no sample is that long: only a fuzzy match


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(utterance: str) -> None:
    result = UtteranceResolver.from_model(MODEL).resolve(utterance)
    assert result.intent in MODEL_INTENTS | {LAUNCH_REQUEST}
    assert 0.0 <= result.confidence <= 1.0


def test_ties_go_to_the_intent_declared_first() -> None:
    intents: list[dict[str, Any]] = [
        {"name": "FirstIntent", "samples": ["hello there"]},
        {"name": "SecondIntent", "samples": ["hello there"]},
        {"name": "AMAZON.FallbackIntent"},
    ]
    assert UtteranceResolver.from_model(_model_with(intents)).resolve("hello there").intent == (
        "FirstIntent"
    )
    assert UtteranceResolver.from_model(_model_with(intents[::-1])).resolve("hello").intent == (
        "SecondIntent"
    )


def test_a_bare_slot_sample_takes_only_known_values() -> None:
    intents: list[dict[str, Any]] = [
        {
            "name": "TriggerIntent",
            "slots": [{"name": "trigger", "type": "TRIGGER"}],
            "samples": ["{trigger}"],
        },
        {"name": "AMAZON.FallbackIntent"},
    ]
    bare = UtteranceResolver.from_model(_model_with(intents))
    assert bare.resolve("red wine").slots["trigger"].value_id == "alcohol"
    assert bare.resolve("play some music").intent == FALLBACK_INTENT


def test_amazon_slot_types_fill_spoken_without_a_value() -> None:
    intents: list[dict[str, Any]] = [
        {
            "name": "SearchIntent",
            "slots": [{"name": "query", "type": "AMAZON.SearchQuery"}],
            "samples": ["look up {query}"],
        },
        {"name": "AMAZON.FallbackIntent"},
    ]
    result = UtteranceResolver.from_model(_model_with(intents)).resolve("look up cluster headache")
    assert result.intent == "SearchIntent"
    assert result.confidence == 1.0
    slot = result.slots["query"]
    assert (slot.spoken, slot.value_id, slot.canonical) == ("cluster headache", None, None)


def test_no_fallback_declared_raises_a_clear_error() -> None:
    intents: list[dict[str, Any]] = [
        {"name": "TriggerIntent", "samples": ["what triggers migraines"]}
    ]
    strict = UtteranceResolver.from_model(_model_with(intents))
    assert strict.resolve("what triggers migraines").intent == "TriggerIntent"
    with pytest.raises(NoMatchError, match=r"AMAZON\.FallbackIntent"):
        strict.resolve("order a pizza")


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ({}, "intents: missing"),
        ({"interactionModel": {"languageModel": {"intents": "nope"}}}, "intents: missing"),
        (
            _model_with([{"name": "AIntent", "samples": ["say {thing}"]}]),
            "undeclared slot thing",
        ),
        (
            _model_with([{"name": "AIntent", "slots": [{"name": "x", "type": "NOPE"}]}]),
            "unknown slot type NOPE",
        ),
        (_model_with([{"name": "AIntent"}, {"name": "AIntent"}]), "declared twice"),
    ],
)
def test_malformed_models_are_refused(model: dict[str, Any], problem: str) -> None:
    with pytest.raises(ModelError, match=re.escape(problem)):
        UtteranceResolver.from_model(model)


def test_from_file_and_load_resolver(tmp_path: Path) -> None:
    custom = tmp_path / "interactionModels" / "custom"
    custom.mkdir(parents=True)
    (custom / "en-US.json").write_text(json.dumps(MODEL), encoding="utf-8")
    from_file = UtteranceResolver.from_file(custom / "en-US.json")
    assert from_file.resolve("what sets off a migraine").intent == "TriggerIntent"

    loaded = load_resolver(tmp_path, "en-US")
    assert loaded is load_resolver(tmp_path, "en-US")  # read once, then cached
    assert load_resolver(tmp_path, "en-GB") is loaded  # no en-GB model: en-US's


def test_load_resolver_prefers_the_locale_file(tmp_path: Path) -> None:
    custom = tmp_path / "interactionModels" / "custom"
    custom.mkdir(parents=True)
    (custom / "en-US.json").write_text(json.dumps(MODEL), encoding="utf-8")
    british = copy.deepcopy(MODEL)
    british["interactionModel"]["languageModel"]["invocationName"] = "headache helper"
    (custom / "en-GB.json").write_text(json.dumps(british), encoding="utf-8")
    assert load_resolver(tmp_path, "en-GB").invocation_name == "headache helper"
    assert load_resolver(tmp_path, "en-US").invocation_name == "migraine helper"


def test_unreadable_model_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        UtteranceResolver.from_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"broken\.json"):
        UtteranceResolver.from_file(broken)
    with pytest.raises(ModelError, match="no interaction model"):
        load_resolver(tmp_path, "en-US")


# --------------------------------------------------------------------------- the real model

REAL_MODEL = (
    Path(__file__).resolve().parents[1]
    / "interaction_model"
    / "interactionModels"
    / "custom"
    / "en-US.json"
)
needs_real_model = pytest.mark.skipif(
    not REAL_MODEL.exists(), reason="interaction_model/.../en-US.json not written yet"
)


def _real_language_model() -> dict[str, Any]:
    try:
        model: dict[str, Any] = json.loads(REAL_MODEL.read_text(encoding="utf-8"))
        return dict(model["interactionModel"]["languageModel"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # test_real_model_loads reports it


def _real_samples() -> list[Any]:
    """(intent, sample) for every sample in the real model, as pytest params."""
    return [
        pytest.param(intent["name"], sample, id=f"{intent['name']}: {sample}")
        for intent in _real_language_model().get("intents", [])
        for sample in intent.get("samples", [])
    ]


@pytest.fixture(scope="module")
def real() -> UtteranceResolver:
    return UtteranceResolver.from_file(REAL_MODEL)


@needs_real_model
def test_real_model_loads(real: UtteranceResolver) -> None:
    assert real.invocation_name == "migraine helper"
    assert {"TriggerIntent", "RedFlagIntent", FALLBACK_INTENT} <= real.intent_names


@needs_real_model
@pytest.mark.parametrize(("intent", "sample"), _real_samples())
def test_every_real_sample_resolves_to_its_own_intent(
    real: UtteranceResolver, intent: str, sample: str
) -> None:
    """The model's self-consistency: a sample said word for word lands on its intent and,
    filled with any value (or a synonym of it), resolves its slots to that value."""
    language_model = _real_language_model()
    declared = next(i for i in language_model["intents"] if i["name"] == intent)
    slot_types = {slot["name"]: slot["type"] for slot in declared.get("slots", [])}
    names = re.findall(r"\{(\w+)\}", sample)
    if not names:
        result = real.resolve(sample)
        assert (result.intent, result.confidence) == (intent, 1.0), result
        return
    values = {t["name"]: t["values"] for t in language_model.get("types", [])}
    for value in values[slot_types[names[0]]]:
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])[:1]]:
            text = sample
            for name in names:
                text = text.replace("{" + name + "}", phrase)
            result = real.resolve(text)
            assert result.intent == intent, (text, result)
            assert result.slots[names[0]].value_id == value["id"], (text, result)


@needs_real_model
def test_every_real_synonym_resolves_to_its_value(real: UtteranceResolver) -> None:
    """No synonym is shared by two values, and each one reaches its value's id."""
    language_model = _real_language_model()
    for intent in language_model["intents"]:
        for slot in intent.get("slots", []):
            carrier = next(s for s in intent["samples"] if s.count("{") == 1 and "{" in s)
            slot_type = next(t for t in language_model["types"] if t["name"] == slot["type"])
            for value in slot_type["values"]:
                for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                    text = carrier.replace("{" + slot["name"] + "}", phrase)
                    result = real.resolve(text)
                    assert result.slots[slot["name"]].value_id == value["id"], (text, result)


NATURAL_PHRASINGS: list[Any] = [
    ("what sets off a migraine", "TriggerIntent", None),
    ("can red wine give me a migraine", "TriggerIntent", ("trigger", "alcohol")),
    ("does chocolate cause migraines", "TriggerIntent", ("trigger", "chocolate")),
    ("could stress be causing my migraines", "TriggerIntent", ("trigger", "stress")),
    ("is coffee bad for migraines", "TriggerIntent", ("trigger", "caffeine")),
    ("does cheese trigger migraines", "TriggerIntent", ("trigger", "aged_cheese")),
    ("can lack of sleep bring on a migraine", "TriggerIntent", ("trigger", "sleep")),
    ("what are some common triggers for migraines", "TriggerIntent", None),
    ("why do people get migraines", "CausesIntent", None),
    ("what's the cause of a migraine", "CausesIntent", None),
    ("is it genetic", "CausesIntent", None),
    ("what causes migraine headaches", "CausesIntent", None),
    ("are migraines passed down in families", "CausesIntent", None),
    ("is nausea a symptom", "SymptomsIntent", ("symptom", "nausea")),
    ("can migraines make you dizzy", "SymptomsIntent", ("symptom", "dizziness")),
    ("i have nausea", "SymptomsIntent", ("symptom", "nausea")),
    ("what are the stages of a migraine attack", "PhasesIntent", None),
    ("how long will my migraine last", "PhasesIntent", None),
    ("what is an aura", "AuraIntent", None),
    ("i'm seeing flashing lights", "AuraIntent", None),
    ("why are there zigzags in my vision", "AuraIntent", None),
    ("how does ketamine treatment work", "KetamineIntent", None),
    ("is there any evidence ketamine works", "KetamineEvidenceIntent", None),
    ("is ketamine approved by the fda", "KetamineEvidenceIntent", None),
    ("what are the side effects of ketamine infusions", "KetamineSafetyIntent", None),
    ("is ketamine therapy safe", "KetamineSafetyIntent", None),
    ("is ketamine addictive", "KetamineAddictionIntent", None),
    ("will i get hooked on ketamine", "KetamineAddictionIntent", None),
    ("what is a ketamine infusion session like", "KetamineSessionIntent", None),
    ("can too many painkillers cause headaches", "MedicationOveruseIntent", None),
    ("what should i do for a migraine", "SelfCareIntent", None),
    ("is this an emergency", "EmergencyCheckIntent", None),
    ("should i go to the er", "EmergencyCheckIntent", None),
    ("should i call 911", "EmergencyCheckIntent", None),
    ("i have the worst headache of my life", "RedFlagIntent", ("redFlag", "worst_headache")),
    ("my face is drooping", "RedFlagIntent", None),
    ("i think i'm having a seizure", "RedFlagIntent", ("redFlag", "seizure")),
    ("i passed out earlier", "RedFlagIntent", ("redFlag", "fainting")),
    ("what's the clinic's number", "ClinicIntent", None),
    ("i'd like to book an appointment", "ClinicIntent", None),
    ("are you a real doctor", "DisclaimerIntent", None),
    ("are you a medical professional", "DisclaimerIntent", None),
    ("whisper", "WhisperIntent", None),
    ("can you talk more quietly", "WhisperIntent", None),
    ("speak normally", "NormalVoiceIntent", None),
    ("you can stop whispering", "NormalVoiceIntent", None),
    ("tell me more", "AMAZON.MoreIntent", None),
    ("yes", "AMAZON.YesIntent", None),
    ("no thanks", "AMAZON.NoIntent", None),
    ("start over", "AMAZON.StartOverIntent", None),
    ("open migraine helper", LAUNCH_REQUEST, None),
    ("alexa ask migraine helper what triggers migraines", "TriggerIntent", None),
    ("play music", FALLBACK_INTENT, None),
    ("what's the weather in paris", FALLBACK_INTENT, None),
    ("order a pizza", FALLBACK_INTENT, None),
    ("tell me a joke", FALLBACK_INTENT, None),
    ("set a timer for ten minutes", FALLBACK_INTENT, None),
    ("who won the game last night", FALLBACK_INTENT, None),
    ("turn off the lights", FALLBACK_INTENT, None),
]


@needs_real_model
@pytest.mark.parametrize(("utterance", "intent", "slot"), NATURAL_PHRASINGS)
def test_natural_phrasings(
    real: UtteranceResolver, utterance: str, intent: str, slot: tuple[str, str] | None
) -> None:
    result = real.resolve(utterance)
    assert result.intent == intent, result
    if slot is not None:
        name, value_id = slot
        assert result.slots[name].value_id == value_id, result
