"""The one factory that builds the skill; the Lambda, web and console entries wrap it.

``build_skill`` wires handlers, interceptors and the preference store around validated
content. ``handle_event`` is the Lambda logic: JSON event in, response envelope out, with a
calm spoken answer even for a request it cannot read, and a refusal for another skill's.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import lru_cache
from typing import Any, cast

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope, Response, ResponseEnvelope
from ask_sdk_model.ui import SsmlOutputSpeech

from skill.content import ContentError, Library, open_library
from skill.handlers import request_handlers
from skill.handlers.errors import LAST_RESORT_SSML, CatchAllExceptionHandler, last_resort_response
from skill.interceptors import (
    ContentInterceptor,
    PreferencesLoader,
    PreferencesSaver,
    RequestLogger,
)
from skill.logs import configure_logging
from skill.metrics import RequestRecorder, stream_sink
from skill.persistence import build_store
from skill.serializer import FastSerializer
from skill.settings import Settings

logger = logging.getLogger(__name__)


class ForeignSkillError(PermissionError):
    """A request addressed to another skill ID while ``SKILL_ID`` is set: refused."""


def build_skill(
    settings: Settings,
    library: Library | None = None,
    store: AbstractPersistenceAdapter | None = None,
    recorder: RequestRecorder | None = None,
) -> CustomSkill:
    """The skill for these settings; raises ``ContentError`` if the content is broken.

    ``recorder`` writes the per-request line (default: stdout in Lambda, where CloudWatch
    reads the embedded metrics from it, stderr elsewhere; only at log level INFO or lower).
    """
    if library is None:
        library = open_library(settings.content_dir)
    builder = CustomSkillBuilder(
        persistence_adapter=store if store is not None else build_store(settings)
    )
    for handler in request_handlers(settings.model_dir):
        builder.add_request_handler(handler)
    request_logger = RequestLogger(recorder or default_recorder(settings))
    # the SDK skips response interceptors when an exception handler answers: it logs itself
    builder.add_exception_handler(CatchAllExceptionHandler(after=request_logger.process))
    builder.add_global_request_interceptor(ContentInterceptor(library))
    builder.add_global_request_interceptor(PreferencesLoader())
    builder.add_global_response_interceptor(PreferencesSaver())
    builder.add_global_response_interceptor(request_logger)
    from skill.screen import register as register_screen  # the Echo Show screen

    register_screen()
    return GuardedSkill(skill_configuration=builder.skill_configuration)


class GuardedSkill(CustomSkill):
    """The SDK's skill with a faster envelope reader, guarded where the SDK itself fails.

    ``CustomSkill.invoke`` deep-copies the session attributes before dispatching; attributes
    nested absurdly deep (never ours) raise ``RecursionError`` there, out of reach of the
    exception handlers. The request is then answered without those attributes and, if even
    that fails, with the last-resort answer: the web and Lambda entries both get an answer.
    """

    def __init__(self, skill_configuration: Any) -> None:
        super().__init__(skill_configuration=skill_configuration)
        self.serializer = FastSerializer()

    def invoke(self, request_envelope: RequestEnvelope, context: Any) -> ResponseEnvelope:
        try:
            return super().invoke(request_envelope, context)
        except Exception as error:
            logger.warning(
                "skill could not start the request", extra={"error_type": type(error).__name__}
            )
        session = request_envelope.session
        if session is not None and session.attributes:
            session.attributes = {}
            try:
                return super().invoke(request_envelope, context)
            except Exception as error:
                logger.error("request failed twice", extra={"error_type": type(error).__name__})
        request_type = getattr(request_envelope.request, "object_type", None)
        return last_resort_envelope(speak=request_type in SPEAKING_REQUEST_TYPES)


class _LastResortHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        return last_resort_response(handler_input)


def degraded_skill() -> CustomSkill:
    """What runs when the content cannot be loaded: it apologises and gives the number."""
    builder = CustomSkillBuilder()
    builder.add_request_handler(_LastResortHandler())
    skill: CustomSkill = builder.create()
    return skill


@lru_cache(maxsize=1)
def default_skill() -> CustomSkill:
    """The process-wide skill from the environment, built once (at cold start)."""
    settings = default_settings()
    configure_logging(settings.log_level)
    try:
        return build_skill(settings)
    except ContentError as error:
        logger.critical("content is broken; serving the last-resort answer: %s", error)
        return degraded_skill()


def default_recorder(settings: Settings) -> RequestRecorder:
    """The per-request line: to stdout in Lambda (CloudWatch's EMF), else to stderr."""
    stream = sys.stdout if settings.in_lambda else sys.stderr
    level = logging.getLevelNamesMapping().get(settings.log_level, logging.INFO)
    return RequestRecorder(stream_sink(stream), enabled=level <= logging.INFO)


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return Settings.from_env()


def application_ids(event: dict[str, Any]) -> list[str]:
    """Every skill ID an event names (context.System, then session), as the web entry reads them."""
    found = []
    for path in (("context", "System", "application"), ("session", "application")):
        node: Any = event
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        value = node.get("applicationId") if isinstance(node, dict) else None
        if value is not None:  # as the SDK's reader: 5 is "5", so never our ID
            found.append(str(value))
    return found


#: Request types that may be answered with speech; anything else gets an empty response.
SPEAKING_REQUEST_TYPES = frozenset({"LaunchRequest", "IntentRequest"})


def last_resort_envelope(*, speak: bool) -> ResponseEnvelope:
    if not speak:
        return ResponseEnvelope(version="1.0", response=Response())
    return ResponseEnvelope(
        version="1.0",
        response=Response(
            output_speech=SsmlOutputSpeech(ssml=LAST_RESORT_SSML), should_end_session=True
        ),
    )


def unreadable_request_response(event: Any = None) -> dict[str, Any]:
    """A valid response envelope for a request that could not be read at all.

    Speech only where Alexa allows it (a launch or an intent, or a request of no known type);
    a session end or a device error report gets an empty response.
    """
    request = event.get("request") if isinstance(event, dict) else None
    request_type = request.get("type") if isinstance(request, dict) else None
    speak = not isinstance(request_type, str) or request_type in SPEAKING_REQUEST_TYPES
    return cast(dict[str, Any], FastSerializer().serialize(last_resort_envelope(speak=speak)))


#: Fields whose values are enums or timestamps in the SDK's model: a value newer than the
#: SDK (a new status code, say) makes the whole envelope unreadable to it.
_FRAGILE_REQUEST_FIELDS = ("timestamp", "dialogState")
_FRAGILE_INTENT_FIELDS = ("confirmationStatus",)
_FRAGILE_SLOT_FIELDS = ("confirmationStatus", "resolutions", "source", "slotValue")


def lenient_copy(event: dict[str, Any]) -> dict[str, Any] | None:
    """The event without the fields a newer Alexa may fill with values the SDK doesn't know.

    The answer never depends on them except for slot resolutions, and those are looked up
    in the interaction model instead. None when there is nothing to drop.
    """
    request = event.get("request")
    if not isinstance(request, dict):
        return None
    lenient_request = {k: v for k, v in request.items() if k not in _FRAGILE_REQUEST_FIELDS}
    intent = request.get("intent")
    if isinstance(intent, dict):
        lenient_intent = {k: v for k, v in intent.items() if k not in _FRAGILE_INTENT_FIELDS}
        slots = intent.get("slots")
        if isinstance(slots, dict):
            lenient_intent["slots"] = {
                name: {k: v for k, v in slot.items() if k not in _FRAGILE_SLOT_FIELDS}
                for name, slot in slots.items()
                if isinstance(slot, dict)
            }
        lenient_request["intent"] = lenient_intent
    if lenient_request == request:
        return None
    return {**event, "request": lenient_request}


def _read_envelope(skill: CustomSkill, event: dict[str, Any]) -> RequestEnvelope | None:
    """The request envelope, read strictly, then leniently; None when it cannot be read."""
    envelope = _deserialize(skill, event)
    if envelope is None:
        lenient = lenient_copy(event)
        envelope = None if lenient is None else _deserialize(skill, lenient)
    return envelope


def _deserialize(skill: CustomSkill, event: dict[str, Any]) -> RequestEnvelope | None:
    serializer = skill.serializer
    try:
        if isinstance(serializer, FastSerializer):
            envelope = serializer.deserialize_document(event, RequestEnvelope)
        else:
            envelope = serializer.deserialize(payload=json.dumps(event), obj_type=RequestEnvelope)
    except Exception as error:  # the SDK raises several types for a malformed envelope
        logger.warning("request unreadable", extra={"error_type": type(error).__name__})
        return None
    if envelope is None or envelope.request is None:
        return None
    return cast(RequestEnvelope, envelope)


def handle_event(
    event: Any,
    context: Any = None,
    *,
    skill: CustomSkill | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Run one Alexa request envelope (a parsed JSON object) through the skill."""
    skill = skill if skill is not None else default_skill()
    settings = settings if settings is not None else default_settings()
    if not isinstance(event, dict):
        logger.warning("request is not a JSON object", extra={"error_type": type(event).__name__})
        return unreadable_request_response()
    if settings.skill_id is not None:
        ids = application_ids(event)
        if not ids or any(value != settings.skill_id for value in ids):
            raise ForeignSkillError("request is for another skill ID; refused")
    envelope = _read_envelope(skill, event)
    if envelope is None:
        return unreadable_request_response(event)
    response_envelope = skill.invoke(request_envelope=envelope, context=context)
    return cast(dict[str, Any], skill.serializer.serialize(response_envelope))
