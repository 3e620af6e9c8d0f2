"""Safety first: danger in any words is answered before any topic, with the right number.

Through the Lambda entry in every locale, and through the web entry and the console: the
crisis line and the emergency number for thoughts of suicide; the emergency number first,
"even if you feel well", for an overdose; "call now" and "I can't make calls" for red flags
and requests for an ambulance; who to contact today for urgent signs; a cautious answer for
a single symptom that can be either; and the emergency number at the end of every
"I'm not sure". Nothing here is ever whispered.
"""

from __future__ import annotations

import re

import pytest
from ask_sdk_core.skill import CustomSkill

from conftest import Conversation, Invoke, ssml_of
from skill.content import ContentLibrary, content_texts
from skill.settings import Settings
from skill.tools.console import Console
from skill.tools.envelopes import Session, slot
from skill.web import create_app

#: locale -> (emergency number as heard, crisis line as heard)
HEARD = {
    "en-US": ("911", "988"),
    "en-CA": ("911", "988"),
    "en-GB": ("999", "116, 123"),
    "en-AU": ("triple zero", "thirteen eleven fourteen"),
    "en-NZ": ("111", "1737"),
    "en-IN": ("112", "14416"),
}
LOCALES = tuple(HEARD)


def _say(invoke: Invoke, locale: str, intent: str, **words: str) -> Conversation:
    conversation = Conversation(invoke, Session(locale=locale))
    conversation.say(intent, **words)
    return conversation


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]


@pytest.mark.parametrize("locale", LOCALES)
def test_crisis_gets_the_crisis_line_and_the_emergency_number(invoke: Invoke, locale: str) -> None:
    emergency, crisis = HEARD[locale]
    for intent, words in (
        ("CrisisIntent", {}),
        ("StatementIntent", {"statement": "want to kill myself"}),
        ("StatementIntent", {"statement": "don't want to be here anymore"}),
    ):
        conversation = _say(invoke, locale, intent, **words)
        heard = conversation.last_speech
        assert crisis in heard and emergency in heard, (intent, heard)
        assert not conversation.ended and conversation.reprompt  # gently, the mic stays open
        assert "whispered" not in ssml_of(conversation.last)
        card = conversation.last["response"]["card"]["content"]
        assert (
            crisis.replace(", ", " ") in card.replace(", ", " ")
            or crisis in card
            or locale == "en-AU"
        )


@pytest.mark.parametrize("locale", LOCALES)
def test_poisoning_gives_the_number_first_even_if_well(invoke: Invoke, locale: str) -> None:
    emergency, _ = HEARD[locale]
    for intent, words in (
        ("PoisoningIntent", {}),
        ("StatementIntent", {"statement": "took too many painkillers"}),
        ("StatementIntent", {"statement": "son swallowed some of my pills"}),
    ):
        conversation = _say(invoke, locale, intent, **words)
        first = _first_sentence(conversation.last_speech)
        assert emergency in first and "even if you feel well" in first, (intent, first)
        assert conversation.ended


def test_poison_lines_where_a_country_has_one(invoke: Invoke) -> None:
    assert (
        "Poison Help at 1, 800, 222, 1222" in _say(invoke, "en-US", "PoisoningIntent").last_speech
    )
    assert "thirteen eleven twenty-six" in _say(invoke, "en-AU", "PoisoningIntent").last_speech
    assert "0800, 764, 766" in _say(invoke, "en-NZ", "PoisoningIntent").last_speech


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("intent", "words"),
    [
        ("RedFlagIntent", {}),
        ("RedFlagIntent", {"redFlag": "a thunderclap headache"}),
        ("StatementIntent", {"statement": "face is drooping"}),
        ("StatementIntent", {"statement": "have a fever and a stiff neck"}),
        ("AmbulanceIntent", {}),
        ("StatementIntent", {"statement": "need an ambulance"}),
        ("StatementIntent", {"statement": "should i go to the er"}),
    ],
)
def test_call_now_gives_the_number_first_and_says_the_skill_cannot_call(
    invoke: Invoke, locale: str, intent: str, words: dict[str, str]
) -> None:
    emergency, _ = HEARD[locale]
    conversation = _say(invoke, locale, intent, **words)
    heard = conversation.last_speech
    assert emergency in _first_sentence(heard), heard
    assert "can't make calls" in heard
    assert conversation.ended
    assert emergency in conversation.last["response"]["card"]["content"] or locale == "en-AU"


@pytest.mark.parametrize(
    ("locale", "who"),
    [
        ("en-GB", "your midwife or maternity unit"),
        ("en-US", "your doctor or midwife"),
        ("en-AU", "your midwife or doctor"),
        ("en-IN", "your doctor or the hospital"),
    ],
)
def test_a_bad_headache_in_pregnancy_gets_the_midwife_now(
    invoke: Invoke, locale: str, who: str
) -> None:
    heard = _say(
        invoke, locale, "StatementIntent", statement="pregnant and have a bad headache"
    ).last_speech
    assert heard.startswith(f"Please call {who}") and "now" in _first_sentence(heard)
    assert HEARD[locale][0] in heard


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("migraine has lasted four days", "more than three days"),
        ("am sixty and this is a new kind of headache", "today"),
        ("headache gets worse when i lie down", "today"),
        ("jaw hurts when i chew and my scalp is tender", "today"),
        ("think the furnace is leaking and we all have headaches", "may be carbon monoxide"),
        ("headache is getting worse every day", "today"),
    ],
)
def test_urgent_signs_get_a_doctor_today(invoke: Invoke, statement: str, expected: str) -> None:
    heard = _say(invoke, "en-US", "StatementIntent", statement=statement).last_speech
    assert expected in heard and "911" in heard


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.mark.parametrize("start", range(7))
def test_an_attack_told_as_weekdays_is_urgent_from_three_days(
    library: ContentLibrary, start: int
) -> None:
    """ "since friday and it's tuesday now": urgent only when the days between are three or more."""
    triage = library.content("en-US").triage
    for gap in range(1, 7):
        since, now = WEEKDAYS[start], WEEKDAYS[(start + gap) % 7]
        verdict = triage.assess(f"this migraine started on {since} and it's {now} now")
        assert (verdict.level == "urgent") == (gap >= 3), (since, now, verdict)


@pytest.mark.parametrize(
    ("statement", "level"),
    [
        ("my son hit head at football and now he keeps being sick", "call_now"),
        ("i banged my head this morning and the headache is getting worse", "call_now"),
        ("i bumped my head years ago could that be why i get migraines", "ordinary"),
        ("i hit my head as a child and have had migraines since", "ordinary"),
    ],
)
def test_a_head_injury_is_an_emergency_unless_it_was_long_ago(
    library: ContentLibrary, statement: str, level: str
) -> None:
    assert library.content("en-US").triage.assess(statement).level == level


def test_the_uk_urgent_line_is_nhs_111(invoke: Invoke) -> None:
    heard = _say(
        invoke, "en-GB", "StatementIntent", statement="am 62 and this headache is new"
    ).last_speech
    assert "your GP" in heard and "NHS 111 on 111" in heard and "999" in heard


@pytest.mark.parametrize(
    ("statement", "warning"),
    [
        ("have a stiff neck", "If your stiff neck comes with a fever"),
        ("think i have a fever", "If you also have a stiff neck"),
        ("face feels numb", "If the numbness came on suddenly"),
        ("keep losing my words", "If trouble finding words came on suddenly"),
    ],
)
def test_a_single_symptom_that_can_be_either_gets_a_cautious_answer(
    invoke: Invoke, statement: str, warning: str
) -> None:
    conversation = _say(invoke, "en-US", "StatementIntent", statement=statement)
    assert conversation.last_speech.startswith(warning)
    assert "911" in conversation.last_speech
    assert not conversation.ended  # not sent to the emergency room for a stiff neck alone


def test_the_answer_to_a_cautious_question_is_weighed_with_what_came_before(
    invoke: Invoke,
) -> None:
    """ "If the numbness is on one side, call 911": "it's only on one side" must get 911."""
    conversation = _say(invoke, "en-US", "StatementIntent", statement="face feels numb")
    assert conversation.last_speech.startswith("If the numbness came on suddenly")
    heard = conversation.say("StatementIntent", statement="think it's only on one side")
    assert _first_sentence(heard) == "Call 911 now."
    alone = _say(invoke, "en-US", "StatementIntent", statement="think it's only on one side")
    assert "911 now" not in _first_sentence(alone.last_speech)


def test_a_headache_then_pregnancy_in_one_session_is_urgent(invoke: Invoke) -> None:
    conversation = _say(invoke, "en-US", "StatementIntent", statement="head is pounding")
    assert "midwife" not in conversation.last_speech
    heard = conversation.say("StatementIntent", statement="am eight months pregnant by the way")
    assert heard.startswith("Please call your doctor or midwife")


def test_only_lasting_states_are_remembered_never_the_parts_of_a_relation(
    invoke: Invoke,
) -> None:
    """ "i just took 2 tylenol", then "my baby is 3 weeks old": no child swallowed anything."""
    conversation = _say(invoke, "en-US", "StatementIntent", statement="just took 2 tylenol")
    heard = conversation.say(
        "StatementIntent", statement="baby is 3 weeks old and i have a terrible headache"
    )
    assert heard.startswith("Please call your doctor or midwife")


def test_what_a_cautious_answer_remembers_never_calms_a_later_danger(invoke: Invoke) -> None:
    conversation = _say(invoke, "en-US", "StatementIntent", statement="have a stiff neck")
    heard = conversation.say("StatementIntent", statement="want to kill myself")
    assert "988" in heard
    heard = conversation.say("StatementIntent", statement="feel sick")
    assert "911 now" not in _first_sentence(heard)  # the crisis answer started afresh


def test_ordinary_statements_go_to_their_topic(invoke: Invoke, library: ContentLibrary) -> None:
    content = library.content("en-US")
    heard = _say(invoke, "en-US", "StatementIntent", statement="feel sick").last_speech
    assert heard.startswith(content.topics["symptoms"].items["nausea"].first[:20])
    heard = _say(
        invoke, "en-US", "StatementIntent", statement="think cheese sets mine off"
    ).last_speech
    assert heard.startswith(content.topics["triggers"].items["aged_cheese"].first[:20])
    heard = _say(invoke, "en-US", "StatementIntent", statement="head is killing me").last_speech
    assert heard.startswith(content.topics["self_care"].answer.first[:20])


def test_danger_in_a_topic_slot_is_answered_before_the_topic(invoke: Invoke) -> None:
    heard = _say(
        invoke, "en-US", "TriggerIntent", trigger="pregnancy and a bad headache"
    ).last_speech
    assert heard.startswith("Please call your doctor or midwife")
    heard = _say(invoke, "en-US", "SymptomsIntent", symptom="a stiff neck").last_speech
    assert heard.startswith("If your stiff neck comes with a fever")


def test_red_flag_slot_words_that_are_no_red_flag(invoke: Invoke, library: ContentLibrary) -> None:
    """ "i have nausea" can land on ``i have {redFlag}``: the words decide, not the intent."""
    content = library.content("en-US")
    nausea = _say(invoke, "en-US", "RedFlagIntent", redFlag="nausea")
    assert nausea.last_speech.startswith(content.topics["symptoms"].items["nausea"].first[:20])
    unknown = _say(invoke, "en-US", "RedFlagIntent", redFlag="a purple elephant")
    assert unknown.last_speech.endswith("Do you have any of these?")
    assert unknown.say("AMAZON.YesIntent").startswith("Call 911 now.")


def test_is_this_an_emergency_gives_the_number_then_asks(conversation: Conversation) -> None:
    question = conversation.say("EmergencyCheckIntent")
    assert question.startswith("If you think it might be, call 911 now.")
    assert question.endswith("Do you have any of these?") and len(question.split()) <= 50
    assert conversation.say("AMAZON.YesIntent").startswith("Call 911 now.")
    assert conversation.ended


def test_no_to_the_emergency_question_leads_to_a_doctor_today_then_self_care(
    conversation: Conversation, library: ContentLibrary
) -> None:
    content = library.content("en-US")
    conversation.say("EmergencyCheckIntent")
    advice = conversation.say("AMAZON.NoIntent")
    for sign in ("pregnant", "50", "three days", "unlike your usual"):
        assert sign in advice
    assert conversation.say("AMAZON.YesIntent").startswith(
        content.topics["self_care"].answer.first[:20]
    )


def test_an_unclear_answer_to_the_emergency_question_asks_it_again(
    conversation: Conversation,
) -> None:
    conversation.say("EmergencyCheckIntent")
    assert conversation.say("AMAZON.FallbackIntent").endswith("Do you have any of these?")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_not_sure_ends_with_the_emergency_number(invoke: Invoke, locale: str) -> None:
    emergency, _ = HEARD[locale]
    for intent, words in (
        ("AMAZON.FallbackIntent", {}),
        ("StatementIntent", {"statement": "like turtles"}),
        ("NoSuchIntent", {}),
    ):
        heard = _say(invoke, locale, intent, **words).last_speech
        assert heard.endswith(f"call {emergency}."), (intent, heard)


def test_numbers_are_spoken_digit_by_digit(invoke: Invoke) -> None:
    ssml = ssml_of(_say(invoke, "en-GB", "CrisisIntent").last)
    assert (
        '<say-as interpret-as="digits">116</say-as>, <say-as interpret-as="digits">123</say-as>'
        in ssml
    )
    assert '<say-as interpret-as="digits">999</say-as>' in ssml
    assert "triple zero" in ssml_of(_say(invoke, "en-AU", "RedFlagIntent").last)


def test_safety_answers_are_never_whispered(invoke: Invoke) -> None:
    for intent, words in (
        ("CrisisIntent", {}),
        ("RedFlagIntent", {}),
        ("StatementIntent", {"statement": "have a stiff neck"}),
    ):
        conversation = Conversation(invoke)
        conversation.say("WhisperIntent")
        conversation.say(intent, **words)
        ssml = ssml_of(conversation.last)
        assert "whispered" not in ssml and "soft" not in ssml, intent


def test_the_skill_never_offers_to_call(library: ContentLibrary) -> None:
    for content in library.locales.values():
        for path, text in content_texts(content):
            lowered = text.lower()
            for offer in ("i'll call", "i will call", "calling now", "i can call", "let me call"):
                assert offer not in lowered, path


def test_an_unsupported_country_never_hears_the_us_number(invoke: Invoke) -> None:
    heard = _say(invoke, "en-ZA", "RedFlagIntent").last_speech
    assert heard.startswith("Call your local emergency number now.") and "911" not in heard
    assert _say(invoke, "en-NZ", "RedFlagIntent").last_speech.startswith("Call 111 now.")


def test_the_web_entry_answers_danger_first(settings: Settings, skill: CustomSkill) -> None:
    client = create_app(settings, skill=skill, dev=True).test_client()
    event = Session(locale="en-GB").intent(
        "StatementIntent", {"statement": slot("statement", "want to end my life")}
    )
    response = client.post("/", json=event)
    assert response.status_code == 200
    ssml = response.get_json()["response"]["outputSpeech"]["ssml"]
    assert "Samaritans" in ssml and '<say-as interpret-as="digits">999</say-as>' in ssml


@pytest.mark.parametrize(
    ("utterance", "expected"),
    [
        ("i want to kill myself", "Suicide and Crisis Lifeline"),
        ("i took too many painkillers", "even if you feel well"),
        ("my face is drooping", "Call 911 now."),
        ("call an ambulance", "Call 911 now for an ambulance."),
        ("i have a stiff neck", "If your stiff neck comes with a fever"),
    ],
)
def test_the_console_answers_danger_first(
    settings: Settings, utterance: str, expected: str
) -> None:
    turn = Console(settings).say(utterance)
    assert expected in turn.speech, turn.explain()
