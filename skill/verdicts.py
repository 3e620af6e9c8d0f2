"""What triage decides, as the rest of the skill sees it: a level and a verdict.

The rules engine (``skill/triage.py``) is imported only when a text is first triaged; a
cold start that answers a launch or a topic never loads it, nor compiles any rule.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from skill.triage import TriageRules


class Level(enum.StrEnum):
    """How urgent, most urgent first."""

    CRISIS = "crisis"  # thoughts of suicide or self-harm
    POISONING = "poisoning"  # overdose, too many pills, a child swallowed medicine
    CALL_NOW = "call_now"  # red flags; a request for an ambulance or for us to call
    URGENT = "urgent"  # see a doctor, midwife or urgent line now or today
    ORDINARY = "ordinary"  # a migraine symptom or question: a topic answers
    UNKNOWN = "unknown"  # nothing the rules recognise

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def unsafe(self) -> bool:
        """A level that no topic may answer: a safety answer comes first."""
        return self.severity <= _SEVERITY[Level.URGENT]


_SEVERITY = {level: rank for rank, level in enumerate(Level)}


class Verdict(NamedTuple):
    """What triage decided, and why (the rule and the signals it saw)."""

    level: Level
    rule: str | None = None
    answer: str | None = None  # a safety answer's key, for unsafe and cautionary rules
    topic: str | None = None  # "symptoms" or "symptoms/nausea", for ordinary rules
    signals: frozenset[str] = frozenset()

    @property
    def unsafe(self) -> bool:
        return self.level.unsafe


UNKNOWN = Verdict(Level.UNKNOWN)


class LazyRules:
    """A locale's triage rules, compiled the first time a text needs them.

    Most requests carry no words to triage, so a cold start never pays for the regular
    expressions; ``check`` compiles every locale's rules up front.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._compiled: TriageRules | None = None

    @property
    def compiled(self) -> TriageRules:
        if self._compiled is None:
            from skill.triage import compile_rules  # the engine: only when words arrive

            self._compiled = compile_rules(self.document)
        return self._compiled

    def assess(self, text: str) -> Verdict:
        return self.compiled.assess(text)

    def lasting_of(self, signals: frozenset[str]) -> frozenset[str]:
        """Those of ``signals`` worth remembering in a conversation."""
        return signals & self.compiled.lasting

    def assess_all(self, texts: Iterable[str], *, heard: frozenset[str] = frozenset()) -> Verdict:
        return self.compiled.assess_all(texts, heard=heard)
