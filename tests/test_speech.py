"""All speech: escaped, gentle by default, whispered on request, valid Alexa SSML everywhere."""

from __future__ import annotations

import pytest

from skill.content import ContentLibrary, content_texts
from skill.speech import MAX_SSML_CHARS, Voice, echo, render_ssml, ssml_to_text
from support.ssml import validate_ssml


def test_content_characters_are_escaped(library: ContentLibrary) -> None:
    content = library.for_locale("en-US")
    ssml = render_ssml(("Salt & pepper <b> 5 > 3",), content, voice=Voice.GENTLE, urgent=False)
    assert "Salt &amp; pepper &lt;b&gt; 5 &gt; 3" in ssml
    assert ssml_to_text(ssml) == "Salt & pepper <b> 5 > 3"


def test_voices(library: ContentLibrary) -> None:
    content = library.for_locale("en-US")
    gentle = render_ssml(("Hello.",), content, voice=Voice.GENTLE, urgent=False)
    whisper = render_ssml(("Hello.",), content, voice=Voice.WHISPER, urgent=False)
    urgent = render_ssml(
        ("Call {emergency_number} now.",), content, voice=Voice.WHISPER, urgent=True
    )
    assert gentle == '<speak><prosody rate="90%" volume="soft">Hello.</prosody></speak>'
    assert '<amazon:effect name="whispered">' in whisper
    assert "whispered" not in urgent and "soft" not in urgent
    assert 'Call <say-as interpret-as="digits">911</say-as> now.' in urgent


def test_placeholders_become_speech(library: ContentLibrary) -> None:
    content = library.for_locale("en-GB")
    ssml = render_ssml(
        ("Ring {clinic_phone}; call {emergency_number}.",),
        content,
        voice=Voice.GENTLE,
        urgent=False,
    )
    # an international number is read with its "plus", each group digit by digit
    assert 'Ring plus <say-as interpret-as="digits">1</say-as>, ' in ssml
    assert '<say-as interpret-as="digits">0142</say-as>;' in ssml
    assert 'call <say-as interpret-as="digits">999</say-as>.' in ssml


def test_a_value_ending_in_a_full_stop_does_not_double_it(library: ContentLibrary) -> None:
    content = library.for_locale("en-US")
    ssml = render_ssml(("They're open {clinic_hours}.",), content, voice=Voice.GENTLE, urgent=False)
    assert ssml_to_text(ssml) == "They're open Monday to Friday, 8 a.m. to 5 p.m."


def test_over_long_speech_is_refused(library: ContentLibrary) -> None:
    content = library.for_locale("en-US")
    with pytest.raises(ValueError, match="limit"):
        render_ssml(("a" * MAX_SSML_CHARS,), content, voice=Voice.GENTLE, urgent=False)


def test_echo_is_short_and_placeholder_free() -> None:
    assert echo("{emergency_number} please") == "emergency_number please"
    assert echo("one two three four five six seven eight nine ten").endswith("eight...")


def test_every_text_in_every_voice_is_valid_alexa_ssml(library: ContentLibrary) -> None:
    """ssml-check-core (npm) validates every answer, message and card-free text as Alexa would."""
    documents: list[tuple[str, str]] = []
    for locale, content in library.locales.items():
        for path, text in content_texts(content):
            for voice in Voice:
                for urgent in (False, True):
                    ssml = render_ssml(
                        (text, "Would you like to hear more?"), content, voice=voice, urgent=urgent
                    )
                    documents.append((f"{locale} {path} {voice.value} urgent={urgent}", ssml))
    results = validate_ssml([ssml for _, ssml in documents])
    invalid = [
        (where, errors) for (where, _), errors in zip(documents, results, strict=True) if errors
    ]
    assert invalid == []
    assert len(documents) > 1000
    assert validate_ssml(["<speak>a & b</speak>"])[0], "the validator itself must catch errors"
