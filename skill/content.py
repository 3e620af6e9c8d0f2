"""The clinic's content: YAML files loaded once per process into validated, typed objects.

The records are NamedTuples rather than dataclasses: just as immutable and typed, and
several times cheaper to define, which a Lambda cold start notices.

``content/en.yaml`` is the English base; ``content/<locale>.yaml`` files are overlays
(``extends: en``) deep-merged over it, so a new English locale needs only what differs
(its emergency number, a local word or two). A broken file fails loudly, naming every key
that is wrong, so that nothing broken can ship: ``python -m skill check`` runs the same code.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from skill.settings import DEFAULT_LOCALE

logger = logging.getLogger(__name__)

FIRST_ANSWER_MAX_WORDS = 40
PART_MAX_WORDS = 80
#: Every placeholder a text may use. ``title`` and ``item`` are filled per answer.
GLOBAL_PLACEHOLDERS = frozenset(
    {
        "emergency_number",
        "clinic_name",
        "clinic_phone",
        "clinic_hours",
        "clinic_website",
        "skill_name",
    }
)
LOCAL_PLACEHOLDERS = frozenset({"title", "item"})
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

MESSAGE_KEYS = frozenset(
    {
        "welcome",
        "welcome_returning",
        "reprompt",
        "help",
        "offer_more",
        "offer_more_reprompt",
        "topic_done",
        "anything_else",
        "anything_else_reprompt",
        "goodbye",
        "fallback",
        "nothing_to_repeat",
        "nothing_more",
        "unknown_item",
        "error",
        "whisper_on",
        "whisper_off",
        "whisper_reprompt",
    }
)
#: Messages that are lists or safety explanations and may run past the first-answer limit.
LONG_MESSAGES = frozenset({"help", "fallback", "error", "reprompt", "anything_else_reprompt"})
EMERGENCY_TEXT_KEYS = (
    "red_flag",
    "check",
    "check_reprompt",
    "confirmed",
    "see_doctor_today",
    "see_doctor_reprompt",
)
#: The two answers that must open with the instruction itself, before anything else.
CALL_NOW_KEYS = ("red_flag", "confirmed")
CALL_NOW_OPENING = "Call {emergency_number} now."


class ContentError(ValueError):
    """The content is broken; ``problems`` lists each as ``"key.path: what is wrong"``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("content problems:\n" + "\n".join(f"- {p}" for p in problems))


class Answer(NamedTuple):
    """One answer: a short first part, more on request, and what the Alexa app shows."""

    key: str
    title: str
    first: str
    more: tuple[str, ...]
    card: str
    sources: tuple[str, ...]
    reviewed: dt.date

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.first, *self.more)


class Topic(NamedTuple):
    """A plain topic asked for by one intent; slot topics pick an item by the slot's value."""

    answer: Answer
    intent: str
    slot: str | None
    unknown_item: str | None
    items: Mapping[str, Answer]

    @property
    def key(self) -> str:
        return self.answer.key


class Clinic(NamedTuple):
    name: str
    phone: str
    phone_display: str
    hours: str
    website: str
    answer: Answer


class Emergency(NamedTuple):
    number: str
    red_flag: str
    check: str
    check_reprompt: str
    confirmed: str
    see_doctor_today: str
    see_doctor_reprompt: str
    card: str
    sources: tuple[str, ...]
    reviewed: dt.date


class Content(NamedTuple):
    """Everything the skill says in one locale."""

    locale: str
    skill_name: str
    clinic: Clinic
    emergency: Emergency
    messages: Mapping[str, str]
    topics: Mapping[str, Topic]
    topics_by_intent: Mapping[str, Topic]

    def topic_for_intent(self, intent_name: str) -> Topic | None:
        return self.topics_by_intent.get(intent_name)

    @property
    def placeholder_values(self) -> Mapping[str, str]:
        """Plain-text values of the global placeholders (cards, console)."""
        return {
            "emergency_number": self.emergency.number,
            "clinic_name": self.clinic.name,
            "clinic_phone": self.clinic.phone_display,
            "clinic_hours": self.clinic.hours,
            "clinic_website": self.clinic.website,
            "skill_name": self.skill_name,
        }

    def texts(self) -> Iterator[tuple[str, str]]:
        """Every text the skill can say or show, as ``(key path, text)``, for checks."""
        for key, text in sorted(self.messages.items()):
            yield f"messages.{key}", text
        for key in EMERGENCY_TEXT_KEYS:
            yield f"emergency.{key}", getattr(self.emergency, key)
        yield "emergency.card", self.emergency.card
        yield from _answer_texts("clinic", self.clinic.answer)
        for topic in self.topics.values():
            path = f"topics.{topic.key}"
            yield from _answer_texts(path, topic.answer)
            if topic.unknown_item is not None:
                yield f"{path}.unknown_item", topic.unknown_item
            for item in topic.items.values():
                yield from _answer_texts(f"{path}.items.{item.key}", item)


def _answer_texts(path: str, answer: Answer) -> Iterator[tuple[str, str]]:
    yield f"{path}.first", answer.first
    for index, part in enumerate(answer.more):
        yield f"{path}.more[{index}]", part
    yield f"{path}.card", answer.card


class ContentLibrary:
    """All locales' content; a locale we do not have gets the default (English, US) content.

    Each locale is parsed and validated the first time it is asked for, so a cold start pays
    for one locale, not five. ``check`` and CI validate them all (``load_library``).
    """

    def __init__(self, documents: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        self._documents = documents  # locale -> (origin file, merged document)
        self._parsed: dict[str, Content] = {}

    @property
    def available(self) -> frozenset[str]:
        return frozenset(self._documents)

    def content(self, locale: str) -> Content:
        """One locale's content; raises ``ContentError`` if it is broken."""
        parsed = self._parsed.get(locale)
        if parsed is None:
            origin, document = self._documents[locale]
            parser = _Parser(origin)
            result = parser.content(document, locale)
            if result is None:
                raise ContentError(parser.problems)
            parsed = self._parsed[locale] = result
        return parsed

    @property
    def locales(self) -> Mapping[str, Content]:
        return {locale: self.content(locale) for locale in sorted(self._documents)}

    def for_locale(self, locale: str | None) -> Content:
        if locale and locale in self._documents and locale != DEFAULT_LOCALE:
            try:
                return self.content(locale)
            except ContentError:
                logger.error("content for %s is broken; answering in %s", locale, DEFAULT_LOCALE)
        return self.content(DEFAULT_LOCALE)


def word_count(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------------------- loading


#: The content as one JSON file, written into the Lambda bundle by the package script so a
#: cold start reads JSON (about 0.2 ms) instead of importing and parsing YAML (about 35 ms).
COMPILED_NAME = "compiled.json"


def read_documents(content_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The raw documents by file stem, from ``compiled.json`` if present, else the YAML."""
    compiled = content_dir / COMPILED_NAME
    if compiled.is_file():
        try:
            documents = json.loads(compiled.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            return {}, [f"{COMPILED_NAME}: cannot be read ({_one_line(error)})"]
        if isinstance(documents, dict) and all(isinstance(d, dict) for d in documents.values()):
            return documents, []
        return {}, [f"{COMPILED_NAME}: must map file names to documents"]
    return _read_yaml_documents(content_dir)


def _read_yaml_documents(content_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    import yaml  # only where there is no compiled content: it costs ~15 ms to import

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C-accelerated where available
    problems: list[str] = []
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(content_dir.glob("*.yaml")):
        try:
            loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problems.append(f"{path.name}: cannot be read as YAML ({_one_line(error)})")
            continue
        if not isinstance(loaded, dict):
            problems.append(f"{path.name}: must be a mapping of keys, not {_kind(loaded)}")
            continue
        documents[path.stem] = loaded
    return documents, problems


def compile_content(content_dir: Path) -> str:
    """The YAML content, validated, as the JSON text of ``compiled.json``."""
    documents, problems = _read_yaml_documents(content_dir)
    if problems:
        raise ContentError(problems)
    compiled = json.dumps(documents, default=_json_default, ensure_ascii=False, sort_keys=True)
    import tempfile  # build time only

    with tempfile.TemporaryDirectory() as scratch:  # validate exactly what will ship
        (Path(scratch) / COMPILED_NAME).write_text(compiled, encoding="utf-8")
        load_library(Path(scratch))
    return compiled


def _json_default(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in compiled content")


def load_library(content_dir: Path, *, validate_all: bool = True) -> ContentLibrary:
    """Every ``<locale>.yaml`` overlay in ``content_dir`` over its base.

    ``validate_all`` parses every locale now and reports all their problems together (for
    ``check``, CI and tests); without it only the default locale is validated up front and
    the others when first asked for (the cold-start path).
    """
    documents, problems = read_documents(content_dir)
    merged_documents: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for name, document in sorted(documents.items()):
        if "extends" not in document:
            continue  # a base: validated through the overlays that extend it
        base_name = document["extends"]
        base = documents.get(str(base_name))
        if base is None:
            problems.append(f"{name}.yaml: extends '{base_name}', which is not in {content_dir}")
            continue
        merged = _deep_merge(base, {k: v for k, v in document.items() if k != "extends"})
        merged_documents[str(merged.get("locale", name))] = (f"{name}.yaml", merged)
    if DEFAULT_LOCALE not in merged_documents:
        problems.append(f"{DEFAULT_LOCALE}.yaml: missing; it is the fallback for every request")
    if problems:
        raise ContentError(problems)
    library = ContentLibrary(merged_documents)
    for locale in sorted(merged_documents) if validate_all else [DEFAULT_LOCALE]:
        try:
            library.content(locale)
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    return library


def _deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _where(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


class _Parser:
    """Turns one merged document into typed objects, collecting every problem on the way."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.problems.append(f"{self.origin}: {path}: {problem}")

    # -- scalars

    def text(self, node: Mapping[str, Any], key: str, path: str, max_words: int = 0) -> str:
        # Runs for every text at every cold start: the common, valid case is kept cheap.
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(_where(path, key), f"must be non-empty text, found {_kind(value)}")
            return ""
        text = " ".join(value.split())
        if "{" in text or "}" in text:
            self.check_placeholders(_where(path, key), text)
        if "911" in text or "999" in text:
            self.fail(_where(path, key), "names an emergency number; use {emergency_number}")
        if max_words and text.count(" ") >= max_words:
            self.fail(_where(path, key), f"{word_count(text)} words; at most {max_words}")
        return text

    def check_placeholders(self, where: str, text: str) -> None:
        allowed = GLOBAL_PLACEHOLDERS | LOCAL_PLACEHOLDERS
        for name in PLACEHOLDER.findall(text):
            if name not in allowed:
                self.fail(where, f"unknown placeholder {{{name}}}; use one of {sorted(allowed)}")
        if PLACEHOLDER.sub("", text).count("{") or PLACEHOLDER.sub("", text).count("}"):
            self.fail(where, "has an unmatched brace")

    def texts(
        self, node: Mapping[str, Any], key: str, path: str, *, allow_empty: bool
    ) -> tuple[str, ...]:
        value = node.get(key, [] if allow_empty else None)
        where = f"{path}.{key}"
        if not isinstance(value, list) or (not value and not allow_empty):
            self.fail(where, f"must be a list of texts{'' if allow_empty else ' (at least one)'}")
            return ()
        return tuple(
            self.text({"part": part}, "part", f"{where}[{index}]", PART_MAX_WORDS)
            for index, part in enumerate(value)
        )

    def date(self, node: Mapping[str, Any], key: str, path: str) -> dt.date:
        value = node.get(key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(f"{path}.{key}", f"must be a date like 2026-11-20, found {_kind(value)}")
        return dt.date.min

    def mapping(self, node: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = node.get(key)
        if not isinstance(value, Mapping):
            self.fail(f"{path}.{key}" if path else key, f"must be a mapping, found {_kind(value)}")
            return {}
        return value

    # -- structures

    def answer(
        self,
        node: Mapping[str, Any],
        key: str,
        path: str,
        *,
        first_key: str = "first",
        more_required: bool = True,
    ) -> Answer:
        return Answer(
            key=key,
            title=self.text(node, "title", path),
            first=self.text(node, first_key, path, FIRST_ANSWER_MAX_WORDS),
            more=self.texts(node, "more", path, allow_empty=not more_required),
            card=self.text(node, "card", path),
            sources=self.texts(node, "sources", path, allow_empty=False),
            reviewed=self.date(node, "reviewed", path),
        )

    def topic(self, node: Mapping[str, Any], key: str) -> Topic:
        path = f"topics.{key}"
        answer = self.answer(node, key, path)
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
                    self.fail(item_path, f"must be a mapping, found {_kind(item_node)}")
                    continue
                items[str(item_key)] = self.answer(
                    item_node, str(item_key), item_path, more_required=False
                )
            if not items:
                self.fail(f"{path}.items", "a slot topic needs at least one item")
        elif "items" in node:
            self.fail(f"{path}.items", "items need a `slot` naming the slot that picks them")
        return Topic(
            answer=answer,
            intent=intent,
            slot=slot if isinstance(slot, str) and slot else None,
            unknown_item=unknown_item,
            items=items,
        )

    def content(self, document: Mapping[str, Any], locale: str) -> Content | None:
        clinic_node = self.mapping(document, "clinic", "")
        emergency_node = self.mapping(document, "emergency", "")
        messages_node = self.mapping(document, "messages", "")
        topics_node = self.mapping(document, "topics", "")

        clinic = Clinic(
            name=self.text(clinic_node, "name", "clinic"),
            phone=self.text(clinic_node, "phone", "clinic"),
            phone_display=self.text(clinic_node, "phone_display", "clinic"),
            hours=self.text(clinic_node, "hours", "clinic"),
            website=self.text(clinic_node, "website", "clinic"),
            answer=self.answer(
                {"title": "Contact the clinic", **clinic_node},
                "clinic",
                "clinic",
                first_key="answer",
            ),
        )
        number = emergency_node.get("number")
        if not isinstance(number, str) or not re.fullmatch(r"\d{3}", number):
            self.fail(
                "emergency.number",
                f"must be the local emergency number as quoted digits, found {number!r}",
            )
            number = ""
        emergency_texts = {
            key: self.text(emergency_node, key, "emergency") for key in EMERGENCY_TEXT_KEYS
        }
        for key in CALL_NOW_KEYS:
            if not emergency_texts[key].startswith(CALL_NOW_OPENING):
                self.fail(f"emergency.{key}", f"must open with '{CALL_NOW_OPENING}'")
        emergency = Emergency(
            number=number,
            card=self.text(emergency_node, "card", "emergency"),
            sources=self.texts(emergency_node, "sources", "emergency", allow_empty=False),
            reviewed=self.date(emergency_node, "reviewed", "emergency"),
            **emergency_texts,
        )

        messages: dict[str, str] = {}
        for key in sorted(MESSAGE_KEYS):
            limit = 0 if key in LONG_MESSAGES else FIRST_ANSWER_MAX_WORDS
            messages[key] = self.text(messages_node, key, "messages", limit)
        for key in sorted(set(messages_node) - MESSAGE_KEYS):
            self.fail(f"messages.{key}", "is not a message the skill uses (a typo?)")

        topics: dict[str, Topic] = {}
        intents: dict[str, str] = {}
        for key, node in topics_node.items():
            if not isinstance(node, Mapping):
                self.fail(f"topics.{key}", f"must be a mapping, found {_kind(node)}")
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
        if self.problems:
            return None
        return Content(
            locale=locale,
            skill_name=skill_name,
            clinic=clinic,
            emergency=emergency,
            messages=messages,
            topics=topics,
            topics_by_intent={topic.intent: topic for topic in topics.values()},
        )
