"""Emergency first: red flags get "Call <number> now." before anything else, never whispered."""

from __future__ import annotations

import pytest

from conftest import Conversation, Invoke
from skill.content import ContentLibrary
from skill.settings import Settings
from skill.tools.console import Console
from skill.tools.envelopes import Session

RED_FLAG_STATEMENTS = [
    "i have the worst headache of my life",
    "it came on suddenly",
    "i can't move my arm",
    "my face is drooping",
    "my speech is slurred",
    "i hit my head",
    "i have a fever and a stiff neck",
    "i lost my vision",
    "i had a seizure",
]


@pytest.mark.parametrize("statement", RED_FLAG_STATEMENTS)
def test_red_flag_statements_get_the_number_first(settings: Settings, statement: str) -> None:
    turn = Console(settings).say(statement)
    assert turn.resolution.intent == "RedFlagIntent", turn.explain()
    assert turn.speech.startswith("Call 911 now.")
    assert "can't make calls" in turn.speech or "can't call" in turn.speech
    assert turn.ended


def test_red_flag_card_carries_the_number(conversation: Conversation) -> None:
    conversation.say("RedFlagIntent", redFlag=("my face is drooping", "face_drooping"))
    card = conversation.last["response"]["card"]
    assert "911" in card["title"]


@pytest.mark.parametrize(
    ("locale", "number"),
    [
        ("en-US", "911"),
        ("en-CA", "911"),
        ("en-GB", "999"),
        ("en-AU", "000"),
        ("en-IN", "112"),
        ("fr-FR", "911"),  # a locale we do not have yet: the English (US) answers
    ],
)
def test_each_locale_gets_its_own_number(invoke: Invoke, locale: str, number: str) -> None:
    conversation = Conversation(invoke, Session(locale=locale))
    assert conversation.say("RedFlagIntent").startswith(f"Call {number} now.")


def test_is_this_an_emergency_yes_means_call_now(conversation: Conversation) -> None:
    question = conversation.say("EmergencyCheckIntent")
    assert question.endswith("Do you have any of these right now?")
    assert not conversation.ended
    assert conversation.say("AMAZON.YesIntent").startswith("Call 911 now.")
    assert conversation.ended


def test_is_this_an_emergency_no_leads_to_a_doctor_today_then_self_care(
    conversation: Conversation, library: ContentLibrary
) -> None:
    content = library.for_locale("en-US")
    conversation.say("EmergencyCheckIntent")
    advice = conversation.say("AMAZON.NoIntent")
    for sign in ("pregnant", "50", "three days", "different"):
        assert sign in advice
    assert not conversation.ended
    self_care = conversation.say("AMAZON.YesIntent")
    assert self_care.startswith(content.topics["self_care"].answer.first.split(".")[0])


def test_unclear_answer_to_the_emergency_question_asks_it_again(conversation: Conversation) -> None:
    conversation.say("EmergencyCheckIntent")
    again = conversation.say("AMAZON.FallbackIntent")
    assert again.endswith("Do you have any of these right now?")


def test_emergency_speech_is_never_whispered(invoke: Invoke) -> None:
    conversation = Conversation(invoke)
    conversation.say("WhisperIntent")
    conversation.say("RedFlagIntent")
    ssml = conversation.last["response"]["outputSpeech"]["ssml"]
    assert "whispered" not in ssml and "soft" not in ssml
    conversation = Conversation(invoke)
    conversation.say("EmergencyCheckIntent")
    assert "whispered" not in conversation.last["response"]["outputSpeech"]["ssml"]


def test_the_skill_never_offers_to_call(library: ContentLibrary) -> None:
    for content in library.locales.values():
        for path, text in content.texts():
            lowered = text.lower()
            assert "i'll call" not in lowered and "i will call" not in lowered, path
            assert "calling now" not in lowered and "i can call" not in lowered, path


def test_red_flag_slot_with_a_matched_value_calls_now(conversation: Conversation) -> None:
    heard = conversation.say("RedFlagIntent", redFlag=("a thunderclap headache", "worst_headache"))
    assert heard.startswith("Call 911 now.")


def test_raw_red_flag_words_are_recognised_from_the_model(conversation: Conversation) -> None:
    assert conversation.say("RedFlagIntent", redFlag="slurred speech").startswith("Call 911 now.")


def test_words_that_are_no_red_flag_get_the_emergency_question(
    conversation: Conversation,
) -> None:
    """ "i have nausea" can land on ``i have {redFlag}``: ask, don't send them to the ER."""
    heard = conversation.say("RedFlagIntent", redFlag=("nausea", None))
    assert heard.endswith("Do you have any of these right now?")
    assert not conversation.ended
    assert conversation.say("AMAZON.YesIntent").startswith("Call 911 now.")
