"""The conversation around the answers: welcome, help, yes and no, more, repeat, goodbye.

"Yes" and "no" mean whatever the last question asked (see ``Pending``); nothing here is a
dead end: every reply either ends the session on purpose or asks what comes next.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from skill.conversation import (
    Pending,
    Reply,
    content_of,
    last_reply,
    pending,
    preferences,
    respond,
    set_topic_position,
    topic_position,
    update_preferences,
)
from skill.handlers.answers import (
    SELF_CARE_TOPIC,
    answer_part,
    first_answer,
    menu_reply,
    message_reply,
    safety_reply,
)
from skill.handlers.safety import emergency_check_reply


def _intent_in(handler_input: HandlerInput, *names: str) -> bool:
    return any(is_intent_name(name)(handler_input) for name in names)


def _welcome(handler_input: HandlerInput) -> Response:
    """The welcome menu; the full one (with the disclaimer) until the person has heard it."""
    returning = preferences(handler_input).heard_welcome
    update_preferences(handler_input, heard_welcome=True)
    set_topic_position(handler_input, None)
    return respond(handler_input, menu_reply(content_of(handler_input), returning=returning))


def _continue_topic(handler_input: HandlerInput) -> Response | None:
    """The next part of the current topic, or None when there is nothing more to say."""
    position = topic_position(handler_input)
    result = None if position is None else answer_part(content_of(handler_input), position)
    if result is None:
        return None
    reply, after = result
    set_topic_position(handler_input, after)
    return respond(handler_input, reply)


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return _welcome(handler_input)


class HomeHandler(AbstractRequestHandler):
    """ "Start over", "go home": back to the welcome menu, topic forgotten."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.NavigateHomeIntent", "AMAZON.StartOverIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        return _welcome(handler_input)


class GoodbyeHandler(AbstractRequestHandler):
    """Stop and Cancel end the session at once, kindly."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.StopIntent", "AMAZON.CancelIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        return respond(
            handler_input, Reply(speech=(content.messages["goodbye"],), repeatable=False)
        )


class RepeatHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.RepeatIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        reply = last_reply(handler_input)
        if reply is None:
            reply = message_reply(content_of(handler_input), "nothing_to_repeat")
        return respond(handler_input, reply)


class MoreHandler(AbstractRequestHandler):
    """ "More", "next", "tell me more": the next part of the topic being discussed."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.MoreIntent", "AMAZON.NextIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        continued = _continue_topic(handler_input)
        if continued is not None:
            return continued
        return respond(handler_input, message_reply(content_of(handler_input), "nothing_more"))


class YesHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.YesIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        state = pending(handler_input)
        if state is Pending.EMERGENCY_CHECK:
            return respond(handler_input, safety_reply(content, "emergency_confirmed"))
        if state is Pending.SELF_CARE:
            reply, position = first_answer(content, SELF_CARE_TOPIC)
            set_topic_position(handler_input, position)
            return respond(handler_input, reply)
        if state is Pending.MORE:
            continued = _continue_topic(handler_input)
            if continued is not None:
                return continued
        if state is Pending.ANYTHING_ELSE:
            return respond(
                handler_input,
                Reply(
                    speech=(content.messages["reprompt"],), reprompt=content.messages["reprompt"]
                ),
            )
        return respond(handler_input, message_reply(content, "nothing_more"))


class NoHandler(AbstractRequestHandler):
    """ "No" declines the offer; a second "no" to "anything else?" ends the session."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.NoIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        state = pending(handler_input)
        if state is Pending.EMERGENCY_CHECK:
            reply = safety_reply(content, "see_doctor_today", pending=Pending.SELF_CARE)
            return respond(handler_input, reply._replace(urgent=False))
        if state is Pending.ANYTHING_ELSE:
            return respond(
                handler_input, Reply(speech=(content.messages["goodbye"],), repeatable=False)
            )
        set_topic_position(handler_input, None)
        return respond(
            handler_input,
            Reply(
                speech=(content.messages["anything_else"],),
                reprompt=content.messages["anything_else_reprompt"],
                pending=Pending.ANYTHING_ELSE,
            ),
        )


class FallbackHandler(AbstractRequestHandler):
    """Out-of-scope speech: say what the skill can do; mid-question, ask the question again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _intent_in(handler_input, "AMAZON.FallbackIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        if pending(handler_input) is Pending.EMERGENCY_CHECK:
            return respond(handler_input, emergency_check_reply(handler_input))
        return respond(handler_input, message_reply(content, "fallback"))
