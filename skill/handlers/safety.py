"""Safety first: every word a request carries is triaged before any topic may answer it.

This handler is tried before all others. It answers:

* the safety intents, whose samples are statements of danger ("i want to die",
  "i took too many pills", "call an ambulance");
* any request whose words (a statement, a slot value, the words behind a red-flag slot)
  triage as crisis, poisoning, call now or urgent;
* single symptoms that can be harmless or serious ("my neck is stiff"), with a cautious
  answer that says when to call the emergency number;
* "is this an emergency?", and the yes-or-no question that follows it.

Its answers are never whispered, and the skill says plainly that it cannot call anyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import IntentRequest, Response

from skill.conversation import (
    REQUEST_SAFETY,
    REQUEST_TOPIC,
    REQUEST_TRIAGE,
    SESSION_HEARD,
    Pending,
    Reply,
    content_of,
    respond,
    session_attributes,
    set_topic_position,
)
from skill.handlers.answers import safety_reply
from skill.slots import resolved_id
from skill.verdicts import Level, Verdict

CRISIS_INTENT = "CrisisIntent"
POISONING_INTENT = "PoisoningIntent"
AMBULANCE_INTENT = "AmbulanceIntent"
RED_FLAG_INTENT = "RedFlagIntent"
EMERGENCY_CHECK_INTENT = "EmergencyCheckIntent"
STATEMENT_INTENT = "StatementIntent"

#: Intents whose every sample is a statement of one danger: the verdict without words.
INTENT_VERDICTS: Mapping[str, Verdict] = {
    CRISIS_INTENT: Verdict(Level.CRISIS, "crisis_intent", "crisis"),
    POISONING_INTENT: Verdict(Level.POISONING, "poisoning_intent", "poisoning"),
    AMBULANCE_INTENT: Verdict(Level.CALL_NOW, "ambulance_intent", "ambulance"),
    # "my face is drooping": a red-flag sample with no slot words to weigh
    RED_FLAG_INTENT: Verdict(Level.CALL_NOW, "red_flag_intent", "call_now"),
}
EMERGENCY_CHECK_KEY = "emergency_check"
QUESTION_INTENT = "QuestionIntent"
#: The slot that carries the open words of an opener's intent.
OPENER_SLOT = "words"


def opener_intent(opener: str) -> str:
    """The intent for words that open with ``opener``: "how come" -> OpensWithHowComeIntent.

    Alexa sends only the words after the opening ones ("why {words}"), so the opener that
    says what is asked ("why", "worst", "call") is kept in the intent's name, and put back.
    """
    return "OpensWith" + "".join(word.capitalize() for word in opener.split()) + "Intent"


def opener_of(intent: str | None) -> str | None:
    """The opening words ``intent`` stands for (``opener_intent`` reversed), else None."""
    if not intent or not (intent.startswith("OpensWith") and intent.endswith("Intent")):
        return None
    words = re.findall(r"[A-Z][a-z0-9']*", intent[len("OpensWith") : -len("Intent")])
    return " ".join(words).lower() or None


def carries_words(intent: str | None) -> bool:
    """Whether ``intent`` exists to carry open words (an AMAZON.SearchQuery slot) to read."""
    return intent in {STATEMENT_INTENT, QUESTION_INTENT} or opener_of(intent) is not None


def spoken_words(handler_input: HandlerInput, *, unresolved_only: bool = False) -> list[str]:
    """Every slot value this request carries, as the person said it.

    ``unresolved_only`` leaves out the words Alexa resolved to a listed value of a topic's
    slot type ("red wine" -> alcohol): ``check`` proves every listed value and synonym of
    those types triages as ordinary, so only the words the model does not list need reading
    (and a cold start does not compile the rules to answer "can red wine trigger one").
    """
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        return []
    slots: Mapping[str, Any] = request.intent.slots or {}
    name = request.intent.name
    # words of the intents that exist to carry them are read whatever Alexa resolved them to
    skip_resolved = unresolved_only and not (name == RED_FLAG_INTENT or carries_words(name))
    opener = opener_of(name)
    return [
        f"{opener} {slot.value}" if opener else slot.value
        for slot in slots.values()
        if isinstance(getattr(slot, "value", None), str)
        and slot.value.strip()
        and not (skip_resolved and resolved_id(slot) is not None)
    ]


def verdict_of(handler_input: HandlerInput) -> Verdict | None:
    """The triage verdict on this request's words, computed once; None without words.

    A safety intent with no words to weigh is its own verdict; with words ("i have
    {redFlag}"), the words decide, so a stiff neck alone is not sent to the emergency room
    and nausea is not called a red flag.
    """
    attributes = handler_input.attributes_manager.request_attributes
    if REQUEST_TRIAGE in attributes:
        cached = attributes[REQUEST_TRIAGE]
        return cached if isinstance(cached, Verdict) else None
    request = handler_input.request_envelope.request
    intent = getattr(getattr(request, "intent", None), "name", None)
    words = spoken_words(handler_input, unresolved_only=True)
    verdict: Verdict | None = None
    if words:
        heard = remembered_signals(handler_input)  # "my face is numb" ... "only one side"
        verdict = content_of(handler_input).triage.assess_all(words, heard=heard)
        if (
            intent == RED_FLAG_INTENT
            and not verdict.unsafe
            and not (verdict.answer or verdict.topic)
        ):
            verdict = Verdict(Level.UNKNOWN, "red_flag_words", signals=verdict.signals)
    elif isinstance(intent, str):
        verdict = INTENT_VERDICTS.get(intent)
    attributes[REQUEST_TRIAGE] = verdict
    return verdict


#: Signals remembered in a session: a handful, and a bound on what a forged session can
#: make the triage read.
MAX_REMEMBERED = 8


def remembered_signals(handler_input: HandlerInput) -> frozenset[str]:
    """What this session's earlier words told the triage (signal names, never words)."""
    value = session_attributes(handler_input).get(SESSION_HEARD)
    if not isinstance(value, list):
        return frozenset()
    return frozenset(name for name in value[:MAX_REMEMBERED] if isinstance(name, str))


def remember_signals(handler_input: HandlerInput, verdict: Verdict | None) -> None:
    """Keep what ordinary words told the triage ("my head is pounding"; a cautious answer's
    "my face is numb"), so what is said next ("i'm pregnant", "it's only on one side") is
    weighed with it. An unsafe answer has said what matters: it starts afresh."""
    if verdict is None:
        return
    attributes = session_attributes(handler_input)
    if verdict.unsafe:
        attributes.pop(SESSION_HEARD, None)
    else:
        lasting = content_of(handler_input).triage.lasting_of(verdict.signals)
        if lasting:
            heard = remembered_signals(handler_input) | lasting
            attributes[SESSION_HEARD] = sorted(heard)[:MAX_REMEMBERED]


def _answers_first(verdict: Verdict | None) -> bool:
    """Unsafe words, and cautionary single symptoms, are answered before any topic."""
    return verdict is not None and (verdict.unsafe or verdict.answer is not None)


class SafetyHandler(AbstractRequestHandler):
    """Answers danger before anything else; see the module docstring."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not isinstance(handler_input.request_envelope.request, IntentRequest):
            return False
        verdict = verdict_of(handler_input)
        if _answers_first(verdict):
            return True
        # words behind a red-flag slot that the rules do not recognise: ask, don't guess
        return verdict is not None and verdict.rule == "red_flag_words"

    def handle(self, handler_input: HandlerInput) -> Response:
        verdict = verdict_of(handler_input)
        set_topic_position(handler_input, None)
        attributes = handler_input.attributes_manager.request_attributes
        content = content_of(handler_input)
        if verdict is None or verdict.answer is None or verdict.answer not in content.safety:
            attributes[REQUEST_TOPIC] = EMERGENCY_CHECK_KEY
            return respond(handler_input, emergency_check_reply(handler_input))
        attributes[REQUEST_TOPIC] = verdict.answer
        attributes[REQUEST_SAFETY] = verdict.level.value
        remember_signals(handler_input, verdict)
        return respond(handler_input, safety_reply(content, verdict.answer))


def emergency_check_reply(handler_input: HandlerInput) -> Reply:
    """ "Is this an emergency?": the number, the warning signs, then one yes-or-no question."""
    return safety_reply(
        content_of(handler_input), EMERGENCY_CHECK_KEY, pending=Pending.EMERGENCY_CHECK
    )


class EmergencyCheckHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(EMERGENCY_CHECK_INTENT)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        set_topic_position(handler_input, None)
        handler_input.attributes_manager.request_attributes[REQUEST_TOPIC] = EMERGENCY_CHECK_KEY
        return respond(handler_input, emergency_check_reply(handler_input))
