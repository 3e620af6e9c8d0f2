"""The emulator harness: virtual-alexa resolving phrasings, the Lambda entry answering them.

``LambdaBridge`` serves ``skill.app.handle_event`` (the Lambda handler's one line of logic)
on loopback for virtual-alexa to post to, and keeps the log line of every request it
answers: the topic, item and safety level, which is how a score knows what a person heard.
``score`` compares each phrasing's expected intent (and slot value) with what the emulator
understood and what the skill answered.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from skill.app import build_skill, handle_event
from skill.content import Content, ContentLibrary
from skill.metrics import RequestRecorder
from skill.settings import PROJECT_DIR, Settings
from skill.speech import ssml_to_text

SCRIPT = PROJECT_DIR / "tests" / "support" / "emulator.js"
PHRASINGS_DIR = PROJECT_DIR / "tests" / "phrasings"
SAFETY_DIR = PROJECT_DIR / "tests" / "safety"
#: Built-in intents that answer the same way, so either counts as understood.
SAME_OUTCOME = (
    frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent"}),
    frozenset({"AMAZON.MoreIntent", "AMAZON.NextIntent"}),
    frozenset({"AMAZON.NavigateHomeIntent", "AMAZON.StartOverIntent"}),
)


#: Intents answered with a message rather than a topic: how a routed request is recognised.
ROUTED_BY_MESSAGE = {"WhisperIntent": "whisper_on", "NormalVoiceIntent": "whisper_off"}


def model_path(locale: str) -> Path:
    return PROJECT_DIR / "interaction_model" / "interactionModels" / "custom" / f"{locale}.json"


class _Lines:
    """The per-request line written while answering the current request, by thread."""

    def __init__(self) -> None:
        self.current = threading.local()

    def sink(self, line: str) -> None:
        self.current.line = {k: json.loads(line).get(k) for k in ("topic", "item", "safety")}


@contextmanager
def lambda_bridge(settings: Settings, library: ContentLibrary) -> Iterator[str]:
    """A loopback URL answering through the Lambda entry.

    Each response carries, beside the envelope, ``_record``: what the skill's own request
    line said about it (topic, item, safety level), so a score can tell what a person heard.
    """
    lines = _Lines()
    skill = build_skill(settings, library, recorder=RequestRecorder(lines.sink))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            event = json.loads(self.rfile.read(length))
            lines.current.line = None
            envelope = handle_event(event, None, skill=skill, settings=settings)
            body = json.dumps({**envelope, "_record": lines.current.line}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def emulate(
    url: str,
    conversations: Sequence[Sequence[str]],
    *,
    locale: str = "en-US",
    apart: bool = False,
) -> list[list[dict[str, Any]]]:
    """Each conversation's turns as virtual-alexa resolved and the skill answered them;
    ``apart``: each turn in a session of its own."""
    node = shutil.which("node")
    assert node is not None, "node is needed: run `make setup`"
    completed = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(
            {
                "url": url,
                "model": str(model_path(locale)),
                "locale": locale,
                "conversations": [list(c) for c in conversations],
                "apart": apart,
            }
        ),
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=True,
        timeout=600,
    )
    results: list[list[dict[str, Any]]] = json.loads(completed.stdout)
    for turns in results:
        for turn in turns:
            assert "error" not in turn, turn
            turn["text"] = ssml_to_text(turn["ssml"]) if turn["ssml"] else ""
    return results


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Phrasing:
    """One line of a phrasing file (NLU.DevOps generic utterances) or a safety file."""

    text: str
    intent: str | None = None  # expected intent (phrasing sets)
    slot: str | None = None
    value: str | None = None  # expected slot value id
    safety: str | None = None  # expected triage class (safety sets)
    conditional: bool = False


def load_phrasings(path: Path) -> list[Phrasing]:
    """A phrasing set: ``[{"text", "intent", "entities": [{"entity", "entityValue"}]}]``."""
    found = []
    for entry in json.loads(path.read_text(encoding="utf-8")):
        entities = entry.get("entities") or [{}]
        found.append(
            Phrasing(
                text=entry["text"],
                intent=entry["intent"],
                slot=entities[0].get("entity"),
                value=entities[0].get("entityValue"),
            )
        )
    return found


def load_safety(path: Path) -> list[Phrasing]:
    """A safety set: ``[{"text", "class", "conditional"?}]``."""
    return [
        Phrasing(text=e["text"], safety=e["class"], conditional=e.get("conditional") is True)
        for e in json.loads(path.read_text(encoding="utf-8"))
    ]


@dataclass
class Score:
    """Per-group results: how many understood, and what each miss became."""

    totals: Counter[str] = field(default_factory=Counter)
    understood: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, group: str, ok: bool, miss: str) -> None:
        self.totals[group] += 1
        if ok:
            self.understood[group] += 1
        else:
            self.misses[group].append(miss)

    @property
    def accuracy(self) -> float:
        total = sum(self.totals.values())
        return sum(self.understood.values()) / total if total else 1.0

    def of(self, group: str) -> float:
        return self.understood[group] / self.totals[group] if self.totals[group] else 1.0

    def report(self, title: str) -> str:
        total = sum(self.totals.values())
        lines = [
            f"{title}: {sum(self.understood.values())}/{total} understood ({self.accuracy:.1%})"
        ]
        for group in sorted(self.totals):
            understood, total = self.understood[group], self.totals[group]
            lines.append(f"  {group:32} {understood:4}/{total:<4} {self.of(group):6.1%}")
            for miss in self.misses.get(group, [])[:12]:
                lines.append(f"      miss: {miss}")
            if len(self.misses.get(group, [])) > 12:
                lines.append(f"      ... and {len(self.misses[group]) - 12} more")
        return "\n".join(lines)


def understood(
    phrasing: Phrasing, turn: Mapping[str, Any], record: Mapping[str, Any], content: Content
) -> bool:
    """Did the person get what they asked for?"""
    if phrasing.safety is not None:
        level = record.get("safety")
        if phrasing.safety == "ordinary":  # not over-triaged; a condition gets its caution
            caution = str(record.get("topic") or "").startswith("caution_")
            return level in {None, "ordinary"} and (caution or not phrasing.conditional)
        return level == phrasing.safety
    intent = str(turn["intent"])
    expected = str(phrasing.intent)
    slot = (turn.get("slots") or {}).get(phrasing.slot or "", {}) if phrasing.slot else {}
    if intent == expected and (phrasing.value is None or slot.get("id") == phrasing.value):
        return True
    if any(intent in same and expected in same for same in SAME_OUTCOME):
        return True
    # routed there from open words: what the skill answered, or said
    if expected in ROUTED_BY_MESSAGE:
        return content.messages[ROUTED_BY_MESSAGE[expected]] in str(turn.get("text") or "")
    if expected == "EmergencyCheckIntent":
        return record.get("topic") == "emergency_check" and not record.get("safety")
    topic = content.topic_for_intent(expected)
    return (
        topic is not None
        and record.get("topic") == topic.key
        and (phrasing.value is None or record.get("item") == phrasing.value)
    )


def describe(turn: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    slots = ",".join(
        f"{k}={v.get('id') or v.get('value')}" for k, v in (turn.get("slots") or {}).items()
    )
    answered = record.get("safety") or record.get("topic") or "-"
    understood = f"{turn['intent']}({slots})" if slots else str(turn["intent"])
    return f"{turn['utterance']!r} -> {understood} answered {answered}"


class Emulator:
    """One emulator pass per locale over every text any test asks about, shared by them all.

    The texts of a locale share one emulator (it builds its matcher once per locale), each
    in a session of its own: the skill weighs a text with what came before in a session
    (a cautious answer's signals, the subject "it" points back to), and these are separate
    people.
    """

    def __init__(self, url: str, texts_by_locale: Mapping[str, Sequence[str]]) -> None:
        self._url = url
        self._texts = texts_by_locale
        self._turns: dict[str, dict[str, dict[str, Any]]] = {}

    def turns(self, locale: str) -> Mapping[str, dict[str, Any]]:
        if locale not in self._turns:
            texts = list(dict.fromkeys(self._texts[locale]))
            [turns] = emulate(self._url, [texts], locale=locale, apart=True)
            self._turns[locale] = dict(zip(texts, turns, strict=True))
        return self._turns[locale]


def score(
    emulator: Emulator,
    phrasings: Sequence[Phrasing],
    content: Content,
    *,
    locale: str,
    by: str = "intent",
) -> Score:
    """Every phrasing through the emulator and the skill, grouped by intent or safety class."""
    turns = emulator.turns(locale)
    result = Score()
    for phrasing in phrasings:
        turn = turns[phrasing.text]
        record = turn.get("record") or {}
        group = str(phrasing.safety if by == "safety" else phrasing.intent)
        if phrasing.safety is not None and phrasing.conditional:
            group = "ordinary (conditional)"
        result.add(group, understood(phrasing, turn, record, content), describe(turn, record))
    return result


def all_texts(locale: str) -> list[str]:
    """Every text of every phrasing and safety set of a locale, held-out sets included."""
    texts: list[str] = []
    for directory, load in (
        (PHRASINGS_DIR, load_phrasings),
        (SAFETY_DIR, load_safety),
        (PHRASINGS_DIR / "holdout", load_phrasings),
        (SAFETY_DIR / "holdout", load_safety),
    ):
        path = directory / f"{locale}.json"
        if path.is_file():
            texts += [p.text for p in load(path)]
    return texts
