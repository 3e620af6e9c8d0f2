"""What people say about themselves, once triage has found no danger in it.

"i feel sick", "my head is pounding", "i think cheese sets mine off": the statement intent
carries the words (Alexa sends none with FallbackIntent), the safety handler has already
answered anything unsafe, and this handler routes the rest to the answer that fits:

1. the topic the triage rules name for what was said (a symptom, aura, what helps now);
2. a slot value of a topic found in the words ("cheese" -> the cheese trigger);
3. otherwise an honest "I'm not sure I understood", which ends with the emergency number.
"""

from __future__ import annotations

from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.content import Content
from skill.conversation import REQUEST_TOPIC, Reply, content_of, respond, set_topic_position
from skill.handlers.answers import first_answer, message_reply
from skill.handlers.safety import (
    EMERGENCY_CHECK_KEY,
    RED_FLAG_INTENT,
    STATEMENT_INTENT,
    emergency_check_reply,
    spoken_words,
    verdict_of,
)
from skill.slots import intent_name, request_locale
from skill.vocabulary import Vocabulary, vocabulary_for


def route(
    content: Content, topic: str | None, words: str, vocabulary: Vocabulary
) -> tuple[str, str | None] | None:
    """The (topic, item) that answers ``words``, or None when nothing fits."""
    if topic is not None:
        key, _, item = topic.partition("/")
        return key, item or None
    for candidate in content.topics.values():
        if candidate.slot is None:
            continue
        type_name = vocabulary.slot_type(candidate.intent, candidate.slot)
        value = None if type_name is None else vocabulary.find(type_name, words)
        if value in candidate.items:
            return candidate.key, value
    return None


class StatementHandler(AbstractRequestHandler):
    """Routes a statement (or the words behind a red-flag slot) that triaged as safe."""

    def __init__(self, model_dir: Path) -> None:
        self._model_dir = model_dir

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in {STATEMENT_INTENT, RED_FLAG_INTENT}

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        verdict = verdict_of(handler_input)
        words = " and ".join(spoken_words(handler_input))
        vocabulary = vocabulary_for(self._model_dir, request_locale(handler_input))
        found = route(content, None if verdict is None else verdict.topic, words, vocabulary)
        if found is not None:
            key, item = found
            if key == EMERGENCY_CHECK_KEY:
                set_topic_position(handler_input, None)
                return respond(handler_input, emergency_check_reply(handler_input))
            topic = content.topics.get(key)
            if topic is not None and (item is None or item in topic.items):
                reply, position = first_answer(content, key, item)
                set_topic_position(handler_input, position)
                return respond(handler_input, reply)
        set_topic_position(handler_input, None)
        handler_input.attributes_manager.request_attributes[REQUEST_TOPIC] = "not_understood"
        return respond(handler_input, not_understood(content))


def not_understood(content: Content) -> Reply:
    return message_reply(content, "not_understood")
