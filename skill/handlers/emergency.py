"""Emergency first: red flags get the local emergency number before anything else.

The skill cannot call anyone and says so; it tells the person the number to dial. Its
answers here are never whispered, so the number is clearly heard.
"""

from __future__ import annotations

from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.content import Content
from skill.conversation import (
    REQUEST_TOPIC,
    Card,
    Pending,
    Reply,
    content_of,
    respond,
    set_topic_position,
)
from skill.slots import read_slot
from skill.speech import plain

RED_FLAG_INTENT = "RedFlagIntent"
RED_FLAG_SLOT = "redFlag"
EMERGENCY_CHECK_INTENT = "EmergencyCheckIntent"


def emergency_card(content: Content) -> Card:
    emergency = content.emergency
    text = (
        f"{plain(emergency.card, content)}\n\n"
        f"Sources: {'; '.join(emergency.sources)}.\n"
        f"{content.skill_name} cannot call anyone for you."
    )
    return Card(title=f"Emergency: call {emergency.number}", text=text)


def call_now_reply(content: Content, text: str) -> Reply:
    """The emergency instruction; the session ends so the person can make the call."""
    return Reply(
        speech=(text,), card=emergency_card(content), urgent=True, screen_title="Emergency"
    )


def red_flag_question(content: Content) -> Reply:
    """ "Is this an emergency?": the red flags, then one yes-or-no question."""
    emergency = content.emergency
    return Reply(
        speech=(emergency.check,),
        reprompt=emergency.check_reprompt,
        card=emergency_card(content),
        urgent=True,
        pending=Pending.EMERGENCY_CHECK,
        screen_title="Is this an emergency?",
    )


def see_doctor_reply(content: Content) -> Reply:
    """No red flags: when to see a doctor today, then an offer of self-care."""
    emergency = content.emergency
    return Reply(
        speech=(emergency.see_doctor_today,),
        reprompt=emergency.see_doctor_reprompt,
        card=emergency_card(content),
        pending=Pending.SELF_CARE,
        screen_title="When to see a doctor today",
    )


class RedFlagHandler(AbstractRequestHandler):
    """ "My face is drooping", "worst headache of my life": call the number now.

    The model's ``i have {redFlag}`` samples can catch words that are not a red flag at all
    ("i have nausea"): when the slot holds words that match no red flag, the person hears
    the red flags and one yes-or-no question instead, so nobody is sent to the emergency
    room for nausea, and nobody with a red flag is missed.
    """

    def __init__(self, model_dir: Path | None = None) -> None:
        self._model_dir = model_dir

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(RED_FLAG_INTENT)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        set_topic_position(handler_input, None)
        request_attributes = handler_input.attributes_manager.request_attributes
        if self._names_something_else(handler_input):
            request_attributes[REQUEST_TOPIC] = "emergency_check"
            return respond(handler_input, red_flag_question(content))
        request_attributes[REQUEST_TOPIC] = "red_flag"
        return respond(handler_input, call_now_reply(content, content.emergency.red_flag))

    def _names_something_else(self, handler_input: HandlerInput) -> bool:
        if self._model_dir is None:  # nothing to check the words against: treat as a red flag
            return False
        reading = read_slot(handler_input, RED_FLAG_SLOT, self._model_dir)
        return reading.spoken is not None and reading.value_id is None


class EmergencyCheckHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(EMERGENCY_CHECK_INTENT)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        set_topic_position(handler_input, None)
        handler_input.attributes_manager.request_attributes[REQUEST_TOPIC] = "emergency_check"
        return respond(handler_input, red_flag_question(content_of(handler_input)))
