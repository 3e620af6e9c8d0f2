"""A small phrase language, written by people and read by two machines.

The triage rules (``content/triage/*.yaml``) and the interaction-model grammar
(``interaction_model/grammar/*.yaml``) are written in it, so a clinician and a developer read
one notation:

    (kill|hurt) myself           alternatives
    want to die [now]            optional words
    took ... too many            up to three words of anything (triage only)
    i am <50-120>                a whole number in a range (triage only)
    can {trigger} cause ~a_migraine   a slot, and a named group defined once (grammar only)

``parse`` turns a phrase into a small tree; ``to_regex`` compiles a tree for matching text in
the normal form of ``skill.text``; ``expand`` (in the grammar tool) lists every sentence a tree
stands for. Parsing is strict: a phrase that cannot be read raises ``PhraseError`` with the
reason, which the content check reports with the file and key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from skill.text import normalise

#: How many words ``...`` may stand for.
GAP_WORDS = 3
_TOKEN = re.compile(r"\s*(\.\.\.|<\d+-\d+>|\{\w+\}|~\w+|[()\[\]|]|[^\s()\[\]|{}<>~]+)")


class PhraseError(ValueError):
    """A phrase that cannot be read; the message says why."""


class Word(NamedTuple):
    text: str


class Gap(NamedTuple):
    words: int = GAP_WORDS


class Number(NamedTuple):
    low: int
    high: int


class Slot(NamedTuple):
    name: str


class Ref(NamedTuple):
    name: str


class Seq(NamedTuple):
    items: tuple[Node, ...]


class Alt(NamedTuple):
    options: tuple[Seq, ...]
    optional: bool = False


Node = Word | Gap | Number | Slot | Ref | Seq | Alt


def tokens(phrase: str) -> list[str]:
    found: list[str] = []
    position = 0
    text = phrase.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or not match.group(1):
            raise PhraseError(f"cannot read {text[position:]!r}")
        found.append(match.group(1))
        position = match.end()
    return found


def parse(phrase: str, *, normal_form: bool = True) -> Seq:
    """The tree of ``phrase``; raises ``PhraseError`` if it is malformed or empty.

    ``normal_form`` reads words as the triage does ("i'm" -> "i am", "fifty" -> "50");
    the grammar keeps them as written, because Alexa's samples must be words as spoken.
    """
    reader = _Reader(tokens(phrase), normal_form=normal_form)
    tree = reader.sequence(closing=frozenset())
    if reader.position != len(reader.items):
        raise PhraseError(f"unexpected {reader.items[reader.position]!r}")
    if not tree.items:
        raise PhraseError("is empty")
    return tree


class _Reader:
    def __init__(self, items: list[str], *, normal_form: bool) -> None:
        self.items = items
        self.position = 0
        self.normal_form = normal_form

    def peek(self) -> str | None:
        return self.items[self.position] if self.position < len(self.items) else None

    def sequence(self, closing: frozenset[str]) -> Seq:
        nodes: list[Node] = []
        while (piece := self.peek()) is not None and piece not in closing and piece != "|":
            self.position += 1
            if piece in {"(", "["}:
                nodes.append(self.group(")" if piece == "(" else "]"))
            elif piece in {")", "]"}:
                raise PhraseError(f"{piece!r} closes nothing")
            elif piece == "...":
                nodes.append(Gap())
            elif piece.startswith("<"):
                low, high = (int(part) for part in piece[1:-1].split("-"))
                if low > high:
                    raise PhraseError(f"{piece}: the range runs backwards")
                nodes.append(Number(low, high))
            elif piece.startswith("{"):
                nodes.append(Slot(piece[1:-1]))
            elif piece.startswith("~"):
                nodes.append(Ref(piece[1:]))
            else:
                spelled = normalise(piece).split() if self.normal_form else [piece.lower()]
                if not spelled:
                    raise PhraseError(f"{piece!r} is not a word; write optional words in [ ]")
                nodes.extend(Word(word) for word in spelled)
        return Seq(tuple(nodes))

    def group(self, closer: str) -> Alt:
        options = [self.sequence(closing=frozenset({closer}))]
        while self.peek() == "|":
            self.position += 1
            options.append(self.sequence(closing=frozenset({closer})))
        if self.peek() != closer:
            raise PhraseError(f"a group is not closed with {closer!r}")
        self.position += 1
        optional = closer == "]"
        if not optional and any(not option.items for option in options):
            raise PhraseError("an alternative is empty; use [ ] for optional words")
        return Alt(tuple(options), optional=optional)


# --------------------------------------------------------------------------- matching


def to_regex(tree: Node) -> str:
    """A regular expression for text in normal form with a space after every word.

    Matching text must be written as ``" " + normalise(text) + " "`` and searched with the
    pattern preceded by ``(?<= )``; every word the pattern consumes ends with its space.
    """
    if isinstance(tree, Word):
        return re.escape(tree.text) + " "
    if isinstance(tree, Gap):
        return rf"(?:\S+ ){{0,{tree.words}}}"
    if isinstance(tree, Number):
        return f"(?:{number_range(tree.low, tree.high)}) "
    if isinstance(tree, Seq):
        return "".join(to_regex(item) for item in tree.items)
    if isinstance(tree, Alt):
        body = "|".join(to_regex(option) for option in tree.options)
        return f"(?:{body}){'?' if tree.optional else ''}"
    raise PhraseError(f"{type(tree).__name__.lower()}s belong in the grammar, not in rules")


def number_range(low: int, high: int) -> str:
    """A compact regular expression for the whole numbers ``low`` to ``high``.

    ``8-500`` becomes ``[89]|[1-9]\\d|[1-4]\\d\\d|500`` rather than 493 alternatives, which
    would cost tens of milliseconds to compile.
    """
    patterns: list[str] = []
    start = low
    for stop in _range_stops(low, high):
        patterns.append(_range_pattern(start, stop))
        start = stop + 1
    return "|".join(patterns)


def _range_stops(low: int, high: int) -> list[int]:
    """Where the range splits into runs that each differ only in their last digits."""
    stops = {high}
    width = len(str(high))
    for nines in range(1, width + 1):  # 8 -> 9, 99, ...: ends of runs counted up from low
        head = str(low)[:-nines] if nines < len(str(low)) else ""
        stop = int(head + "9" * nines)
        if low <= stop < high:
            stops.add(stop)
    for zeros in range(1, width + 1):  # 500 -> 499, 399, ...: ends of runs down to high
        stop = (high + 1) // 10**zeros * 10**zeros - 1
        if low < stop <= high:
            stops.add(stop)
    return sorted(stops)


def _range_pattern(start: int, stop: int) -> str:
    first, last = str(start), str(stop)
    pattern, digits = "", 0
    for a, b in zip(first.rjust(len(last), "0"), last, strict=True):
        if a == b:
            pattern += a
        elif a == "0" and b == "9":
            digits += 1
        else:
            pattern += f"[{a}-{b}]"
    return pattern + ("\\d" * digits if digits else "")


def walk(tree: Node, visit: Callable[[Node], None]) -> None:
    """Call ``visit`` on every node of ``tree``, parents first."""
    visit(tree)
    if isinstance(tree, Seq):
        for item in tree.items:
            walk(item, visit)
    elif isinstance(tree, Alt):
        for option in tree.options:
            walk(option, visit)
