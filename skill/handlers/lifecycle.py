"""Requests that are not questions: session end, device errors, CanFulfillIntent, strays.

None of these may speak (Alexa ignores or rejects speech here), and none may fail.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import IntentRequest, Response, SessionEndedRequest

from skill.conversation import content_of, respond
from skill.handlers.answers import message_reply
from skill.slots import request_locale
from skill.vocabulary import vocabulary_for

logger = logging.getLogger(__name__)


def _withheld(message: object) -> str | None:
    """Alexa's error message by its length only: its free text may quote what was said."""
    return None if message is None else f"withheld ({len(str(message))} characters)"


class SessionEndedHandler(AbstractRequestHandler):
    """The session closed (the person left, timed out, or Alexa hit an error): log why."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("SessionEndedRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        assert isinstance(request, SessionEndedRequest)
        error = request.error
        logger.info(
            "session ended",
            extra={
                "reason": getattr(request.reason, "value", None),
                "error_type": getattr(getattr(error, "object_type", None), "value", None)
                or getattr(getattr(error, "type", None), "value", None),
                "error_message": _withheld(getattr(error, "message", None)),
            },
        )
        response: Response = handler_input.response_builder.response
        return response


class ExceptionEncounteredHandler(AbstractRequestHandler):
    """Alexa could not use our last response: log it; no speech is allowed in reply."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("System.ExceptionEncountered")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        error = getattr(handler_input.request_envelope.request, "error", None)
        logger.error(
            "Alexa reported an error with our response",
            extra={
                "error_type": getattr(getattr(error, "object_type", None), "value", None),
                "error_message": _withheld(getattr(error, "message", None)),
            },
        )
        response: Response = handler_input.response_builder.response
        return response


class CanFulfillHandler(AbstractRequestHandler):
    """Name-free interaction: YES only for our intents whose slot values we understand."""

    def __init__(self, model_dir: Path) -> None:
        self._model_dir = model_dir

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("CanFulfillIntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        # Imported here: name-free requests are rare, and these models cost cold-start time.
        from ask_sdk_model.canfulfill import (
            CanFulfillIntent,
            CanFulfillIntentValues,
            CanFulfillSlot,
            CanFulfillSlotValues,
            CanUnderstandSlotValues,
        )

        vocabulary = vocabulary_for(self._model_dir, request_locale(handler_input))
        intent = getattr(handler_input.request_envelope.request, "intent", None)
        name = getattr(intent, "name", None)
        verdict = CanFulfillIntentValues.NO
        slots: dict[str, CanFulfillSlot] = {}
        if isinstance(name, str) and name in vocabulary.intents and not name.startswith("AMAZON."):
            verdict = CanFulfillIntentValues.YES
            for slot_name, slot in (getattr(intent, "slots", None) or {}).items():
                spoken = getattr(slot, "value", None)
                known = isinstance(spoken, str) and bool(
                    vocabulary.resolve(name, slot_name, spoken)
                )
                slots[slot_name] = CanFulfillSlot(
                    can_understand=CanUnderstandSlotValues.YES
                    if known
                    else CanUnderstandSlotValues.NO,
                    can_fulfill=CanFulfillSlotValues.YES if known else CanFulfillSlotValues.NO,
                )
                if not known:
                    verdict = CanFulfillIntentValues.NO
        handler_input.response_builder.set_can_fulfill_intent(
            CanFulfillIntent(can_fulfill=verdict, slots=slots or None)
        )
        response: Response = handler_input.response_builder.response
        return response


class UnknownIntentHandler(AbstractRequestHandler):
    """An intent this skill does not have (an old model, another skill's test): as Fallback."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return isinstance(handler_input.request_envelope.request, IntentRequest)

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, message_reply(content_of(handler_input), "fallback"))


class UnknownRequestHandler(AbstractRequestHandler):
    """Any other request type (audio player events, skill events): acknowledge silently."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        logger.info("request type not handled; answered with an empty response")
        response: Response = handler_input.response_builder.response
        return response
