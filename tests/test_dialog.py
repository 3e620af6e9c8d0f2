"""The conversation around answers: welcome, yes/no, repeat, help, goodbye, no dead ends."""

from __future__ import annotations

from conftest import Conversation, Invoke, load_event, speech_of
from skill.content import ContentLibrary
from skill.settings import Settings
from skill.speech import plain
from skill.tools.envelopes import Session


def test_launch_welcomes_with_the_disclaimer_and_keeps_listening(
    conversation: Conversation, library: ContentLibrary
) -> None:
    heard = conversation.launch()
    content = library.for_locale("en-US")
    assert heard == plain(content.messages["welcome"], content)
    assert "not medical advice" in heard
    assert 20 <= len(heard.split()) <= 40
    assert not conversation.ended
    assert conversation.reprompt


def test_a_returning_user_gets_the_short_welcome(invoke: Invoke, library: ContentLibrary) -> None:
    content = library.for_locale("en-US")
    first = Conversation(invoke)
    assert "not medical advice" in first.launch()
    second = Conversation(invoke)  # a new session, same user, same store
    assert second.launch() == plain(content.messages["welcome_returning"], content)
    assert "not medical advice" in second.say("AMAZON.HelpIntent")


def test_yes_gives_the_next_part_and_no_asks_for_anything_else(conversation: Conversation) -> None:
    first = conversation.say("AuraIntent")
    more = conversation.say("AMAZON.YesIntent")
    assert more and more != first
    assert conversation.say("AMAZON.NoIntent").startswith("Okay. Is there anything else")
    assert not conversation.ended
    conversation.say("AMAZON.NoIntent")
    assert conversation.ended


def test_yes_to_anything_else_invites_a_question(conversation: Conversation) -> None:
    conversation.say("CausesIntent")
    conversation.say("AMAZON.NoIntent")
    heard = conversation.say("AMAZON.YesIntent")
    assert heard.endswith("?")
    assert not conversation.ended


def test_repeat_says_the_last_answer_again(conversation: Conversation) -> None:
    answer = conversation.say("PhasesIntent")
    assert conversation.say("AMAZON.RepeatIntent") == answer
    assert conversation.say("AMAZON.YesIntent") != answer  # and "yes" still means more


def test_repeat_before_anything_was_said(
    conversation: Conversation, library: ContentLibrary
) -> None:
    assert (
        conversation.say("AMAZON.RepeatIntent")
        == library.for_locale("en-US").messages["nothing_to_repeat"]
    )
    assert not conversation.ended


def test_help_leads_with_what_matters_and_offers_the_rest(conversation: Conversation) -> None:
    heard = conversation.say("AMAZON.HelpIntent")
    for topic in ("triggers", "symptoms", "treatments", "emergency", "not medical advice"):
        assert topic in heard.lower()
    assert "ketamine" not in heard.lower()  # the clinic's treatment is not the headline
    assert len(heard.split()) <= 40 and not conversation.ended
    offered = [conversation.say("AMAZON.YesIntent").lower() for _ in range(3)]
    assert "ketamine" in offered[1] and "clinic" in offered[1]  # after the general topics
    assert "stop" in offered[2] and not conversation.ended


def test_stop_and_cancel_end_the_session(invoke: Invoke, library: ContentLibrary) -> None:
    goodbye = library.for_locale("en-US").messages["goodbye"]
    for intent in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
        conversation = Conversation(invoke)
        conversation.say("TriggerIntent")
        assert conversation.say(intent) == goodbye
        assert conversation.ended
        assert "reprompt" not in conversation.last["response"]


def test_fallback_says_what_it_can_do_and_stays_open(conversation: Conversation) -> None:
    heard = conversation.say("AMAZON.FallbackIntent")
    assert "triggers" in heard.lower()
    assert not conversation.ended
    assert conversation.reprompt


def test_home_and_start_over_return_to_the_menu(conversation: Conversation) -> None:
    conversation.launch()
    conversation.say("KetamineIntent")
    for intent in ("AMAZON.NavigateHomeIntent", "AMAZON.StartOverIntent"):
        heard = conversation.say(intent)
        assert "What would you like to know?" in heard
        assert conversation.say("AMAZON.MoreIntent").startswith("There's nothing more")


def test_more_without_a_topic(conversation: Conversation, library: ContentLibrary) -> None:
    assert (
        conversation.say("AMAZON.MoreIntent")
        == library.for_locale("en-US").messages["nothing_more"]
    )


def test_whisper_is_confirmed_in_the_new_voice_and_remembered(invoke: Invoke) -> None:
    conversation = Conversation(invoke)
    conversation.launch()
    conversation.say("WhisperIntent")
    assert "whispered" in conversation.last["response"]["outputSpeech"]["ssml"]
    later = Conversation(invoke)  # a new session
    later.launch()
    assert "whispered" in later.last["response"]["outputSpeech"]["ssml"]
    later.say("NormalVoiceIntent")
    ssml = later.last["response"]["outputSpeech"]["ssml"]
    assert "whispered" not in ssml and 'volume="soft"' in ssml


def test_every_open_response_has_a_reprompt(invoke: Invoke) -> None:
    intents = [
        "TriggerIntent",
        "AMAZON.YesIntent",
        "AMAZON.MoreIntent",
        "AMAZON.HelpIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.RepeatIntent",
        "EmergencyCheckIntent",
        "AMAZON.NoIntent",
        "AMAZON.YesIntent",
        "ClinicIntent",
        "WhisperIntent",
        "AMAZON.NavigateHomeIntent",
    ]
    conversation = Conversation(invoke)
    for intent in intents:
        conversation.say(intent)
        response = conversation.last["response"]
        if not response.get("shouldEndSession"):
            assert response["reprompt"]["outputSpeech"]["ssml"], intent


def test_preferences_store_holds_no_words_and_no_user_id(
    invoke: Invoke, settings: Settings
) -> None:
    conversation = Conversation(invoke, Session(user_id="amzn1.ask.account.SECRET-PERSON"))
    conversation.launch()
    conversation.say("TriggerIntent", trigger=("pineapple juice", None))
    conversation.say("WhisperIntent")
    store = settings.store_path.read_text(encoding="utf-8")
    assert "SECRET-PERSON" not in store
    assert "pineapple" not in store
    assert "whisper" in store


def test_real_launch_event(invoke: Invoke) -> None:
    response = invoke(load_event("launch.json"))
    assert "Migraine Helper" in speech_of(response)
    assert response["response"]["shouldEndSession"] is False


def test_words_that_point_back_stay_on_the_subject(invoke: Invoke, library: ContentLibrary) -> None:
    """ "is it safe" just after a ketamine answer asks about ketamine, not pregnancy."""
    content = library.for_locale("en-US")
    safety = plain(content.topics["ketamine_safety"].answer.first, content)[:40]
    evidence = plain(content.topics["ketamine_evidence"].answer.first, content)[:40]
    conversation = Conversation(invoke)
    conversation.say("KetamineIntent")
    assert conversation.say("QuestionIntent", question="it safe").startswith(safety)
    assert conversation.say("QuestionIntent", question="it actually work").startswith(evidence)
    without_a_subject = Conversation(invoke)
    assert not without_a_subject.say("QuestionIntent", question="it safe").startswith(safety)


def test_pointing_back_never_repeats_the_answer_just_given(invoke: Invoke) -> None:
    conversation = Conversation(invoke)
    first = conversation.say("TriggerIntent", trigger="red wine")
    assert conversation.say("QuestionIntent", question="that true for everyone") != first
