"""The fast serializer reads and writes exactly what the SDK's own serializer does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, ResponseEnvelope

from conftest import EVENTS_DIR, SHARED_ENVELOPES_DIR, Conversation
from skill.serializer import FastSerializer

ENVELOPES = sorted(EVENTS_DIR.glob("*.json")) + sorted(SHARED_ENVELOPES_DIR.glob("*.json"))


@pytest.mark.parametrize("path", ENVELOPES, ids=[path.name for path in ENVELOPES])
def test_envelopes_read_the_same(path: Path) -> None:
    payload = path.read_text(encoding="utf-8-sig")
    ours = FastSerializer().deserialize(payload, RequestEnvelope)
    theirs = DefaultSerializer().deserialize(payload, RequestEnvelope)
    assert ours == theirs
    assert FastSerializer().serialize(ours) == DefaultSerializer().serialize(theirs)


def test_timestamps_alexa_does_not_send_fall_back_to_the_sdk_parser() -> None:
    envelope = json.loads((EVENTS_DIR / "launch.json").read_text(encoding="utf-8"))
    envelope["request"]["timestamp"] = "Tue, 24 Nov 2026 16:00:00 GMT"
    payload = json.dumps(envelope)
    ours = FastSerializer().deserialize(payload, RequestEnvelope)
    assert (
        ours.request.timestamp
        == DefaultSerializer().deserialize(payload, RequestEnvelope).request.timestamp
    )


def test_responses_write_the_same(conversation: Conversation) -> None:
    turns: list[Callable[[], str]] = [
        conversation.launch,
        lambda: conversation.say("TriggerIntent", trigger=("red wine", "alcohol")),
        lambda: conversation.say("AMAZON.YesIntent"),
        lambda: conversation.say("EmergencyCheckIntent"),
        lambda: conversation.say("AMAZON.NoIntent"),
        lambda: conversation.say("RedFlagIntent"),
    ]
    for turn in turns:
        turn()
        envelope = DefaultSerializer().deserialize(json.dumps(conversation.last), ResponseEnvelope)
        assert FastSerializer().serialize(envelope) == DefaultSerializer().serialize(envelope)
        assert FastSerializer().serialize(envelope) == conversation.last
