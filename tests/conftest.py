"""Shared fixtures: settings on a temporary store, the real skill, envelope factories.

Tests go through the real entry points (``skill.lambda_function.handler`` and the Flask
test client) and assert on what a person would hear and what Alexa would receive.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill

from skill.app import build_skill, handle_event
from skill.content import ContentLibrary, load_library
from skill.settings import PROJECT_DIR, Settings
from skill.speech import ssml_to_text
from skill.tools.envelopes import Session, slot


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.txt from the current skill (review the diff)",
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The phrasing and safety scores, per locale and per intent, after every run."""
    from test_phrasings import REPORTS

    if REPORTS:
        terminalreporter.section("understood as people speak (virtual-alexa + Lambda entry)")
        for report in REPORTS:
            terminalreporter.write_line(report)


EVENTS_DIR = Path(__file__).with_name("events")
SHARED_ENVELOPES_DIR = PROJECT_DIR.parent / "shared" / "envelopes"


def load_event(name: str) -> dict[str, Any]:
    """One of our own captured-style envelopes from tests/events/."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return event


def shared_envelope(name: str) -> dict[str, Any]:
    """A real envelope captured by another public project (../shared/envelopes/)."""
    path = SHARED_ENVELOPES_DIR / name
    if not path.is_file():
        pytest.skip(f"shared envelopes not beside the repo ({SHARED_ENVELOPES_DIR})")
    event: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    return event


@pytest.fixture(scope="session")
def library() -> ContentLibrary:
    return load_library(PROJECT_DIR / "content")


EMULATED_LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory, library: ContentLibrary) -> Iterator[Any]:
    """virtual-alexa over the Lambda entry, one pass per locale shared by every test."""
    from support.emulation import Emulator, all_texts, lambda_bridge

    store = tmp_path_factory.mktemp("emulated") / "preferences.json"
    with lambda_bridge(Settings(store_path=store), library) as url:
        yield Emulator(url, {locale: all_texts(locale) for locale in EMULATED_LOCALES})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store_path=tmp_path / "preferences.json")


@pytest.fixture
def skill(settings: Settings, library: ContentLibrary) -> CustomSkill:
    return build_skill(settings, library)


Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def invoke(skill: CustomSkill, settings: Settings) -> Invoke:
    """Run an event through the Lambda path with this test's skill and settings."""

    def run(event: dict[str, Any]) -> dict[str, Any]:
        return handle_event(event, None, skill=skill, settings=settings)

    return run


def speech_of(response_envelope: Mapping[str, Any]) -> str:
    """What the person hears, as text."""
    speech = response_envelope["response"].get("outputSpeech") or {}
    return ssml_to_text(speech.get("ssml", ""))


def ssml_of(response_envelope: Mapping[str, Any]) -> str:
    speech = response_envelope["response"].get("outputSpeech") or {}
    return str(speech.get("ssml", ""))


@dataclass
class Conversation:
    """Turns of one session through the real entry, carrying attributes like Alexa."""

    invoke: Invoke
    session: Session = field(default_factory=Session)
    last: dict[str, Any] = field(default_factory=dict)

    def launch(self) -> str:
        return self._run(self.session.launch())

    def say(self, intent: str, **slots: str | tuple[str, str | None]) -> str:
        """``say("TriggerIntent", trigger=("red wine", "alcohol"))``; a bare string is unmatched."""
        built = {}
        for name, value in slots.items():
            spoken, value_id = value if isinstance(value, tuple) else (value, None)
            built[name] = slot(name, spoken, value_id)
        return self._run(self.session.intent(intent, built))

    def _run(self, event: dict[str, Any]) -> str:
        self.last = self.invoke(event)
        self.session.absorb(self.last)
        return speech_of(self.last)

    @property
    def last_speech(self) -> str:
        return speech_of(self.last)

    @property
    def ended(self) -> bool:
        return bool(self.last["response"].get("shouldEndSession"))

    @property
    def reprompt(self) -> str | None:
        reprompt = self.last["response"].get("reprompt")
        return None if reprompt is None else ssml_to_text(reprompt["outputSpeech"]["ssml"])


@pytest.fixture
def conversation(invoke: Invoke) -> Conversation:
    return Conversation(invoke)
