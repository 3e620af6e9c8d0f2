"""Every request handler, in the order the SDK tries them: specific first, catch-alls last."""

from __future__ import annotations

from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from skill.handlers.clinic import ClinicHandler
from skill.handlers.dialog import (
    FallbackHandler,
    GoodbyeHandler,
    HelpHandler,
    HomeHandler,
    LaunchHandler,
    MoreHandler,
    NoHandler,
    RepeatHandler,
    YesHandler,
)
from skill.handlers.emergency import EmergencyCheckHandler, RedFlagHandler
from skill.handlers.lifecycle import (
    CanFulfillHandler,
    ExceptionEncounteredHandler,
    SessionEndedHandler,
    UnknownIntentHandler,
    UnknownRequestHandler,
)
from skill.handlers.preferences import voice_handlers
from skill.handlers.topics import TopicHandler

#: Custom intents answered by a dedicated handler rather than by a content topic.
SPECIAL_INTENTS = frozenset(
    {"RedFlagIntent", "EmergencyCheckIntent", "ClinicIntent", "WhisperIntent", "NormalVoiceIntent"}
)
#: The built-in intents this skill handles.
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
    """All handlers, emergency first so that nothing can shadow a red flag."""
    return [
        RedFlagHandler(model_dir),
        EmergencyCheckHandler(),
        LaunchHandler(),
        ClinicHandler(),
        *voice_handlers(),
        TopicHandler(model_dir),
        YesHandler(),
        NoHandler(),
        MoreHandler(),
        RepeatHandler(),
        HelpHandler(),
        HomeHandler(),
        GoodbyeHandler(),
        FallbackHandler(),
        SessionEndedHandler(),
        ExceptionEncounteredHandler(),
        CanFulfillHandler(model_dir),
        UnknownIntentHandler(),
        UnknownRequestHandler(),
    ]
