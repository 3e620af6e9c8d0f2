"""Fuzzing the Lambda path: whatever arrives, the skill answers with a valid response.

Envelopes are generated from scratch and made by mutating real ones (``tests/events`` and the
captured ``../shared/envelopes``): unknown intents and request types, odd slots and
resolutions, odd session attributes, unsupported locales, huge and strange strings, screens
and no screens, missing and mistyped sub-objects. Each one goes through ``handle_event`` (what
``skill.lambda_function.handler`` calls) with a skill on a temporary store, and the response
must be one Alexa accepts: an ``ask_sdk_model.ResponseEnvelope`` and nothing else, SSML under
8,000 characters and well formed, a reprompt whenever the session stays open after speech,
speech for every launch and intent, and none where speech is not allowed.

The default run makes 3,000 envelopes (see ``EXAMPLES``); it is derandomised, so a failure
reproduces. The defects it found (absurdly deep session attributes, XML-invalid characters in
speech, speech in reply to an unreadable session end) are pinned by regression cases at the end.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from xml.parsers import expat

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope, ResponseEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.app import ForeignSkillError, build_skill, handle_event
from skill.content import ContentLibrary
from skill.settings import PROJECT_DIR, Settings
from skill.tools.envelopes import ECHO_SHOW_VIEWPORT, LOCAL_SKILL_ID
from skill.vocabulary import load_vocabulary, model_path
from support.ssml import ROOT, validate_ssml

T = TypeVar("T")
Json = Any

EVENTS_DIR = Path(__file__).with_name("events")
SHARED_ENVELOPES_DIR = PROJECT_DIR.parent / "shared" / "envelopes"

# --------------------------------------------------------------------------------------------
# Budget: 3,000 envelopes in the default run, split across the property tests below.

EXAMPLES = {
    "generated": 800,
    "mutated": 900,
    "slot_values": 300,
    "attributes": 400,
    "ssml_checker": 300,
    "skill_id": 300,
}
assert sum(EXAMPLES.values()) == 3000


def fuzz_settings(name: str) -> settings:
    return settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        derandomize=True,
        database=None,  # nothing written into the repo
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --------------------------------------------------------------------------------------------
# Alexa's limits and the response rules

MAX_SSML_CHARS = 8000  # Alexa rejects output speech of 8,000 characters or more
MAX_CARD_CHARS = 8000  # all the text of a card together
MAX_RESPONSE_BYTES = 120 * 1024  # the total size of a response
MAX_ADDED_ATTRIBUTE_BYTES = 24 * 1024  # what one turn may add to the session attributes
SPEAKING_TYPES = frozenset({"LaunchRequest", "IntentRequest"})
SILENT_TYPES = frozenset({"SessionEndedRequest", "System.ExceptionEncountered"})
SERIALIZER = DefaultSerializer()
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def raw_request_type(event: object) -> str | None:
    """The request type as sent (a string), whether or not the SDK can read the rest."""
    request = event.get("request") if isinstance(event, dict) else None
    request_type = request.get("type") if isinstance(request, dict) else None
    return request_type if isinstance(request_type, str) else None


def incoming_attributes(event: object) -> object:
    session = event.get("session") if isinstance(event, dict) else None
    return session.get("attributes") if isinstance(session, dict) else None


def _utf8_size(value: object) -> int:
    if value is None:
        return 0
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return len(text.encode("utf-8", "surrogatepass"))


def is_readable(event: object) -> bool:
    """Whether the SDK can read this event as a request envelope with a request."""
    if not isinstance(event, dict):
        return False
    try:
        envelope = SERIALIZER.deserialize(payload=json.dumps(event), obj_type=RequestEnvelope)
    except Exception:
        return False
    return envelope is not None and envelope.request is not None


def check_ssml(ssml: object, where: str) -> str:
    assert isinstance(ssml, str), f"{where}: SSML is {type(ssml).__name__}"
    assert len(ssml) < MAX_SSML_CHARS, f"{where}: SSML is {len(ssml)} characters"
    assert not _XML_INVALID.search(ssml), f"{where}: SSML has characters XML forbids"
    # expat without namespace processing: Alexa's "amazon:" tags need no xmlns declaration.
    elements: list[str] = []
    texts: list[str] = []
    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda name, attributes: elements.append(name)
    parser.CharacterDataHandler = texts.append
    try:
        parser.Parse(ssml, True)
    except (expat.ExpatError, UnicodeEncodeError) as error:
        raise AssertionError(
            f"{where}: SSML is not well formed ({error}): {ssml[:300]!r}"
        ) from error
    assert elements[0] == "speak", f"{where}: SSML root is <{elements[0]}>"
    assert "".join(texts).strip(), f"{where}: SSML says nothing"
    return ssml


def speech_documents(response: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    speech = response.get("outputSpeech")
    if speech is not None:
        assert speech.get("type") == "SSML", "output speech must be SSML"
        yield "outputSpeech", speech.get("ssml")
    reprompt = response.get("reprompt")
    if reprompt is not None:
        reprompt_speech = reprompt.get("outputSpeech") or {}
        assert reprompt_speech.get("type") == "SSML", "reprompt must be SSML"
        yield "reprompt", reprompt_speech.get("ssml")


def check_response(event: object, result: object) -> list[str]:
    """Assert that ``result`` is a response Alexa accepts for ``event``; return its SSML."""
    assert isinstance(result, dict), f"handle_event returned {type(result).__name__}"
    text = json.dumps(result, allow_nan=True)
    # Session attributes come back as Alexa sent them (the skill's own, last turn), so they
    # are held to "no bigger than what came in, plus what the skill adds" instead.
    own = {key: value for key, value in result.items() if key != "sessionAttributes"}
    assert _utf8_size(own) < MAX_RESPONSE_BYTES, "response too big"
    grown = _utf8_size(result.get("sessionAttributes")) - _utf8_size(incoming_attributes(event))
    assert grown < MAX_ADDED_ATTRIBUTE_BYTES, f"session attributes grew by {grown} bytes"
    parsed = SERIALIZER.deserialize(payload=text, obj_type=ResponseEnvelope)
    assert isinstance(parsed, ResponseEnvelope)
    # Round trip: every key is one the model knows, with a value of the type it expects.
    assert json.dumps(SERIALIZER.serialize(parsed), sort_keys=True) == json.dumps(
        json.loads(text), sort_keys=True
    ), "the response has keys or values an ask_sdk_model.ResponseEnvelope does not"
    assert result.get("version") == "1.0"
    response = result.get("response")
    assert isinstance(response, dict), "no response object"

    documents = [check_ssml(ssml, where) for where, ssml in speech_documents(response)]
    speaks = response.get("outputSpeech") is not None
    ends = response.get("shouldEndSession")
    if speaks:
        assert isinstance(ends, bool), "speech without an explicit shouldEndSession"
        if ends is False:
            assert response.get("reprompt") is not None, "session left open with no reprompt"
    if response.get("reprompt") is not None:
        assert speaks, "a reprompt without speech"
    card = response.get("card")
    if isinstance(card, dict):
        card_text = "".join(str(card.get(key) or "") for key in ("title", "content", "text"))
        assert len(card_text) < MAX_CARD_CHARS, f"card is {len(card_text)} characters"

    request_type = raw_request_type(event)
    if is_readable(event):
        if request_type in SPEAKING_TYPES:
            assert speaks, f"silence in reply to a {request_type}"
        else:
            assert not speaks, f"speech in reply to a {request_type!r}"
            assert response.get("reprompt") is None
    else:
        # An unreadable request: a launch or an intent still hears the last-resort apology.
        if request_type in SPEAKING_TYPES:
            assert speaks, f"silence in reply to an unreadable {request_type}"
        if request_type in SILENT_TYPES:
            assert not speaks, f"speech in reply to an unreadable {request_type}"
    return documents


# --------------------------------------------------------------------------------------------
# The skill under test: built once per module on a temporary store


@dataclass(frozen=True)
class Target:
    skill: CustomSkill
    settings: Settings

    def run(self, event: object) -> dict[str, Any]:
        return handle_event(event, None, skill=self.skill, settings=self.settings)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, library: ContentLibrary) -> Target:
    settings = Settings(store_path=tmp_path_factory.mktemp("fuzz") / "preferences.json")
    return Target(build_skill(settings, library), settings)


# --------------------------------------------------------------------------------------------
# Vocabulary: the model's intents and slot values, plus things no model has

VOCABULARY = load_vocabulary(model_path(PROJECT_DIR / "interaction_model", "en-US"))
MODEL_INTENTS = sorted(VOCABULARY.intents)
SLOT_NAMES = sorted({slot for slots in VOCABULARY.slot_types.values() for slot in slots})
VALUE_IDS = sorted({value for table in VOCABULARY.phrases.values() for value in table.values()})
PHRASES = sorted({phrase for table in VOCABULARY.phrases.values() for phrase in table})
FOREIGN_INTENTS = [
    "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent",
    "AMAZON.ShuffleOnIntent",
    "AMAZON.SendToPhoneIntent",
    "HelloWorldIntent",
    "OrderPizzaIntent",
    "triggerintent",
    "",
]
REQUEST_TYPES = [
    "LaunchRequest",
    "IntentRequest",
    "SessionEndedRequest",
    "System.ExceptionEncountered",
    "CanFulfillIntentRequest",
    "AudioPlayer.PlaybackStarted",
    "AudioPlayer.PlaybackFailed",
    "PlaybackController.PlayCommandIssued",
    "Alexa.Presentation.APL.UserEvent",
    "Connections.Response",
    "AlexaSkillEvent.SkillEnabled",
    "AlexaSkillEvent.SkillPermissionAccepted",
    "Messaging.MessageReceived",
    "Dialog.API.Invoked",
    "Reminders.ReminderCreated",
    "Foo.UnknownRequest",
    "launchrequest",
    "",
]
LOCALES = [
    "en-US",
    "en-GB",
    "en-AU",
    "en-CA",
    "en-IN",
    "de-DE",
    "fr-FR",
    "es-MX",
    "ja-JP",
    "hi-IN",
    "ar-SA",
    "pt-BR",
    "EN-us",
    "en_US",
    "en",
    "",
    "xx-YY",
    "../../../../etc/passwd",
    "en-US\x00",
]
ER_CODES = [
    "ER_SUCCESS_MATCH",
    "ER_SUCCESS_NO_MATCH",
    "ER_ERROR_TIMEOUT",
    "ER_ERROR_EXCEPTION",
    "ER_SOMETHING_NEW",
    "er_success_match",
    "",
]
PENDING_VALUES = ["more", "emergency_check", "self_care", "anything_else"]
TOPIC_KEYS = [
    "triggers",
    "causes",
    "symptoms",
    "phases",
    "aura",
    "ketamine",
    "ketamine_evidence",
    "ketamine_safety",
    "ketamine_addiction",
    "ketamine_session",
    "medication_overuse",
    "self_care",
    "disclaimer",
    "clinic",
    "red_flag",
    "emergency_check",
]

# --------------------------------------------------------------------------------------------
# Strings

#: Characters chosen to break things: controls, format and direction marks, XML and SSML
#: specials, placeholders' braces, combining marks, astral characters, lone surrogates.
NASTY_CHARS = [
    "\x00",
    "\x01",
    "\x07",
    "\x0b",
    "\x1b",
    "\x7f",
    "\x85",
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\ufffd",
    "\ufffe",
    "\uffff",
    "\ud800",
    "\udfff",
    "\U0001f600",
    "\u0301",
    "<",
    ">",
    "&",
    '"',
    "'",
    "{",
    "}",
    "\\",
    "%",
    "\t",
    "\n",
    "\r",
]
NASTY_WORDS = [
    "red wine",
    "chocolate",
    "pineapple",
    "{emergency_number}",
    "{clinic_phone}",
    "{title}",
    "{item}",
    "{nope}",
    "{{",
    "<speak>",
    "</speak>",
    '<audio src="https://example.com/a.mp3"/>',
    "<![CDATA[x]]>",
    "]]>",
    "&amp;",
    "&#0;",
    "<!-- -->",
    "<?xml version='1.0'?>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    "%s%n",
    "None",
    "null",
    "NaN",
    "\uff32\uff25\uff24\u3000\uff37\uff29\uff2e\uff25",  # RED WINE, full width
    "ꜱʏᴍᴘᴛᴏᴍ",
    "ملل",
    "偏頭痛",
    "I'm feeling dizzy",
    "\U0001f937\u200d\u2640\ufe0f",
]
HUGE = 20_000


def _build_text(*, max_size: int) -> st.SearchStrategy[str]:
    extra = list(NASTY_CHARS)
    alphabet = st.one_of(st.characters(), st.sampled_from(extra))
    words = list(NASTY_WORDS)
    return st.one_of(
        st.text(alphabet, max_size=max_size),
        st.sampled_from(words),
        st.lists(st.sampled_from(words + PHRASES), min_size=1, max_size=12).map(" ".join),
        st.lists(
            st.one_of(st.sampled_from(PHRASES), st.text(alphabet, min_size=1, max_size=3)),
            min_size=1,
            max_size=6,
        ).map(" ".join),
    )


def _build_huge() -> st.SearchStrategy[str]:
    units = [
        "a",
        "é",
        "\U0001f600",
        "\u202e",
        "<&>",
        "red wine ",
        "{clinic_phone}",
        "{emergency_number} ",
        "x" * 50 + " ",
        "\x00",
        "\x01",
    ]
    return st.sampled_from(units).map(lambda unit: (unit * (HUGE // len(unit) + 1))[:HUGE])


def _build_odd() -> st.SearchStrategy[Json]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30, -(10**30)]),
        st.floats(allow_nan=True, allow_infinity=True),
        _build_text(max_size=12),
    )
    nested = st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(_build_text(max_size=6), children, max_size=3),
        ),
        max_leaves=8,
    )
    return st.one_of(
        nested,
        _build_huge(),
        st.integers(min_value=2, max_value=60).map(_nested_list),
    )


def _nested_list(depth: int) -> Json:
    """``[[[...]]]`` ``depth`` deep: far below the depth of the known RecursionError."""
    value: Json = []
    for _ in range(depth):
        value = [value]
    return value


# Strategies are built once: building them per draw costs more than running the skill.
_TEXT = {size: _build_text(max_size=size) for size in (6, 8, 12, 20, 40)}
_HUGE = _build_huge()
_ANY_TEXT = st.one_of(_TEXT[40], _HUGE)
_ODD = _build_odd()


def text_strategy(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """Strange short strings, XML-invalid characters included (speech must drop them)."""
    return _TEXT[max_size]


def huge_strategy() -> st.SearchStrategy[str]:
    """20,000 characters of something: one long word, many words, many specials."""
    return _HUGE


def any_text() -> st.SearchStrategy[str]:
    return _ANY_TEXT


def odd_value() -> st.SearchStrategy[Json]:
    """Any JSON value, biased to what breaks code that expects something else."""
    return _ODD


def maybe(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    """The value, or None meaning "leave the key out"."""
    return st.one_of(st.none(), strategy)


def put(node: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        node[key] = value


# --------------------------------------------------------------------------------------------
# Envelopes from scratch, in two modes. Strict envelopes have the shape Alexa sends (known
# request types and enum values, objects where objects go) with strange contents, so they
# reach the handlers; loose ones break the shape too. Strategies are module constants:
# hypothesis validates each new strategy object, and doing that per draw costs more than
# running the skill.

ODD = odd_value()
ODD_SPOKEN = odd_value()
TEXT = text_strategy()
TEXT_SPOKEN = text_strategy()
ANY_TEXT = any_text()
MAYBE_ANY_TEXT = maybe(ANY_TEXT)
MAYBE_TEXT = maybe(TEXT)
SPOKEN_VALUE = st.one_of(st.sampled_from(PHRASES), TEXT_SPOKEN)


@st.composite
def weighted(draw: st.DrawFn, *choices: tuple[int, st.SearchStrategy[Any]]) -> Any:
    """One of the strategies, picked in proportion to its weight (``one_of`` is uniform)."""
    pick = draw(st.integers(0, sum(weight for weight, _ in choices) - 1))
    for weight, strategy in choices:
        if pick < weight:
            return draw(strategy)
        pick -= weight
    raise AssertionError("unreachable")


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``common`` nine times in ten, ``rare`` the tenth."""
    return weighted((9, common), (1, rare))


def strict_or_loose(
    common: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]
) -> dict[bool, st.SearchStrategy[Any]]:
    """By mode: strict draws only ``common``; loose draws ``odd`` one time in ten."""
    return {True: common, False: mostly(common, odd)}


def rarely(draw: st.DrawFn, strict: bool, one_in: int = 10) -> bool:
    """True about once in ``one_in`` draws, and never in strict mode."""
    return not strict and draw(st.integers(0, one_in - 1)) == one_in - 1


CONFIRMATION = strict_or_loose(
    maybe(st.sampled_from(("NONE", "CONFIRMED", "DENIED"))), st.sampled_from(("MAYBE", ""))
)
SLOT_SOURCE = mostly(maybe(st.just("USER")), st.sampled_from(("DIALOG", "ODD")))
SLOT_VALUE_TYPE = strict_or_loose(st.just("Simple"), st.sampled_from(("List", "Odd")))
AUTHORITY_NAME = st.one_of(st.just(f"amzn1.er-authority.echo-sdk.{LOCAL_SKILL_ID}.TRIGGER"), TEXT)
ER_CODE = strict_or_loose(st.sampled_from(ER_CODES[:4]), st.sampled_from(ER_CODES[4:]))
RESOLVED_NAME = maybe(st.one_of(st.sampled_from(PHRASES), ODD_SPOKEN))
RESOLVED_ID = maybe(weighted((3, st.sampled_from(VALUE_IDS)), (1, ODD_SPOKEN)))
SLOT_INTENTS = sorted(name for name, slots in VOCABULARY.slot_types.items() if slots)
INTENT_NAME = weighted(
    (8, st.sampled_from(MODEL_INTENTS)),
    (4, st.sampled_from(SLOT_INTENTS)),  # where what was said can be said back
    (1, st.sampled_from(FOREIGN_INTENTS)),
    (1, TEXT),
)
SLOT_NAME = st.one_of(st.sampled_from(SLOT_NAMES), text_strategy(max_size=8))
KNOWN_TYPES = st.sampled_from(REQUEST_TYPES[:15])  # all known to ask_sdk_model
REQUEST_TYPE = {
    True: weighted(
        (12, st.sampled_from(("LaunchRequest", "IntentRequest", "IntentRequest"))),
        (2, st.sampled_from(("SessionEndedRequest", "System.ExceptionEncountered"))),
        (2, KNOWN_TYPES),
    ),
    False: weighted(
        (12, st.sampled_from(("LaunchRequest", "IntentRequest", "IntentRequest"))),
        (2, st.sampled_from(("SessionEndedRequest", "System.ExceptionEncountered"))),
        (2, st.sampled_from(REQUEST_TYPES)),
        (1, TEXT),
        (1, ODD),
    ),
}
TIMESTAMP = strict_or_loose(
    maybe(st.just("2026-11-24T16:00:00Z")),
    st.one_of(st.sampled_from(("2026-02-30T25:61:00Z", "yesterday", "", "0")), ODD),
)
LOCALE = mostly(maybe(st.sampled_from(LOCALES)), ANY_TEXT)
DIALOG_STATE = strict_or_loose(
    maybe(st.sampled_from(("STARTED", "IN_PROGRESS", "COMPLETED"))), st.just("WEIRD")
)
END_REASON = strict_or_loose(
    maybe(st.sampled_from(("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"))),
    st.just("SOME_NEW_REASON"),
)
ERROR_TYPE = strict_or_loose(
    maybe(
        st.sampled_from(
            (
                "INVALID_RESPONSE",
                "DEVICE_COMMUNICATION_ERROR",
                "INTERNAL_SERVICE_ERROR",
                "ENDPOINT_TIMEOUT",
            )
        )
    ),
    st.just("SOME_NEW_ERROR"),
)
APL_VERSION = st.sampled_from(("1.21", "2024.2", "0", "x"))
VIEWPORT_MODE = st.sampled_from(("HUB", "TV", "PC", "AUTO", "MOBILE", "ODD"))
ENVELOPE_VERSION = st.sampled_from(("1.0", "1.0", "2.0", None))
NEW_FLAG = strict_or_loose(maybe(st.booleans()), ODD)
REQUEST_ID = mostly(maybe(st.just("amzn1.echo-api.request.fuzz")), ANY_TEXT)
SESSION_ID = mostly(maybe(st.just("amzn1.echo-api.session.fuzz")), ANY_TEXT)
USER_ID = mostly(maybe(st.just("amzn1.ask.account.FUZZ")), ANY_TEXT)
DEVICE_ID = mostly(maybe(st.just("amzn1.ask.device.FUZZ")), ANY_TEXT)
APPLICATION_ID = mostly(st.just(LOCAL_SKILL_ID), ANY_TEXT)

#: Session attributes: our keys with right and wrong types and values, and keys not ours.
TOPIC_ATTRIBUTE = st.one_of(
    st.fixed_dictionaries(
        {
            "topic": st.one_of(st.sampled_from(TOPIC_KEYS), ODD_SPOKEN),
            "item": st.one_of(st.none(), st.sampled_from(VALUE_IDS), ODD_SPOKEN),
            "next_part": st.one_of(
                st.integers(-3, 8),
                st.sampled_from((True, False, 2**63, -(2**63), 1.5)),
                ODD_SPOKEN,
            ),
        }
    ),
    ODD_SPOKEN,
)
_LAST_RECORD = st.fixed_dictionaries(
    {},
    optional={
        "speech": st.one_of(
            st.lists(TEXT_SPOKEN, max_size=4),
            st.lists(st.just("word " * 50), min_size=30, max_size=60),
            ODD_SPOKEN,
        ),
        "reprompt": st.one_of(TEXT_SPOKEN, ODD_SPOKEN),
        "urgent": ODD_SPOKEN,
        "pending": st.one_of(st.sampled_from(PENDING_VALUES), ODD_SPOKEN),
        "card": st.one_of(
            st.lists(TEXT_SPOKEN, min_size=2, max_size=2),
            st.lists(ODD_SPOKEN, max_size=3),
            ODD_SPOKEN,
        ),
        "screen_title": ODD_SPOKEN,
    },
)
# The skill stores the remembered reply as one JSON string; fuzz that, and other shapes.
LAST_ATTRIBUTE = st.one_of(
    _LAST_RECORD.map(json.dumps),
    _LAST_RECORD,
    st.text(max_size=40),
    ODD_SPOKEN,
)
PREFS_ATTRIBUTE = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "voice": st.one_of(
                st.sampled_from(("normal", "whisper", "WHISPER", " whisper ", "loud")),
                ODD_SPOKEN,
            ),
            "heard_welcome": st.one_of(
                st.booleans(), st.sampled_from((0, 1, 2, "true")), ODD_SPOKEN
            ),
        },
    ),
    ODD_SPOKEN,
)
OUR_ATTRIBUTES = st.fixed_dictionaries(
    {},
    optional={
        "pending": st.one_of(st.sampled_from(PENDING_VALUES), ODD_SPOKEN),
        "topic": TOPIC_ATTRIBUTE,
        "last": LAST_ATTRIBUTE,
        "prefs": PREFS_ATTRIBUTE,
    },
)
OTHER_ATTRIBUTES = st.dictionaries(text_strategy(max_size=8), ODD_SPOKEN, max_size=2)
SESSION_ATTRIBUTES = st.builds(
    lambda other, ours: {**other, **ours}, OTHER_ATTRIBUTES, OUR_ATTRIBUTES
)


@st.composite
def slot_node(draw: st.DrawFn, name: str, strict: bool) -> Json:
    if rarely(draw, strict, 20):
        return draw(ODD_SPOKEN)
    node: dict[str, Any] = {}
    if draw(st.integers(0, 9)) != 9:
        node["name"] = name
    else:
        put(node, "name", draw(maybe(ODD)))
    value_kind = draw(st.integers(0, 9))
    if value_kind <= 5:
        node["value"] = draw(SPOKEN_VALUE)
    elif value_kind == 6:
        node["value"] = draw(huge_strategy())
    elif value_kind == 7:
        node["value"] = draw(ODD_SPOKEN)  # the SDK makes a string of anything
    put(node, "confirmationStatus", draw(CONFIRMATION[strict]))
    put(node, "source", draw(SLOT_SOURCE))
    resolution_kind = draw(st.integers(0, 9))
    if resolution_kind <= 7:
        count = draw(st.integers(0 if resolution_kind else 1, 3))
        authorities = [draw(AUTHORITY[strict]) for _ in range(count)]
        node["resolutions"] = {"resolutionsPerAuthority": authorities}
    elif resolution_kind == 8 and not strict:
        node["resolutions"] = draw(ODD_SPOKEN)
    if draw(st.integers(0, 19)) == 19:
        node["slotValue"] = {
            "type": draw(SLOT_VALUE_TYPE[strict]),
            "value": node.get("value"),
            "resolutions": node.get("resolutions"),
        }
    return node


@st.composite
def authority(draw: st.DrawFn, strict: bool) -> Json:
    if rarely(draw, strict, 20):
        return draw(ODD_SPOKEN)
    node: dict[str, Any] = {"authority": draw(AUTHORITY_NAME)}
    if rarely(draw, strict, 12):
        put(node, "status", draw(ODD_SPOKEN))
    else:
        node["status"] = {"code": draw(ER_CODE[strict])}
    if rarely(draw, strict, 10):
        node["values"] = draw(ODD_SPOKEN)
    elif draw(st.integers(0, 4)) != 4:
        node["values"] = [draw(RESOLVED_VALUE[strict]) for _ in range(draw(st.integers(0, 3)))]
    return node


@st.composite
def resolved_value(draw: st.DrawFn, strict: bool) -> Json:
    if rarely(draw, strict, 20):
        return draw(ODD_SPOKEN)
    value: dict[str, Any] = {}
    put(value, "name", draw(RESOLVED_NAME))
    put(value, "id", draw(RESOLVED_ID))
    return {"value": value}


AUTHORITY = {strict: authority(strict) for strict in (True, False)}
RESOLVED_VALUE = {strict: resolved_value(strict) for strict in (True, False)}


@st.composite
def intent_node(draw: st.DrawFn, strict: bool) -> Json:
    if rarely(draw, strict, 30):
        return draw(ODD_SPOKEN)
    name = draw(INTENT_NAME)
    node: dict[str, Any] = {"name": name}
    put(node, "confirmationStatus", draw(CONFIRMATION[strict]))
    if rarely(draw, strict, 12):
        node["slots"] = draw(ODD_SPOKEN)
    elif draw(st.integers(0, 9)) != 9:
        own = sorted(VOCABULARY.slot_types.get(name, {})) if isinstance(name, str) else []
        slots: dict[str, Any] = {}
        for _ in range(draw(st.integers(0, 3))):
            slot = own[0] if own and draw(st.integers(0, 3)) != 3 else draw(SLOT_NAME)
            slots[slot] = draw(slot_node(slot, strict))
        node["slots"] = slots
    return node


INTENT = {strict: intent_node(strict) for strict in (True, False)}


@st.composite
def request_node(draw: st.DrawFn, strict: bool) -> Json:
    request_type = draw(REQUEST_TYPE[strict])
    request: dict[str, Any] = {}
    put(request, "type", request_type)
    put(request, "requestId", draw(REQUEST_ID))
    put(request, "timestamp", draw(TIMESTAMP[strict]))
    put(request, "locale", draw(LOCALE))
    known = request_type if isinstance(request_type, str) else None
    if known in ("IntentRequest", "CanFulfillIntentRequest") or draw(st.booleans()):
        if draw(st.integers(0, 9)) != 9:
            request["intent"] = draw(INTENT[strict])
        put(request, "dialogState", draw(DIALOG_STATE[strict]))
    if known == "SessionEndedRequest" or draw(st.integers(0, 5)) == 5:
        put(request, "reason", draw(END_REASON[strict]))
    if known in SILENT_TYPES or draw(st.integers(0, 5)) == 5:
        error: dict[str, Any] = {}
        put(error, "type", draw(ERROR_TYPE[strict]))
        put(error, "message", draw(MAYBE_ANY_TEXT))
        request["error"] = error
        if known == "System.ExceptionEncountered":
            request["cause"] = {"requestId": draw(TEXT)}
    return request


@st.composite
def session_node(draw: st.DrawFn, strict: bool) -> Json:
    if rarely(draw, strict, 30):
        return draw(ODD_SPOKEN)
    session: dict[str, Any] = {}
    put(session, "new", draw(NEW_FLAG[strict]))
    put(session, "sessionId", draw(SESSION_ID))
    put(session, "application", {"applicationId": draw(APPLICATION_ID)})
    if rarely(draw, strict, 12):
        session["attributes"] = draw(ODD_SPOKEN)
    elif draw(st.integers(0, 9)) != 9:
        session["attributes"] = draw(SESSION_ATTRIBUTES)
    user: dict[str, Any] = {}
    put(user, "userId", draw(USER_ID))
    put(user, "accessToken", draw(MAYBE_TEXT))
    if draw(st.booleans()):
        user["permissions"] = {"consentToken": draw(TEXT)}
    session["user"] = user
    return session


@st.composite
def context_node(draw: st.DrawFn, strict: bool) -> Json:
    if rarely(draw, strict, 30):
        return draw(ODD)
    system: dict[str, Any] = {}
    if draw(st.integers(0, 5)) != 5:
        system["application"] = {"applicationId": LOCAL_SKILL_ID}
    if draw(st.integers(0, 5)) != 5:
        user: dict[str, Any] = {}
        put(user, "userId", draw(USER_ID))
        if draw(st.booleans()):
            user["permissions"] = {"consentToken": draw(TEXT)}
        system["user"] = user
    if rarely(draw, strict, 8):
        system["device"] = draw(ODD)
    elif draw(st.integers(0, 7)) != 7:
        screen = draw(st.integers(0, 2))  # none, APL, APL and the older Display interface
        interfaces: Json = {}
        if screen:
            interfaces["Alexa.Presentation.APL"] = {"runtime": {"maxVersion": draw(APL_VERSION)}}
        if screen == 2:
            interfaces["Display"] = {"templateVersion": "1.0", "markupVersion": "1.0"}
            interfaces["AudioPlayer"] = {}
        if rarely(draw, strict, 20):
            interfaces = draw(ODD)
        device: dict[str, Any] = {}
        put(device, "deviceId", draw(DEVICE_ID))
        device["supportedInterfaces"] = interfaces
        system["device"] = device
    if draw(st.booleans()):
        system["apiEndpoint"] = "https://api.amazonalexa.com"
    put(system, "apiAccessToken", draw(MAYBE_TEXT))
    context: dict[str, Any] = {"System": system}
    viewport = draw(st.integers(0, 2))  # none, an Echo Show, an odd one
    if viewport == 1 or (viewport == 2 and strict):
        context["Viewport"] = copy.deepcopy(ECHO_SHOW_VIEWPORT)
        context["Viewport"]["mode"] = draw(st.sampled_from(("HUB", "TV", "PC", "MOBILE")))
    elif viewport == 2:
        odd_viewport = copy.deepcopy(ECHO_SHOW_VIEWPORT)
        odd_viewport["pixelWidth"] = draw(ODD)
        odd_viewport["mode"] = draw(VIEWPORT_MODE)
        context["Viewport"] = draw(st.one_of(st.just(odd_viewport), ODD))
    if draw(st.integers(0, 5)) == 5:
        context["Viewports"] = [{"type": "APL", "id": "main", "shape": "RECTANGLE"}]
    return context


REQUEST = {strict: request_node(strict) for strict in (True, False)}
SESSION = {strict: session_node(strict) for strict in (True, False)}
CONTEXT = {strict: context_node(strict) for strict in (True, False)}


@st.composite
def generated_envelope(draw: st.DrawFn, strict: bool) -> Json:
    envelope: dict[str, Any] = {}
    put(envelope, "version", draw(ENVELOPE_VERSION))
    if draw(st.integers(0, 9)) != 9:
        envelope["session"] = draw(SESSION[strict])
    if draw(st.integers(0, 9)) != 9:
        envelope["context"] = draw(CONTEXT[strict])
    if rarely(draw, strict, 30):
        put(envelope, "request", draw(ODD))
    else:
        envelope["request"] = draw(REQUEST[strict])
    return envelope


GENERATED = st.one_of(generated_envelope(strict=True), generated_envelope(strict=False))


# --------------------------------------------------------------------------------------------
# Mutations of real envelopes


def _seed_files() -> list[Path]:
    files = sorted(EVENTS_DIR.glob("*.json"))
    if SHARED_ENVELOPES_DIR.is_dir():
        files += sorted(SHARED_ENVELOPES_DIR.glob("*.json"))
    return files


SEED_FILES = _seed_files()
SEEDS: list[Json] = [json.loads(path.read_text(encoding="utf-8-sig")) for path in SEED_FILES]

Path_ = tuple[str | int, ...]


def json_paths(node: Json, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every place in a JSON document, the root included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from json_paths(value, (*prefix, index))


def _parent(document: Json, path: Path_) -> Json:
    node = document
    for part in path[:-1]:
        node = node[part]
    return node


SEED_OR_GENERATED = weighted((2, st.sampled_from(SEEDS)), (1, GENERATED))
OPERATION = st.sampled_from(("replace", "replace", "delete", "add", "wrap", "empty"))
EMPTY = st.sampled_from(({}, [], "", 0))
KEY = text_strategy(max_size=8)


@st.composite
def mutated_envelope(draw: st.DrawFn) -> Json:
    seed = draw(SEED_OR_GENERATED)
    document = copy.deepcopy(seed)
    for _ in range(draw(st.sampled_from((1, 1, 1, 2, 2, 3, 4)))):
        paths = list(json_paths(document))
        path = draw(st.sampled_from(paths))
        operation = draw(OPERATION)
        if not path:  # the root itself
            if operation == "replace":
                document = draw(odd_value())
            continue
        parent = _parent(document, path)
        key = path[-1]
        if operation == "replace":
            parent[key] = draw(odd_value())
        elif operation == "delete":
            del parent[key]
        elif operation == "add" and isinstance(parent[key], dict):
            parent[key][draw(KEY)] = draw(odd_value())
        elif operation == "wrap":
            parent[key] = [parent[key]]
        elif operation == "empty":
            parent[key] = copy.copy(draw(EMPTY))
    return document


MUTATED = mutated_envelope()


# --------------------------------------------------------------------------------------------
# The properties


@pytest.mark.parametrize("path", SEED_FILES, ids=[path.name for path in SEED_FILES])
def test_every_seed_envelope_gets_a_valid_response(target: Target, path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8-sig"))
    check_response(event, target.run(event))


def test_seeds_include_real_and_own_envelopes() -> None:
    assert len(list(EVENTS_DIR.glob("*.json"))) >= 5
    assert len(SEEDS) == len(SEED_FILES)


def test_generated_envelopes(target: Target) -> None:
    seen_types: set[str] = set()

    @fuzz_settings("generated")
    @given(event=GENERATED)
    def check(event: Json) -> None:
        check_response(event, target.run(event))
        request_type = raw_request_type(event)
        if request_type is not None:
            seen_types.add(request_type)

    check()
    assert {"LaunchRequest", "IntentRequest", "SessionEndedRequest"} <= seen_types


def test_mutated_real_envelopes(target: Target) -> None:
    @fuzz_settings("mutated")
    @given(event=MUTATED)
    def check(event: Json) -> None:
        check_response(event, target.run(event))

    check()


@st.composite
def spoken_slot_request(draw: st.DrawFn) -> Json:
    """A well-formed slot intent whose value is strange: what reaches "I don't know about X"."""
    intent = draw(st.sampled_from(SLOT_INTENTS))
    slot = next(iter(VOCABULARY.slot_types[intent]))
    spoken = draw(weighted((4, TEXT_SPOKEN), (1, huge_strategy()), (1, ODD_SPOKEN)))
    code = draw(st.sampled_from(ER_CODES[:4]))
    resolution: dict[str, Any] = {
        "authority": f"amzn1.er-authority.{slot}",
        "status": {"code": code},
    }
    if code == "ER_SUCCESS_MATCH":
        resolution["values"] = [{"value": {"name": spoken, "id": draw(RESOLVED_ID)}}]
    slot_node = {"name": slot, "value": spoken, "confirmationStatus": "NONE"}
    if draw(st.booleans()):
        slot_node["resolutions"] = {"resolutionsPerAuthority": [resolution]}
    return {
        "version": "1.0",
        "session": {
            "new": draw(st.booleans()),
            "sessionId": "amzn1.echo-api.session.fuzz",
            "attributes": {"prefs": {"voice": draw(st.sampled_from(("normal", "whisper")))}},
            "user": {"userId": "amzn1.ask.account.FUZZ"},
        },
        "context": {"System": {"user": {"userId": "amzn1.ask.account.FUZZ"}}},
        "request": {
            "type": draw(
                st.sampled_from(("IntentRequest", "IntentRequest", "CanFulfillIntentRequest"))
            ),
            "requestId": "amzn1.echo-api.request.fuzz",
            "timestamp": "2026-11-24T16:00:00Z",
            "locale": draw(st.sampled_from(("en-US", "en-GB", "fr-FR"))),
            "intent": {"name": intent, "slots": {slot: slot_node}},
        },
    }


SPOKEN_SLOT_REQUEST = spoken_slot_request()


def test_strange_slot_values(target: Target) -> None:
    echoed: list[bool] = []

    @fuzz_settings("slot_values")
    @given(event=SPOKEN_SLOT_REQUEST)
    def check(event: Json) -> None:
        result = target.run(event)
        check_response(event, result)
        speech = (result["response"].get("outputSpeech") or {}).get("ssml", "")
        echoed.append("specific information about" in speech)

    check()
    assert any(echoed), "no strange value was said back: the strategy misses the echo path"


TURN_REQUEST = st.sampled_from(
    (
        "AMAZON.YesIntent",
        "AMAZON.NoIntent",
        "AMAZON.MoreIntent",
        "AMAZON.NextIntent",
        "AMAZON.RepeatIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.HelpIntent",
        "AMAZON.StartOverIntent",
        "AMAZON.StopIntent",
        "WhisperIntent",
        "NormalVoiceIntent",
        "TriggerIntent",
        "RedFlagIntent",
        "ClinicIntent",
        "LaunchRequest",
        "SessionEndedRequest",
    )
)
TURN_LOCALE = st.sampled_from(("en-US", "en-GB", "de-DE"))


@st.composite
def conversation_turn(draw: st.DrawFn) -> Json:
    """A well-formed turn mid-conversation whose session attributes are odd."""
    intent = draw(TURN_REQUEST)
    if intent in ("LaunchRequest", "SessionEndedRequest"):
        request: dict[str, Any] = {"type": intent}
    else:
        request = {"type": "IntentRequest", "intent": {"name": intent, "slots": {}}}
    request.update(
        requestId="amzn1.echo-api.request.fuzz",
        timestamp="2026-11-24T16:00:00Z",
        locale=draw(TURN_LOCALE),
    )
    return {
        "version": "1.0",
        "session": {
            "new": draw(st.booleans()),
            "sessionId": "amzn1.echo-api.session.fuzz",
            "application": {"applicationId": LOCAL_SKILL_ID},
            "attributes": draw(SESSION_ATTRIBUTES),
            "user": {"userId": "amzn1.ask.account.FUZZ"},
        },
        "context": {
            "System": {
                "application": {"applicationId": LOCAL_SKILL_ID},
                "user": {"userId": "amzn1.ask.account.FUZZ"},
                "device": {"deviceId": "amzn1.ask.device.FUZZ", "supportedInterfaces": {}},
            }
        },
        "request": request,
    }


CONVERSATION_TURN = conversation_turn()


def test_odd_session_attributes(target: Target) -> None:
    @fuzz_settings("attributes")
    @given(event=CONVERSATION_TURN)
    def check(event: Json) -> None:
        result = target.run(event)
        check_response(event, result)
        attributes = result.get("sessionAttributes") or {}
        if raw_request_type(event) in SPEAKING_TYPES:
            # Every answer sets or clears what a bare "yes" will mean.
            assert attributes.get("pending", "more") in PENDING_VALUES
            # A remembered reply the skill wrote this turn is one "repeat" can read back.
            before = incoming_attributes(event)
            last = attributes.get("last")
            if isinstance(before, dict) and last is not None and last != before.get("last"):
                assert isinstance(last, str)
                assert isinstance(json.loads(last).get("speech"), list)

    check()


def test_fuzzed_speech_passes_the_alexa_ssml_checker(target: Target) -> None:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "ssml-check-core").is_dir():
        pytest.skip("node and ssml-check-core are needed (make setup)")
    documents: set[str] = set()

    @fuzz_settings("ssml_checker")
    @given(event=st.one_of(GENERATED, MUTATED, CONVERSATION_TURN))
    def collect(event: Json) -> None:
        documents.update(check_response(event, target.run(event)))

    collect()
    assert len(documents) > 20
    ordered = sorted(documents)
    verdicts = validate_ssml(ordered)
    problems = {
        ssml[:200]: errors for ssml, errors in zip(ordered, verdicts, strict=True) if errors
    }
    assert not problems


# --------------------------------------------------------------------------------------------
# SKILL_ID: requests for another skill are refused with ForeignSkillError, and only those

OUR_SKILL_ID = "amzn1.ask.skill.00000000-fuzz-0000-0000-000000000001"
OTHER_SKILL_ID = "amzn1.ask.skill.99999999-fuzz-9999-9999-999999999999"


def addressed_to(event: Json) -> list[str]:
    """The skill IDs an envelope names (context.System.application's, the session's), as text."""
    found = []
    for outer, inner in (("context", "System"), ("session", None)):
        node = event.get(outer) if isinstance(event, dict) else None
        if inner is not None:
            node = node.get(inner) if isinstance(node, dict) else None
        application = node.get("application") if isinstance(node, dict) else None
        value = application.get("applicationId") if isinstance(application, dict) else None
        if value is not None:  # the SDK reads 0 as "0": named, and never our ID
            found.append(str(value))
    return found


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, library: ContentLibrary) -> Target:
    settings = Settings(
        skill_id=OUR_SKILL_ID,
        store_path=tmp_path_factory.mktemp("fuzz-skill-id") / "preferences.json",
    )
    return Target(build_skill(settings, library), settings)


ID_CHOICES = st.one_of(
    st.sampled_from([OUR_SKILL_ID, OUR_SKILL_ID, OTHER_SKILL_ID, OUR_SKILL_ID.upper(), ""]),
    st.sampled_from([f" {OUR_SKILL_ID}", f"{OUR_SKILL_ID}\n", None, 0, [OUR_SKILL_ID]]),
    text_strategy(max_size=20),
)


GENERATED_OR_MUTATED = st.one_of(GENERATED, MUTATED)


@st.composite
def addressed_envelope(draw: st.DrawFn) -> Json:
    event = draw(GENERATED_OR_MUTATED)
    if not isinstance(event, dict):
        return event
    for outer in ("context", "session"):
        choice = draw(st.integers(0, 3))
        node = event.get(outer)
        if outer == "context" and isinstance(node, dict):
            node = node.get("System")
        if not isinstance(node, dict) or choice == 0:
            continue
        if choice == 1:
            node.pop("application", None)
        else:
            node["application"] = {"applicationId": draw(ID_CHOICES)}
    return event


ADDRESSED = addressed_envelope()


def test_skill_id_set_refuses_other_skills_and_only_them(guarded: Target) -> None:
    outcomes: set[bool] = set()

    @fuzz_settings("skill_id")
    @given(event=ADDRESSED)
    def check(event: Json) -> None:
        ids = addressed_to(event)
        # Served only when it names our ID and no other (as the web entry's verifier rules).
        ours = not isinstance(event, dict) or (bool(ids) and set(ids) == {OUR_SKILL_ID})
        outcomes.add(ours)
        if ours:
            check_response(event, guarded.run(event))
        else:
            with pytest.raises(ForeignSkillError):
                guarded.run(event)

    check()
    assert outcomes == {True, False}, "both accepted and refused envelopes were generated"


@pytest.mark.parametrize(
    ("context_id", "session_id", "refused"),
    [
        (OUR_SKILL_ID, OUR_SKILL_ID, False),
        (OUR_SKILL_ID, None, False),
        (None, OUR_SKILL_ID, False),
        (OTHER_SKILL_ID, OUR_SKILL_ID, True),
        (OUR_SKILL_ID, OTHER_SKILL_ID, True),
        (OTHER_SKILL_ID, None, True),
        (None, None, True),
        (OUR_SKILL_ID, 0, True),  # hypothesis found it: a number is named, and never our ID
    ],
)
def test_skill_id_examples(
    guarded: Target, context_id: str | None, session_id: str | int | None, refused: bool
) -> None:
    event = json.loads((EVENTS_DIR / "launch.json").read_text(encoding="utf-8"))
    for node in (event["context"]["System"], event["session"]):
        node.pop("application", None)
    if context_id is not None:
        event["context"]["System"]["application"] = {"applicationId": context_id}
    if session_id is not None:
        event["session"]["application"] = {"applicationId": session_id}
    if refused:
        with pytest.raises(ForeignSkillError):
            guarded.run(event)
    else:
        check_response(event, guarded.run(event))


def test_without_skill_id_any_application_is_served(target: Target) -> None:
    event = json.loads((EVENTS_DIR / "launch.json").read_text(encoding="utf-8"))
    event["context"]["System"]["application"] = {"applicationId": OTHER_SKILL_ID}
    event["session"]["application"] = {"applicationId": OTHER_SKILL_ID}
    check_response(event, target.run(event))


# --------------------------------------------------------------------------------------------
# Regression examples (found by this fuzzing) and the known defects, as minimal envelopes


def _minimal(request: dict[str, Any], attributes: Json = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "1.0",
        "request": {"requestId": "r", "timestamp": "2026-11-24T16:00:00Z", **request},
    }
    if attributes is not None:
        event["session"] = {"new": False, "sessionId": "s", "attributes": attributes}
    return event


def _unmatched_trigger(spoken: Json) -> dict[str, Any]:
    slot = {
        "name": "trigger",
        "value": spoken,
        "resolutions": {
            "resolutionsPerAuthority": [
                {"authority": "a", "status": {"code": "ER_SUCCESS_NO_MATCH"}}
            ]
        },
    }
    return _minimal(
        {
            "type": "IntentRequest",
            "locale": "en-US",
            "intent": {"name": "TriggerIntent", "slots": {"trigger": slot}},
        }
    )


@pytest.mark.parametrize(
    "event",
    [
        _unmatched_trigger("x" * HUGE),  # one 20k-character word: over the SSML limit
        _unmatched_trigger(("red wine " * 3000)[:HUGE]),
        _unmatched_trigger(5),
        _unmatched_trigger({"a": [1]}),
        _unmatched_trigger("<speak>&amp;{clinic_phone}</speak>"),
        _minimal({"type": "IntentRequest"}),  # an intent request without an intent
        _minimal({"type": "IntentRequest", "intent": {"name": {"x": 1}}}),
        _minimal(
            {"type": "IntentRequest", "intent": {"name": "AMAZON.RepeatIntent"}},
            {"last": json.dumps({"speech": ["word " * 50] * 60})},  # a reply over the limit
        ),
        _minimal(
            {"type": "IntentRequest", "intent": {"name": "AMAZON.MoreIntent"}},
            {"topic": {"topic": "triggers", "next_part": 10**30}},
        ),
        _minimal({"type": "LaunchRequest", "locale": "../../../../etc/passwd"}),
        _minimal({"type": "SessionEndedRequest", "reason": "USER_INITIATED"}),
        _minimal({"type": "AudioPlayer.PlaybackStarted", "token": "t"}),
        [1, 2, 3],
        "LaunchRequest",
        None,
    ],
    ids=lambda event: json.dumps(event)[:60],
)
def test_regression_examples(target: Target, event: Json) -> None:
    check_response(event, target.run(event))


def _nested_session(depth: int) -> dict[str, Any]:
    return _minimal({"type": "LaunchRequest", "locale": "en-US"}, {"x": _nested_list(depth)})


def test_deeply_nested_session_attributes_do_not_crash(target: Target) -> None:
    event = _nested_session(700)
    check_response(event, target.run(event))


def test_moderately_nested_session_attributes_are_fine(target: Target) -> None:
    event = _nested_session(100)
    check_response(event, target.run(event))


@pytest.mark.parametrize("spoken", ["pine\x01apple", "pine\ud800apple", "pine\ufffeapple"])
def test_xml_invalid_characters_in_a_slot_value(target: Target, spoken: str) -> None:
    event = _unmatched_trigger(spoken)
    check_response(event, target.run(event))


def test_xml_invalid_characters_in_a_remembered_reply(target: Target) -> None:
    event = _minimal(
        {"type": "IntentRequest", "intent": {"name": "AMAZON.RepeatIntent"}},
        {"last": json.dumps({"speech": ["a\x01b"]})},
    )
    check_response(event, target.run(event))


def _no_speech_allowed(event: dict[str, Any], result: dict[str, Any]) -> None:
    assert not is_readable(event)
    check_response(event, result)
    assert "outputSpeech" not in result["response"], "speech in reply to " + str(
        raw_request_type(event)
    )


@pytest.mark.parametrize(
    "request_",
    [
        {"type": "SessionEndedRequest", "reason": "SOME_NEW_REASON"},
        {"type": "System.ExceptionEncountered", "error": {"type": "SOME_NEW_ERROR"}},
    ],
)
def test_unreadable_silent_requests_get_no_speech(target: Target, request_: Json) -> None:
    event = _minimal(request_)
    _no_speech_allowed(event, target.run(event))


# --------------------------------------------------------------------------------------------
# The checker itself must be able to fail


def _bad(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    good = {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": "<speak>Hello.</speak>"},
            "reprompt": {"outputSpeech": {"type": "SSML", "ssml": "<speak>Well?</speak>"}},
            "shouldEndSession": False,
        },
    }
    change(good)
    return good


LAUNCH = {"version": "1.0", "request": {"type": "LaunchRequest", "requestId": "r"}}
ENDED = {"version": "1.0", "request": {"type": "SessionEndedRequest", "requestId": "r"}}


def _set(path: tuple[str, ...], value: Json) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        node = document
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _drop(path: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        node = document
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


@pytest.mark.parametrize(
    ("event", "response"),
    [
        (LAUNCH, _bad(_drop(("response", "reprompt")))),
        (LAUNCH, _bad(_drop(("response", "outputSpeech")))),
        (LAUNCH, _bad(_drop(("response", "shouldEndSession")))),
        (LAUNCH, _bad(_set(("response", "outputSpeech", "ssml"), "<speak>a & b</speak>"))),
        (LAUNCH, _bad(_set(("response", "outputSpeech", "ssml"), "<speak>a\x01</speak>"))),
        (LAUNCH, _bad(_set(("response", "outputSpeech", "ssml"), "<p>hi</p>"))),
        (LAUNCH, _bad(_set(("response", "outputSpeech", "ssml"), f"<speak>{'a' * 8000}</speak>"))),
        (LAUNCH, _bad(_set(("response", "surprise"), 1))),
        (LAUNCH, _bad(_set(("response", "shouldEndSession"), "no"))),
        (LAUNCH, _bad(_set(("version",), "2.0"))),
        (ENDED, _bad(lambda document: None)),
        (LAUNCH, {"version": "1.0"}),
        (LAUNCH, []),
    ],
)
def test_the_checker_rejects_bad_responses(event: Json, response: Json) -> None:
    with pytest.raises((AssertionError, KeyError, TypeError)):
        check_response(event, response)


def test_the_checker_accepts_a_good_response() -> None:
    check_response(LAUNCH, _bad(lambda document: None))
