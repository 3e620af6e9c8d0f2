"""Data-driven topic answers: the content says which intent asks for which topic.

A plain topic is added with YAML and interaction-model entries alone; this one handler
answers it. Topics with a slot ("can chocolate trigger a migraine") pick an item by the
slot's resolved value, and say honestly when they have nothing specific on it.
"""

from __future__ import annotations

from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.conversation import content_of, respond, set_topic_position
from skill.handlers.answers import first_answer, unknown_item_reply
from skill.slots import intent_name, read_slot


class TopicHandler(AbstractRequestHandler):
    """Answers every intent that the content maps to a topic."""

    def __init__(self, model_dir: Path | None = None) -> None:
        self._model_dir = model_dir  # where to look up words Alexa did not resolve

    def can_handle(self, handler_input: HandlerInput) -> bool:
        name = intent_name(handler_input)
        return name is not None and content_of(handler_input).topic_for_intent(name) is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_of(handler_input)
        name = intent_name(handler_input)
        topic = None if name is None else content.topic_for_intent(name)
        assert name is not None and topic is not None  # can_handle checked both
        item: str | None = None
        if topic.slot is not None:
            reading = read_slot(handler_input, topic.slot, self._model_dir)
            value_id = reading.value_id
            if value_id in topic.items:
                item = value_id
            elif reading.spoken:
                reply, position = unknown_item_reply(content, topic, reading.spoken)
                set_topic_position(handler_input, position)
                return respond(handler_input, reply)
        reply, position = first_answer(content, topic.key, item)
        set_topic_position(handler_input, position)
        return respond(handler_input, reply)
