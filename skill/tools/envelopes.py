"""Alexa request envelopes, built the way Alexa builds them, for the console and the tests.

The console turns typed utterances into these and runs them through the same entry as
Lambda, so what a developer reads is what a person would hear.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from skill.settings import DEFAULT_LOCALE

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
LOCAL_USER_ID = "amzn1.ask.account.LOCAL-DEVELOPER"
ECHO_SHOW_VIEWPORT = {
    "experiences": [
        {"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False, "canResize": False}
    ],
    "mode": "HUB",
    "shape": "RECTANGLE",
    "pixelWidth": 1024,
    "pixelHeight": 600,
    "dpi": 160,
    "currentPixelWidth": 1024,
    "currentPixelHeight": 600,
    "touch": ["SINGLE"],
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot(
    name: str,
    spoken: str | None,
    value_id: str | None = None,
    *,
    canonical: str | None = None,
    type_name: str = "",
) -> dict[str, Any]:
    """A slot as Alexa sends it, with an entity-resolution block when there is a value."""
    node: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if spoken is None:
        return node
    node["value"] = spoken
    authority = f"amzn1.er-authority.echo-sdk.{LOCAL_SKILL_ID}.{type_name or name}"
    if value_id is None:
        resolution: dict[str, Any] = {
            "authority": authority,
            "status": {"code": "ER_SUCCESS_NO_MATCH"},
        }
    else:
        resolution = {
            "authority": authority,
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": canonical or spoken, "id": value_id}}],
        }
    node["resolutions"] = {"resolutionsPerAuthority": [resolution]}
    return node


class Session:
    """One conversation: its ID, whether it is new, and the attributes the skill returned."""

    def __init__(
        self, *, locale: str = DEFAULT_LOCALE, user_id: str = LOCAL_USER_ID, screen: bool = False
    ) -> None:
        self.locale = locale
        self.user_id = user_id
        self.screen = screen
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.new = True
        self.attributes: dict[str, Any] = {}
        self.ended = False

    def envelope(self, request: Mapping[str, Any]) -> dict[str, Any]:
        interfaces: dict[str, Any] = {}
        context: dict[str, Any] = {
            "System": {
                "application": {"applicationId": LOCAL_SKILL_ID},
                "user": {"userId": self.user_id},
                "device": {"deviceId": "amzn1.ask.device.LOCAL", "supportedInterfaces": interfaces},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        }
        if self.screen:
            interfaces["Alexa.Presentation.APL"] = {"runtime": {"maxVersion": "2023.3"}}
            context["Viewport"] = ECHO_SHOW_VIEWPORT
        return {
            "version": "1.0",
            "session": {
                "new": self.new,
                "sessionId": self.session_id,
                "application": {"applicationId": LOCAL_SKILL_ID},
                "attributes": dict(self.attributes),
                "user": {"userId": self.user_id},
            },
            "context": context,
            "request": {
                "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
                "timestamp": _now(),
                "locale": self.locale,
                **request,
            },
        }

    def launch(self) -> dict[str, Any]:
        return self.envelope({"type": "LaunchRequest"})

    def intent(
        self, name: str, slots: Mapping[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        return self.envelope(
            {
                "type": "IntentRequest",
                "dialogState": "COMPLETED",
                "intent": {"name": name, "confirmationStatus": "NONE", "slots": dict(slots or {})},
            }
        )

    def session_ended(self, reason: str = "USER_INITIATED") -> dict[str, Any]:
        return self.envelope({"type": "SessionEndedRequest", "reason": reason})

    def absorb(self, response_envelope: Mapping[str, Any]) -> None:
        """Carry the skill's session attributes into the next turn, as Alexa does."""
        self.new = False
        self.attributes = dict(response_envelope.get("sessionAttributes") or {})
        self.ended = bool((response_envelope.get("response") or {}).get("shouldEndSession"))
