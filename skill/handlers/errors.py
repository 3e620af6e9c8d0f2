"""The last line of defence: any failure still gets a calm answer with the emergency number."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, LaunchRequest, Response

from skill.conversation import REQUEST_ERROR, Reply, content_of, respond

logger = logging.getLogger(__name__)

#: Spoken only when even the content is unavailable (it failed to load or validate).
LAST_RESORT_SSML = (
    "<speak>Sorry, Migraine Helper isn't working right now. If you think this could be an "
    "emergency, call your local emergency number.</speak>"
)


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """Logs the failure (type only, never the request) and apologises; it never raises.

    ``after`` sees the answer, as the response interceptors would have (the SDK skips them
    when an exception handler answers): the request is still counted, as an error.
    """

    def __init__(self, after: Callable[[HandlerInput, Response], None] | None = None) -> None:
        self._after = after

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        response = self._answer(handler_input, exception)
        if self._after is not None:
            try:
                self._after(handler_input, response)
            except Exception as error:  # counting must never cost the answer
                logger.error("request line failed", extra={"error_type": type(error).__name__})
        return response

    def _answer(self, handler_input: HandlerInput, exception: Exception) -> Response:
        logger.error(
            "request failed",
            extra={"error_type": type(exception).__name__},
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )
        handler_input.attributes_manager.request_attributes[REQUEST_ERROR] = True
        # Speech is only allowed in reply to a launch or an intent; anything else stays quiet.
        request = handler_input.request_envelope.request
        if not isinstance(request, IntentRequest | LaunchRequest):
            return _empty_response(handler_input)
        try:
            content = content_of(handler_input)
            handler_input.response_builder.response.card = None
            handler_input.response_builder.response.directives = None
            return respond(
                handler_input,
                Reply(
                    speech=(content.messages["error"],),
                    reprompt=content.messages["reprompt"],
                    urgent=True,
                    repeatable=False,
                ),
            )
        except Exception as second:  # the content itself is broken: say the last-resort line
            logger.error("error reply failed", extra={"error_type": type(second).__name__})
            return last_resort_response(handler_input)


def _empty_response(handler_input: HandlerInput) -> Response:
    response: Response = handler_input.response_builder.response
    response.output_speech = None
    response.reprompt = None
    response.card = None
    response.directives = None
    return response


def last_resort_response(handler_input: HandlerInput) -> Response:
    """A fixed apology that depends on nothing but the SDK; the session ends."""
    response = _empty_response(handler_input)
    handler_input.response_builder.speak(LAST_RESORT_SSML)
    handler_input.response_builder.set_should_end_session(True)
    return response
