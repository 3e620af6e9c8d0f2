"""The Echo Show screen: dark, still, large text; only on screens; never at the cost of speech.

Responses come through the real Lambda path (``invoke``) with the repo's own envelopes and a
real captured Echo Show envelope; the APL document is checked offline for what a
light-sensitive person needs (no motion, no images, no white, large text, readable contrast).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import LaunchRequest, RequestEnvelope

from conftest import Invoke, load_event, shared_envelope, speech_of
from skill import screen
from skill.content import ContentLibrary
from skill.conversation import Reply
from skill.settings import Settings
from skill.speech import fill, plain
from skill.tools.envelopes import Session, slot
from skill.tools.preview import write_preview

DOCUMENT_TYPE = "Alexa.Presentation.APL.RenderDocument"
ALLOWED_COMPONENTS = {"Container", "Text", "Frame", "ScrollView"}
FORBIDDEN = ("animate", "onmount", "video", "image", "transition", "alexaheadline", "import")
WHITE = {"#fff", "#ffffff", "#ffffffff", "white", "rgb(255,255,255)"}


def directives_of(response_envelope: dict[str, Any]) -> list[dict[str, Any]]:
    directives: list[dict[str, Any]] = response_envelope["response"].get("directives") or []
    return directives


def the_screen(response_envelope: dict[str, Any]) -> dict[str, Any]:
    """The one RenderDocument directive of a response (fails if there is not exactly one)."""
    directives = directives_of(response_envelope)
    render = [d for d in directives if d["type"] == DOCUMENT_TYPE]
    assert len(render) == 1, directives
    assert len(directives) == 1, directives
    return render[0]


def calm_data(directive: dict[str, Any]) -> dict[str, str]:
    data: dict[str, str] = directive["datasources"]["calm"]
    return data


def screen_intent(
    invoke: Invoke, intent: str, *, locale: str = "en-US", **slots: dict[str, Any]
) -> dict[str, Any]:
    """One intent from an Echo Show (the repo's envelope factory, APL interface and viewport)."""
    return invoke(Session(locale=locale, screen=True).intent(intent, slots))


# ------------------------------------------------------------------- through the skill


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(lambda: load_event("echo_show_launch.json"), id="repo-echo-show"),
        pytest.param(
            lambda: shared_envelope("echo_show_launch_request_apl_viewport.json"),
            id="captured-echo-show",
        ),
    ],
)
def test_echo_show_launch_gets_one_dark_screen_with_the_answer(
    invoke: Invoke, library: ContentLibrary, event: Any
) -> None:
    response = invoke(event())
    directive = the_screen(response)
    content = library.for_locale("en-US")
    assert directive["token"] == "migraine-helper"
    document = directive["document"]
    assert document["type"] == "APL"
    assert document["theme"] == "dark"
    data = calm_data(directive)
    welcome = plain(content.messages["welcome"], content)
    assert data["body"] == screen.apl_text(welcome)
    assert welcome in speech_of(response)  # the screen shows what is said
    assert data["title"] == content.skill_name
    assert data["emergency"] == ""  # the welcome is calm: no large number
    assert response["response"]["outputSpeech"]["ssml"].startswith("<speak>")


def test_voice_only_launch_gets_no_directives(invoke: Invoke) -> None:
    response = invoke(load_event("launch.json"))
    assert speech_of(response)
    assert directives_of(response) == []


def test_topic_answer_on_a_screen_shows_its_title_and_first_part(
    invoke: Invoke, library: ContentLibrary
) -> None:
    response = screen_intent(invoke, "TriggerIntent")
    content = library.for_locale("en-US")
    topic = content.topic_for_intent("TriggerIntent")
    assert topic is not None
    data = calm_data(the_screen(response))
    assert data["title"] == topic.answer.title[:1].upper() + topic.answer.title[1:]
    assert data["body"] == screen.apl_text(plain(topic.answer.first, content))
    assert data["emergency"] == ""


def test_unknown_trigger_on_a_screen_shows_the_general_answer_too(
    invoke: Invoke, library: ContentLibrary
) -> None:
    content = library.for_locale("en-US")
    topic = content.topic_for_intent("TriggerIntent")
    assert topic is not None
    assert topic.unknown_item is not None
    response = screen_intent(invoke, "TriggerIntent", trigger=slot("trigger", "purple socks"))
    body = calm_data(the_screen(response))["body"]
    lead = plain(fill(content.messages["unknown_item"], {"item": "purple socks"}), content)
    general = plain(topic.unknown_item, content)
    assert body == screen.apl_text(f"{lead} {general}")  # the closing question stays spoken


@pytest.mark.parametrize(("locale", "number"), [("en-US", "911"), ("en-GB", "999")])
def test_emergency_answer_on_a_screen_shows_the_number_large(
    invoke: Invoke, locale: str, number: str
) -> None:
    red_flag = slot("redFlag", "my face is drooping", "face_drooping")
    response = screen_intent(invoke, "RedFlagIntent", locale=locale, redFlag=red_flag)
    assert f"Call {number} now" in speech_of(response)
    assert response["response"]["shouldEndSession"] is True
    directive = the_screen(response)
    data = calm_data(directive)
    assert data["emergency"] == f"Call {number} now"
    shown = [t for t in texts(directive["document"]) if t["text"] == "${payload.calm.emergency}"]
    assert len(shown) == 1
    assert shown[0]["style"] == "calmEmergency"


def test_emergency_question_shows_the_number_and_keeps_listening(invoke: Invoke) -> None:
    response = screen_intent(invoke, "EmergencyCheckIntent")
    assert response["response"]["shouldEndSession"] is False
    assert calm_data(the_screen(response))["emergency"] == "In an emergency, call 911"


def test_goodbye_on_a_screen_shows_nothing(invoke: Invoke) -> None:
    response = screen_intent(invoke, "AMAZON.StopIntent")
    assert speech_of(response)
    assert directives_of(response) == []


@pytest.mark.parametrize(
    "name",
    ["intent_request_er_success_match_synonym.json", "intent_request_dialog_in_progress.json"],
)
def test_envelopes_without_a_device_get_their_answer_and_no_screen(
    invoke: Invoke, library: ContentLibrary, name: str
) -> None:
    event = shared_envelope(name)
    assert "device" not in event["context"]["System"]  # what makes these envelopes hard
    response = invoke(event)
    content = library.for_locale("en-US")
    # Another skill's intent: the normal fallback answer, not the error apology.
    assert plain(content.messages["fallback"], content) in speech_of(response)
    assert directives_of(response) == []


def test_renderer_never_raises_without_context(library: ContentLibrary) -> None:
    content = library.for_locale("en-US")
    reply = Reply(speech=("Hello.",), reprompt="Anything else?", urgent=True)
    envelopes = [
        RequestEnvelope(request=LaunchRequest(request_id="r", locale="en-US")),
        DefaultSerializer().deserialize(
            json.dumps(shared_envelope("intent_request_er_success_match_synonym.json")),
            RequestEnvelope,
        ),
    ]
    for envelope in envelopes:
        handler_input = HandlerInput(request_envelope=envelope)
        screen.render_screen(handler_input, content, reply)
        assert handler_input.response_builder.response.directives is None


def test_a_failing_screen_keeps_the_spoken_answer(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> dict[str, Any]:
        raise OSError("document missing")

    monkeypatch.setattr(screen, "load_document", broken)
    with caplog.at_level(logging.ERROR, logger="skill.screen"):
        response = invoke(load_event("echo_show_launch.json"))
    assert "In an emergency" in speech_of(response)
    assert directives_of(response) == []
    logged = [getattr(r, "error_type", None) for r in caplog.records if r.name == "skill.screen"]
    assert logged == ["OSError"]


def test_repeated_render_keeps_one_screen(library: ContentLibrary) -> None:
    envelope = DefaultSerializer().deserialize(
        json.dumps(load_event("echo_show_launch.json")), RequestEnvelope
    )
    handler_input = HandlerInput(request_envelope=envelope)
    content = library.for_locale("en-US")
    screen.render_screen(handler_input, content, Reply(speech=("One.",), reprompt="?"))
    screen.render_screen(handler_input, content, Reply(speech=("Two.",), reprompt="?"))
    directives: list[Any] = handler_input.response_builder.response.directives or []
    assert len(directives) == 1
    assert directives[0].datasources["calm"]["body"] == "Two."


def test_screen_text_is_escaped_as_apl_markup(library: ContentLibrary) -> None:
    content = library.for_locale("en-GB")
    reply = Reply(speech=("Go to A&E <now> {emergency_number}.",), reprompt="?")
    shown = screen.screen_for(content, reply)
    assert shown is not None
    assert shown.body == "Go to A&E <now> 999."
    assert screen.datasources(shown)["calm"]["body"] == "Go to A&amp;E &lt;now&gt; 999."


def test_document_is_loaded_once() -> None:
    assert screen.load_document() is screen.load_document()


# ------------------------------------------------------------------- the APL document


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(screen.DOCUMENT_PATH.read_text(encoding="utf-8"))
    return loaded


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def components(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for key in ("item", "items"):
            children = node.get(key)
            for child in children if isinstance(children, list) else [children]:
                yield from components(child)


def texts(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in components(document["mainTemplate"]["item"]) if c["type"] == "Text"]


def resource_values(document: dict[str, Any], kind: str) -> list[dict[str, str]]:
    """Each resource block's ``kind`` (colors, dimensions) over the base block's values."""
    base: dict[str, str] = {}
    blocks = []
    for block in document["resources"]:
        if "when" not in block:
            base.update(block.get(kind, {}))
    for block in document["resources"]:
        blocks.append({**base, **block.get(kind, {})})
    return blocks


def resolve(value: str, table: dict[str, str]) -> str:
    return table[value[1:]] if value.startswith("@") else value


def luminance(colour: str) -> float:
    """WCAG relative luminance of #RRGGBB."""
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", colour), colour

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def style_values(document: dict[str, Any], name: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for values in document["styles"][name]["values"]:
        merged.update(values)
    return merged


def test_document_shape(document: dict[str, Any]) -> None:
    assert document["type"] == "APL"
    # Only APL 1.x features are used, so older Echo Shows render it too (a device refuses a
    # document newer than its runtime; the captured Echo Show reports maxVersion 1.21).
    assert document["version"] == "1.6"
    assert document["theme"] == "dark"
    assert document["mainTemplate"]["parameters"] == ["payload"]
    kinds = {c["type"] for c in components(document["mainTemplate"]["item"])}
    assert kinds <= ALLOWED_COMPONENTS
    assert {"Text", "ScrollView"} <= kinds
    assert "layouts" not in document  # no custom components that could hide other types
    assert len(json.dumps(document)) < 6000  # small: sent with every answer


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def test_document_has_no_motion_images_or_imports(document: dict[str, Any]) -> None:
    flat = json.dumps(without_descriptions(document)).lower()
    for word in FORBIDDEN:
        assert word not in flat, word
    keys = {key for key, _ in walk(document)}
    assert not keys & {"onMount", "commands", "onPress", "handleTick", "source", "sources"}


def test_text_colours_are_soft_and_readable(document: dict[str, Any]) -> None:
    colour_tables = resource_values(document, "colors")
    background = resolve(document["background"], colour_tables[0])
    assert luminance(background) < 0.01  # near-black
    frame = document["mainTemplate"]["item"]
    assert frame["type"] == "Frame"
    assert resolve(frame["backgroundColor"], colour_tables[0]) == background
    used = [value for key, value in walk(document) if key == "color"]
    text_colours = [resolve(value, table) for table in colour_tables for value in used]
    assert len(text_colours) >= 3
    for colour in text_colours:
        assert colour.lower().replace(" ", "") not in WHITE
        assert max(int(colour[i : i + 2], 16) for i in (1, 3, 5)) <= 0xDF, colour  # dimmed
        assert contrast(colour, background) >= 4.5, colour  # still readable (WCAG AA)
    emergency = resolve(style_values(document, "calmEmergency")["color"], colour_tables[0])
    red, green, blue = (int(emergency[i : i + 2], 16) for i in (1, 3, 5))
    assert red > green > blue  # warm, not an alarm red


def test_every_text_is_styled_and_sizes_are_large(document: dict[str, Any]) -> None:
    for text in texts(document):
        assert text["style"] in document["styles"], text
        assert "color" not in text and "fontSize" not in text  # one place for both
    sizes = resource_values(document, "dimensions")
    hub = sizes[0]

    def dp(name: str, table: dict[str, str]) -> float:
        value = resolve(style_values(document, name)["fontSize"], table)
        assert value.endswith("dp"), value
        return float(value[:-2])

    assert dp("calmTitle", hub) >= 36
    assert dp("calmBody", hub) >= 30
    assert dp("calmEmergency", hub) > dp("calmTitle", hub)
    for table in sizes:  # smaller screens scale down, but stay large
        assert dp("calmBody", table) >= 22
        assert dp("calmEmergency", table) > dp("calmTitle", table) > dp("calmBody", table)
    conditions = [block["when"] for block in document["resources"] if "when" in block]
    assert any("round" in condition for condition in conditions)


def test_document_binds_only_the_datasource_fields(document: dict[str, Any]) -> None:
    bound = set(re.findall(r"\$\{payload\.calm\.(\w+)\}", json.dumps(document)))
    assert bound == {"title", "body", "emergency"}


# ------------------------------------------------------------------- preview


def test_write_preview_writes_parseable_json_and_html(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "preview"
    written = write_preview(out, settings)
    assert all(path.is_file() and path.parent == out for path in written)
    names = {path.name for path in written}
    assert {"calm_document.json", "welcome.html", "emergency.html", "index.html"} <= names
    for path in written:
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    document = json.loads((out / "calm_document.json").read_text(encoding="utf-8"))
    assert document == screen.load_document()
    data = json.loads((out / "emergency.datasources.json").read_text(encoding="utf-8"))
    assert data["calm"]["emergency"] == "Call 911 now"
    page = (out / "emergency.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "Call 911 now" in page
    assert "width:1024px" in page
    assert "height:600px" in page
    assert "#0B0B0F" in page
    assert "#D9A25F" in page
    assert "#fff" not in page.lower()
    for external in ("<script", "<link", "src=", "url(", "http://", "https://"):
        assert external not in page, external
    welcome = (out / "welcome.html").read_text(encoding="utf-8")
    assert 'class="emergency"' not in welcome
