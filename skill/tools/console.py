"""Type an utterance, read what Alexa would say: the console behind ``ask`` and ``chat``.

Utterances are resolved offline from the interaction model (``skill.tools.nlu``), wrapped in the
request envelope Alexa would send, and run through the same entry as Lambda.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skill.app import build_skill, handle_event
from skill.content import ContentLibrary, load_library
from skill.handlers.safety import STATEMENT_INTENT
from skill.metrics import RequestRecorder
from skill.settings import DEFAULT_LOCALE, Settings
from skill.speech import ssml_to_text
from skill.tools.envelopes import LOCAL_USER_ID, Session, slot
from skill.tools.nlu import Resolution, SlotMatch, UtteranceResolver, load_resolver

LAUNCH = "LaunchRequest"
STATEMENT_SLOT = "statement"


@dataclass(frozen=True)
class Turn:
    """One exchange: what was understood and what the skill answered."""

    resolution: Resolution
    speech: str
    reprompt: str | None
    card: str | None
    ended: bool

    def explain(self) -> str:
        return self.resolution.explain()


def _text_of(node: Any) -> str | None:
    speech = node.get("outputSpeech") if isinstance(node, dict) else None
    if not isinstance(speech, dict):
        return None
    return ssml_to_text(str(speech.get("ssml") or speech.get("text") or ""))


class Console:
    """A conversation with the skill in text; a new session starts after one ends."""

    def __init__(
        self,
        settings: Settings,
        *,
        locale: str = DEFAULT_LOCALE,
        screen: bool = False,
        strict: bool = False,
        invoke: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        library: ContentLibrary | None = None,
        user_id: str = LOCAL_USER_ID,
    ) -> None:
        self._settings = settings
        self._locale = locale
        self._screen = screen
        self._strict = strict
        self._user_id = user_id
        self._resolver: UtteranceResolver = load_resolver(settings.model_dir, locale)
        self._library = (
            library
            if library is not None
            else load_library(settings.content_dir, validate_all=False)
        )
        if invoke is None:
            # the console prints speech: the per-request line would only be noise there
            skill = build_skill(settings, self._library, recorder=RequestRecorder(enabled=False))
            invoke = lambda event: handle_event(event, skill=skill, settings=settings)  # noqa: E731
        self._invoke = invoke
        self._session = self._new_session()

    def _new_session(self) -> Session:
        return Session(locale=self._locale, screen=self._screen, user_id=self._user_id)

    def resolve(self, utterance: str) -> Resolution:
        """What the console understands the words as, before the skill answers them."""
        return self._guarded(self._resolver.resolve(utterance, strict=self._strict), utterance)

    def say(self, utterance: str) -> Turn:
        if self._session.ended:
            self._session = self._new_session()
        resolution = self.resolve(utterance)
        if resolution.intent == LAUNCH:
            event = self._session.launch()
        else:
            slots = {
                name: slot(name, match.spoken, match.value_id, canonical=match.canonical)
                for name, match in resolution.slots.items()
            }
            event = self._session.intent(resolution.intent, slots)
        response_envelope = self._invoke(event)
        self._session.absorb(response_envelope)
        response = response_envelope.get("response") or {}
        card = response.get("card")
        return Turn(
            resolution=resolution,
            speech=_text_of(response) or "",
            reprompt=_text_of(response.get("reprompt")),
            card=None
            if not isinstance(card, dict)
            else f"{card.get('title')}\n{card.get('content')}",
            ended=bool(response.get("shouldEndSession")),
        )

    def _guarded(self, resolution: Resolution, utterance: str) -> Resolution:
        """Words of danger are never matched to a topic by mere similarity.

        Where only similarity (or nothing) matched, and the words triage as unsafe or
        cautionary, they go to the statement intent so the skill triages them, instead of
        to the nearest-sounding topic ("I want to kill myself" is not "my head is killing me").
        """
        if self._strict or resolution.how not in {"similar", "fallback"}:
            return resolution
        verdict = self._library.for_locale(self._locale).triage.assess(utterance)
        if not (verdict.unsafe or verdict.answer):
            return resolution
        words = SlotMatch(STATEMENT_SLOT, utterance, None, None)
        return Resolution(STATEMENT_INTENT, {STATEMENT_SLOT: words}, "statement")

    def end(self) -> None:
        """Tell the skill the person left, as Alexa does when a session times out."""
        if not self._session.ended and not self._session.new:
            self._invoke(self._session.session_ended())
            self._session.ended = True
