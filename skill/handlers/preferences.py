"""Whisper mode: asked for once, remembered across sessions (the only thing remembered)."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.conversation import content_of, respond, update_preferences
from skill.handlers.answers import message_reply
from skill.speech import Voice

WHISPER_INTENT = "WhisperIntent"
NORMAL_VOICE_INTENT = "NormalVoiceIntent"


class VoiceHandler(AbstractRequestHandler):
    """Switches between whispering and the gentle default; confirms in the new voice."""

    def __init__(self, intent_name: str, voice: Voice, message_key: str) -> None:
        self.intent_name = intent_name
        self._voice = voice
        self._message_key = message_key

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(self.intent_name)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        update_preferences(handler_input, voice=self._voice)
        reply = message_reply(
            content_of(handler_input), self._message_key, reprompt_key="whisper_reprompt"
        )
        return respond(handler_input, reply)


def voice_handlers() -> list[VoiceHandler]:
    return [
        VoiceHandler(WHISPER_INTENT, Voice.WHISPER, "whisper_on"),
        VoiceHandler(NORMAL_VOICE_INTENT, Voice.GENTLE, "whisper_off"),
    ]
