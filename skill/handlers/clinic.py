"""The clinic's contact details: spoken once, and kept on the card in the Alexa app."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.conversation import content_of, respond, set_topic_position
from skill.handlers.answers import CLINIC_TOPIC, first_answer

CLINIC_INTENT = "ClinicIntent"


class ClinicHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(CLINIC_INTENT)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        reply, position = first_answer(content_of(handler_input), CLINIC_TOPIC)
        set_topic_position(handler_input, position)
        return respond(handler_input, reply)
