"""The Echo Show screen: a dim, still page with the answer in large, soft-grey text.

The person looking at it has a migraine and may be in a dark room, so the screen is
near-black, the text soft grey (never white), nothing moves and there are no images
(``skill/apl/calm_document.json``). In an emergency the number is shown large, in a muted
warm colour. Devices without a screen get nothing extra.

The screen is an extra: :func:`render_screen` never raises, so a screen failure can never
cost the person the spoken answer. :func:`register` hooks it into
:func:`skill.conversation.respond`, which calls it for every reply it builds.

Cold start: importing this module costs almost nothing. The APL document is read on the
first screen shown, and the APL directive class is imported there too: the SDK has already
imported that package when it read an APL device's request, while voice-only devices (the
common case) never pay for its ~70 modules.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_supported_interfaces
from ask_sdk_model import IntentRequest, LaunchRequest

from skill.content import Content
from skill.conversation import Reply, register_screen_renderer
from skill.speech import escape, plain

logger = logging.getLogger(__name__)

#: The RenderDocument token (APL user events and visual context report it back).
TOKEN = "migraine-helper"  # noqa: S105 (an APL document token, not a secret)
DOCUMENT_PATH = Path(__file__).resolve().parent / "apl" / "calm_document.json"
#: The datasource name the document binds to (``${payload.calm.title}`` and so on).
DATASOURCE = "calm"
RENDER_DOCUMENT = "Alexa.Presentation.APL.RenderDocument"


class Screen(NamedTuple):
    """What the screen shows, as plain text (the APL datasources escape it as markup)."""

    title: str
    body: str
    emergency: str = ""  # the emergency line, shown large; empty when the reply is not urgent


def screen_for(content: Content, reply: Reply) -> Screen | None:
    """The screen for a reply, or None when there should be none.

    The body is the answer without its closing line ("Would you like to hear more?"): the
    first speech part, or every part but the last when there are more (an unknown trigger's
    "I don't have information about X" is followed by the general answer, which belongs on
    screen too). A goodbye (the session ends, nothing urgent) shows nothing: the person asked
    to stop. Urgent replies always show the emergency number, ending the session or not.
    """
    parts = [part for part in reply.speech if part.strip()]
    if not parts or (reply.ends_session and not reply.urgent):
        return None
    title = reply.screen_title or content.skill_name
    emergency = ""
    if reply.urgent:
        number = plain("{emergency_number}", content)
        emergency = (
            f"Call {number} now" if reply.ends_session else f"In an emergency, call {number}"
        )
    return Screen(
        title=title[:1].upper() + title[1:],
        body=" ".join(plain(part, content) for part in parts[: max(1, len(parts) - 1)]),
        emergency=emergency,
    )


def apl_text(text: str) -> str:
    """Plain text as APL Text markup: ``&``, ``<`` and ``>`` become entity references."""
    return escape(text)


def datasources(screen: Screen) -> dict[str, Any]:
    """The RenderDocument datasources for a screen (``payload.calm`` in the document)."""
    return {
        DATASOURCE: {
            "type": "object",
            "title": apl_text(screen.title),
            "body": apl_text(screen.body),
            "emergency": apl_text(screen.emergency),
        }
    }


@cache
def load_document() -> dict[str, Any]:
    """The APL document, read once per process on first use. Never mutate the result."""
    document: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    return document


def supports_apl(handler_input: HandlerInput) -> bool:
    """Whether this request's device can show APL; False when the envelope cannot say."""
    try:
        interfaces = get_supported_interfaces(handler_input)
    except AttributeError:  # no context, System or device (simulators, old test fixtures)
        return False
    return getattr(interfaces, "alexa_presentation_apl", None) is not None


def render_screen(handler_input: HandlerInput, content: Content, reply: Reply) -> None:
    """Add the calm screen for ``reply`` on an APL device; otherwise do nothing. Never raises."""
    try:
        request = handler_input.request_envelope.request
        if not isinstance(request, LaunchRequest | IntentRequest) or not supports_apl(
            handler_input
        ):
            return
        screen = screen_for(content, reply)
        if screen is None:
            return
        # Imported here: see the module docstring (cold start).
        from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

        response = handler_input.response_builder.response
        if response.directives:  # one screen per response, even if a reply is rebuilt
            response.directives = [
                directive
                for directive in response.directives
                if getattr(directive, "token", None) != TOKEN
            ] or None
        handler_input.response_builder.add_directive(
            RenderDocumentDirective(
                token=TOKEN, document=load_document(), datasources=datasources(screen)
            )
        )
    except Exception as error:  # the spoken answer matters more than the screen
        logger.error(
            "screen not rendered; the answer is spoken without it",
            extra={"error_type": type(error).__name__},
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )


def register() -> None:
    """Show the calm screen with every reply built by ``respond`` (idempotent)."""
    register_screen_renderer(render_screen)
