"""Every topic, item and slot path answers from the content, briefly, and offers more."""

from __future__ import annotations

import pytest

from conftest import Conversation, speech_of
from skill.content import ContentLibrary
from skill.speech import plain
from skill.tools.rules import spoken


def _topic_cases(library: ContentLibrary) -> list[tuple[str, str]]:
    content = library.for_locale("en-US")
    return [(topic.key, topic.intent) for topic in content.topics.values()]


def test_every_topic_is_answered_with_its_first_part(
    conversation: Conversation, library: ContentLibrary
) -> None:
    content = library.for_locale("en-US")
    for topic in content.topics.values():
        heard = conversation.say(topic.intent)
        assert heard.startswith(spoken(content, topic.answer.first)), topic.key
        assert heard.endswith(content.messages["offer_more"]), topic.key
        assert not conversation.ended
        assert conversation.reprompt, topic.key
        card = conversation.last["response"]["card"]
        assert "Sources:" in card["content"]


@pytest.mark.parametrize(
    ("intent", "slot_name", "topic_key"),
    [
        ("TriggerIntent", "trigger", "triggers"),
        ("SymptomsIntent", "symptom", "symptoms"),
    ],
)
def test_every_item_answers_through_entity_resolution(
    conversation: Conversation, library: ContentLibrary, intent: str, slot_name: str, topic_key: str
) -> None:
    content = library.for_locale("en-US")
    for item in content.topics[topic_key].items.values():
        heard = conversation.say(intent, **{slot_name: (item.name, item.key.rpartition(".")[2])})
        assert heard.startswith(plain(item.first, content)), item.key


def test_raw_slot_words_resolve_through_the_model_synonyms(conversation: Conversation) -> None:
    """No resolutions block (a test client, another emulator): the model's synonyms decide."""
    heard = conversation.say("TriggerIntent", trigger="red wine")
    assert heard.startswith("Alcohol")


def test_unmatched_slot_value_gets_an_honest_answer(conversation: Conversation) -> None:
    heard = conversation.say("TriggerIntent", trigger=("pineapple", None))
    assert heard.startswith("I don't have specific information about pineapple.")
    assert "Common triggers include" in heard
    assert not conversation.ended
    more = conversation.say("AMAZON.YesIntent")
    assert more and "pineapple" not in more


def test_a_long_unmatched_value_is_clipped_when_echoed(conversation: Conversation) -> None:
    heard = conversation.say("SymptomsIntent", symptom=("word " * 500, None))
    assert heard.count("word") <= 8


def test_missing_slot_gives_the_general_topic(
    conversation: Conversation, library: ContentLibrary
) -> None:
    content = library.for_locale("en-US")
    heard = conversation.say("SymptomsIntent")
    assert heard.startswith(plain(content.topics["symptoms"].answer.first, content))


def test_more_walks_through_every_part_then_wraps_up(
    conversation: Conversation, library: ContentLibrary
) -> None:
    content = library.for_locale("en-US")
    topic = content.topics["ketamine_evidence"]
    conversation.say(topic.intent)
    for part in topic.answer.more:
        heard = conversation.say("AMAZON.MoreIntent")
        assert heard.startswith(plain(part, content))
    assert "That's all I have about" in heard
    assert conversation.say("AMAZON.NextIntent") == content.messages["nothing_more"]


def test_clinic_details_are_spoken_and_on_the_card(conversation: Conversation) -> None:
    heard = conversation.say("ClinicIntent")
    assert "Example Headache and Infusion Clinic" in heard and "212, 555, 0142" in heard
    assert "5 p.m.." not in heard
    card = conversation.last["response"]["card"]
    assert card["title"] == "Contact the clinic"
    assert "Phone: (212) 555-0142\nHours: Monday to Friday" in card["content"]  # its own lines
    assert card["content"].count("call 911") == 1  # said once, not repeated by the card footer
    ssml = conversation.last["response"]["outputSpeech"]["ssml"]
    assert '<say-as interpret-as="digits">212</say-as>' in ssml
    reprompt = conversation.last["response"]["reprompt"]["outputSpeech"]["ssml"]
    assert "how to reach the clinic" in reprompt and "Contact the clinic" not in reprompt


def test_ketamine_answers_are_honest(library: ContentLibrary) -> None:
    content = library.for_locale("en-US")
    ketamine = " ".join(
        part
        for key, topic in content.topics.items()
        if key.startswith("ketamine")
        for part in topic.answer.parts
    ).lower()
    assert "not fda-approved" in ketamine or "not approved" in ketamine
    assert "side effects" in ketamine
    for claim in ("proven", "is safe", "cure"):
        assert claim not in ketamine


def test_answer_through_real_er_envelopes(invoke: object) -> None:
    from conftest import load_event

    assert callable(invoke)
    matched = speech_of(invoke(load_event("intent_trigger_er_match.json")))
    assert matched.startswith("Alcohol")
    unmatched = speech_of(invoke(load_event("intent_trigger_er_no_match.json")))
    assert unmatched.startswith("I don't have specific information about pineapple.")
