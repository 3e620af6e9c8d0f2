"""``python -m skill check``: everything that must hold before content or a model ships.

It validates the content (the loader's own rules), every interaction model, and every piece
of speech the skill can produce, and cross-checks intents, handlers and content in both
directions, so that a topic without an intent, an intent without an answer, or a slot value
without an item is caught here and in CI rather than by a person mid-attack.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from skill.content import (
    COMPILED_NAME,
    Content,
    ContentError,
    ContentLibrary,
    compile_content,
    load_library,
)
from skill.handlers import BUILT_IN_INTENTS, SPECIAL_INTENTS
from skill.settings import DEFAULT_LOCALE, Settings
from skill.speech import MAX_SSML_CHARS, Voice, render_ssml

#: SSML elements the skill may use (a subset of what Alexa accepts).
ALLOWED_SSML_TAGS = frozenset({"speak", "prosody", "break", "say-as", "amazon:effect", "p", "s"})
_SAMPLE_CHARS = re.compile(r"^[a-z' .{}A-Z]+$")
_AMAZON_NS = "{http://amazon.com/ssml}"


def run_checks(settings: Settings) -> list[str]:
    """Every problem found, as readable lines; empty when all is well."""
    try:
        library = load_library(settings.content_dir)
    except ContentError as error:
        return [f"content: {problem}" for problem in error.problems]
    compiled = settings.content_dir / COMPILED_NAME
    if compiled.is_file() and compiled.read_text(encoding="utf-8") != compile_content(
        settings.content_dir
    ):
        return [f"content: {COMPILED_NAME} is older than the YAML; rebuild it or delete it"]
    problems = list(check_speech(library))
    models = _model_files(settings.model_dir)
    if DEFAULT_LOCALE not in models:
        problems.append(f"interaction model: {DEFAULT_LOCALE}.json is missing")
    for locale, path in sorted(models.items()):
        try:
            model = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"interaction model {path.name}: not valid JSON ({error})")
            continue
        if locale not in library.available:
            problems.append(f"interaction model {path.name}: no content/{locale}.yaml overlay")
        problems.extend(
            f"interaction model {path.name}: {problem}"
            for problem in check_model(model, library.for_locale(locale))
        )
    return problems


def _model_files(model_dir: Path) -> dict[str, Path]:
    custom = model_dir / "interactionModels" / "custom"
    return {path.stem: path for path in custom.glob("*.json")}


# --------------------------------------------------------------------------- speech


def check_speech(library: ContentLibrary) -> Iterator[str]:
    """Render every text in every voice; each must be valid, allowed SSML under the limit."""
    for locale, content in sorted(library.locales.items()):
        for path, text in content.texts():
            for voice in Voice:
                for urgent in (False, True):
                    try:
                        ssml = render_ssml((text,), content, voice=voice, urgent=urgent)
                    except ValueError as error:
                        yield f"speech {locale} {path}: {error}"
                        continue
                    for problem in ssml_problems(ssml):
                        yield f"speech {locale} {path} ({voice.value}): {problem}"


def ssml_problems(ssml: str) -> list[str]:
    """Why Alexa would reject this SSML, as far as a local check can tell."""
    if len(ssml) >= MAX_SSML_CHARS:
        return [f"{len(ssml)} characters; the limit is {MAX_SSML_CHARS}"]
    namespaced = ssml.replace("<speak>", f'<speak xmlns:amazon="{_AMAZON_NS[1:-1]}">', 1)
    try:
        root = ET.fromstring(namespaced)  # noqa: S314 - our own output, not untrusted input
    except ET.ParseError as error:
        return [f"not well-formed XML ({error})"]
    problems = []
    if root.tag != "speak":
        problems.append("the root element must be <speak>")
    for element in root.iter():
        tag = element.tag.replace(_AMAZON_NS, "amazon:")
        if tag not in ALLOWED_SSML_TAGS:
            problems.append(f"<{tag}> is not an SSML element the skill may use")
    return problems


# --------------------------------------------------------------------------- models


def check_model(model: Mapping[str, Any], content: Content) -> list[str]:
    """Structure of one interaction model, and its agreement with handlers and content."""
    try:
        language_model = model["interactionModel"]["languageModel"]
        intents = {intent["name"]: intent for intent in language_model["intents"]}
        types = {slot_type["name"]: slot_type for slot_type in language_model.get("types", [])}
    except (KeyError, TypeError) as error:
        return [f"not an ASK interaction model (missing {error})"]
    problems: list[str] = []
    if language_model.get("invocationName") != "migraine helper":
        problems.append("invocationName must be 'migraine helper'")

    topic_intents = {topic.intent for topic in content.topics.values()}
    handled = topic_intents | SPECIAL_INTENTS | BUILT_IN_INTENTS
    for name in sorted(set(intents) - handled):
        problems.append(f"intent {name} has no handler and no content topic")
    for name in sorted(handled - set(intents)):
        problems.append(f"intent {name} is handled but missing from the model")

    problems.extend(_sample_problems(intents))
    for topic in content.topics.values():
        if topic.slot is None or topic.intent not in intents:
            continue
        slots = {slot["name"]: slot["type"] for slot in intents[topic.intent].get("slots", [])}
        type_name = slots.get(topic.slot)
        if type_name is None:
            problems.append(
                f"intent {topic.intent} has no slot '{topic.slot}' (topics.{topic.key})"
            )
            continue
        ids = {value.get("id") for value in types.get(type_name, {}).get("values", [])}
        for missing in sorted(set(topic.items) - ids):
            problems.append(f"topics.{topic.key}.items.{missing}: not a value id of {type_name}")
        for missing in sorted(ids - set(topic.items), key=str):
            problems.append(f"{type_name} value '{missing}' has no topics.{topic.key}.items entry")
    for intent in intents.values():
        for slot in intent.get("slots", []):
            if (
                not str(slot.get("type", "")).startswith("AMAZON.")
                and slot.get("type") not in types
            ):
                problems.append(
                    f"intent {intent['name']}: slot type {slot.get('type')} is not defined"
                )
    return problems


def _sample_problems(intents: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems: list[str] = []
    owner: dict[str, str] = {}
    for name, intent in intents.items():
        declared = {slot["name"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            normal = " ".join(str(sample).lower().split())
            if not _SAMPLE_CHARS.match(normal):
                problems.append(f"{name}: sample '{sample}' has characters Alexa rejects")
            for slot_name in re.findall(r"\{(\w+)\}", normal):
                if slot_name not in {slot.lower() for slot in declared}:
                    problems.append(
                        f"{name}: sample '{sample}' uses undeclared slot {{{slot_name}}}"
                    )
            if normal in owner:
                where = "twice" if owner[normal] == name else f"also in {owner[normal]}"
                problems.append(f"{name}: sample '{sample}' appears {where}")
            owner[normal] = name
    return problems
