"""The content as typed records: what the skill says, shows and rests on, for one locale.

NamedTuples rather than dataclasses: as immutable and typed, and several times cheaper to
define, which a Lambda cold start notices.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import NamedTuple

from skill.verdicts import LazyRules

#: A placeholder in a content text: "{emergency_number}", filled per locale or per answer.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class Review(NamedTuple):
    """Who reviewed an answer clinically, and when; all empty while review is pending."""

    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None
    next_review: dt.date | None = None

    @property
    def pending(self) -> bool:
        return self.reviewed_by is None

    def stale(self, today: dt.date) -> bool:
        """Reviewed once, but the date for the next review has passed."""
        return self.next_review is not None and self.next_review < today

    def card_line(self) -> str | None:
        """What the Alexa app card says about review: only ever what really happened."""
        if self.pending or self.reviewed_on is None:
            return None
        return f"Reviewed by {self.reviewed_by} on {self.reviewed_on:%-d %B %Y}."


PENDING = Review()


class Answer(NamedTuple):
    """One answer: a short first part, more on request, and what the Alexa app shows."""

    key: str  # where it lives: "topics.triggers", "topics.triggers.items.chocolate", ...
    name: str  # how it is spoken of: "migraine triggers" ("hear more about migraine triggers")
    title: str  # the card's title: "Migraine triggers"
    first: str
    more: tuple[str, ...]
    card: str  # plain text; its line breaks are kept
    sources: tuple[str, ...]  # source ids (content/sources.yaml)
    written_on: dt.date
    review: Review
    reprompt: str | None = None  # safety answers: what to ask next; None ends the session

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.first, *self.more)

    def stale(self, today: dt.date) -> bool:
        """Reviewed, but its next review is due, or its text changed after the review."""
        review = self.review
        if review.pending:
            return False
        changed = review.reviewed_on is not None and self.written_on > review.reviewed_on
        return changed or review.stale(today)


class Topic(NamedTuple):
    """A topic asked for by one intent; slot topics pick an item by the slot's value."""

    key: str
    intent: str
    answer: Answer
    slot: str | None
    unknown_item: str | None
    items: Mapping[str, Answer]


class Line(NamedTuple):
    """A telephone line the skill tells people to call: emergency, crisis, poison, advice."""

    name: str
    number: str  # as printed on a card: "988", "116 123", "1-800-222-1222"
    spoken: str | None  # how to say it where digits would be wrong: "triple zero"
    how: str  # "call", "call or text"

    @property
    def groups(self) -> tuple[str, ...]:
        """The number's digit groups, each read out digit by digit."""
        return tuple(self.number.replace("-", " ").replace("+", "").split())


class Clinic(NamedTuple):
    """The clinic's details (``content/clinic.yaml``), as this locale's callers need them."""

    name: str
    phone: str  # as this locale's callers dial it
    hours: str
    website: str
    booking: str | None


class Source(NamedTuple):
    id: str
    title: str
    url: str | None


class Content(NamedTuple):
    """Everything the skill says in one locale."""

    locale: str
    country: str | None  # ISO 3166 region, e.g. "GB"; None for international English
    international: bool  # names no phone numbers: we do not know the country's
    skill_name: str
    clinic: Clinic
    lines: Mapping[str, Line]  # "emergency", "crisis" and, where they exist, "poison", "urgent"
    words: Mapping[str, str]  # the locale's own words, usable as {placeholders}
    messages: Mapping[str, str]
    messages_review: Review
    safety: Mapping[str, Answer]
    topics: Mapping[str, Topic]
    topics_by_intent: Mapping[str, Topic]
    sources: Mapping[str, Source]
    triage: LazyRules

    @property
    def emergency(self) -> Line:
        return self.lines["emergency"]

    def topic_for_intent(self, intent_name: str) -> Topic | None:
        return self.topics_by_intent.get(intent_name)

    def source_titles(self, answer: Answer) -> tuple[str, ...]:
        return tuple(self.sources[id].title for id in answer.sources if id in self.sources)
