"""Replies built from content: topic answers, their "more" parts, safety answers, menus.

Handlers share these so that a topic sounds the same whether it was asked for directly,
reached with "yes", "more" or "next", or routed from something the person said.
"""

from __future__ import annotations

from skill.content import Answer, Content, Topic
from skill.conversation import Pending, Reply, TopicPosition, answer_card
from skill.speech import echo, fill

SELF_CARE_TOPIC = "self_care"
DISCLAIMER_TOPIC = "disclaimer"


def find_answer(content: Content, position: TopicPosition) -> Answer | None:
    """The answer a topic position points at, or None if the content no longer has it."""
    topic = content.topics.get(position.topic)
    if topic is None:
        return None
    return topic.answer if position.item is None else topic.items.get(position.item)


def _offer_or_close(content: Content, answer: Answer, next_index: int) -> tuple[str, str, bool]:
    """The closing line, its reprompt, and whether it offers more (part ``next_index``)."""
    if next_index < len(answer.parts):
        return (
            content.messages["offer_more"],
            fill(content.messages["offer_more_reprompt"], {"name": answer.name}),
            True,
        )
    return (
        fill(content.messages["topic_done"], {"name": answer.name}),
        content.messages["reprompt"],
        False,
    )


def answer_part(content: Content, position: TopicPosition) -> tuple[Reply, TopicPosition] | None:
    """Part ``position.next_part`` of the answer, closed by an offer of more or a wrap-up.

    Returns the reply and the position after it, or None when there is no such part.
    """
    answer = find_answer(content, position)
    index = position.next_part
    if answer is None or not 0 <= index < len(answer.parts):
        return None
    closing, reprompt, offers_more = _offer_or_close(content, answer, index + 1)
    reply = Reply(
        speech=(answer.parts[index], closing),
        reprompt=reprompt,
        card=answer_card(content, answer),
        pending=Pending.MORE if offers_more else None,
        screen_title=answer.title,
    )
    return reply, TopicPosition(position.topic, position.item, index + 1)


def first_answer(
    content: Content, topic: str, item: str | None = None
) -> tuple[Reply, TopicPosition]:
    """The first part of a topic (or one of its items); the content must have it."""
    result = answer_part(content, TopicPosition(topic=topic, item=item, next_part=0))
    if result is None:
        raise KeyError(f"the content has no answer for topic {topic!r}, item {item!r}")
    return result


def unknown_item_reply(content: Content, topic: Topic, spoken: str) -> tuple[Reply, TopicPosition]:
    """An honest answer for a value we have nothing specific on, then the general topic."""
    lead = fill(content.messages["unknown_item"], {"item": echo(spoken)})
    unknown = topic.unknown_item or topic.answer.first
    answer = topic.answer
    # The general topic's first part is replaced by the "common triggers are ..." line,
    # so "more" continues with the general topic's second part.
    closing, reprompt, offers_more = _offer_or_close(content, answer, 1)
    reply = Reply(
        speech=(lead, unknown, closing),
        reprompt=reprompt,
        card=answer_card(content, answer),
        pending=Pending.MORE if offers_more else None,
        screen_title=answer.title,
    )
    return reply, TopicPosition(topic=topic.key, item=None, next_part=1)


def safety_reply(content: Content, key: str, *, pending: Pending | None = None) -> Reply:
    """A safety answer: never whispered; without a reprompt, it ends the session."""
    answer = content.safety[key]
    return Reply(
        speech=(answer.first,),
        reprompt=answer.reprompt,
        card=answer_card(content, answer),
        urgent=True,
        pending=pending,
        screen_title=answer.title,
    )


def menu_reply(content: Content, *, returning: bool) -> Reply:
    """The welcome menu: what one can ask, with the disclaimer the first time."""
    disclaimer = content.topics.get(DISCLAIMER_TOPIC)
    return Reply(
        speech=(content.messages["welcome_returning" if returning else "welcome"],),
        reprompt=content.messages["reprompt"],
        card=None if disclaimer is None else answer_card(content, disclaimer.answer),
        screen_title=content.skill_name,
    )


def message_reply(content: Content, key: str, *, reprompt_key: str = "reprompt") -> Reply:
    """A one-message reply that keeps the session open with a general reprompt."""
    return Reply(speech=(content.messages[key],), reprompt=content.messages[reprompt_key])
