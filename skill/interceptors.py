"""Work around every request: pick the locale's content, load and save preferences, log.

Preferences are read once, when a session starts, and carried in session attributes; they
are written only when they changed. A store that is down costs a log line, never an answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, LaunchRequest, Response

from skill.content import Library
from skill.conversation import (
    REQUEST_CONTENT,
    REQUEST_ERROR,
    REQUEST_ITEM,
    REQUEST_PREFS_CHANGED,
    REQUEST_SAFETY,
    REQUEST_TOPIC,
    SESSION_PREFS,
    Preferences,
    session_attributes,
)
from skill.metrics import RequestRecorder
from skill.persistence import sanitise

logger = logging.getLogger(__name__)
_STARTED = "started"
_cold_start = True


def _is_conversation(handler_input: HandlerInput) -> bool:
    request = handler_input.request_envelope.request
    return isinstance(request, LaunchRequest | IntentRequest) and (
        handler_input.request_envelope.session is not None
    )


class ContentInterceptor(AbstractRequestInterceptor):
    """Puts the content for the request's locale (English where we have none) in reach."""

    def __init__(self, library: Library) -> None:
        self._library = library

    def process(self, handler_input: HandlerInput) -> None:
        request_attributes = handler_input.attributes_manager.request_attributes
        request_attributes[_STARTED] = time.perf_counter()
        locale = getattr(handler_input.request_envelope.request, "locale", None)
        request_attributes[REQUEST_CONTENT] = self._library.for_locale(locale)


class PreferencesLoader(AbstractRequestInterceptor):
    """At session start, copies the stored preferences into the session."""

    def process(self, handler_input: HandlerInput) -> None:
        if not _is_conversation(handler_input):
            return
        attributes = session_attributes(handler_input)
        if SESSION_PREFS in attributes:
            return
        prefs = Preferences()
        session = handler_input.request_envelope.session
        if (session is not None and session.new) or isinstance(
            handler_input.request_envelope.request, LaunchRequest
        ):
            try:
                stored = handler_input.attributes_manager.persistent_attributes
                prefs = Preferences.from_attributes(sanitise(stored))
            except Exception as error:  # any store failure: speak with the defaults
                logger.warning(
                    "preferences unavailable", extra={"error_type": type(error).__name__}
                )
        attributes[SESSION_PREFS] = prefs.as_attributes()


class PreferencesSaver(AbstractResponseInterceptor):
    """Writes the preferences back, only when this request changed them."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        manager = handler_input.attributes_manager
        if not manager.request_attributes.get(REQUEST_PREFS_CHANGED):
            return
        prefs = session_attributes(handler_input).get(SESSION_PREFS)
        try:
            manager.persistent_attributes = sanitise(prefs if isinstance(prefs, dict) else {})
            manager.save_persistent_attributes()
        except Exception as error:  # the answer matters more than the memory
            logger.warning("preferences not saved", extra={"error_type": type(error).__name__})


class RequestLogger(AbstractResponseInterceptor):
    """One line a request (``skill.metrics``), with no identifiers and no words said."""

    def __init__(self, recorder: RequestRecorder) -> None:
        self._recorder = recorder

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        global _cold_start
        recorder = self._recorder
        if not recorder.enabled:
            _cold_start = False
            return
        request = handler_input.request_envelope.request
        attributes = handler_input.attributes_manager.request_attributes
        started = attributes.get(_STARTED)
        intent = getattr(getattr(request, "intent", None), "name", None)
        request_type = getattr(request, "object_type", None)
        recorder.record(
            _kind(request_type, intent, attributes),
            {
                "request_type": request_type,
                "intent": intent if isinstance(intent, str) else None,
                "topic": attributes.get(REQUEST_TOPIC),
                "item": attributes.get(REQUEST_ITEM),
                "safety": attributes.get(REQUEST_SAFETY),
                "locale": getattr(request, "locale", None),
                "latency_ms": round((time.perf_counter() - started) * 1000, 3)
                if isinstance(started, float)
                else None,
                "cold_start": _cold_start,
            },
        )
        _cold_start = False


def _kind(request_type: object, intent: object, attributes: Mapping[str, Any]) -> str:
    """What kind of request this was, for the metrics' ``Kind`` dimension."""
    if request_type == "LaunchRequest":
        return "launch"
    if request_type == "SessionEndedRequest":
        return "session_end"
    if request_type != "IntentRequest":
        return "other"
    if attributes.get(REQUEST_ERROR):
        return "error"
    if attributes.get(REQUEST_SAFETY):
        return "safety"
    if intent == "AMAZON.FallbackIntent" or attributes.get(REQUEST_TOPIC) == "not_understood":
        return "fallback"
    if attributes.get(REQUEST_TOPIC):
        return "statement" if intent == "StatementIntent" else "topic"
    return "dialog"
