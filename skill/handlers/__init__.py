"""Every request handler, in the order the SDK tries them: safety first, catch-alls last."""

from __future__ import annotations

from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from skill.handlers.dialog import (
    FallbackHandler,
    GoodbyeHandler,
    HomeHandler,
    LaunchHandler,
    MoreHandler,
    NoHandler,
    RepeatHandler,
    YesHandler,
)
from skill.handlers.lifecycle import (
    CanFulfillHandler,
    ExceptionEncounteredHandler,
    SessionEndedHandler,
    UnknownIntentHandler,
    UnknownRequestHandler,
)
from skill.handlers.preferences import voice_handlers
from skill.handlers.safety import (
    AMBULANCE_INTENT,
    CRISIS_INTENT,
    EMERGENCY_CHECK_INTENT,
    POISONING_INTENT,
    QUESTION_INTENT,
    RED_FLAG_INTENT,
    STATEMENT_INTENT,
    EmergencyCheckHandler,
    SafetyHandler,
)
from skill.handlers.statement import StatementHandler
from skill.handlers.topics import TopicHandler

#: Custom intents answered by a dedicated handler rather than by a content topic.
SPECIAL_INTENTS = frozenset(
    {
        CRISIS_INTENT,
        POISONING_INTENT,
        AMBULANCE_INTENT,
        RED_FLAG_INTENT,
        STATEMENT_INTENT,
        QUESTION_INTENT,
        EMERGENCY_CHECK_INTENT,
        "WhisperIntent",
        "NormalVoiceIntent",
    }
)
#: The built-in intents this skill handles (Help is a content topic).
BUILT_IN_INTENTS = frozenset(
    {
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.NavigateHomeIntent",
        "AMAZON.RepeatIntent",
        "AMAZON.YesIntent",
        "AMAZON.NoIntent",
        "AMAZON.MoreIntent",
        "AMAZON.NextIntent",
        "AMAZON.StartOverIntent",
    }
)


def request_handlers(model_dir: Path) -> list[AbstractRequestHandler]:
    """All handlers; safety first, so that no topic can answer words that mean danger."""
    return [
        SafetyHandler(),
        EmergencyCheckHandler(),
        LaunchHandler(),
        *voice_handlers(),
        StatementHandler(model_dir),
        TopicHandler(model_dir),
        YesHandler(),
        NoHandler(),
        MoreHandler(),
        RepeatHandler(),
        HomeHandler(),
        GoodbyeHandler(),
        FallbackHandler(),
        SessionEndedHandler(),
        ExceptionEncounteredHandler(),
        CanFulfillHandler(model_dir),
        UnknownIntentHandler(),
        UnknownRequestHandler(),
    ]
