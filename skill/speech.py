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
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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


#: Escaped SSML for each content's placeholders, built once per content (locale).
_spoken_values: dict[int, tuple[Content, Mapping[str, str]]] = {}


def _placeholder_ssml(content: Content) -> Mapping[str, str]:
    cached = _spoken_values.get(id(content))
    if cached is None or cached[0] is not content:
        values = {name: escape(value) for name, value in content.placeholder_values.items()}
        values["clinic_phone"] = (
            f'<say-as interpret-as="telephone">{escape(content.clinic.phone)}</say-as>'
        )
        cached = _spoken_values[id(content)] = (content, values)
    return cached[1]


def ssml_fragment(text: str, content: Content) -> str:
    """Content text as escaped SSML, with phone numbers read as phone numbers."""
    spoken_values = _placeholder_ssml(content)
    if "{" not in text:
        return escape(text)
    pieces: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(spoken_values.get(match.group(1), escape(match.group(0))))
        position = match.end()
    pieces.append(escape(text[position:]))
    return "".join(pieces)


#: Rendered speech by (content, parts, voice, urgent): content texts are few, so nearly every
#: reply is a dictionary lookup. Bounded, because echoed slot words make parts unbounded.
_rendered: dict[tuple[int, tuple[str, ...], Voice, bool], tuple[Content, str]] = {}
_RENDERED_MAX = 2048


def render_ssml(parts: Iterable[str], content: Content, *, voice: Voice, urgent: bool) -> str:
    """A complete ``<speak>`` document for the given text parts, paused between parts."""
    key = (id(content), tuple(parts), voice, urgent)
    cached = _rendered.get(key)
    if cached is not None and cached[0] is content:
        return cached[1]
    body = PAUSE.join(ssml_fragment(part, content) for part in key[1] if part)
    style = "urgent" if urgent else ("whisper" if voice is Voice.WHISPER else "gentle")
    opening, closing = _WRAPPERS[style]
    ssml = f"<speak>{opening}{body}{closing}</speak>"
    if len(ssml) >= MAX_SSML_CHARS:
        raise ValueError(f"speech is {len(ssml)} characters; Alexa's limit is {MAX_SSML_CHARS}")
    if len(_rendered) >= _RENDERED_MAX:
        _rendered.clear()
    _rendered[key] = (content, ssml)
    return ssml


def ssml_to_text(ssml: str) -> str:
    """What a listener hears, as text: tags dropped, entities decoded, pauses as spaces."""
    import html  # the console and tests read speech; the Lambda path never does

    return " ".join(html.unescape(_TAG.sub(" ", ssml)).split())
