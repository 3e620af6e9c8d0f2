"""Offline understanding for the console: a typed utterance -> an intent and its slots.

The console (``python -m skill ask|chat``) has no Alexa in the loop, so it matches what a
developer types against the interaction model itself, and says how it matched:

* **exactly**, the way a strict emulator does (virtual-alexa's own rules: the sample with
  the most literal characters wins; a custom slot takes only its listed values and
  synonyms; an ``AMAZON.SearchQuery`` slot takes any words). ``--strict`` stops here, so a
  phrasing the console understands in strict mode is one the emulator, and a device
  at its most literal, understands too;
* otherwise (not in strict mode) **by similarity** to the nearest sample (``rapidfuzz``),
  with its score and a warning that a device may not make the same match;
* otherwise ``AMAZON.FallbackIntent``, with no words, as Alexa sends it.

Words are compared in the emulator's form (lower case, its punctuation removed); slot values
are looked up as the vocabulary does (``skill.vocabulary``), so the console, the skill and
the triage share one normal form of text (``skill.text``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from skill.vocabulary import Vocabulary, model_path

LAUNCH_REQUEST = "LaunchRequest"  # a pseudo-intent: the console sends a LaunchRequest
FALLBACK_INTENT = "AMAZON.FallbackIntent"
#: A similarity below this is no match (rapidfuzz's 0-100 scale). Measured on the en-US
#: phrasing set, looser scorers and thresholds matched more phrasings wrongly than rightly.
SIMILARITY_THRESHOLD = 88.0
_MAX_CHARS = 500  # nobody says more in one breath

#: What virtual-alexa adds to each built-in intent a model lists (its BuiltinUtterances),
#: so that strict mode hears exactly what the emulator hears.
EMULATOR_BUILTINS: Mapping[str, tuple[str, ...]] = {
    "AMAZON.CancelIntent": ("cancel", "never mind"),
    "AMAZON.HelpIntent": ("help", "help me"),
    "AMAZON.MoreIntent": ("more",),
    "AMAZON.NavigateHomeIntent": ("home", "go home"),
    "AMAZON.NextIntent": ("next", "skip", "skip forward"),
    "AMAZON.NoIntent": ("no", "no thanks"),
    "AMAZON.RepeatIntent": ("repeat", "say that again", "repeat that"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again"),
    "AMAZON.StopIntent": ("stop", "off", "shut up"),
    "AMAZON.YesIntent": ("yes", "yes please", "sure"),
}
#: virtual-alexa's cleaning: these characters are removed before matching.
_EMULATOR_REMOVES = re.compile(r"[!\"¿?|#$%/()=+\-_<>*{}·¡\[\].,;:]")
_LAUNCH = re.compile(
    r"^(?:alexa[, ]+)?(?:ask|open|launch|start|talk to|tell) migraine helpers?"
    r"(?: (?:(?:to|and|for|about|if|whether) )?(?P<rest>.+))?$"
)


@dataclass(frozen=True)
class SlotMatch:
    """One filled slot: what was said, and the slot type value it resolved to, if any."""

    name: str
    spoken: str
    value_id: str | None  # None: no listed value matched (ER_SUCCESS_NO_MATCH)
    canonical: str | None  # the value's name, or None


@dataclass(frozen=True)
class Resolution:
    """The intent an utterance resolved to, and how."""

    intent: str
    slots: Mapping[str, SlotMatch]
    how: str  # "exact", "similar", "statement", "launch", "fallback"
    sample: str | None = None  # the sample that won
    score: float | None = None  # similarity, for "similar"

    @property
    def device_may_differ(self) -> bool:
        """A match the emulator, and a literal device, would not make."""
        return self.how == "similar"

    def explain(self) -> str:
        slots = ", ".join(
            f"{m.name}={m.spoken!r}->{m.value_id or 'no listed value'}" for m in self.slots.values()
        )
        head = f"[{self.intent}{' ' + slots if slots else ''}]"
        if self.how == "exact":
            return f"{head} exact match of the sample {self.sample!r}"
        if self.how == "similar":
            return (
                f"{head} similar to the sample {self.sample!r} (score {self.score:.0f} of 100): "
                "a device may not make this match; --strict matches as the emulator does"
            )
        if self.how == "launch":
            return f"{head} opens the skill"
        if self.how == "statement":
            return (
                f"{head} no sample matches, but the words may mean danger: they go to the skill "
                "to be triaged (a device needs a carrier phrase such as 'i ...' for that)"
            )
        return f"{head} no sample matches: Alexa would send FallbackIntent, with no words"


def emulator_form(text: str) -> str:
    """Text as virtual-alexa compares it: lower case, its punctuation removed."""
    return " ".join(_EMULATOR_REMOVES.sub("", text[:_MAX_CHARS].lower()).split())


class _Sample:
    """One sample, compiled the way virtual-core compiles it."""

    def __init__(self, intent: str, text: str, slot_types: Mapping[str, str]) -> None:
        self.intent, self.text = intent, text
        self.slots: list[tuple[str, str]] = []  # (slot name, type), in order
        pattern = text
        while (start := pattern.find("{")) != -1:
            end = pattern.index("}", start)
            name = pattern[start + 1 : end]
            self.slots.append((name, slot_types.get(name, "")))
            pattern = pattern[:start].strip() + "\0" + pattern[end + 1 :].strip()
        literal = [re.escape(part) for part in pattern.split("\0")]
        self.regex = re.compile("^" + "(.*)".join(literal) + "$", re.IGNORECASE)
        self.fuzzy_text = " ".join(re.sub(r"\{\w+\}", " ", text).split())


class UtteranceResolver:
    """Resolves typed utterances against one interaction model."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        language_model = model["interactionModel"]["languageModel"]
        self.vocabulary = Vocabulary.from_model(model)
        self._values: dict[str, dict[str, tuple[str, str]]] = {}  # type -> lower word -> (id, name)
        for slot_type in language_model.get("types", []):
            table = self._values.setdefault(slot_type["name"], {})
            for value in slot_type.get("values", []):
                name = value["name"]["value"]
                for word in (name, *value["name"].get("synonyms", [])):
                    table.setdefault(word.lower(), (value.get("id") or name, name))
        self._samples: list[_Sample] = []
        for intent in language_model.get("intents", []):
            slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            # virtual-alexa adds its built-in phrases after a built-in intent's own samples
            texts = [*intent.get("samples", []), *EMULATOR_BUILTINS.get(intent["name"], ())]
            self._samples.extend(_Sample(intent["name"], t, slot_types) for t in texts)
        self._fuzzy = [s for s in self._samples if all(t in self._values for _, t in s.slots)]
        self._fuzzy_texts = [s.fuzzy_text for s in self._fuzzy]

    def resolve(self, utterance: str, *, strict: bool = False) -> Resolution:
        """The intent for ``utterance``; never raises on any text."""
        text = emulator_form(utterance)
        launch = _LAUNCH.match(text)
        if launch is not None:
            if not launch.group("rest"):
                return Resolution(LAUNCH_REQUEST, {}, "launch")
            text = launch.group("rest")
        exact = self._exact(text)
        if exact is not None:
            return exact
        if not strict:
            similar = self._similar(text)
            if similar is not None:
                return similar
        return Resolution(FALLBACK_INTENT, {}, "fallback")

    def _exact(self, text: str) -> Resolution | None:
        best: tuple[int, int, _Sample, list[SlotMatch]] | None = None
        for sample in self._samples:
            match = sample.regex.match(text)
            if match is None:
                continue
            filled = self._fill(sample, match.groups(), text)
            if filled is None:
                continue
            literal = len(match.group(0)) - sum(len(v) for v in match.groups())
            typed = sum(1 for _, type_name in sample.slots if type_name in self._values)
            if best is None or (literal, typed) > (best[0], best[1]):
                best = (literal, typed, sample, filled)
        if best is None:
            return None
        _, _, sample, filled = best
        return Resolution(
            sample.intent, {m.name: m for m in filled if m.spoken}, "exact", sample.text
        )

    def _fill(self, sample: _Sample, values: Sequence[str], text: str) -> list[SlotMatch] | None:
        filled = []
        for (name, type_name), value in zip(sample.slots, values, strict=True):
            if (
                value != text
                and value.strip()
                and not (value.startswith(" ") or value.endswith(" "))
            ):
                return None  # a slot starts and ends at word boundaries
            spoken = value.strip()
            if type_name in self._values:
                found = self._values[type_name].get(spoken.lower())
                if found is None:
                    return None  # a custom slot takes only its listed values and synonyms
                filled.append(SlotMatch(name, spoken, found[0], found[1]))
            else:
                filled.append(SlotMatch(name, spoken, None, None))
        return filled

    def _similar(self, text: str) -> Resolution | None:
        if not text or not self._fuzzy_texts:
            return None
        found = process.extractOne(text, self._fuzzy_texts, scorer=fuzz.ratio)
        if found is None or found[1] < SIMILARITY_THRESHOLD:
            return None
        sample = self._fuzzy[found[2]]
        slots: dict[str, SlotMatch] = {}
        for name, type_name in sample.slots:
            value_id = self.vocabulary.find(type_name, text)
            if value_id is not None:
                slots[name] = SlotMatch(name, text, value_id, value_id)
        if len(slots) < len(sample.slots):
            return None  # the nearest sample needs a slot value the words do not give
        return Resolution(sample.intent, slots, "similar", sample.text, float(found[1]))


def load_resolver(model_dir: Path, locale: str | None) -> UtteranceResolver:
    """The resolver for the model that serves ``locale`` (read once per process)."""
    return _load(model_path(model_dir, locale))


@lru_cache(maxsize=8)
def _load(path: Path) -> UtteranceResolver:
    return UtteranceResolver(json.loads(path.read_text(encoding="utf-8")))
