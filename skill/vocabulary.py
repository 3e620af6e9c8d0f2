"""Slot values and synonyms from the interaction model, for requests Alexa did not resolve.

Alexa normally resolves a slot to a value id itself (entity resolution). Some requests carry
only the raw words: CanFulfillIntentRequest, test clients, other emulators. For those the
skill looks the words up in the same model Alexa was built from. It is read lazily, once per
process and locale, so the ordinary request path never pays for it.
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

_ARTICLES = ("a ", "an ", "the ", "my ", "some ")
_LOCALE = re.compile(r"[a-z]{2}-[A-Z]{2}")


def normalise_phrase(phrase: str) -> str:
    """Lowercase words without punctuation or a leading article, for lookups."""
    words = " ".join(re.sub(r"[^\w' ]+", " ", phrase.lower()).split())
    for article in _ARTICLES:
        if words.startswith(article):
            return words[len(article) :]
    return words


class Vocabulary(NamedTuple):
    """Which slot type each intent's slots use, and every phrase of every custom type."""

    slot_types: Mapping[str, Mapping[str, str]]  # intent -> slot name -> type name
    phrases: Mapping[str, Mapping[str, str]]  # type name -> normalised phrase -> value id

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(self.slot_types)

    def resolve(self, intent: str, slot: str, spoken: str) -> str | None:
        """The value id for ``spoken`` in that intent's slot, or None if unknown."""
        type_name = self.slot_types.get(intent, {}).get(slot)
        if type_name is None:
            return None
        table = self.phrases.get(type_name, {})
        phrase = normalise_phrase(spoken)
        return table.get(phrase) or table.get(phrase.removesuffix("s"))

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
        return cls(slot_types=slot_types, phrases=phrases)


def model_path(model_dir: Path, locale: str | None) -> Path:
    """The locale's interaction model, or the default locale's where it has none."""
    custom = model_dir / "interactionModels" / "custom"
    if locale and _LOCALE.fullmatch(locale):  # never a path built from arbitrary request text
        candidate = custom / f"{locale}.json"
        if candidate.is_file():
            return candidate
    return custom / f"{DEFAULT_LOCALE}.json"


def vocabulary_for(model_dir: Path, locale: str | None) -> Vocabulary:
    """The vocabulary of the locale's interaction model (the default locale's if it has none)."""
    return load_vocabulary(model_path(model_dir, locale))


@lru_cache(maxsize=8)
def load_vocabulary(path: Path) -> Vocabulary:
    """Read one model file; an unreadable one gives an empty vocabulary (and a log line)."""
    try:
        return Vocabulary.from_model(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.error("interaction model unreadable: %s (%s)", path.name, type(error).__name__)
        return Vocabulary(slot_types={}, phrases={})
