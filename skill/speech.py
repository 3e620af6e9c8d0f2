"""All speech is rendered here: placeholders, SSML escaping, and the calm voice.

Content is plain text with ``{placeholders}``. This module turns it into Alexa SSML in one
place so that every answer gets the same treatment: escaped, a little slower and softer than
Alexa's default, whispered when the person asked for that, and never whispered (nor softened)
when it tells someone to call the emergency number.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping

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
_PAUSE_TAG = re.compile(r"<break[^>]*>")
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
    return _substitute(text, values, lambda piece: piece)


def _substitute(text: str, values: Mapping[str, str], literal: Callable[[str], str]) -> str:
    """``text`` with its placeholders replaced; ``literal`` renders the text between them.

    A value that ends with a full stop ("5 p.m.") swallows the full stop that follows it in
    the text, so nobody hears or reads "5 p.m..".
    """
    pieces: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(literal(text[position : match.start()]))
        value = values.get(match.group(1))
        if value is None:
            pieces.append(literal(match.group(0)))
        else:
            pieces.append(value)
            if value.endswith(".") and text.startswith(".", match.end()):
                position = match.end() + 1
                continue
        position = match.end()
    pieces.append(literal(text[position:]))
    return "".join(pieces)


def echo(spoken: str) -> str:
    """What a user said, made safe to say back: short, single-line, no placeholders."""
    words = xml_safe(spoken).replace("{", " ").replace("}", " ").split()
    clipped = " ".join(words[:MAX_ECHO_WORDS])
    return clipped + ("..." if len(words) > MAX_ECHO_WORDS else "")


def placeholder_values(content: Content) -> Mapping[str, str]:
    """Plain-text values of the locale's placeholders (cards, screens, the console)."""
    return _values_for(content)[0]


def plain(text: str, content: Content) -> str:
    """Content text as it reads on a card or in the console."""
    return fill(text, placeholder_values(content)) if "{" in text else text


#: Plain and SSML placeholder values for each content (locale), built once.
_values: dict[int, tuple[Content, Mapping[str, str], Mapping[str, str]]] = {}


def _values_for(content: Content) -> tuple[Mapping[str, str], Mapping[str, str]]:
    cached = _values.get(id(content))
    if cached is None or cached[0] is not content:
        clinic = content.clinic
        text: dict[str, str] = {
            "skill_name": content.skill_name,
            **content.words,
            "clinic_name": clinic.name,
            "clinic_hours": clinic.hours,
            "clinic_website": clinic.website,
            "clinic_booking": clinic.booking or clinic.website,
        }
        speech = {key: escape(value) for key, value in text.items()}
        for name, line in content.lines.items():
            number = "emergency_number" if name == "emergency" else f"{name}_number"
            text[number] = line.number or line.spoken or ""
            speech[number] = escape(line.spoken) if line.spoken else spoken_digits(line.groups)
            if name != "emergency":
                text[f"{name}_name"], speech[f"{name}_name"] = line.name, escape(line.name)
                text[f"{name}_how"] = speech[f"{name}_how"] = line.how
        text["clinic_phone"] = clinic.phone
        speech["clinic_phone"] = ("plus " if clinic.phone.startswith("+") else "") + spoken_digits(
            tuple(re.findall(r"\d+", clinic.phone))
        )
        cached = _values[id(content)] = (content, text, speech)
    return cached[1], cached[2]


def spoken_digits(groups: tuple[str, ...]) -> str:
    """A phone number as SSML: each group read digit by digit, a short pause between."""
    return ", ".join(f'<say-as interpret-as="digits">{escape(group)}</say-as>' for group in groups)


def ssml_fragment(text: str, content: Content) -> str:
    """Content text as escaped SSML, with phone numbers read digit by digit."""
    if "{" not in text:
        return escape(text)
    return _substitute(text, _values_for(content)[1], escape)


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

    return " ".join(html.unescape(_TAG.sub("", _PAUSE_TAG.sub(" ", ssml))).split())
