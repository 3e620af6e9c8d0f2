"""Type an utterance, read what Alexa would say: the console behind ``ask`` and ``chat``.

Utterances are resolved offline from the interaction model (``skill.tools.nlu``), wrapped in the
request envelope Alexa would send, and run through the same entry as Lambda.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skill.app import build_skill, handle_event
from skill.settings import DEFAULT_LOCALE, Settings
from skill.speech import ssml_to_text
from skill.tools.envelopes import Session, slot
from skill.tools.nlu import Resolution, UtteranceResolver, load_resolver

LAUNCH = "LaunchRequest"


@dataclass(frozen=True)
class Turn:
    """One exchange: what was understood and what the skill answered."""

    resolution: Resolution
    speech: str
    reprompt: str | None
    card: str | None
    ended: bool

    def explain(self) -> str:
        slots = ", ".join(
            f"{name}={match.spoken!r}->{match.value_id or 'no match'}"
            for name, match in self.resolution.slots.items()
        )
        return f"[{self.resolution.intent}{' ' + slots if slots else ''}]"


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
        invoke: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self._settings = settings
        self._locale = locale
        self._screen = screen
        self._resolver: UtteranceResolver = load_resolver(settings.model_dir, locale)
        if invoke is None:
            skill = build_skill(settings)
            invoke = lambda event: handle_event(event, skill=skill, settings=settings)  # noqa: E731
        self._invoke = invoke
        self._session = self._new_session()

    def _new_session(self) -> Session:
        return Session(locale=self._locale, screen=self._screen)

    def say(self, utterance: str) -> Turn:
        if self._session.ended:
            self._session = self._new_session()
        resolution = self._resolver.resolve(utterance)
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

    def end(self) -> None:
        """Tell the skill the person left, as Alexa does when a session times out."""
        if not self._session.ended and not self._session.new:
            self._invoke(self._session.session_ended())
            self._session.ended = True
