"""Conversation state and the one function that turns a reply into an Alexa response.

Handlers decide *what* to say as a :class:`Reply` of content texts; :func:`respond` decides
*how*: the person's voice preference, SSML, the reprompt, the Alexa app card, what "repeat"
will say again, and (on a screen) the dim display. Keeping that in one place is what makes
every answer calm, valid and repeatable.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, MutableMapping
from typing import Any, NamedTuple, cast

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from skill.content import Answer, Content
from skill.speech import Voice, plain, render_ssml

SESSION_PENDING = "pending"
SESSION_TOPIC = "topic"
SESSION_LAST = "last"
SESSION_PREFS = "prefs"
SESSION_HEARD = "heard"  # signal names the triage read this session, for later words
REQUEST_CONTENT = "content"
REQUEST_PREFS_CHANGED = "prefs_changed"
REQUEST_TOPIC = "topic"  # for the request log: which topic was answered
REQUEST_ITEM = "item"  # ... and which of its items (a slot value id), if any
REQUEST_TRIAGE = "triage"  # the verdict on the words this request carries (computed once)
REQUEST_SAFETY = "safety"  # for the request log: the safety level answered, if any
REQUEST_ERROR = "error"  # for the request log: the exception handler answered


class Pending(enum.StrEnum):
    """What a bare "yes" or "no" answers."""

    MORE = "more"  # "Would you like to hear more?"
    EMERGENCY_CHECK = "emergency_check"  # "Do you have any of these right now?"
    SELF_CARE = "self_care"  # "Would you like some things that may help right now?"
    ANYTHING_ELSE = "anything_else"  # "Is there anything else I can help with?"


class Card(NamedTuple):
    title: str
    text: str


class Reply(NamedTuple):
    """What to say. Texts are content texts; ``reprompt=None`` ends the session."""

    speech: tuple[str, ...]
    reprompt: str | None = None
    card: Card | None = None
    urgent: bool = False  # emergency instructions: never whispered
    pending: Pending | None = None
    screen_title: str = ""
    repeatable: bool = True

    @property
    def ends_session(self) -> bool:
        return self.reprompt is None


class TopicPosition(NamedTuple):
    """Where the person is in a topic, so "more" and "yes" know what comes next."""

    topic: str
    item: str | None = None
    next_part: int = 1

    def as_attributes(self) -> dict[str, Any]:
        return {"topic": self.topic, "item": self.item, "next_part": self.next_part}

    @classmethod
    def from_attributes(cls, value: object) -> TopicPosition | None:
        if not isinstance(value, dict):
            return None
        topic, item, next_part = value.get("topic"), value.get("item"), value.get("next_part")
        if not isinstance(topic, str) or not isinstance(next_part, int):
            return None
        return cls(topic=topic, item=item if isinstance(item, str) else None, next_part=next_part)


class Preferences(NamedTuple):
    """The only things ever remembered about a person: how to speak to them."""

    voice: Voice = Voice.GENTLE
    heard_welcome: bool = False

    def as_attributes(self) -> dict[str, Any]:
        return {"voice": self.voice.value, "heard_welcome": self.heard_welcome}

    @classmethod
    def from_attributes(cls, value: object) -> Preferences:
        if not isinstance(value, dict):
            return cls()
        voice = Voice.WHISPER if value.get("voice") == Voice.WHISPER.value else Voice.GENTLE
        return cls(voice=voice, heard_welcome=value.get("heard_welcome") is True)


def session_attributes(handler_input: HandlerInput) -> MutableMapping[str, Any]:
    """Session attributes, or a throwaway dict where the request has no session."""
    manager = handler_input.attributes_manager
    if handler_input.request_envelope.session is None:
        return cast(
            MutableMapping[str, Any], manager.request_attributes.setdefault("_no_session", {})
        )
    return cast(MutableMapping[str, Any], manager.session_attributes)


def content_of(handler_input: HandlerInput) -> Content:
    """The content for this request's locale (set by the locale interceptor)."""
    return cast(Content, handler_input.attributes_manager.request_attributes[REQUEST_CONTENT])


def preferences(handler_input: HandlerInput) -> Preferences:
    return Preferences.from_attributes(session_attributes(handler_input).get(SESSION_PREFS))


def update_preferences(
    handler_input: HandlerInput, *, voice: Voice | None = None, heard_welcome: bool | None = None
) -> None:
    """Change a preference for this session and mark it to be saved once the reply is built."""
    before = preferences(handler_input)
    after = before._replace(
        voice=before.voice if voice is None else voice,
        heard_welcome=before.heard_welcome if heard_welcome is None else heard_welcome,
    )
    if after != before:
        session_attributes(handler_input)[SESSION_PREFS] = after.as_attributes()
        handler_input.attributes_manager.request_attributes[REQUEST_PREFS_CHANGED] = True


def pending(handler_input: HandlerInput) -> Pending | None:
    value = session_attributes(handler_input).get(SESSION_PENDING)
    try:
        return Pending(value) if isinstance(value, str) else None
    except ValueError:
        return None


def topic_position(handler_input: HandlerInput) -> TopicPosition | None:
    return TopicPosition.from_attributes(session_attributes(handler_input).get(SESSION_TOPIC))


def set_topic_position(handler_input: HandlerInput, position: TopicPosition | None) -> None:
    attributes = session_attributes(handler_input)
    if position is None:
        attributes.pop(SESSION_TOPIC, None)
    else:
        attributes[SESSION_TOPIC] = position.as_attributes()
        request_attributes = handler_input.attributes_manager.request_attributes
        request_attributes[REQUEST_TOPIC] = position.topic
        request_attributes[REQUEST_ITEM] = position.item


def answer_card(content: Content, answer: Answer) -> Card:
    """The Alexa app card: the answer's own lines, its sources, and what review happened.

    The emergency number is added only where the card does not already give it, and a
    review line only where a clinician really reviewed the answer.
    """
    text = plain(answer.card, content)
    lines = [text, "", "Sources: " + "; ".join(content.source_titles(answer)) + "."]
    review = answer.review.card_line()
    if review is not None:
        lines.append(review)
    emergency = plain("{emergency_number}", content)
    if emergency not in text:
        lines.append(f"In an emergency, call {emergency}.")
    return Card(title=answer.title, text="\n".join(lines))


# Screens are optional: the presentation module registers a renderer when it is available.
ScreenRenderer = Callable[[HandlerInput, Content, Reply], None]
_screen_renderers: list[ScreenRenderer] = []


def register_screen_renderer(renderer: ScreenRenderer) -> None:
    if renderer not in _screen_renderers:
        _screen_renderers.append(renderer)


def respond(handler_input: HandlerInput, reply: Reply) -> Response:
    """Render a reply for this person and remember what "repeat" and "yes" will need."""
    content = content_of(handler_input)
    voice = preferences(handler_input).voice
    attributes = session_attributes(handler_input)
    builder = handler_input.response_builder
    builder.speak(render_ssml(reply.speech, content, voice=voice, urgent=reply.urgent))
    if reply.reprompt is not None:
        builder.ask(render_ssml((reply.reprompt,), content, voice=voice, urgent=reply.urgent))
    builder.set_should_end_session(reply.ends_session)
    if reply.card is not None:
        builder.set_card(SimpleCard(title=reply.card.title, content=reply.card.text))
    for render_screen in _screen_renderers:
        render_screen(handler_input, content, reply)

    if reply.pending is None:
        attributes.pop(SESSION_PENDING, None)
    else:
        attributes[SESSION_PENDING] = reply.pending.value
    if reply.repeatable:
        # One JSON string, opaque to Alexa: the SDK deep-copies and re-serialises every
        # session attribute on every request, and a string is one object instead of dozens.
        attributes[SESSION_LAST] = json.dumps(
            {
                "speech": list(reply.speech),
                "reprompt": reply.reprompt,
                "urgent": reply.urgent,
                "pending": reply.pending.value if reply.pending else None,
                "card": None if reply.card is None else [reply.card.title, reply.card.text],
                "screen_title": reply.screen_title,
            },
            ensure_ascii=False,
        )
    response: Response = builder.response
    return response


def last_reply(handler_input: HandlerInput) -> Reply | None:
    """The last repeatable reply of this session, rebuilt from the session attributes."""
    stored = session_attributes(handler_input).get(SESSION_LAST)
    try:
        last = json.loads(stored) if isinstance(stored, str) else None
    except ValueError:
        return None
    if not isinstance(last, dict):
        return None
    speech = last.get("speech")
    if not isinstance(speech, list) or not all(isinstance(part, str) for part in speech):
        return None
    if not any(part.strip() for part in speech):  # nothing to say again: never silence
        return None
    reprompt = last.get("reprompt")
    card = last.get("card")
    pending_value = last.get("pending")
    try:
        pending_state = Pending(pending_value) if isinstance(pending_value, str) else None
    except ValueError:
        pending_state = None
    return Reply(
        speech=tuple(speech),
        reprompt=reprompt if isinstance(reprompt, str) and reprompt.strip() else None,
        urgent=last.get("urgent") is True,
        pending=pending_state,
        card=Card(str(card[0]), str(card[1]))
        if isinstance(card, list) and len(card) == 2
        else None,
        screen_title=str(last.get("screen_title") or ""),
    )
