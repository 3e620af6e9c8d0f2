"""Triage: what a person told us, sorted by how urgently they need help, before any topic.

Every text the skill receives (a slot value, a statement, the words behind a red-flag slot)
is read here first. The rules are content, not code: ``content/triage/<locale>.yaml`` lists
*signals* (phrases that mean one thing, such as ``stiff_neck``) and *rules* (read top to
bottom, the first that holds decides):

    - id: meningitis_signs
      level: call_now
      when: fever and (stiff_neck or rash)
      answer: call_now

``when`` is a small expression over signals: ``and``, ``or``, ``not``, parentheses and
``2 of (a, b, c)``. A phrase preceded closely by "no", "not", "never" or "without" (in the same
clause) does not count, unless its signal says ``negatable: false``, as the crisis and
poisoning signals do: missing them costs more than a gentle word too many. Combinations of
two dangers come first; every unsafe rule comes before every ordinary one, so that no topic
rule can shadow a safety rule.

Pure Python with no I/O: the rules are compiled once per locale, the first time a text needs
them, and a verdict costs tens of microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from skill.verdicts import UNKNOWN, LazyRules, Level, Verdict

__all__ = ["UNKNOWN", "LazyRules", "Level", "TriageRules", "Verdict", "compile_rules"]


#: Words that cancel a negatable signal when they come shortly before it.
NEGATORS = frozenset({"no", "not", "never", "without", "nor", "none", "denies"})
#: Words after which an earlier negator no longer applies ("no fever but my neck is stiff").
CLAUSE_BREAKS = frozenset({"but", "and", "although", "though", "however", "except", "yet"})
NEGATION_REACH = 3  # words


class Signal(NamedTuple):
    name: str
    pattern: re.Pattern[str]
    negatable: bool
    lasting: bool = False  # a state that stays true in a conversation ("pregnant", "a fever")


class Rule(NamedTuple):
    id: str
    level: Level
    holds: Callable[[frozenset[str]], bool]
    answer: str | None
    topic: str | None


class TriageRules:
    """One locale's compiled signals and rules."""

    def __init__(self, signals: Iterable[Signal], rules: Iterable[Rule]) -> None:
        self.signals = tuple(signals)
        self.rules = tuple(rules)
        #: Signals worth remembering in a conversation: states of the person, never the
        #: parts of a relation ("a child" and "swallowed" must be said together).
        self.lasting = frozenset(signal.name for signal in self.signals if signal.lasting)

    def signals_in(self, text: str) -> frozenset[str]:
        """The signals ``text`` carries (negated ones left out)."""
        from skill.text import normalise  # loaded with the rules, never at cold start

        normal = normalise(text)
        if not normal:
            return frozenset()
        haystack = f" {normal} "
        found = set()
        for signal in self.signals:
            for match in signal.pattern.finditer(haystack):
                if not signal.negatable or not _negated(haystack, match.start()):
                    found.add(signal.name)
                    break
        return frozenset(found)

    def assess(self, text: str) -> Verdict:
        """The verdict for one text: the first rule that holds, else ordinary or unknown."""
        return self.decide(self.signals_in(text))

    def decide(self, signals: frozenset[str]) -> Verdict:
        """The verdict on signals: the first rule that holds, else ordinary or unknown."""
        if not signals:
            return UNKNOWN
        for rule in self.rules:
            if rule.holds(signals):
                return Verdict(rule.level, rule.id, rule.answer, rule.topic, signals)
        return Verdict(Level.ORDINARY, signals=signals)

    def assess_all(self, texts: Iterable[str], *, heard: frozenset[str] = frozenset()) -> Verdict:
        """The most urgent verdict over several texts, and over all of them said together.

        ``heard``: signals from earlier in the conversation ("my face is numb", then "it's only
        on one side"); only ``lasting`` ones count. Weighed with the texts, they may only make
        the verdict more urgent: an unsafe verdict, never a repeat of an earlier cautious answer.
        """
        heard &= self.lasting
        texts = [text for text in texts if text and text.strip()]
        if not texts:
            return UNKNOWN
        verdicts = [self.assess(text) for text in texts]
        together = verdicts[0].signals
        if len(texts) > 1:
            together = self.signals_in(" and ".join(texts))
            verdicts.append(self.decide(together))
        if heard:
            with_earlier = self.decide(together | heard)
            if with_earlier.unsafe:
                verdicts.append(with_earlier)
        return min(verdicts, key=lambda verdict: verdict.level.severity)


def _negated(haystack: str, start: int) -> bool:
    before = haystack[:start].split()[-NEGATION_REACH:]
    for word in reversed(before):
        if word in CLAUSE_BREAKS:
            return False
        if word in NEGATORS:
            return True
    return False


# --------------------------------------------------------------------------- the rules file


class RulesError(ValueError):
    """The triage rules are broken; ``problems`` lists each as ``"key: what is wrong"``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("triage rule problems:\n" + "\n".join(f"- {p}" for p in problems))


def compile_rules(document: Mapping[str, Any]) -> TriageRules:
    """Compile a merged triage document; raises ``RulesError`` naming every problem.

    The phrase compiler is imported here, the first time words need triage: a cold start
    that answers "what triggers migraines" never loads it.
    """
    problems: list[str] = []
    signals_node = document.get("signals")
    rules_node = document.get("rules")
    if not isinstance(signals_node, Mapping) or not signals_node:
        problems.append("signals: must map signal names to their phrases")
        signals_node = {}
    if not isinstance(rules_node, list) or not rules_node:
        problems.append("rules: must be a list of rules, most urgent first")
        rules_node = []
    signals = [
        signal
        for name, node in signals_node.items()
        if (signal := _compile_signal(str(name), node, problems)) is not None
    ]
    known = frozenset(signal.name for signal in signals) | frozenset(map(str, signals_node))
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, node in enumerate(rules_node):
        rule = _compile_rule(index, node, known, problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(f"rules[{index}]: id {rule.id!r} is used twice")
        seen.add(rule.id)
        if rule.level.unsafe and rules and not rules[-1].level.unsafe:
            problems.append(
                f"rules[{index}] ({rule.id}): a {rule.level} rule must come before every "
                "ordinary rule (the first rule that holds decides)"
            )
        rules.append(rule)
    if problems:
        raise RulesError(problems)
    return TriageRules(signals, rules)


def _compile_signal(name: str, node: object, problems: list[str]) -> Signal | None:
    from skill.phrases import PhraseError, parse, to_regex

    where = f"signals.{name}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        problems.append(f"{where}: a signal name is lower_case_with_underscores")
    if not isinstance(node, Mapping):
        problems.append(
            f"{where}: must have `means` and `phrases` (`local_phrases`, `negatable`, `lasting`)"
        )
        return None
    if not isinstance(node.get("means"), str) or not node["means"].strip():
        problems.append(f"{where}.means: say in plain words what this signal stands for")
    phrases = node.get("phrases")
    local = node.get("local_phrases", [])
    if not isinstance(phrases, list) or not phrases:
        problems.append(f"{where}.phrases: must be a list of phrases")
        return None
    if not isinstance(local, list):
        problems.append(f"{where}.local_phrases: must be a list of phrases")
        local = []
    phrases = [*phrases, *local]
    negatable = node.get("negatable", True)
    if not isinstance(negatable, bool):
        problems.append(f"{where}.negatable: must be true or false")
        negatable = True
    lasting = node.get("lasting", False)
    if not isinstance(lasting, bool):
        problems.append(f"{where}.lasting: must be true or false")
        lasting = False
    compiled: list[str] = []
    for index, phrase in enumerate(phrases):
        try:
            compiled.append(to_regex(parse(str(phrase))))
        except PhraseError as error:
            problems.append(f"{where}.phrases[{index}] {phrase!r}: {error}")
    if not compiled:
        return None
    return Signal(name, re.compile("(?<= )(?:" + "|".join(compiled) + ")"), negatable, lasting)


def _compile_rule(
    index: int, node: object, known: frozenset[str], problems: list[str]
) -> Rule | None:
    where = f"rules[{index}]"
    if not isinstance(node, Mapping):
        problems.append(f"{where}: must be a mapping with id, level and when")
        return None
    rule_id = node.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        problems.append(f"{where}.id: every rule needs an id")
        rule_id = f"rule{index}"
    where = f"{where} ({rule_id})"
    try:
        level = Level(str(node.get("level")))
    except ValueError:
        problems.append(f"{where}.level: must be one of {', '.join(Level)}")
        return None
    if level is Level.UNKNOWN:
        problems.append(f"{where}.level: unknown is what no rule decides; it has no rules")
    answer, topic = node.get("answer"), node.get("topic")
    if level.unsafe and not isinstance(answer, str):
        problems.append(f"{where}.answer: an {level} rule must name its safety answer")
    if answer is not None and not isinstance(answer, str):
        problems.append(f"{where}.answer: must be a safety answer's key")
    if topic is not None and (not isinstance(topic, str) or level.unsafe):
        problems.append(f"{where}.topic: only ordinary rules route to a topic")
    sources = node.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        problems.append(f"{where}.sources: must be a list of source ids")
    if level.unsafe and not sources:
        problems.append(f"{where}.sources: an {level} rule must say what it rests on")
    when = node.get("when")
    try:
        holds = parse_condition(str(when), known) if isinstance(when, str) else None
    except ConditionError as error:
        problems.append(f"{where}.when {when!r}: {error}")
        return None
    if holds is None:
        problems.append(f"{where}.when: must be a condition such as 'fever and stiff_neck'")
        return None
    return Rule(
        rule_id,
        level,
        holds,
        answer if isinstance(answer, str) else None,
        topic if isinstance(topic, str) else None,
    )


# --------------------------------------------------------------------------- conditions


class ConditionError(ValueError):
    """A ``when`` that cannot be read."""


_CONDITION_TOKEN = re.compile(r"\s*([(),]|\w+)")
Condition = Callable[[frozenset[str]], bool]


def parse_condition(text: str, known: frozenset[str]) -> Condition:
    """``fever and (stiff_neck or rash)``, ``not x``, ``2 of (a, b, c)`` -> a predicate."""
    found = _CONDITION_TOKEN.findall(text)
    if "".join(found) != "".join(text.split()):
        raise ConditionError("only signal names, and/or/not, parentheses and 'N of (...)'")
    reader = _ConditionReader([token.lower() for token in found], known)
    condition = reader.any_of()
    if reader.position != len(reader.items):
        raise ConditionError(f"unexpected {reader.items[reader.position]!r}")
    return condition


class _ConditionReader:
    def __init__(self, items: list[str], known: frozenset[str]) -> None:
        self.items, self.known, self.position = items, known, 0

    def take(self, expected: str | None = None) -> str:
        if self.position >= len(self.items):
            raise ConditionError("ends too soon")
        token = self.items[self.position]
        if expected is not None and token != expected:
            raise ConditionError(f"expected {expected!r}, found {token!r}")
        self.position += 1
        return token

    def peek(self) -> str | None:
        return self.items[self.position] if self.position < len(self.items) else None

    def any_of(self) -> Condition:
        terms = [self.all_of()]
        while self.peek() == "or":
            self.take()
            terms.append(self.all_of())
        return terms[0] if len(terms) == 1 else lambda seen: any(term(seen) for term in terms)

    def all_of(self) -> Condition:
        factors = [self.factor()]
        while self.peek() == "and":
            self.take()
            factors.append(self.factor())
        if len(factors) == 1:
            return factors[0]
        return lambda seen: all(factor(seen) for factor in factors)

    def factor(self) -> Condition:
        word = self.take()
        if word == "not":
            inner = self.factor()
            return lambda seen: not inner(seen)
        if word == "(":
            inner = self.any_of()
            self.take(")")
            return inner
        if word.isdigit():
            return self.count(int(word))
        if word in {"and", "or", ")", ","}:
            raise ConditionError(f"unexpected {word!r}")
        if word not in self.known:
            raise ConditionError(f"no signal is called {word!r}")
        return lambda seen: word in seen

    def count(self, needed: int) -> Condition:
        self.take("of")
        self.take("(")
        names = [self.name()]
        while self.peek() == ",":
            self.take()
            names.append(self.name())
        self.take(")")
        if not 0 < needed <= len(names):
            raise ConditionError(f"{needed} of {len(names)} signals can never hold")
        pool = frozenset(names)
        return lambda seen: len(pool & seen) >= needed

    def name(self) -> str:
        token = self.take()
        if token not in self.known:
            raise ConditionError(f"no signal is called {token!r}")
        return token
