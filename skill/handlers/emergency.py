"""Emergency first: red flags get the local emergency number before anything else.

The skill cannot call anyone and says so; it tells the person the number to dial. Its
answers here are never whispered, so the number is clearly heard.
"""

from __future__ import annotations

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
from skill.speech import plain

RED_FLAG_INTENT = "RedFlagIntent"
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
    """ "My face is drooping", "worst headache of my life": call the number now."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(RED_FLAG_INTENT)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        set_topic_position(handler_input, None)
        handler_input.attributes_manager.request_attributes[REQUEST_TOPIC] = "red_flag"
        return respond(handler_input, call_now_reply(content, content.emergency.red_flag))


class EmergencyCheckHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(EMERGENCY_CHECK_INTENT)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        set_topic_position(handler_input, None)
        handler_input.attributes_manager.request_attributes[REQUEST_TOPIC] = "emergency_check"
        return respond(handler_input, red_flag_question(content_of(handler_input)))
