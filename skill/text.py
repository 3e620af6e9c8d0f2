"""How the skill reads words: one normal form for triage, routing and the console's matcher.

Alexa hands over what it heard as lower-case words ("i'm", "seventy two hours"); a developer
types anything ("I\u2019m 62!!"). Both are brought to the same form here, and so are the phrases
the content's rules are written in, so that a rule written "i'm over fifty" matches "I am
over 50" and the other way round:

* lower case, typographic quotes straightened, every other mark a space;
* contractions spelled out ("i'm" -> "i am", "can't" -> "cannot", "wanna" -> "want to"),
  a possessive's "'s" dropped ("my son's pills" -> "my son pills"), and the ways of saying
  "cannot" made one ("not able to", "unable to" -> "cannot");
* numbers as digits ("seventy two" -> "72"); digits said one by one join up ("nine one
  one" -> "911", "one one two" -> "112"), as a phone number is heard.

Pure functions, no I/O; cheap enough for every request that carries words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

#: Longest text read; nobody says more in one breath, and it bounds the work on junk.
MAX_CHARS = 500

_CONTRACTIONS = {
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'll": "i will",
    "i'd": "i would",
    "you're": "you are",
    "you've": "you have",
    "we're": "we are",
    "they're": "they are",
    "he's": "he is",
    "she's": "she is",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "where's": "where is",
    "there's": "there is",
    "who's": "who is",
    "how's": "how is",
    "let's": "let us",
    "can't": "cannot",
    "cant": "cannot",
    "won't": "will not",
    "wont": "will not",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hadn't": "had not",
    "couldn't": "could not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "ain't": "is not",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "kinda": "kind of",
    "dunno": "do not know",
}

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_EDGE_QUOTES = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])")


#: Phrasings of one idea that become one form (applied to the words, longest first).
_PHRASES = {
    ("not", "able", "to"): ("cannot",),
    ("unable", "to"): ("cannot",),
    ("can", "not"): ("cannot",),
}


def words(text: str) -> list[str]:
    """The words of ``text`` in normal form (see the module docstring)."""
    return _numbers_as_digits(_one_form(list(_spelled_out(_plain(text)))))


def _one_form(tokens: list[str]) -> Iterator[str]:
    position = 0
    while position < len(tokens):
        for phrase, replacement in _PHRASES.items():
            if tuple(tokens[position : position + len(phrase)]) == phrase:
                yield from replacement
                position += len(phrase)
                break
        else:
            yield tokens[position]
            position += 1


def normalise(text: str) -> str:
    """``text`` in normal form, as one string of single-spaced words."""
    return _normalise_cached(text[:MAX_CHARS])


@lru_cache(maxsize=4096)
def _normalise_cached(text: str) -> str:
    return " ".join(words(text))


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_QUOTES).lower()
    return _EDGE_QUOTES.sub(" ", _NOT_WORD.sub(" ", folded))


def _spelled_out(text: str) -> Iterator[str]:
    for word in text.split():
        expanded = _CONTRACTIONS.get(word)
        if expanded is not None:
            yield from expanded.split()
        elif word.endswith("'s"):  # a possessive, or "my head's (= is) banging": the word
            yield word[:-2]
        else:
            yield word.replace("'", "")


def _numbers_as_digits(tokens: Iterator[str]) -> list[str]:
    """Number words become digits: "seventy two" -> "72", "nine one one" -> "911"."""
    result: list[str] = []
    tens: int | None = None  # "seventy", waiting to see whether a unit follows
    joinable = False  # the last word out is a digit that was said as a word
    for token in tokens:
        unit = _UNITS.get(token)
        if tens is not None:
            if unit is not None and 0 < unit < 10:
                result.append(str(tens + unit))
                tens, joinable = None, False
                continue
            result.append(str(tens))
            tens, joinable = None, False
        if token in _TENS:
            tens = _TENS[token]
        elif unit is None:
            result.append(token)
            joinable = False
        elif unit < 10 and joinable:
            result[-1] += str(unit)
        else:
            result.append(str(unit))
            joinable = unit < 10
    if tens is not None:
        result.append(str(tens))
    return result
