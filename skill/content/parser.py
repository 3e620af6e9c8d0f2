"""One merged locale document -> typed records, collecting every problem on the way.

The parser checks structure: required keys, kinds, placeholders, dates, review records,
source ids, phone lines. It runs at every cold start, so the valid case is kept cheap; the
writing rules that need the rendered speech (word counts, markup, stray numbers) are the
``check`` tool's (``skill/tools/rules.py``) and run in CI and before packaging.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

from skill.content.documents import Merged, kind
from skill.content.phone import local_form
from skill.content.records import (
    PENDING,
    PLACEHOLDER,
    Answer,
    Clinic,
    Content,
    Line,
    Review,
    Source,
    Topic,
)
from skill.verdicts import LazyRules

#: Placeholders filled per answer rather than per locale.
LOCAL_PLACEHOLDERS = frozenset({"name", "item"})
CLINIC_PLACEHOLDERS = frozenset(
    {"clinic_name", "clinic_phone", "clinic_hours", "clinic_website", "clinic_booking"}
)
#: Phone lines every locale must have, and those it may have.
REQUIRED_LINES = ("emergency", "crisis")
OPTIONAL_LINES = ("poison", "urgent")
MESSAGE_KEYS = frozenset(
    {
        "welcome",
        "welcome_returning",
        "reprompt",
        "offer_more",
        "offer_more_reprompt",
        "topic_done",
        "anything_else",
        "anything_else_reprompt",
        "goodbye",
        "fallback",
        "not_understood",
        "nothing_to_repeat",
        "nothing_more",
        "unknown_item",
        "error",
        "whisper_on",
        "whisper_off",
        "whisper_reprompt",
    }
)
#: The fields each kind of entry may have; anything else is a typo worth naming.
ANSWER_FIELDS = frozenset(
    {"name", "title", "first", "more", "card", "sources", "written_on", "review"}
)
SAFETY_FIELDS = ANSWER_FIELDS | {"reprompt"}
TOPIC_FIELDS = ANSWER_FIELDS | {"intent", "slot", "unknown_item", "items"}
DOCUMENT_FIELDS = frozenset(
    {
        "locale",
        "country",
        "international",
        "skill_name",
        "lines",
        "words",
        "messages",
        "messages_review",
        "safety",
        "topics",
    }
)
LINE_FIELDS = frozenset({"name", "number", "spoken", "how"})
#: Safety answers the dialogue itself needs (the triage rules name the others).
DIALOG_SAFETY_KEYS = ("emergency_check", "emergency_confirmed", "see_doctor_today")
_PHONE_CHARS = re.compile(r"\+?[0-9][0-9 -]*[0-9]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def line_placeholders(name: str) -> tuple[str, ...]:
    if name == "emergency":
        return ("emergency_number",)
    return (f"{name}_name", f"{name}_number", f"{name}_how")


class Parser:
    """Parses one locale's merged document; ``problems`` says what is wrong, and where."""

    def __init__(
        self,
        merged: Merged,
        origin: str,
        clinic: Mapping[str, Any],
        sources: Mapping[str, Any],
        triage: Mapping[str, Any] | None,
    ) -> None:
        self.merged = merged
        self.origin = origin  # the locale's own file, for keys no file holds
        self.clinic_node = clinic
        self.sources_node = sources
        self.triage_node = triage
        self.problems: list[str] = []
        self.placeholders: frozenset[str] = frozenset()
        self.source_ids: frozenset[str] = frozenset()
        self.international = merged.document.get("international") is True
        country = merged.document.get("country")
        self.country = country if isinstance(country, str) else None

    # -- reporting

    def fail(self, path: str, problem: str, *, file: str | None = None) -> None:
        where = file or self.merged.origin(tuple(path.split(".")), self.origin)
        self.problems.append(f"{where}: {path}: {problem}")

    # -- scalars

    def text(self, node: Mapping[str, Any], key: str, path: str, *, card: bool = False) -> str:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}.{key}", f"must be non-empty text, found {kind(value)}")
            return ""
        if card:  # a card keeps the lines the content gave it
            text = "\n".join(line.strip() for line in value.strip().splitlines())
        else:
            text = " ".join(value.split())
        if "{" in text or "}" in text:
            self.check_placeholders(f"{path}.{key}", text)
        return text

    def check_placeholders(self, where: str, text: str) -> None:
        for name in PLACEHOLDER.findall(text):
            if name not in self.placeholders and name not in LOCAL_PLACEHOLDERS:
                known = ", ".join(sorted(self.placeholders))
                self.fail(where, f"unknown placeholder {{{name}}} here; this locale has {known}")
        bare = PLACEHOLDER.sub("", text)
        if "{" in bare or "}" in bare:
            self.fail(where, "has an unmatched brace")

    def texts(self, node: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = node.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{path}.{key}", "must be a list of texts")
            return ()
        return tuple(
            self.text({"part": part}, "part", f"{path}.{key}[{index}]")
            for index, part in enumerate(value)
        )

    def date(self, node: Mapping[str, Any], key: str, path: str) -> dt.date | None:
        value = node.get(key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                self.fail(f"{path}.{key}", f"{value!r} is not a real date")
                return None
        self.fail(f"{path}.{key}", f"must be a date written like 2026-12-01, found {value!r}")
        return None

    def mapping(self, node: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = node.get(key)
        if not isinstance(value, Mapping):
            self.fail(f"{path}.{key}" if path else key, f"must be a mapping, found {kind(value)}")
            return {}
        return value

    # -- records

    def review(self, node: Mapping[str, Any], path: str) -> Review:
        value = node.get("review")
        if value == "pending":
            return PENDING
        if not isinstance(value, Mapping):
            self.fail(
                f"{path}.review",
                "must be `pending`, or reviewed_by, reviewed_on and next_review",
            )
            return PENDING
        by = value.get("reviewed_by")
        if not isinstance(by, str) or not by.strip():
            self.fail(f"{path}.review.reviewed_by", "must name the clinician who reviewed it")
            return PENDING
        on = self.date(value, "reviewed_on", f"{path}.review")
        following = self.date(value, "next_review", f"{path}.review")
        if on is not None and following is not None and following <= on:
            self.fail(f"{path}.review.next_review", "must come after reviewed_on")
        if on is not None and on > dt.date.today():
            self.fail(f"{path}.review.reviewed_on", "is in the future; record what happened")
        self.check_review_covers_text(node, path)
        return Review(by.strip(), on, following)

    def check_review_covers_text(self, node: Mapping[str, Any], path: str) -> None:
        """A review vouches for the texts it saw: an overlay that rewrote them needs its own.

        A review in a locale's file covers that locale's whole answer, the words it keeps
        from its base included; a review in the base does not cover words a locale changed.
        """
        keys = tuple(path.split("."))
        reviewed_in = self.merged.origin((*keys, "review"), self.origin)
        for field in ("first", "more", "card", "name", "title"):
            written_in = self.merged.origin((*keys, field), reviewed_in)
            if field in node and self.merged.later(written_in, reviewed_in):
                self.fail(
                    f"{path}.review",
                    f"the review in {reviewed_in} is not of this locale's {field}; "
                    "give this locale its own review (or `review: pending`)",
                    file=written_in,
                )
                return

    def sources(self, node: Mapping[str, Any], path: str) -> tuple[str, ...]:
        value = node.get("sources")
        if not isinstance(value, list) or not value:
            self.fail(f"{path}.sources", "must list at least one source id")
            return ()
        for source in value:
            if source not in self.source_ids:
                self.fail(f"{path}.sources", f"{source!r} is not in sources.yaml")
        return tuple(str(source) for source in value)

    def unknown_keys(self, node: Mapping[str, Any], path: str, known: frozenset[str]) -> None:
        for key in sorted(set(map(str, node)) - known):
            self.fail(f"{path}.{key}" if path else key, "is not a field here (a typo?)")

    def answer(
        self, node: Mapping[str, Any], path: str, *, safety: bool = False, topic: bool = False
    ) -> Answer:
        fields = TOPIC_FIELDS if topic else SAFETY_FIELDS if safety else ANSWER_FIELDS
        self.unknown_keys(node, path, fields)
        title = self.text(node, "title", path)
        name = self.text(node, "name", path) if "name" in node or not safety else title.lower()
        written_on = self.date(node, "written_on", path) or dt.date.min
        reprompt = None
        if safety and "reprompt" in node:
            reprompt = self.text(node, "reprompt", path)
        return Answer(
            key=path,
            name=name,
            title=title,
            first=self.text(node, "first", path),
            more=self.texts(node, "more", path),
            card=self.text(node, "card", path, card=True),
            sources=self.sources(node, path),
            written_on=written_on,
            review=self.review(node, path),
            reprompt=reprompt,
        )

    def topic(self, node: Mapping[str, Any], key: str) -> Topic:
        path = f"topics.{key}"
        answer = self.answer(node, path, topic=True)
        intent = self.text(node, "intent", path)
        slot = node.get("slot")
        items: dict[str, Answer] = {}
        unknown_item: str | None = None
        if slot is not None:
            if not isinstance(slot, str) or not slot:
                self.fail(f"{path}.slot", "must be the slot's name")
            unknown_item = self.text(node, "unknown_item", path)
            for item_key, item_node in self.mapping(node, "items", path).items():
                item_path = f"{path}.items.{item_key}"
                if not isinstance(item_node, Mapping):
                    self.fail(item_path, f"must be a mapping, found {kind(item_node)}")
                    continue
                items[str(item_key)] = self.answer(item_node, item_path)
            if not items:
                self.fail(f"{path}.items", "a slot topic needs at least one item")
        elif "items" in node:
            self.fail(f"{path}.items", "items need a `slot` naming the slot that picks them")
        return Topic(
            key=key,
            intent=intent,
            answer=answer,
            slot=slot if isinstance(slot, str) and slot else None,
            unknown_item=unknown_item,
            items=items,
        )

    def line(self, node: object, name: str) -> Line | None:
        path = f"lines.{name}"
        if not isinstance(node, Mapping):
            self.fail(path, "must give the line's number (and name)")
            return None
        self.unknown_keys(node, path, LINE_FIELDS)
        number = node.get("number")
        spoken = node.get("spoken")
        if number is None and self.international and isinstance(spoken, str):
            number = ""  # international English names no number it cannot know
        elif not isinstance(number, str) or not _PHONE_CHARS.fullmatch(number.strip()):
            self.fail(f"{path}.number", f'must be quoted digits like "116 123", found {number!r}')
            number = ""
        elif name == "emergency" and not re.fullmatch(r"\d{3}", number.strip()):
            self.fail(f"{path}.number", "an emergency number is three digits")
        if spoken is not None and (not isinstance(spoken, str) or not spoken.strip()):
            self.fail(f"{path}.spoken", "must be how to say the number, in words")
            spoken = None
        line_name = node.get("name", "the emergency number" if name == "emergency" else None)
        if not isinstance(line_name, str) or not line_name.strip():
            self.fail(f"{path}.name", "must name the line as a person would say it")
            line_name = ""
        how = node.get("how", "call")
        if how not in ("call", "call or text"):
            self.fail(f"{path}.how", "must be `call` or `call or text`")
            how = "call"
        return Line(line_name.strip(), number.strip(), spoken, str(how))

    def clinic(self) -> Clinic:
        node = self.clinic_node

        def field(key: str) -> str:
            value = node.get(key)
            if not isinstance(value, str) or not value.strip():
                self.fail(key, f"must be non-empty text, found {kind(value)}", file="clinic.yaml")
                return ""
            return " ".join(value.split())

        booking = node.get("booking")
        phone = local_form(field("phone"), self.country)
        return Clinic(
            name=field("name"),
            phone=str(phone),
            hours=field("hours"),
            website=field("website"),
            booking=booking if isinstance(booking, str) and booking.strip() else None,
        )

    def source_records(self) -> dict[str, Source]:
        records: dict[str, Source] = {}
        for source_id, node in self.sources_node.items():
            if isinstance(node, str):
                records[str(source_id)] = Source(str(source_id), node, None)
            elif isinstance(node, Mapping) and isinstance(node.get("title"), str):
                url = node.get("url")
                records[str(source_id)] = Source(
                    str(source_id), node["title"], url if isinstance(url, str) else None
                )
            else:
                self.fail(str(source_id), "must be a title, or title and url", file="sources.yaml")
        return records

    # -- the whole document

    def content(self, locale: str) -> Content | None:
        document = self.merged.document
        self.unknown_keys(document, "", DOCUMENT_FIELDS)
        lines_node = self.mapping(document, "lines", "")
        lines: dict[str, Line] = {}
        for name in (*REQUIRED_LINES, *OPTIONAL_LINES):
            if name in lines_node and lines_node[name] is not None:
                line = self.line(lines_node[name], name)
                if line is not None:
                    lines[name] = line
            elif name in REQUIRED_LINES:
                self.fail(f"lines.{name}", "every locale must have this line")
        words_node = self.mapping(document, "words", "")
        words = {str(key): " ".join(str(value).split()) for key, value in words_node.items()}
        self.placeholders = frozenset(
            {"skill_name", *CLINIC_PLACEHOLDERS, *words}
            | {p for name in lines for p in line_placeholders(name)}
        )
        sources = self.source_records()
        self.source_ids = frozenset(sources)
        clinic = self.clinic()

        messages_node = self.mapping(document, "messages", "")
        messages = {key: self.text(messages_node, key, "messages") for key in sorted(MESSAGE_KEYS)}
        for key in sorted(set(messages_node) - MESSAGE_KEYS):
            self.fail(f"messages.{key}", "is not a message the skill uses (a typo?)")
        messages_review = self.review({"review": document.get("messages_review")}, "messages")

        safety: dict[str, Answer] = {}
        for key, node in self.mapping(document, "safety", "").items():
            if not isinstance(node, Mapping):
                self.fail(f"safety.{key}", f"must be a mapping, found {kind(node)}")
                continue
            safety[str(key)] = self.answer(node, f"safety.{key}", safety=True)
        for key in DIALOG_SAFETY_KEYS:
            if key not in safety:
                self.fail(f"safety.{key}", "is missing; the emergency questions need it")

        topics: dict[str, Topic] = {}
        intents: dict[str, str] = {}
        for key, node in self.mapping(document, "topics", "").items():
            if not isinstance(node, Mapping):
                self.fail(f"topics.{key}", f"must be a mapping, found {kind(node)}")
                continue
            topic = self.topic(node, str(key))
            if topic.intent in intents:
                self.fail(
                    f"topics.{key}.intent",
                    f"{topic.intent} already answers topics.{intents[topic.intent]}",
                )
            intents[topic.intent] = str(key)
            topics[str(key)] = topic
        if not topics:
            self.fail("topics", "at least one topic is needed")

        skill_name = self.text(document, "skill_name", "")
        country = document.get("country")
        if country is not None and not (
            isinstance(country, str) and re.fullmatch("[A-Z]{2}", country)
        ):
            self.fail("country", "must be a two-letter country code such as GB")
            country = None
        if self.triage_node is None:
            self.fail("triage", f"no triage rules for {locale} (content/triage/*.yaml)")
        if self.problems:
            return None
        return Content(
            locale=locale,
            country=country,
            international=self.international,
            skill_name=skill_name,
            clinic=clinic,
            lines=lines,
            words=words,
            messages=messages,
            messages_review=messages_review,
            safety=safety,
            topics=topics,
            topics_by_intent={topic.intent: topic for topic in topics.values()},
            sources=sources,
            triage=LazyRules(self.triage_node or {}),
        )


def answer_texts(answer: Answer) -> Iterator[tuple[str, str]]:
    """Every text of one answer as ``(key path, text)``."""
    yield f"{answer.key}.first", answer.first
    for index, part in enumerate(answer.more):
        yield f"{answer.key}.more[{index}]", part
    yield f"{answer.key}.card", answer.card
    if answer.reprompt is not None:
        yield f"{answer.key}.reprompt", answer.reprompt


def all_answers(content: Content) -> Iterator[Answer]:
    """Every answer of a locale: safety first, then topics and their items."""
    yield from content.safety.values()
    for topic in content.topics.values():
        yield topic.answer
        yield from topic.items.values()


def content_texts(content: Content) -> Iterator[tuple[str, str]]:
    """Every text the skill can say or show, as ``(key path, text)``, for checks."""
    for key, text in sorted(content.messages.items()):
        yield f"messages.{key}", text
    for answer in all_answers(content):
        yield from answer_texts(answer)
    for topic in content.topics.values():
        if topic.unknown_item is not None:
            yield f"topics.{topic.key}.unknown_item", topic.unknown_item
