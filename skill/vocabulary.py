"""Slot values and synonyms from the interaction model, for words Alexa did not resolve.

Alexa normally resolves a slot to a value id itself (entity resolution). Some requests carry
only the raw words: CanFulfillIntentRequest, test clients, other emulators; and a statement
("i feel sick and dizzy") carries words the skill routes to a topic itself. For those the
skill looks the words up in the same model Alexa was built from, read lazily, once per
process and locale, so the ordinary request path never pays for it.

A locale without a model of its own uses the nearest one (New Zealand: Australia's, as
Alexa does), with a log line the first time.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from skill.settings import DEFAULT_LOCALE

logger = logging.getLogger(__name__)

_ARTICLES = ("a ", "an ", "the ", "my ", "some ", "your ")
_LOCALE = re.compile(r"[a-z]{2}-[A-Z]{2}|[a-z]{2}-\d{3}")
#: Locales that have content but no model of their own: the model Alexa would use.
NEAREST_MODEL = {"en-NZ": "en-AU", "en-IE": "en-GB", "en-001": "en-US"}
#: The most words taken as the name of something a slot type does not list.
MAX_UNLISTED_WORDS = 4


def normalise_phrase(phrase: str) -> str:
    """A slot phrase in normal form without a leading article, for lookups."""
    from skill.text import normalise  # only where the model is read: never at cold start

    words = normalise(phrase)
    for article in _ARTICLES:
        if words.startswith(article):
            return words[len(article) :]
    return words


class Vocabulary(NamedTuple):
    """Which slot type each intent's slots use, and every phrase of every custom type."""

    slot_types: Mapping[str, Mapping[str, str]]  # intent -> slot name -> type name
    phrases: Mapping[str, Mapping[str, str]]  # type name -> normalised phrase -> value id
    longest: Mapping[str, int]  # type name -> words in its longest phrase
    #: intent -> its samples with one slot of a custom type, as (words before, words after)
    frames: Mapping[str, tuple[tuple[str, str], ...]] = {}

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(self.slot_types)

    def slot_type(self, intent: str, slot: str) -> str | None:
        return self.slot_types.get(intent, {}).get(slot)

    def resolve(self, intent: str, slot: str, spoken: str) -> str | None:
        """The value id for ``spoken`` in that intent's slot, or None if unknown."""
        type_name = self.slot_type(intent, slot)
        if type_name is None:
            return None
        table = self.phrases.get(type_name, {})
        phrase = normalise_phrase(spoken)
        return table.get(phrase) or table.get(phrase.removesuffix("s"))

    def find(self, type_name: str, text: str) -> str | None:
        """The value id of the longest phrase of ``type_name`` found in ``text``, if any.

        Word sequences are looked up, longest first, in the type's table: no regular
        expression to build, so the first request with words does not wait for one.
        """
        from skill.text import normalise

        table = self.phrases.get(type_name)
        if not table:
            return None
        words = normalise(text).split()
        for size in range(min(self.longest.get(type_name, 0), len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                found = table.get(" ".join(words[start : start + size]))
                if found is not None:
                    return found
        return None

    def unlisted_value(self, intent: str, text: str) -> str | None:
        """The words in ``text`` where one of ``intent``'s samples has its slot.

        For open words that ask about something the slot type does not list ("can
        pineapple trigger a migraine"): what a device's slot would have heard. A one-word
        opening ("can") may be missing: Alexa keeps no opener it does not name.
        """
        from skill.text import normalise

        words = normalise(text)
        for before, after in self.frames.get(intent, ()):
            if not after or not words.endswith(f" {after}"):
                continue
            head = words[: -len(after) - 1]
            if before and head.startswith(f"{before} "):
                value = head[len(before) + 1 :]
            elif " " not in before:
                value = head
            else:
                continue
            if 0 < len(value.split()) <= MAX_UNLISTED_WORDS:
                return value
        return None

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> Vocabulary:
        language_model = model["interactionModel"]["languageModel"]
        slot_types = {
            intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            for intent in language_model.get("intents", [])
        }
        phrases: dict[str, dict[str, str]] = {}
        for slot_type in language_model.get("types", []):
            table = phrases.setdefault(slot_type["name"], {})
            for value in slot_type.get("values", []):
                value_id = value.get("id") or value["name"]["value"]
                for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                    table.setdefault(normalise_phrase(phrase), value_id)
        longest = {
            name: max((len(phrase.split()) for phrase in table), default=0)
            for name, table in phrases.items()
        }
        from skill.text import normalise

        frames: dict[str, list[tuple[str, str]]] = {}
        for intent in language_model.get("intents", []):
            custom = {n for n, t in slot_types[intent["name"]].items() if t in phrases}
            if not custom:
                continue
            for sample in intent.get("samples", []):
                found = re.findall(r"\{(\w+)\}", sample)
                if len(found) == 1 and found[0] in custom:
                    before, _, after = sample.partition("{" + found[0] + "}")
                    frames.setdefault(intent["name"], []).append(
                        (normalise(before), normalise(after))
                    )
        return cls(
            slot_types=slot_types,
            phrases=phrases,
            longest=longest,
            # the longest context first: "does {x} trigger migraines" before "{x}"
            frames={
                name: tuple(sorted(set(found), key=lambda f: -len(f[0]) - len(f[1])))
                for name, found in frames.items()
            },
        )


EMPTY = Vocabulary(slot_types={}, phrases={}, longest={})


@lru_cache(maxsize=64)
def model_locale(model_dir: Path, locale: str | None) -> str:
    """The locale whose model serves ``locale``: its own, the nearest, or the default.

    Remembered per process: the files do not change under a running skill, and looking
    costs a system call per request that carries words.
    """
    custom = model_dir / "interactionModels" / "custom"
    if not locale or not _LOCALE.fullmatch(locale):  # never a path from arbitrary text
        return DEFAULT_LOCALE
    for candidate in (locale, NEAREST_MODEL.get(locale)):
        if candidate and (custom / f"{candidate}.json").is_file():
            if candidate != locale:
                _warn_once(locale, candidate)
            return candidate
    _warn_once(locale, DEFAULT_LOCALE)
    return DEFAULT_LOCALE


@lru_cache(maxsize=32)
def _warn_once(locale: str, chosen: str) -> None:
    logger.warning(
        "no interaction model for this locale; using the nearest",
        extra={"locale": locale, "status": chosen},
    )


def model_path(model_dir: Path, locale: str | None) -> Path:
    """The interaction model that serves ``locale``."""
    chosen = model_locale(model_dir, locale)
    return model_dir / "interactionModels" / "custom" / f"{chosen}.json"


def vocabulary_for(model_dir: Path, locale: str | None) -> Vocabulary:
    """The vocabulary of the model that serves ``locale``."""
    return load_vocabulary(model_path(model_dir, locale))


@lru_cache(maxsize=8)
def load_vocabulary(path: Path) -> Vocabulary:
    """Read one model file; an unreadable one gives an empty vocabulary (and a log line)."""
    try:
        return Vocabulary.from_model(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.error("interaction model unreadable: %s (%s)", path.name, type(error).__name__)
        return EMPTY
