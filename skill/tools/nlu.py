"""Offline natural-language understanding: a typed utterance -> an intent and its slots.

The console (``python -m skill ask|chat``) has no Alexa in the loop, so it resolves what a
developer types the way Alexa would, from the interaction model itself: the same samples,
the same slot values and synonyms. Resolution runs in three steps:

1. Normalise the text and peel off what people type around a request ("alexa, ask migraine
   helper to ...", "please", "um"). "open migraine helper" alone is a ``LaunchRequest``.
2. Exact: every sample is compiled once into a regular expression in which a ``{slot}``
   matches one to six words. Among the samples that match, one whose slot text is a known
   value (or synonym) of its slot type beats one whose slot text is not, and a sample with
   more literal words beats a vaguer one.
3. Fuzzy, when nothing matches exactly: a weighted overlap of words and word pairs between
   the utterance and each sample (rare words count for more; a slot value found in the
   utterance counts as the sample's slot), with a threshold below which the answer is
   ``AMAZON.FallbackIntent``.

Everything the matchers need is built in the constructor; ``resolve`` never reads a file,
is deterministic (ties go to the sample declared first) and never raises on any text.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from skill.vocabulary import model_path

__all__ = [
    "BUILTIN_PHRASES",
    "FALLBACK_INTENT",
    "LAUNCH_REQUEST",
    "ModelError",
    "NoMatchError",
    "Resolution",
    "SlotMatch",
    "UtteranceResolver",
    "load_resolver",
]

LAUNCH_REQUEST = "LaunchRequest"  # a pseudo-intent: the console sends a LaunchRequest
FALLBACK_INTENT = "AMAZON.FallbackIntent"

MAX_SLOT_WORDS = 6  # a {slot} in a sample matches one to this many words
EXACT_PARTIAL_CONFIDENCE = 0.9  # exact sample match; a slot's words not (wholly) a value
MAX_FUZZY_CONFIDENCE = 0.95  # 1.0 is kept for exact sample matches
FUZZY_THRESHOLD = 0.45  # a fuzzy score below this is no match (tuned on the en-US model)
FUZZY_OVERRIDE = 0.75  # a fuzzy score that beats an exact match whose slot value is unknown

# The fuzzy score: how much of the words (and ordered word pairs) the utterance and the
# best sample share, how many of the utterance's words the intent uses anywhere, and how
# typical those words are of the intent's samples.
_OVERLAP_SHARE, _COVERAGE_SHARE, _TYPICAL_SHARE = 0.7, 0.1, 0.2
_PAIR_WEIGHT = 0.5  # an ordered pair of content words, relative to its words' weights
_STOPWORD_WEIGHT = 0.2  # "what", "should", "i": little, but not nothing
_GENERIC_SHARE = 0.25  # a word used by this share of the intents is no telling slot value
_MAX_CHARS = 1000  # longer text is no sample; only its start is read
_MAX_FUZZY_TOKENS = 40  # nobody says more in one breath; bounds the work on pasted text
_MAX_SPLITS = 64  # ways to split one utterance over one sample's slots that are compared

# Phrases Alexa understands for its built-in intents without samples in the model.
BUILTIN_PHRASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "AMAZON.HelpIntent": (
            "help",
            "help me",
            "what can i say",
            "what can you do",
            "what can i ask",
            "how does this work",
            "options",
        ),
        "AMAZON.StopIntent": (
            "stop",
            "quit",
            "exit",
            "goodbye",
            "bye",
            "shut up",
            "that's all",
            "i'm done",
        ),
        "AMAZON.CancelIntent": ("cancel", "never mind", "forget it"),
        "AMAZON.YesIntent": (
            "yes",
            "yeah",
            "yep",
            "sure",
            "ok",
            "okay",
            "please do",
            "yes please",
            "go ahead",
            "of course",
            "i do",
            "i have",
        ),
        "AMAZON.NoIntent": (
            "no",
            "nope",
            "no thanks",
            "no thank you",
            "not now",
            "nah",
            "i don't",
            "no i don't",
        ),
        "AMAZON.RepeatIntent": (
            "repeat",
            "repeat that",
            "say that again",
            "what did you say",
            "pardon",
            "come again",
            "again",
        ),
        "AMAZON.MoreIntent": (
            "more",
            "tell me more",
            "go on",
            "continue",
            "keep going",
            "more please",
            "more details",
            "what else",
        ),
        "AMAZON.NextIntent": ("next", "next one", "skip"),
        "AMAZON.StartOverIntent": (
            "start over",
            "restart",
            "begin again",
            "start again",
            "from the beginning",
        ),
        "AMAZON.NavigateHomeIntent": (
            "go home",
            "home",
            "main menu",
            "back to the start",
            "go back to the beginning",
        ),
    }
)


class ModelError(ValueError):
    """The interaction model cannot be read or is not shaped like an ASK model."""


class NoMatchError(LookupError):
    """Nothing matched and the model declares no AMAZON.FallbackIntent to fall back to."""


@dataclass(frozen=True)
class SlotMatch:
    """One filled slot: what was said, and the slot type value it resolved to, if any."""

    name: str
    spoken: str
    value_id: str | None  # None: no value or synonym matched (ER_SUCCESS_NO_MATCH)
    canonical: str | None  # the value's name.value, or None


@dataclass(frozen=True)
class Resolution:
    """The intent an utterance resolved to, and how sure the resolver is."""

    intent: str
    slots: Mapping[str, SlotMatch]  # only the slots that were filled
    confidence: float  # 1.0 exact sample match; lower for fuzzy; 0.0 for fallback
    matched_sample: str | None  # the sample that won, for `--explain`


# --------------------------------------------------------------------------- words

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc`\u00b4", "'"))
_NOT_WORD = re.compile(r"[^\w']+|_+")
_LOOSE_APOSTROPHE = re.compile(r"(?<!\w)'+|'+(?!\w)")

_ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

# Contractions typed without the apostrophe.
_BARE_CONTRACTIONS = {
    "whats": "what's",
    "wheres": "where's",
    "whos": "who's",
    "hows": "how's",
    "thats": "that's",
    "theres": "there's",
    "im": "i'm",
    "ive": "i've",
    "youre": "you're",
    "theyre": "they're",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "cant": "can't",
    "wont": "won't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "couldnt": "couldn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
}
_IRREGULAR_CONTRACTIONS = {
    "can't": ("can", "not"),
    "cannot": ("can", "not"),
    "won't": ("will", "not"),
    "shan't": ("shall", "not"),
    "ain't": ("is", "not"),
    "let's": ("let", "us"),
}
_CONTRACTION_SUFFIXES = (
    ("'re", "are"),
    ("'ve", "have"),
    ("'ll", "will"),
    ("'m", "am"),
    ("'d", "would"),
)
_S_MEANS_IS = frozenset(
    ("what", "where", "who", "how", "that", "there", "it", "he", "she", "here", "when", "why")
)

# Words that say little about which intent is meant: the fuzzy matcher weighs them lightly
# and never picks a sample for sharing only these.
_STOPWORDS = frozenset(
    (
        *("i", "me", "my", "mine", "myself", "you", "your", "yours", "we", "us", "our"),
        *("they", "them", "their", "he", "she", "him", "her", "his", "hers", "it", "its"),
        *("a", "an", "the", "this", "that", "these", "those", "there", "here", "some", "any"),
        *("is", "am", "are", "was", "were", "be", "been", "being", "do", "does", "did"),
        *("have", "has", "had", "get", "got", "can", "could", "would", "should", "will"),
        *("shall", "may", "might", "must", "of", "to", "in", "on", "at", "for", "with"),
        *("about", "from", "by", "and", "or", "but", "so", "if", "what", "which", "who"),
        *("whom", "just", "really", "very", "please", "tell", "know", "want", "um", "uh"),
        *("oh", "hey", "alexa", "let", "all", "also", "thing", "things", "something"),
        *("anything", "kind", "sort", "maybe"),
    )
)
_ARTICLES = frozenset(("a", "an", "the", "my", "some", "any", "your", "our", "their", "his", "her"))


def _number_words(token: str) -> tuple[str, ...]:
    """'2' -> two, '24' -> twenty four, '911' -> nine one one (how people say such numbers)."""
    if len(token) <= 2 and not (len(token) == 2 and token[0] == "0"):
        number = int(token)
        if number < 20:
            return (_ONES[number],)
        tens, ones = divmod(number, 10)
        return (_TENS[tens], _ONES[ones]) if ones else (_TENS[tens],)
    return tuple(_ONES[int(digit)] for digit in token)


def _expand(token: str) -> tuple[str, ...]:
    """One typed token as the words a sample would spell: contractions opened, digits said."""
    if token.isascii() and token.isdigit():
        return _number_words(token)
    token = _BARE_CONTRACTIONS.get(token, token)
    if token in _IRREGULAR_CONTRACTIONS:
        return _IRREGULAR_CONTRACTIONS[token]
    if "'" not in token:
        return (token,)
    if token.endswith("n't"):
        return (token[:-3], "not")
    for suffix, word in _CONTRACTION_SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            return (token[: -len(suffix)], word)
    if token.endswith("'s") and token[:-2] in _S_MEANS_IS:
        return (token[:-2], "is")
    return (token,)


def _join_letters(words: list[str]) -> list[str]:
    """Spelt-out letters as one word: "e r" -> er, "f d a" -> fda (samples spell them so)."""
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        single = len(word) == 1 and word.isalpha() and (bool(run) or word not in ("a", "i"))
        if single:
            run.append(word)
            continue
        joined.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        if word:
            joined.append(word)
    return joined


def _tokens(text: str) -> list[str]:
    """Lowercase words without punctuation or accents, contractions and digits spelt out."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _LOOSE_APOSTROPHE.sub(" ", _NOT_WORD.sub(" ", text))
    return _join_letters([word for token in text.split() for word in _expand(token)])


def _singular(word: str) -> str:
    """'storms' -> storm, 'allergies' -> allergy, "clinic's" -> clinic; crude but symmetric."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("sses"):
        return word[:-2]
    if 3 < len(word) <= 5 and word.endswith("oes"):
        return word[:-2]  # goes, does
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _stem(word: str) -> str:
    """A word's rough stem, so 'triggered', 'triggers' and 'triggering' count as one word."""
    stem = _singular(word)
    for suffix in ("ing", "ed"):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            stem = stem[: -len(suffix)]
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]
            break
    if len(stem) > 3 and stem.endswith("e"):
        stem = stem[:-1]
    return stem


def _item(word: str) -> str:
    """What the fuzzy matcher compares: a stopword as it is, any other word's stem."""
    return word if word in _STOPWORDS else _stem(word)


def _content_stems(words: Sequence[str]) -> list[str]:
    return [_stem(word) for word in words if word not in _STOPWORDS]


def _value_key(words: Sequence[str]) -> tuple[str, ...]:
    """How a slot value is looked up: no leading article, each word in the singular."""
    start = 0
    while start < len(words) - 1 and words[start] in _ARTICLES:
        start += 1
    return tuple(_singular(word) for word in words[start:])


def _slot_token(type_name: str) -> str:
    """A slot, in the fuzzy matcher's word sequences (no word has braces)."""
    return "{" + type_name + "}"


def _is_content(item: str) -> bool:
    return item not in _STOPWORDS and not item.startswith("{")


# --------------------------------------------------------------------------- slot types


@dataclass(frozen=True)
class _Value:
    value_id: str
    canonical: str


# How well a slot's words matched its type; more is better.
_TIER_NONE = 0  # no value matched: ER_SUCCESS_NO_MATCH
_TIER_BAG = 2  # a value's words in another order or form ("my face is drooping")
_TIER_PART = 3  # a value inside longer slot text ("drinking red wine")
_TIER_BUILTIN = 4  # an AMAZON.* type: there is no value list to match against
_TIER_WHOLE = 5  # the slot text is a value or synonym


class _SlotType:
    """A custom slot type's values and synonyms, indexed for lookups and for spotting."""

    def __init__(self, values: Sequence[tuple[str, str, Sequence[str]]]) -> None:
        self.by_key: dict[tuple[str, ...], _Value] = {}
        bags: list[tuple[int, int, frozenset[str], _Value]] = []
        for value_id, canonical, synonyms in values:
            value = _Value(value_id, canonical)
            for phrase in (canonical, *synonyms):
                key = _value_key(_tokens(phrase))
                if not key:
                    continue
                self.by_key.setdefault(key, value)
                stems = frozenset(_content_stems(key))
                if stems:
                    bags.append((-len(stems), len(bags), stems, value))
        self.max_len = max((len(key) for key in self.by_key), default=0)
        # Largest first, then model order: "a stiff neck and a fever" before "a fever".
        self.bags = [(stems, value) for _, _, stems, value in sorted(bags, key=lambda b: b[:2])]
        self.stems = frozenset().union(*(stems for stems, _ in self.bags))

    def lookup(self, words: Sequence[str]) -> tuple[int, _Value | None, int]:
        """(tier, value, words matched) for a slot's words."""
        key = _value_key(words)
        value = self.by_key.get(key)
        if value is not None:
            return _TIER_WHOLE, value, len(key)
        singular = [_singular(word) for word in words]
        for size in range(min(self.max_len, len(singular) - 1), 0, -1):
            for start in range(len(singular) - size + 1):
                value = self.by_key.get(tuple(singular[start : start + size]))
                if value is not None and not set(singular[start : start + size]) <= _ARTICLES:
                    return _TIER_PART, value, size
        stems = set(_content_stems(words))
        for bag, value in self.bags:
            if bag <= stems:
                return _TIER_BAG, value, len(bag)
        return _TIER_NONE, None, 0

    def spot(self, words: Sequence[str]) -> list[tuple[int, int, _Value]]:
        """Values mentioned anywhere in an utterance: (start, end, value); values said word
        for word first, then those found by their words' stems, each in word order."""
        singular = [_singular(word) for word in words]
        taken = [False] * len(words)
        found: list[tuple[int, int, _Value]] = []
        for size in range(min(self.max_len, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                end = start + size
                if any(taken[start:end]) or set(singular[start:end]) <= _ARTICLES:
                    continue
                value = self.by_key.get(tuple(singular[start:end]))
                if value is not None:
                    found.append((start, end, value))
                    taken[start:end] = [True] * size
        bagged: list[tuple[int, int, _Value]] = []
        free: dict[str, list[int]] = {}
        for at, word in enumerate(words):
            if not taken[at] and word not in _STOPWORDS:
                free.setdefault(_stem(word), []).append(at)
        for bag, value in self.bags:
            if not bag <= free.keys():
                continue
            positions = [free[stem][0] for stem in bag]
            start, end = min(positions), max(positions) + 1
            if end - start > len(bag) + 3 or any(taken[start:end]):
                continue
            bagged.append((start, end, value))
            taken[start:end] = [True] * (end - start)
            free = {s: kept for s, at in free.items() if (kept := [p for p in at if not taken[p]])}
        found.sort(key=lambda spot: spot[0])
        bagged.sort(key=lambda spot: spot[0])
        return found + bagged


_Spots = Mapping[str, Sequence[tuple[int, int, _Value]]]  # slot type -> (start, end, value)


# --------------------------------------------------------------------------- samples

_Parts = tuple[tuple[str, ...] | str, ...]  # literal words, or a slot name
_SLOT_REFERENCE = re.compile(r"\{\s*([^{}]*?)\s*\}")


@dataclass(frozen=True)
class _Sample:
    """One sample utterance, compiled."""

    intent: str
    text: str  # as the model (or the built-in phrase list) spells it
    order: int  # position in the model: earlier wins ties
    parts: _Parts
    pattern: re.Pattern[str] | None  # None when the sample has no slot
    literal: str  # the literal words joined, to look up samples without slots
    literal_count: int
    builtin: bool  # a phrase Alexa knows for a built-in intent, not one the model lists
    items: tuple[str, ...]  # what the fuzzy matcher compares, slots as {TYPE}, in order


def _parse_sample(text: str) -> _Parts:
    """'can {trigger} cause a migraine' -> (('can',), 'trigger', ('cause', 'a', 'migraine'))."""
    parts: list[tuple[str, ...] | str] = []
    for index, piece in enumerate(_SLOT_REFERENCE.split(text)):
        if index % 2:
            parts.append(piece)
        elif words := tuple(_tokens(piece)):
            parts.append(words)
    return tuple(parts)


def _compile(parts: _Parts) -> re.Pattern[str]:
    slot = rf"(?:\S+(?: \S+){{0,{MAX_SLOT_WORDS - 1}}})"
    return re.compile(
        " ".join(slot if isinstance(part, str) else re.escape(" ".join(part)) for part in parts)
    )


def _make_sample(
    intent: str, slots: Mapping[str, str], text: str, parts: _Parts, order: int, builtin: bool
) -> _Sample:
    literal = [word for part in parts if isinstance(part, tuple) for word in part]
    items = [
        item
        for part in parts
        for item in (
            [_item(word) for word in part]
            if isinstance(part, tuple)
            else [_slot_token(slots[part])]
        )
    ]
    has_slot = any(isinstance(part, str) for part in parts)
    return _Sample(
        intent=intent,
        text=text,
        order=order,
        parts=parts,
        pattern=_compile(parts) if has_slot else None,
        literal=" ".join(literal),
        literal_count=len(literal),
        builtin=builtin,
        items=tuple(items),
    )


def _splits(
    parts: _Parts, words: Sequence[str], part: int = 0, at: int = 0
) -> Iterator[tuple[tuple[str, int, int], ...]]:
    """Every way the words fit the sample: ((slot name, start, end), ...) per way."""
    if part == len(parts):
        if at == len(words):
            yield ()
        return
    piece = parts[part]
    if isinstance(piece, tuple):
        if tuple(words[at : at + len(piece)]) == piece:
            yield from _splits(parts, words, part + 1, at + len(piece))
        return
    for end in range(at + 1, min(at + MAX_SLOT_WORDS, len(words)) + 1):
        for rest in _splits(parts, words, part + 1, end):
            yield ((piece, at, end), *rest)


# --------------------------------------------------------------------------- reading models


def _language_model(model: Mapping[str, Any]) -> Mapping[str, Any]:
    """The languageModel, given a whole model file or one of the objects inside it."""
    inner = model.get("interactionModel", model)
    inner = inner.get("languageModel", inner) if isinstance(inner, Mapping) else inner
    if not isinstance(inner, Mapping) or not isinstance(inner.get("intents"), list):
        raise ModelError("interactionModel.languageModel.intents: missing or not a list")
    return inner


def _read_types(language_model: Mapping[str, Any], problems: list[str]) -> dict[str, _SlotType]:
    types: dict[str, _SlotType] = {}
    raw_types = language_model.get("types") or []
    if not isinstance(raw_types, list):
        problems.append("types: not a list")
        return types
    for t_index, raw in enumerate(raw_types):
        where = f"types[{t_index}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            problems.append(f"{where}: needs a name")
            continue
        values: list[tuple[str, str, Sequence[str]]] = []
        for v_index, value in enumerate(raw.get("values") or []):
            name = value.get("name") if isinstance(value, Mapping) else None
            if not isinstance(name, Mapping) or not isinstance(name.get("value"), str):
                problems.append(f"{where}.values[{v_index}].name.value: missing")
                continue
            synonyms = name.get("synonyms") or []
            if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
                problems.append(f"{where}.values[{v_index}].name.synonyms: not a list of text")
                synonyms = []
            value_id = value.get("id")
            canonical: str = name["value"]
            values.append(
                (value_id if isinstance(value_id, str) else canonical, canonical, synonyms)
            )
        types[raw["name"]] = _SlotType(values)
    return types


def _read_intents(
    language_model: Mapping[str, Any], types: Mapping[str, _SlotType], problems: list[str]
) -> list[tuple[str, dict[str, str], list[str]]]:
    """(name, slot name -> type name, samples) per intent, in model order."""
    intents: list[tuple[str, dict[str, str], list[str]]] = []
    seen: set[str] = set()
    for i_index, raw in enumerate(language_model["intents"]):
        name = raw.get("name") if isinstance(raw, Mapping) else None
        if not isinstance(name, str) or not name:
            problems.append(f"intents[{i_index}]: needs a name")
            continue
        where = f"intents[{name}]"
        if name in seen:
            problems.append(f"{where}: declared twice")
            continue
        seen.add(name)
        slots: dict[str, str] = {}
        for s_index, slot in enumerate(raw.get("slots") or []):
            slot_name = slot.get("name") if isinstance(slot, Mapping) else None
            slot_type = slot.get("type") if isinstance(slot, Mapping) else None
            if not isinstance(slot_name, str) or not isinstance(slot_type, str):
                problems.append(f"{where}.slots[{s_index}]: needs a name and a type")
                continue
            if slot_type not in types and not slot_type.startswith("AMAZON."):
                problems.append(f"{where}.slots[{slot_name}]: unknown slot type {slot_type}")
            slots[slot_name] = slot_type
        samples = raw.get("samples") or []
        if not isinstance(samples, list) or not all(isinstance(s, str) for s in samples):
            problems.append(f"{where}.samples: not a list of text")
            samples = []
        for sample in samples:
            for slot_name in _SLOT_REFERENCE.findall(sample):
                if slot_name not in slots:
                    problems.append(f"{where}: sample {sample!r} uses undeclared slot {slot_name}")
        intents.append((name, slots, samples))
    return intents


# --------------------------------------------------------------------------- fuzzy matching


class _FuzzyMatcher:
    """Scores an utterance against every sample by the weighted overlap of their words and
    ordered pairs of content words, plus how typical the words are of each intent."""

    def __init__(
        self,
        samples: Sequence[_Sample],
        intent_slots: Mapping[str, Mapping[str, str]],
        types: Mapping[str, _SlotType],
    ) -> None:
        self._samples = samples
        self._intent_slots = intent_slots
        self._types = types
        vocab: dict[str, set[str]] = {}
        counts: dict[str, dict[str, int]] = {}
        sizes: dict[str, int] = {}
        for sample in samples:
            content = {item for item in sample.items if item not in _STOPWORDS}
            vocab.setdefault(sample.intent, set()).update(content)
            sizes[sample.intent] = sizes.get(sample.intent, 0) + 1
            tally = counts.setdefault(sample.intent, {})
            for item in content:
                tally[item] = tally.get(item, 0) + 1
        self._vocab = {intent: frozenset(items) for intent, items in vocab.items()}
        # How typical a word is of an intent: the share of the intent's samples using it.
        self._typical = {
            intent: {item: n / sizes[intent] for item, n in tally.items()}
            for intent, tally in counts.items()
        }
        # A word weighs more the fewer intents use it (inverse document frequency, the
        # intents being the documents); a word no sample uses weighs as much as the rarest.
        frequency: dict[str, int] = {}
        for items in self._vocab.values():
            for item in items:
                frequency[item] = frequency.get(item, 0) + 1
        documents = max(len(self._vocab), 1)
        self._frequency = frequency
        self._generic = _GENERIC_SHARE * documents
        self._weights = {s: math.log((documents + 1) / n) + 0.1 for s, n in frequency.items()}
        self._unknown = math.log(documents + 1) + 0.1
        self._known = set(self._weights).union(*(t.stems for t in types.values()))
        self._features = [self._featurize(sample.items) for sample in samples]
        self._totals = [math.fsum(features.values()) for features in self._features]
        self._index: dict[str, list[int]] = {}
        for number, sample in enumerate(samples):
            for item in dict.fromkeys(sample.items):
                if item not in _STOPWORDS:
                    self._index.setdefault(item, []).append(number)
        self._spotted_types = sorted(
            {name for slots in intent_slots.values() for name in slots.values() if name in types}
        )

    def _weight(self, item: str) -> float:
        if item in _STOPWORDS:
            return _STOPWORD_WEIGHT
        return self._weights.get(item, self._unknown)

    def _featurize(self, items: Sequence[str]) -> dict[str, float]:
        features = {item: self._weight(item) for item in items}
        content = [item for item in items if item not in _STOPWORDS]
        for first, second in itertools.pairwise(content):
            pair = (self._weight(first) + self._weight(second)) / 2
            features[f"{first} {second}"] = _PAIR_WEIGHT * pair
        return features

    def best(self, words: Sequence[str]) -> tuple[float, _Sample, _Spots] | None:
        """(score, sample, the slot values found) for the best-scoring intent, if any."""
        ranked, spots = self.rank(words)
        return (ranked[0][0], ranked[0][1], spots) if ranked else None

    def rank(self, words: Sequence[str]) -> tuple[list[tuple[float, _Sample]], _Spots]:
        """Each candidate intent's (score, best sample), best first; the slot values found."""
        items = self._items(words)
        spots = {
            name: found
            for name in self._spotted_types
            if (
                found := [
                    spot for spot in self._types[name].spot(words) if self._telling(words, spot)
                ]
            )
        }
        numbers: set[int] = set()
        for item in items.values():
            numbers.update(self._index.get(item, ()))
        for name in spots:
            numbers.update(self._index.get(_slot_token(name), ()))
        views: dict[str, _View] = {}
        best: dict[str, tuple[float, int]] = {}  # intent -> (overlap, sample number)
        for number in sorted(numbers):  # model order: ties go to the earlier sample
            intent = self._samples[number].intent
            view = views.get(intent)
            if view is None:
                view = views[intent] = self._view(intent, len(words), items, spots)
            theirs = self._features[number]
            shared = view.features.keys() & theirs.keys()
            if view.content.isdisjoint(shared) and (
                view.weak_slots or view.slots.isdisjoint(shared)
            ):
                continue  # "what's the weather in paris": a slot value alone is not enough
            # fsum: the same total whatever order the set yields, so ties stay ties.
            overlap = math.fsum(view.features[f] + theirs[f] for f in shared)
            overlap /= view.total + self._totals[number]
            if intent not in best or overlap > best[intent][0]:
                best[intent] = (overlap, number)
        ranked: list[tuple[float, _Sample]] = []
        for intent, (overlap, number) in best.items():
            words_of = views[intent].words
            total = math.fsum(words_of.values()) or 1.0
            coverage = math.fsum(w for f, w in words_of.items() if f in self._vocab[intent])
            typical = math.fsum(w * self._typical[intent].get(f, 0.0) for f, w in words_of.items())
            score = (
                _OVERLAP_SHARE * overlap
                + _COVERAGE_SHARE * coverage / total
                + _TYPICAL_SHARE * typical / total
            )
            ranked.append((score, self._samples[number]))
        ranked.sort(key=lambda entry: -entry[0])  # stable: ties keep model order
        return ranked, spots

    def _telling(self, words: Sequence[str], spot: tuple[int, int, _Value]) -> bool:
        """Whether a slot value found in an utterance says something: "headache" is a
        symptom's synonym, but so many samples use the word that it says nothing."""
        stems = _content_stems(words[spot[0] : spot[1]])
        return any(self._frequency.get(stem, 0) < self._generic for stem in stems)

    def _items(self, words: Sequence[str]) -> dict[int, str]:
        """Position -> item for each word; "zig zag" is "zigzag" where a sample says so."""
        items: dict[int, str] = {}
        at = 0
        while at < len(words):
            if at + 1 < len(words) and _stem(words[at]) not in self._weights:
                joined = _stem(words[at] + words[at + 1])
                if joined in self._weights:
                    items[at] = joined
                    at += 2
                    continue
            items[at] = _item(words[at])
            at += 1
        return items

    def _view(self, intent: str, length: int, items: Mapping[int, str], spots: _Spots) -> _View:
        """The utterance as this intent sees it: a value of one of its slot types counts as
        that slot, not as its words."""
        starts: dict[int, str] = {}
        covered: set[int] = set()
        for type_name in sorted(set(self._intent_slots.get(intent, {}).values())):
            for start, end, _ in spots.get(type_name, ()):
                starts.setdefault(start, _slot_token(type_name))
                covered.update(range(start, end))
        sequence: list[str] = []
        for at in range(length):
            if at in starts:
                sequence.append(starts[at])
            elif at not in covered and at in items:
                sequence.append(items[at])
        features = self._featurize(sequence)
        content = frozenset(item for item in sequence if _is_content(item))
        slots = frozenset(item for item in sequence if item.startswith("{"))
        unknown = sum(1 for item in content if item not in self._known)
        in_values = sum(1 for at in covered if at in items and _is_content(items[at]))
        return _View(
            features=features,
            total=math.fsum(features.values()),
            content=content,
            slots=slots,
            weak_slots=unknown >= in_values,
            words={item: features[item] for item in content | slots},
        )


@dataclass(frozen=True)
class _View:
    """An utterance's features as one intent sees them."""

    features: Mapping[str, float]  # words, stopwords and ordered pairs -> weight
    total: float
    content: frozenset[str]  # the content words (stems)
    slots: frozenset[str]  # {TYPE} for each slot value found
    weak_slots: bool  # unknown words outnumber the slot values' words: not enough alone
    words: Mapping[str, float]  # content words and slots -> weight


# --------------------------------------------------------------------------- the resolver


@dataclass(frozen=True)
class _Candidate:
    """An exact match of one sample, with one way of splitting the words over its slots."""

    rank: tuple[int, int, int, int, int, int]  # smaller is better
    sample: _Sample
    slots: Mapping[str, SlotMatch]
    unknown: tuple[str, ...]  # spoken words of slots that matched no value
    partial: bool  # some slot matched a value only in part


class UtteranceResolver:
    """Resolves typed utterances against one interaction model, offline and deterministically."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        language_model = _language_model(model)
        problems: list[str] = []
        invocation = language_model.get("invocationName")
        if not isinstance(invocation, str):
            problems.append("invocationName: missing")
            invocation = ""
        types = _read_types(language_model, problems)
        intents = _read_intents(language_model, types, problems)
        if problems:
            raise ModelError("interaction model problems:\n  " + "\n  ".join(problems))
        self._invocation_name = invocation
        self._invocation = tuple(_tokens(invocation))
        self._types = types
        self._intent_names = frozenset(name for name, _, _ in intents)
        self._intent_slots = {name: slots for name, slots, _ in intents}
        self._samples: list[_Sample] = []
        for name, slots, samples in intents:
            seen: set[_Parts] = set()
            phrases = [(text, False) for text in samples]
            phrases += [(text, True) for text in BUILTIN_PHRASES.get(name, ())]
            for text, builtin in phrases:
                parts = _parse_sample(text)
                if parts and parts not in seen:
                    seen.add(parts)
                    order = len(self._samples)
                    self._samples.append(_make_sample(name, slots, text, parts, order, builtin))
        self._literal: dict[str, list[_Sample]] = {}
        for sample in self._samples:
            if sample.pattern is None:
                self._literal.setdefault(sample.literal, []).append(sample)
        self._slotted = [sample for sample in self._samples if sample.pattern is not None]
        self._longest = max(  # words: no longer utterance can match a sample exactly
            (
                s.literal_count + MAX_SLOT_WORDS * sum(isinstance(p, str) for p in s.parts)
                for s in self._samples
            ),
            default=0,
        )
        self._fuzzy = _FuzzyMatcher(self._samples, self._intent_slots, types)

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> UtteranceResolver:
        """A resolver for a parsed model: the whole file, or its languageModel object."""
        if not isinstance(model, Mapping):
            raise ModelError("interaction model: not a JSON object")
        return cls(model)

    @classmethod
    def from_file(cls, path: Path) -> UtteranceResolver:
        """A resolver for an ``interactionModels/custom/<locale>.json`` file."""
        try:
            model = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ModelError(f"{path}: cannot read the interaction model: {error}") from error
        try:
            return cls.from_model(model)
        except ModelError as error:
            raise ModelError(f"{path}: {error}") from error

    @property
    def invocation_name(self) -> str:
        return self._invocation_name

    @property
    def intent_names(self) -> frozenset[str]:
        """The intents the model declares (``LaunchRequest`` is not one of them)."""
        return self._intent_names

    def resolve(self, utterance: str) -> Resolution:
        """The intent and slots Alexa would most likely send for ``utterance``.

        Raises NoMatchError only when nothing matches and the model declares no
        AMAZON.FallbackIntent."""
        forms, launch = self._unwrap(_tokens(utterance[:_MAX_CHARS]))
        if launch:
            return Resolution(LAUNCH_REQUEST, MappingProxyType({}), 1.0, None)
        exact = self._exact(forms) if len(utterance) <= _MAX_CHARS else None
        if exact is not None and not exact.unknown:
            return _exact_resolution(exact)
        fuzzy = self._fuzzy_resolution(forms[0])
        if exact is None:
            if fuzzy is not None and fuzzy.confidence >= FUZZY_THRESHOLD:
                return fuzzy
            return self._fallback()
        # An exact match whose slot words are no value of its type ("i have nausea" against
        # "i have {redFlag}") loses to a good fuzzy match elsewhere, and to a fair one that
        # found those very words as a value of its own slot (nausea: a symptom).
        if fuzzy is not None and fuzzy.intent != exact.sample.intent:
            if fuzzy.confidence >= FUZZY_OVERRIDE:
                return fuzzy
            if fuzzy.confidence >= FUZZY_THRESHOLD and any(
                f" {slot.spoken} " in f" {spoken} "
                for slot in fuzzy.slots.values()
                for spoken in exact.unknown
            ):
                return fuzzy
        return _exact_resolution(exact)

    def _fallback(self) -> Resolution:
        if FALLBACK_INTENT not in self._intent_names:
            raise NoMatchError(
                f"no intent matched and the model declares no {FALLBACK_INTENT} to fall back to"
            )
        return Resolution(FALLBACK_INTENT, MappingProxyType({}), 0.0, None)

    def _unwrap(self, words: list[str]) -> tuple[list[list[str]], bool]:
        """The utterance without "alexa, ask <invocation> to ..." around it: the barest form
        first, then each less stripped one (a sample may itself start with "please"); and
        whether the utterance only opens the skill."""
        forms = [words]
        current = _strip_fillers(words)
        forms.append(current)
        invocation = list(self._invocation)
        if invocation and current:
            rest = _after_invocation(current, invocation)
            if rest is not None:
                rest = _strip_fillers(rest)
                if rest and rest[0] in _CONNECTORS:
                    rest = rest[1:]  # ask migraine helper [to|about|if] ..., open it [and] ...
                if not rest:
                    return [[]], True
                current = _strip_fillers(rest)
                forms.append(current)
            size = len(invocation)
            if len(current) > size + 1 and current[-size:] == invocation:
                before = current[:-size]
                if before[-1] == "the" and len(before) > 2:
                    before = before[:-1]
                if before[-1] in _TRAILING_INVOCATION:
                    current = _strip_fillers(before[:-1])
                    forms.append(current)
        unique: list[list[str]] = []
        for form in reversed(forms):
            if form not in unique:
                unique.append(form)
        return unique, False

    def _exact(self, forms: Sequence[Sequence[str]]) -> _Candidate | None:
        for words in forms:
            if not words or len(words) > self._longest:
                continue
            text = " ".join(words)
            candidates = [self._candidate(s, words, ()) for s in self._literal.get(text, ())]
            for sample in self._slotted:
                if sample.pattern is not None and sample.pattern.fullmatch(text):
                    for split in itertools.islice(_splits(sample.parts, words), _MAX_SPLITS):
                        candidate = self._candidate(sample, words, split)
                        # A sample that is only "{trigger}" would take any words at all:
                        # it matches a known value or nothing.
                        if sample.literal_count or not candidate.unknown:
                            candidates.append(candidate)
            if candidates:
                best = min(candidates, key=lambda c: c.rank)
                # As sure, same intent: prefer the sample that also fills slots, so
                # "i have the worst headache of my life" carries redFlag=worst_headache.
                same = [
                    c
                    for c in candidates
                    if c.sample.intent == best.sample.intent and c.rank[0] == best.rank[0]
                ]
                return min(same, key=lambda c: (-len(c.slots), c.rank))
        return None

    def _candidate(
        self, sample: _Sample, words: Sequence[str], split: Sequence[tuple[str, int, int]]
    ) -> _Candidate:
        slot_types = self._intent_slots[sample.intent]
        slots: dict[str, SlotMatch] = {}
        unknown: list[str] = []
        tiers = known = 0
        partial = False
        for name, start, end in split:
            spoken = " ".join(words[start:end])
            slot_type = self._types.get(slot_types[name])
            if slot_type is None:
                tier, value, size = _TIER_BUILTIN, None, 0
            else:
                tier, value, size = slot_type.lookup(words[start:end])
            if tier == _TIER_NONE:
                unknown.append(spoken)
            partial = partial or tier in (_TIER_PART, _TIER_BAG)
            tiers += tier
            known += size if tier == _TIER_WHOLE else 0
            slots[name] = SlotMatch(
                name=name,
                spoken=spoken,
                value_id=value.value_id if value else None,
                canonical=value.canonical if value else None,
            )
        rank = (
            len(unknown),
            -sample.literal_count,
            -tiers,
            int(sample.builtin),
            -known,  # the longest known value wins
            sample.order,
        )
        return _Candidate(rank, sample, MappingProxyType(slots), tuple(unknown), partial)

    def _fuzzy_resolution(self, words: Sequence[str]) -> Resolution | None:
        words = words[:_MAX_FUZZY_TOKENS]
        best = self._fuzzy.best(words)
        if best is None:
            return None
        score, sample, spots = best
        slots: dict[str, SlotMatch] = {}
        used: dict[str, int] = {}
        for name, type_name in self._intent_slots[sample.intent].items():
            found = spots.get(type_name, ())
            taken = used.get(type_name, 0)
            if taken < len(found):
                start, end, value = found[taken]
                used[type_name] = taken + 1
                slots[name] = SlotMatch(
                    name=name,
                    spoken=" ".join(words[start:end]),
                    value_id=value.value_id,
                    canonical=value.canonical,
                )
        return Resolution(
            intent=sample.intent,
            slots=MappingProxyType(slots),
            confidence=round(min(score, MAX_FUZZY_CONFIDENCE), 4),
            matched_sample=sample.text,
        )


def _exact_resolution(candidate: _Candidate) -> Resolution:
    sure = not (candidate.unknown or candidate.partial)
    return Resolution(
        intent=candidate.sample.intent,
        slots=candidate.slots,
        confidence=1.0 if sure else EXACT_PARTIAL_CONFIDENCE,
        matched_sample=candidate.sample.text,
    )


# --------------------------------------------------------------------------- wrappers

_FILLERS = frozenset(("um", "umm", "uh", "uhh", "erm", "hmm", "please"))
_INVOCATION_VERBS = frozenset(
    ("ask", "tell", "open", "launch", "start", "begin", "load", "run", "use", "play")
)
_CONNECTORS = frozenset(("to", "about", "for", "if", "whether", "that", "and"))
_TRAILING_INVOCATION = frozenset(("using", "with", "from", "on", "in", "via"))


def _strip_fillers(words: Sequence[str]) -> list[str]:
    """Without a leading "alexa", "um" or "please", or a trailing "please" or "thanks"."""
    words = list(words)
    while len(words) > 1:
        if words[0] == "alexa" or words[0] in _FILLERS:
            words = words[1:]
        elif words[0] in ("hey", "ok", "okay") and words[1] == "alexa" and len(words) > 2:
            words = words[2:]
        elif words[-1] in ("please", "thanks"):
            words = words[:-1]
        elif words[-2:] == ["thank", "you"] and len(words) > 2:
            words = words[:-2]
        else:
            break
    return words


def _after_invocation(words: Sequence[str], invocation: Sequence[str]) -> list[str] | None:
    """The words after "[ask|tell|open|...] [the] <invocation>", or None if they do not fit."""
    at = 0
    if words[:2] in (["talk", "to"], ["speak", "to"], ["open", "up"], ["start", "up"]):
        at = 2
    elif words and words[0] in _INVOCATION_VERBS:
        at = 1
    if words[at : at + 1] == ["the"]:
        at += 1
    if list(words[at : at + len(invocation)]) != list(invocation):
        return None
    return list(words[at + len(invocation) :])


@functools.lru_cache(maxsize=8)
def _resolver_for_file(path: Path) -> UtteranceResolver:
    return UtteranceResolver.from_file(path)


def load_resolver(model_dir: Path, locale: str) -> UtteranceResolver:
    """The resolver for ``<model_dir>/interactionModels/custom/<locale>.json`` (en-US's
    where the locale has none), built once per file and process."""
    path = model_path(Path(model_dir), locale)
    if not path.is_file():
        raise ModelError(f"{path}: no interaction model for {locale} nor for the default")
    return _resolver_for_file(path.resolve())
