"""Reading slots the way Alexa fills them: entity resolution first, then the raw words."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest

from skill.vocabulary import vocabulary_for

#: Compared by value: importing the SDK's StatusCode enum costs a millisecond of cold start.
ER_SUCCESS_MATCH = "ER_SUCCESS_MATCH"


class SlotReading(NamedTuple):
    """What the person said for a slot and, when Alexa matched it, the value's id."""

    spoken: str | None
    value_id: str | None


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name, or None when the request is not an intent request."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        return None
    name = request.intent.name
    return name if isinstance(name, str) else None


def request_locale(handler_input: HandlerInput) -> str | None:
    locale = getattr(handler_input.request_envelope.request, "locale", None)
    return locale if isinstance(locale, str) else None


def read_slot(handler_input: HandlerInput, name: str, model_dir: Path | None = None) -> SlotReading:
    """The slot ``name`` of this intent request; empty when absent or not an intent.

    The value id comes from Alexa's entity resolution; where the request carries none (a
    test client, another emulator), from the interaction model in ``model_dir`` if given.
    """
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        return SlotReading(None, None)
    slot = (request.intent.slots or {}).get(name)
    if slot is None:
        return SlotReading(None, None)
    spoken = slot.value.strip() if isinstance(slot.value, str) and slot.value.strip() else None
    value_id = resolved_id(slot)
    if value_id is None and spoken is not None and model_dir is not None:
        vocabulary = vocabulary_for(model_dir, request_locale(handler_input))
        value_id = vocabulary.resolve(str(request.intent.name), name, spoken)
    return SlotReading(spoken, value_id)


def resolved_id(slot: object) -> str | None:
    """The value id Alexa's entity resolution matched, if it matched one."""
    resolutions = getattr(slot, "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        status = getattr(authority, "status", None)
        code = getattr(status, "code", None)
        if getattr(code, "value", code) != ER_SUCCESS_MATCH:
            continue
        for wrapper in authority.values or []:
            value_id = getattr(getattr(wrapper, "value", None), "id", None)
            if isinstance(value_id, str) and value_id:
                return value_id
    return None
