"""All speech is rendered here: placeholders, SSML escaping, and the calm voice.

Content is plain text with ``{placeholders}``. This module turns it into Alexa SSML in one
place so that every answer gets the same treatment: escaped, a little slower and softer than
Alexa's default, whispered when the person asked for that, and never whispered (nor softened)
when it tells someone to call the emergency number.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping

from skill.content import PLACEHOLDER, Content

#: Alexa rejects output speech of 8,000 characters or more.
MAX_SSML_CHARS = 8000
#: How much of something the user said may be echoed back ("I don't know about ...").
MAX_ECHO_WORDS = 8
PAUSE = '<break time="400ms"/>'


class Voice(enum.StrEnum):
    """How the skill speaks to this person."""

    GENTLE = "normal"  # the default: calm, a little slower and softer
    WHISPER = "whisper"


_WRAPPERS: Mapping[str, tuple[str, str]] = {
    "gentle": ('<prosody rate="90%" volume="soft">', "</prosody>"),
    "whisper": (
        '<amazon:effect name="whispered"><prosody rate="90%">',
        "</prosody></amazon:effect>",
    ),
    # Emergency instructions: a touch slower so the number is caught, at full volume.
    "urgent": ('<prosody rate="95%">', "</prosody>"),
}
_TAG = re.compile(r"<[^>]+>")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
#: Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF): SSML
#: holding one is a document Alexa cannot parse, so they are dropped wherever text enters.
_XML_INVALID = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    return _XML_INVALID.sub("", text)


def escape(text: str) -> str:
    """Escape text for SSML (what ``xml.sax.saxutils.escape`` does, without its imports)."""
    return xml_safe(text).translate(_XML_ESCAPES)


def fill(text: str, values: Mapping[str, str]) -> str:
    """Substitute the named placeholders, leaving any others for a later pass."""

    def substitute(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return PLACEHOLDER.sub(substitute, text)


def echo(spoken: str) -> str:
    """What a user said, made safe to say back: short, single-line, no placeholders."""
    words = xml_safe(spoken).replace("{", " ").replace("}", " ").split()
    clipped = " ".join(words[:MAX_ECHO_WORDS])
    return clipped + ("..." if len(words) > MAX_ECHO_WORDS else "")


def plain(text: str, content: Content) -> str:
    """Content text as it reads on a card or in the console."""
    return fill(text, content.placeholder_values)


def ssml_fragment(text: str, content: Content) -> str:
    """Content text as escaped SSML, with phone numbers read as phone numbers."""
    spoken_values = {name: escape(value) for name, value in content.placeholder_values.items()}
    spoken_values["clinic_phone"] = (
        f'<say-as interpret-as="telephone">{escape(content.clinic.phone)}</say-as>'
    )
    pieces: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(spoken_values.get(match.group(1), escape(match.group(0))))
        position = match.end()
    pieces.append(escape(text[position:]))
    return "".join(pieces)


def render_ssml(parts: Iterable[str], content: Content, *, voice: Voice, urgent: bool) -> str:
    """A complete ``<speak>`` document for the given text parts, paused between parts."""
    body = PAUSE.join(ssml_fragment(part, content) for part in parts if part)
    style = "urgent" if urgent else ("whisper" if voice is Voice.WHISPER else "gentle")
    opening, closing = _WRAPPERS[style]
    ssml = f"<speak>{opening}{body}{closing}</speak>"
    if len(ssml) >= MAX_SSML_CHARS:
        raise ValueError(f"speech is {len(ssml)} characters; Alexa's limit is {MAX_SSML_CHARS}")
    return ssml


def ssml_to_text(ssml: str) -> str:
    """What a listener hears, as text: tags dropped, entities decoded, pauses as spaces."""
    import html  # the console and tests read speech; the Lambda path never does

    return " ".join(html.unescape(_TAG.sub(" ", ssml)).split())
