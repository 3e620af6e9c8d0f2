"""Open words (a statement, a question no sample matched), once triage found no danger.

"i feel sick", "my head is pounding", "why does my mum get them every month": the
statement and question intents carry the words (Alexa sends none with FallbackIntent), the
safety handler has already answered anything unsafe, and this handler routes the rest to
the answer that fits:

1. "when should I call for help" gets the emergency questions;
2. words that point back ("is it safe", just after a ketamine answer) are read with the
   subject of the conversation in place of "it", and kept if they stay on that subject;
3. the topic the words ask about (``skill/routing.py``), weighing what the triage rules
   read in them (a symptom, aura, what helps now) and the item a slot type lists in them
   ("does red wine set them off" -> triggers, alcohol);
4. failing a clear topic, the triage's reading, then a slot value alone ("cheese");
5. otherwise an honest "I'm not sure I understood", which ends with the emergency number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.content import Content
from skill.conversation import (
    REQUEST_TOPIC,
    Reply,
    TopicPosition,
    content_of,
    respond,
    set_topic_position,
    topic_position,
)
from skill.handlers.answers import first_answer, message_reply, unknown_item_reply
from skill.handlers.preferences import NORMAL_VOICE_INTENT, WHISPER_INTENT, voice_handlers
from skill.handlers.safety import (
    EMERGENCY_CHECK_INTENT,
    EMERGENCY_CHECK_KEY,
    QUESTION_INTENT,
    RED_FLAG_INTENT,
    carries_words,
    emergency_check_reply,
    opener_of,
    remember_signals,
    spoken_words,
    verdict_of,
)
from skill.slots import intent_name, request_locale
from skill.vocabulary import Vocabulary, model_locale, vocabulary_for

#: What a listed slot value in the words adds to its topic's score: "is chocolate bad"
#: names a trigger even without the word "trigger".
SLOT_VALUE_BONUS = 2.0
#: What the triage's reading of the words adds to its topic's score.
TRIAGE_HINT_BONUS = 0.5
#: Openers that make the words a question, not a statement about now.
QUESTION_WORDS = frozenset({"why", "how", "what", "when", "who", "where", "should"})
#: Intents the words may ask for that are answered by a handler, not a content topic.
HANDLED_INTENTS = frozenset({EMERGENCY_CHECK_INTENT, WHISPER_INTENT, NORMAL_VOICE_INTENT})
#: Words that point back to what was just talked about: "does it work", "is that safe".
POINTING_BACK = frozenset({"it", "that", "this", "they", "them", "those", "these"})
#: Names the intent words ask for, given bonuses by intent (``TopicIndex.best``).
IntentFinder = Callable[[str, Mapping[str, float]], "str | None"]


def _items_in(content: Content, words: str, vocabulary: Vocabulary) -> dict[str, str]:
    """Each slot topic's intent, with the item of it the words name."""
    found: dict[str, str] = {}
    for topic in content.topics.values():
        if topic.slot is None:
            continue
        type_name = vocabulary.slot_type(topic.intent, topic.slot)
        value = None if type_name is None else vocabulary.find(type_name, words)
        if value is not None and value in topic.items:
            found[topic.intent] = value
    return found


def route(
    content: Content,
    topic: str | None,
    words: str,
    vocabulary: Vocabulary,
    best_intent: IntentFinder | None = None,
    *,
    question: bool = False,
) -> tuple[str, str | None] | None:
    """The (topic key, item) that answers ``words``, or None when nothing fits.

    Words that ask for the emergency questions or a change of voice give that intent's
    name instead of a topic key (``HANDLED_INTENTS``).

    ``topic`` is the triage's reading of ordinary words ("i feel sick" -> symptoms/nausea):
    a hint the routing index weighs with the rest of the words, because a question that
    mentions a headache ("what can i take when i have a headache") asks for more than
    self-care. When to call for help is the exception: that question is always answered.
    ``best_intent(words, bonus)`` names the intent the words ask for (the routing index).
    A ``question`` is not answered by the triage's reading alone when the index is unsure:
    "why do i get migraines" mentions a migraine, but does not say one is happening now.
    """
    hint_key, _, hint_part = (topic or "").partition("/")
    hint_item = hint_part or None
    if hint_key == EMERGENCY_CHECK_KEY:
        return EMERGENCY_CHECK_INTENT, None
    hint = content.topics.get(hint_key)
    items = _items_in(content, words, vocabulary)
    if best_intent is not None:
        bonus = dict.fromkeys(items, SLOT_VALUE_BONUS)
        if hint is not None:
            bonus[hint.intent] = bonus.get(hint.intent, 0.0) + TRIAGE_HINT_BONUS
        intent = best_intent(words, bonus)
        if intent in HANDLED_INTENTS:
            return intent, None
        chosen = None if intent is None else content.topic_for_intent(intent)
        if chosen is not None:
            same_as_hint = hint is not None and chosen.key == hint.key
            return chosen.key, items.get(chosen.intent) or (hint_item if same_as_hint else None)
    if hint is not None and not question:
        return hint.key, hint_item
    for intent, item in items.items():
        chosen = content.topic_for_intent(intent)
        if chosen is not None:
            return chosen.key, item
    return None


def family_of(topic_key: str) -> str:
    """The kind of topic: ``ketamine_safety`` and ``ketamine`` are both ketamine."""
    return topic_key.partition("_")[0]


def in_context(words: str, position: TopicPosition | None) -> str | None:
    """The words with the subject of the conversation where they point back, or None.

    "does it actually work" after any ketamine answer reads "does ketamine actually work";
    after the alcohol trigger, "is that true" reads "is alcohol triggers true". What they
    are then routed to must be of the same kind (``family_of``): a guess, so never another
    subject.
    """
    tokens = words.split()
    if position is None or not any(token in POINTING_BACK for token in tokens):
        return None
    parts = (position.item, family_of(position.topic))
    subject = " ".join(part.replace("_", " ") for part in parts if part)
    return " ".join(subject if token in POINTING_BACK else token for token in tokens)


class StatementHandler(AbstractRequestHandler):
    """Routes open words (or the words behind a red-flag slot) that triaged as safe."""

    def __init__(self, model_dir: Path) -> None:
        self._model_dir = model_dir
        self._voice = {handler.intent_name: handler for handler in voice_handlers()}

    def can_handle(self, handler_input: HandlerInput) -> bool:
        name = intent_name(handler_input)
        return carries_words(name) or name == RED_FLAG_INTENT

    def handle(self, handler_input: HandlerInput) -> Response:
        from skill.routing import index_path, load_index  # only where open words arrive

        content = content_of(handler_input)
        verdict = verdict_of(handler_input)
        remember_signals(handler_input, verdict)
        words = " and ".join(spoken_words(handler_input))
        locale = request_locale(handler_input)
        vocabulary = vocabulary_for(self._model_dir, locale)
        index = load_index(index_path(self._model_dir, model_locale(self._model_dir, locale)))
        name = intent_name(handler_input)
        asks = name == QUESTION_INTENT or opener_of(name) in QUESTION_WORDS
        topic_read = None if verdict is None else verdict.topic
        found = None
        if topic_read != EMERGENCY_CHECK_KEY:
            found = self._follow_up(handler_input, content, words, vocabulary, index.best, asks)
        if found is None:
            found = route(content, topic_read, words, vocabulary, index.best, question=asks)
        if found is not None:
            key, item = found
            if key == EMERGENCY_CHECK_INTENT:
                set_topic_position(handler_input, None)
                attributes = handler_input.attributes_manager.request_attributes
                attributes[REQUEST_TOPIC] = EMERGENCY_CHECK_KEY
                return respond(handler_input, emergency_check_reply(handler_input))
            if key in self._voice:
                return self._voice[key].handle(handler_input)
            topic = content.topics.get(key)
            unlisted = (
                vocabulary.unlisted_value(topic.intent, words)
                if topic is not None and topic.slot is not None and item is None
                else None
            )
            if topic is not None and unlisted is not None:
                reply, position = unknown_item_reply(content, topic, unlisted)
                set_topic_position(handler_input, position)
                return respond(handler_input, reply)
            if topic is not None and (item is None or item in topic.items):
                reply, position = first_answer(content, key, item)
                set_topic_position(handler_input, position)
                return respond(handler_input, reply)
        set_topic_position(handler_input, None)
        handler_input.attributes_manager.request_attributes[REQUEST_TOPIC] = "not_understood"
        return respond(handler_input, not_understood(content))

    @staticmethod
    def _follow_up(
        handler_input: HandlerInput,
        content: Content,
        words: str,
        vocabulary: Vocabulary,
        best_intent: IntentFinder,
        asks: bool,
    ) -> tuple[str, str | None] | None:
        """Words that point back, routed within the kind of topic just answered, to another
        answer of it (the same one again would tell nothing new)."""
        position = topic_position(handler_input)
        followed = in_context(words, position)
        if position is None or followed is None:
            return None
        found = route(content, None, followed, vocabulary, best_intent, question=asks)
        if found is None or family_of(found[0]) != family_of(position.topic):
            return None
        if found == (position.topic, position.item):  # the same answer again says nothing new
            return None
        return found


def not_understood(content: Content) -> Reply:
    return message_reply(content, "not_understood")
