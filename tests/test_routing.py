"""Open words: openers put back, routed to the topic they ask about, danger triaged first."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Conversation, Invoke
from skill.handlers.safety import carries_words, opener_intent, opener_of
from skill.routing import MIN_LEAD, MIN_SCORE, TopicIndex, index_from_model, terms
from skill.vocabulary import Vocabulary

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
                        "can {trigger} trigger a migraine",
                    ],
                },
                {"name": "AuraIntent", "samples": ["what is an aura", "why do i see zigzags"]},
                {"name": "OpensWithWhyIntent", "samples": ["why {words}"]},
            ],
            "types": [
                {
                    "name": "TRIGGER",
                    "values": [
                        {"id": "alcohol", "name": {"value": "alcohol", "synonyms": ["red wine"]}}
                    ],
                }
            ],
        }
    }
}


@pytest.mark.parametrize(
    ("opener", "intent"),
    [("why", "OpensWithWhyIntent"), ("how come", "OpensWithHowComeIntent")],
)
def test_an_opener_is_kept_in_its_intents_name(opener: str, intent: str) -> None:
    assert opener_intent(opener) == intent and opener_of(intent) == opener
    assert carries_words(intent)


@pytest.mark.parametrize("intent", ["TriggerIntent", "OpensWith", "AMAZON.StopIntent", None])
def test_other_intents_have_no_opener(intent: str | None) -> None:
    assert opener_of(intent) is None
    assert not carries_words(intent)


def test_terms_are_stems_without_the_words_that_say_nothing() -> None:
    assert terms("What are the TRIGGERS of my migraines?") == [
        "what",
        "trigger",
        "migrain",
        "what trigger",
        "trigger migrain",
    ]


def test_an_index_weighs_what_sets_intents_apart() -> None:
    index = index_from_model(MODEL, ["TriggerIntent", "AuraIntent"])
    weights = index["intents"]
    assert set(weights) == {"TriggerIntent", "AuraIntent"}  # the opener's intent is left out
    assert "what" not in weights["TriggerIntent"]  # in every intent: says nothing
    assert weights["TriggerIntent"]["trigger"] > 0 and "aura" in weights["AuraIntent"]
    assert "alcohol" in weights["TriggerIntent"]  # slot values are the intent's words too


def test_the_best_intent_must_be_clearly_ahead() -> None:
    index = TopicIndex({"A": {"aura": 2.0}, "B": {"aura": 2.0 - MIN_LEAD / 2, "wine": 3.0}})
    assert index.best("tell me about the aura") is None  # too close to call
    assert index.best("is red wine bad") == "B"
    assert index.best("what about cheese") is None  # nothing known
    assert index.best("aura", {"A": 1.0}) == "A"  # a bonus can settle it
    assert TopicIndex({"A": {"aura": MIN_SCORE / 2}}).best("aura") is None  # too weak


def test_an_unlisted_item_is_read_from_a_samples_frame() -> None:
    vocabulary = Vocabulary.from_model(MODEL)
    assert vocabulary.unlisted_value("TriggerIntent", "can pineapple trigger a migraine") == (
        "pineapple"
    )
    # the opener "can" is not sent with open words
    assert vocabulary.unlisted_value("TriggerIntent", "pineapple trigger a migraine") == (
        "pineapple"
    )
    assert vocabulary.unlisted_value("TriggerIntent", "what triggers migraines") is None
    assert vocabulary.unlisted_value("AuraIntent", "can pineapple trigger a migraine") is None


def test_a_question_no_sample_matched_gets_its_topic(invoke: Invoke) -> None:
    heard = Conversation(invoke).say("OpensWithWhyIntent", words="do migraines run in families")
    assert "genes" in heard.lower() or "families" in heard.lower(), heard


def test_an_unlisted_item_in_open_words_is_answered_honestly(invoke: Invoke) -> None:
    heard = Conversation(invoke).say("QuestionIntent", question="pineapple trigger a migraine")
    assert heard.startswith("I don't have specific information about pineapple.")


def test_an_opener_of_danger_is_put_back_before_triage(invoke: Invoke) -> None:
    """'worst headache of my life': Alexa sends 'headache of my life' with the opener's intent."""
    heard = Conversation(invoke).say("OpensWithWorstIntent", words="headache of my life")
    assert heard.startswith("Call 911 now."), heard


def test_words_that_fit_no_topic_are_not_guessed(invoke: Invoke) -> None:
    heard = Conversation(invoke).say("QuestionIntent", question="the capital of peru")
    assert heard.startswith("I'm not sure I understood") and "911" in heard, heard


def test_a_question_is_not_answered_by_a_mention_of_migraine_alone(invoke: Invoke) -> None:
    """'what about migraines' mentions a migraine (the triage reads 'a headache now'), but
    asks nothing the index can place: it is not taken for 'what can I do right now'."""
    heard = Conversation(invoke).say("OpensWithWhatIntent", words="about migraines")
    assert not heard.startswith("Try to rest"), heard
