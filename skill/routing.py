"""Which topic open words ask about, when no sample of the model matched them.

People ask the same thing in more ways than any list of samples holds. Words that match
no sample but open with a question word or a statement carrier ("why ...", "my mum ...")
reach the skill whole, in an ``AMAZON.SearchQuery`` slot; after triage (always first),
this finds the topic they ask about.

Each intent's terms (word stems, and pairs of neighbouring stems) are weighted by how many
of its samples use them and how few other intents do: TF-IDF over the expanded grammar,
written by ``python -m skill model`` to ``interaction_model/routing/<locale>.json``. The
words are scored against every intent; a weak best, or one too close to the runner-up, is
no answer, because "I'm not sure I understood" is better than the wrong topic.

Stems come from the Snowball English stemmer (``snowballstemmer``), imported the first
time words are routed: its package loads every language (about 17 ms), which a cold
start should not pay for.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from skill.text import normalise

logger = logging.getLogger(__name__)

ROUTING_DIR = "routing"
FORMAT = 1
#: The least score that names a topic, and how far ahead of the runner-up it must be.
MIN_SCORE = 1.0
MIN_LEAD = 0.1
#: Words that say nothing about which topic is meant. Question words stay: "why" asks
#: about causes, "when" about seeing a doctor, "how long" about the phases of an attack.
_STOP_WORDS = """
    a an the and or but of to in on at for with from by about as into than then so i me my
    mine myself you your yours we us our they them their he him his she her it its this that
    these those there here is are am was were be been being do does did done have has had
    having will would could can may might must shall just really very quite also too please
    kindly um uh ok okay like well oh hey alexa tell know say said any some thing things
    something get got getting
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


class TopicIndex(NamedTuple):
    """Every routable intent's term weights."""

    weights: Mapping[str, Mapping[str, float]]  # intent -> term -> weight

    def rank(self, words: str, bonus: Mapping[str, float] | None = None) -> list[tuple[float, str]]:
        """Every intent's score for ``words``, best first (``bonus`` adds to an intent)."""
        found = set(terms(words))
        extra = bonus or {}
        scores = [
            (sum(weights.get(term, 0.0) for term in found) + extra.get(intent, 0.0), intent)
            for intent, weights in self.weights.items()
        ]
        return sorted(scores, reverse=True)

    def best(self, words: str, bonus: Mapping[str, float] | None = None) -> str | None:
        """The intent ``words`` ask for, or None when no intent is clearly ahead."""
        ranked = self.rank(words, bonus)
        if not ranked:
            return None
        top, intent = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if top < MIN_SCORE or top - runner_up < MIN_LEAD:
            return None
        return intent


EMPTY = TopicIndex({})


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    import snowballstemmer  # see the module docstring: only when words are routed

    # a vocabulary is a few thousand words, each stemmed once (building an index stems
    # some 300,000 words)
    stem: Callable[[str], str] = lru_cache(maxsize=8192)(
        snowballstemmer.stemmer("english").stemWord
    )
    return stem


def terms(text: str) -> list[str]:
    """The stems of the words that can say which topic is meant, and neighbouring pairs."""
    stem = _stemmer()
    stems = [stem(word) for word in re.findall(r"[a-z0-9]+", normalise(text))]
    kept = [s for s in stems if s not in _stop_stems()]
    return kept + [f"{a} {b}" for a, b in itertools.pairwise(kept)]


@lru_cache(maxsize=1)
def _stop_stems() -> frozenset[str]:
    stem = _stemmer()
    return frozenset({*STOP_WORDS, *(stem(word) for word in STOP_WORDS)})


# -- the index, built from an expanded model


def index_from_model(model: Mapping[str, Any], routable: Iterable[str]) -> dict[str, Any]:
    """The routing index of an ASK model: weights of the ``routable`` intents' terms.

    An intent's document is its samples (slot references removed) and its slot types'
    values and synonyms. A term's weight in an intent is its inverse document frequency
    across intents, scaled by how many of the intent's samples use it on a log scale
    (``(1 + ln n) / (1 + ln samples)``): an expanded grammar repeats a template's words
    many times over, and a linear count would let the biggest templates drown the rest.
    """
    language = model["interactionModel"]["languageModel"]
    types = {t["name"]: t for t in language.get("types", [])}
    wanted = set(routable)
    documents: dict[str, Counter[str]] = {}
    sizes: dict[str, int] = {}
    for intent in language["intents"]:
        name = intent["name"]
        if name not in wanted:
            continue
        counts: Counter[str] = Counter()
        texts = [re.sub(r"\{\w+\}", " ", sample) for sample in intent.get("samples", [])]
        for slot in intent.get("slots", []):
            for value in types.get(slot["type"], {}).get("values", []):
                texts += [value["name"]["value"], *value["name"].get("synonyms", [])]
        for text in texts:
            counts.update(set(terms(text)))
        documents[name], sizes[name] = counts, max(len(texts), 1)
    spread = Counter(term for counts in documents.values() for term in counts)
    total = len(documents)
    weights = {
        name: {
            term: round(
                math.log(total / spread[term])
                * (1 + math.log(count))
                / (1 + math.log(sizes[name])),
                4,
            )
            for term, count in sorted(counts.items())
            if spread[term] < total
        }
        for name, counts in sorted(documents.items())
    }
    return {"format": FORMAT, "intents": weights}


def index_text(index: Mapping[str, Any]) -> str:
    """The committed form of an index: stable JSON, one intent per line."""
    lines = ",\n".join(
        f"  {json.dumps(name)}: {json.dumps(weights, sort_keys=True)}"
        for name, weights in index["intents"].items()
    )
    return f'{{"format": {index["format"]}, "intents": {{\n{lines}\n}}}}\n'


def index_path(model_dir: Path, locale: str) -> Path:
    return model_dir / ROUTING_DIR / f"{locale}.json"


@lru_cache(maxsize=8)
def load_index(path: Path) -> TopicIndex:
    """One locale's index; an unreadable one routes nothing (and says so once)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError("another format")
        return TopicIndex(document["intents"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.error("routing index unreadable: %s (%s)", path.name, type(error).__name__)
        return EMPTY
