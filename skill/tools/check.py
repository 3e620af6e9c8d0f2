"""``python -m skill check``: everything that must hold before content or a model ships.

It validates the content (the loader's own rules, then the writing rules on the rendered
speech), the clinic's details, the safety answers and triage rules, every interaction model
and its agreement with the content, and every piece of speech as SSML. Each problem is one
line naming the file and key that hold it, reported once however many locales inherit it.
Warnings (a clinical review still pending, an example phone number) never fail the check;
``--strict`` (for the clinic's release pipeline) fails on a review that is out of date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from skill.content import (
    SNAPSHOT_DIR,
    Content,
    ContentError,
    ContentLibrary,
    all_answers,
    content_texts,
    load_library,
)
from skill.handlers import BUILT_IN_INTENTS, SPECIAL_INTENTS
from skill.handlers.safety import carries_words
from skill.settings import DEFAULT_LOCALE, Settings
from skill.speech import MAX_SSML_CHARS, Voice, render_ssml
from skill.tools.grammar import stale_models
from skill.tools.phones import is_fictional, phone_problems
from skill.tools.rules import locale_problems
from skill.triage import Level, RulesError

#: The ASK API refuses a longer model definition (alexa/ask-cli issue 9).
MAX_MODEL_CHARS = 1_000_000
#: SSML elements the skill may use (a subset of what Alexa accepts).
ALLOWED_SSML_TAGS = frozenset({"speak", "prosody", "break", "say-as", "amazon:effect", "p", "s"})
_SAMPLE_CHARS = re.compile(r"^[a-z' .{}A-Z]+$")
_AMAZON_NS = "{http://amazon.com/ssml}"
_HOURS = re.compile(r"[A-Za-z0-9 ,.']+")
#: What each safety answer must say, and where.
EMERGENCY_FIRST = (
    "call_now",
    "call_now_crisis",
    "ambulance",
    "emergency_question",
    "emergency_confirmed",
    "poisoning",
    "poisoning_crisis",
)
CANNOT_CALL = (
    "call_now",
    "call_now_crisis",
    "ambulance",
    "emergency_question",
    "emergency_confirmed",
    "poisoning",
    "poisoning_crisis",
)
ENDS_WITH_EMERGENCY = ("fallback", "not_understood", "error")
#: Said only after the person has just heard the number and the warning signs.
AFTER_THE_NUMBER = frozenset({"see_doctor_today"})


class Report(NamedTuple):
    problems: list[str]
    warnings: list[str]


def run_checks(settings: Settings, *, strict: bool = False, today: dt.date | None = None) -> Report:
    """Every problem and warning found, as readable lines."""
    try:
        library = load_library(settings.content_dir)
    except ContentError as error:
        return Report([f"content: {problem}" for problem in error.problems], [])
    problems = _Collector(library)
    warnings: list[str] = []
    from skill.tools.compile import stale_snapshot

    if stale_snapshot(settings.content_dir):
        problems.plain(f"content: {SNAPSHOT_DIR}/ is older than the YAML; rebuild or delete it")
    locales = library.locales
    numbers = frozenset(
        line.number
        for content in locales.values()
        for line in content.lines.values()
        if line.number
    )
    for locale, content in locales.items():
        for path, problem in locale_problems(content, numbers):
            problems.add(locale, path, problem)
        for path, problem in safety_problems(content):
            problems.add(locale, path, problem)
        for path, problem in triage_problems(content):
            problems.add(locale, path, problem, file=f"triage ({locale})")
        for path, text in content_texts(content):
            for problem in speech_problems(text, content):
                problems.add(locale, path, problem)
    clinic_problems, clinic_warnings = check_clinic(library)
    for problem in clinic_problems:
        problems.plain(f"content: clinic.yaml: {problem}")
    warnings.extend(f"content: clinic.yaml: {warning}" for warning in clinic_warnings)
    warnings.extend(review_warnings(library, today or dt.date.today(), strict, problems))
    models = _model_files(settings.model_dir)
    for problem in stale_models(settings.model_dir):
        problems.plain(f"interaction model: {problem}")
    if DEFAULT_LOCALE not in models:
        problems.plain(f"interaction model: {DEFAULT_LOCALE}.json is missing")
    for locale, model_file in sorted(models.items()):
        try:
            model = json.loads(model_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.plain(f"interaction model {model_file.name}: not valid JSON ({error})")
            continue
        if locale not in library.available:
            problems.plain(f"interaction model {model_file.name}: no content/{locale}.yaml overlay")
            continue
        size = len(json.dumps(model, separators=(",", ":")))
        if size > MAX_MODEL_CHARS:
            problems.plain(
                f"interaction model {model_file.name}: {size:,} characters; Alexa refuses a model "
                f"definition over {MAX_MODEL_CHARS:,}"
            )
        for problem in check_model(model, library.content(locale)):
            problems.plain(f"interaction model {model_file.name}: {problem}")
    return Report(problems.lines(), warnings)


class _Collector:
    """Problems by (file, key, text), with the locales each was seen in."""

    def __init__(self, library: ContentLibrary) -> None:
        self._library = library
        self._seen: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        self._plain: list[str] = []

    def add(self, locale: str, path: str, problem: str, *, file: str | None = None) -> None:
        where = file or self._library.origin_of(locale, path)
        self._seen[(where, path, problem)].append(locale)

    def plain(self, line: str) -> None:
        self._plain.append(line)

    def lines(self) -> list[str]:
        every = len(self._library.available)
        found = []
        for (where, path, problem), locales in self._seen.items():
            scope = "" if len(locales) == every else f" [{', '.join(sorted(locales))}]"
            found.append(f"content: {where}: {path}: {problem}{scope}")
        return self._plain + found


def _model_files(model_dir: Path) -> dict[str, Path]:
    custom = model_dir / "interactionModels" / "custom"
    return {path.stem: path for path in custom.glob("*.json")}


# --------------------------------------------------------------------------- safety


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]


def _last_sentence(text: str) -> str:
    return re.split(r"(?<=[.?!])\s", text.strip())[-1]


def safety_problems(content: Content) -> Iterator[tuple[str, str]]:
    """The numbers and words each safety answer must give, where it must give them."""
    safety = content.safety
    for key in EMERGENCY_FIRST:
        if key in safety and "{emergency_number}" not in _first_sentence(safety[key].first):
            yield f"safety.{key}.first", "must give {emergency_number} in its first sentence"
    for key in CANNOT_CALL:
        if key in safety and "can't make calls" not in safety[key].first:
            yield f"safety.{key}.first", "must say plainly that the skill can't make calls"
    for key, answer in safety.items():
        if key not in AFTER_THE_NUMBER and "{emergency_number}" not in answer.first:
            yield f"safety.{key}.first", "must give {emergency_number}"
    if not content.international:
        for key in ("crisis", "poisoning_crisis", "call_now_crisis"):
            if key in safety and "{crisis_number}" not in safety[key].first:
                yield f"safety.{key}.first", "must give the crisis line, {crisis_number}"
        if "poison" in content.lines:
            for key in ("poisoning",):
                if key in safety and "{poison_number}" not in _first_sentence(safety[key].first):
                    yield (
                        f"safety.{key}.first",
                        "this locale has a poison line: give {poison_number} in the first sentence",
                    )
    for key in ENDS_WITH_EMERGENCY:
        if "{emergency_number}" not in _last_sentence(content.messages[key]):
            yield (
                f"messages.{key}",
                (
                    "must end with what to do in an emergency: "
                    "'If you think this could be an emergency, call {emergency_number}.'"
                ),
            )


def triage_problems(content: Content) -> Iterator[tuple[str, str]]:
    """The triage rules compile, and every answer and topic they name exists."""
    try:
        rules = content.triage.compiled
    except RulesError as error:
        for problem in error.problems:
            yield "rules", problem
        return
    for rule in rules.rules:
        if rule.answer is not None and rule.answer not in content.safety:
            yield f"rules.{rule.id}", f"names safety.{rule.answer}, which the content lacks"
        if rule.topic is not None:
            topic, _, item = rule.topic.partition("/")
            if topic != "emergency_check" and topic not in content.topics:
                yield f"rules.{rule.id}", f"routes to topics.{topic}, which the content lacks"
            elif item and item not in content.topics[topic].items:
                yield f"rules.{rule.id}", f"routes to topics.{topic}.items.{item}, which is missing"


# --------------------------------------------------------------------------- clinic


def check_clinic(library: ContentLibrary) -> tuple[list[str], list[str]]:
    """The clinic's details, for every locale that serves them."""
    problems: list[str] = []
    warnings: list[str] = []
    for locale, content in library.locales.items():
        clinic = content.clinic
        raw = str(library.clinic_for(locale).get("phone", ""))
        key = (
            "phone"
            if raw == str(library.clinic_for("en").get("phone", ""))
            else f"locales.{locale}.phone"
        )
        if content.country is not None:
            problems.extend(f"{key}: {p}" for p in phone_problems(raw, content.country))
        if is_fictional(raw):
            warnings.append(
                f"{key}: {raw} is a fictional example number; replace it before publishing"
            )
        for key, url in (("website", clinic.website), ("booking", clinic.booking)):
            if url is not None and not url.startswith("https://"):
                problems.append(f"{key}: {url!r} must be an https:// address")
        if not _HOURS.fullmatch(clinic.hours):
            problems.append(
                f"hours: {clinic.hours!r} must read aloud as words, like "
                "'Monday to Friday, 8 a.m. to 5 p.m.' (no dashes, colons or slashes)"
            )
        if clinic.website.startswith("https://clinic.example.com"):
            warnings.append("website: still the example address; replace it before publishing")
    return sorted(set(problems)), sorted(set(warnings))


def review_warnings(
    library: ContentLibrary, today: dt.date, strict: bool, problems: _Collector
) -> list[str]:
    """Reviews pending and out of date: warnings; out of date fails with ``--strict``."""
    pending = stale = 0
    stale_lines: list[str] = []
    for locale, content in library.locales.items():
        for answer in all_answers(content):
            if answer.review.pending:
                pending += 1
            elif answer.review.stale(today):
                stale += 1
                line = f"{answer.key}: review was due on {answer.review.next_review}"
                if strict:
                    problems.add(
                        locale, answer.key, f"review was due on {answer.review.next_review}"
                    )
                else:
                    stale_lines.append(f"content ({locale}): {line}")
    warnings = stale_lines
    if pending:
        warnings.insert(0, f"review: {pending} answers across all locales await clinical review")
    return warnings


# --------------------------------------------------------------------------- speech


def speech_problems(text: str, content: Content) -> Iterator[str]:
    """Render one text in every voice; each must be valid, allowed SSML under the limit."""
    for voice in Voice:
        for urgent in (False, True):
            try:
                ssml = render_ssml((text,), content, voice=voice, urgent=urgent)
            except ValueError as error:
                yield str(error)
                continue
            for problem in ssml_problems(ssml):
                yield f"({voice.value}) {problem}"


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
    handled |= {name for name in intents if carries_words(name)}  # the openers' intents
    for name in sorted(set(intents) - handled):
        problems.append(f"intent {name} has no handler and no content topic")
    for name in sorted(handled - set(intents)):
        problems.append(f"intent {name} is handled but missing from the model")

    problems.extend(_sample_problems(intents))
    problems.extend(sample_conflicts(intents, types))
    problems.extend(unsafe_samples(intents, content))
    problems.extend(unsafe_slot_values(intents, types, content))
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


#: How many values of a slot type are tried in each sample when looking for conflicts.
CONFLICT_VALUES = 400


def sample_conflicts(
    intents: Mapping[str, Mapping[str, Any]], types: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Utterances two intents would both claim, with slot values filled in.

    Like the developer console's utterance-conflict detection: "i have {symptom}" with the
    value "nausea" conflicts with a literal "i have nausea" in another intent. Search-query
    slots (any words) are left out; Alexa weighs those against the other samples.
    """
    values: dict[str, list[str]] = {}
    for name, slot_type in types.items():
        phrases: list[str] = []
        for value in slot_type.get("values", []):
            phrases.append(value["name"]["value"].lower())
            phrases.extend(s.lower() for s in value["name"].get("synonyms", []))
        values[name] = phrases[:CONFLICT_VALUES]
    claimed: dict[str, str] = {}
    conflicts: set[tuple[str, ...]] = set()
    for name, intent in intents.items():
        slot_types = {slot["name"].lower(): slot["type"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            for utterance in _fill(" ".join(str(sample).lower().split()), slot_types, values):
                other = claimed.setdefault(utterance, name)
                if other != name:
                    conflicts.add((utterance, *sorted((other, name))))
    return [
        f"'{utterance}' is claimed by both {first} and {second}"
        for utterance, first, second in sorted(conflicts)
    ]


def _fill(
    sample: str, slot_types: Mapping[str, str], values: Mapping[str, list[str]]
) -> Iterator[str]:
    match = re.search(r"\{(\w+)\}", sample)
    if match is None:
        yield sample
        return
    type_name = slot_types.get(match.group(1), "")
    if type_name.startswith("AMAZON.") or type_name not in values:
        return
    for value in values[type_name]:
        yield from _fill(
            sample[: match.start()] + value + sample[match.end() :], slot_types, values
        )


def unsafe_samples(intents: Mapping[str, Mapping[str, Any]], content: Content) -> list[str]:
    """Topic samples the triage calls unsafe: a topic must never claim words of danger."""
    problems = []
    topic_intents = {topic.intent for topic in content.topics.values()}
    for name in sorted(topic_intents & set(intents)):
        for sample in intents[name].get("samples", []):
            text = re.sub(r"\{\w+\}", " ", str(sample))
            verdict = content.triage.assess(text)
            if verdict.unsafe or verdict.level is Level.CRISIS:
                problems.append(
                    f"{name}: sample '{sample}' triages {verdict.level} ({verdict.rule}); "
                    "a topic must not claim it"
                )
    return problems


def unsafe_slot_values(
    intents: Mapping[str, Mapping[str, Any]],
    types: Mapping[str, Mapping[str, Any]],
    content: Content,
) -> list[str]:
    """Listed words of a topic's slot type must triage as ordinary, with no caution.

    The skill does not triage words Alexa resolved to one of these values (skill.handlers.
    safety), so this is what makes that safe: a listed "a stiff neck" would need the
    cautious answer, a listed "worst headache ever" the emergency number.
    """
    topic_types = set()
    for topic in content.topics.values():
        slots = {s["name"]: s["type"] for s in intents.get(topic.intent, {}).get("slots", [])}
        if topic.slot in slots:
            topic_types.add(slots[topic.slot])
    problems = []
    for type_name in sorted(topic_types):
        for value in types.get(type_name, {}).get("values", []):
            for word in (value["name"]["value"], *value["name"].get("synonyms", [])):
                verdict = content.triage.assess(word)
                if verdict.unsafe or verdict.answer is not None:
                    problems.append(
                        f"{type_name} value {value.get('id')!r}: {word!r} triages "
                        f"{verdict.level} ({verdict.rule}); it belongs with the red flags or "
                        "statements, not a topic's listed words"
                    )
    return problems
