"""Privacy: the logs and the preference store never hold who someone is or what they said.

A whole conversation runs through the Lambda path while every log record (DEBUG and up, from
every logger) goes through the real ``skill.logs.JsonFormatter``. Each line must be JSON with
the fields operators need (request type, intent, topic, latency, cold start) and none of the
user, device or session IDs, tokens, or the words the person spoke. Fuzzed envelopes carrying
unique markers in those places, including ones that fail or cannot be read, check the same
for the error paths. The preference file must hold only hashed keys and preference keys.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import metrics
from skill.app import build_skill, handle_event
from skill.content import ContentLibrary
from skill.logs import ALLOWED_FIELDS, JsonFormatter, configure_logging
from skill.metrics import RequestRecorder
from skill.settings import Settings
from skill.tools.envelopes import Session, slot

USER_ID = "amzn1.ask.account.PRIVACY-USER-7Q3Z"
DEVICE_ID = "amzn1.ask.device.PRIVACY-DEVICE-K9W2"
PERSON_ID = "amzn1.ask.person.PRIVACY-PERSON-M4X8"
API_TOKEN = "eyJhbGciOiJSUzI1NiJ9.PRIVACY-API-TOKEN.c2lnbmF0dXJl"
CONSENT_TOKEN = "PRIVACY-CONSENT-TOKEN-Z5R1"
ACCESS_TOKEN = "PRIVACY-ACCOUNT-LINK-TOKEN-H2P6"
#: Words the person says: matched values, an unmatched one, and a red flag in their words.
SPOKEN = {
    "trigger_matched": "red wine",
    "trigger_unmatched": "quokkaberry smoothie",
    "symptom": "zigzag shimmering lights",
    "red_flag": "my face is drooping on one side",
}

#: The embedded-metric-format keys of the per-request line, besides its fields.
REQUEST_LINE_KEYS = frozenset(
    {"_aws", "level", "message", "Kind", "Topic", "SafetyLevel", "Requests", "Latency"}
)
#: Fields every "request handled" line carries.
REQUEST_FIELDS = ("request_type", "latency_ms", "cold_start")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
STORE_RECORD_KEYS = frozenset({"heard_welcome", "voice", "updated"})


class JsonLines(logging.Handler):
    """Formats every record with the real formatter and keeps the lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def sink(self, line: str) -> None:
        """Where the skill's per-request line (skill.metrics) goes in these tests."""
        self.lines.append(line)

    def documents(self) -> list[dict[str, Any]]:
        parsed = []
        for line in self.lines:
            assert "\n" not in line, f"a log line spans lines: {line!r}"
            document = json.loads(line)
            assert isinstance(document, dict), f"not a JSON object: {line!r}"
            assert {"level", "message"} <= set(document), line
            if document["message"] == "request handled":
                assert set(document) <= REQUEST_LINE_KEYS | set(metrics.FIELDS), line
            else:
                assert set(document) <= {"level", "logger", "message", "exception"} | ALLOWED_FIELDS
            parsed.append(document)
        return parsed


@pytest.fixture
def json_logs() -> Iterator[JsonLines]:
    """Every record from every logger, DEBUG and up, as the production formatter writes it."""
    root = logging.getLogger()
    handler = JsonLines()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --------------------------------------------------------------------------------------------
# A whole conversation


def identify(event: dict[str, Any], session_id: str) -> dict[str, Any]:
    """Put every identifier and token Alexa can send into an envelope."""
    system = event["context"]["System"]
    system["user"] = {
        "userId": USER_ID,
        "accessToken": ACCESS_TOKEN,
        "permissions": {"consentToken": CONSENT_TOKEN},
    }
    system["person"] = {"personId": PERSON_ID, "accessToken": ACCESS_TOKEN}
    system["device"]["deviceId"] = DEVICE_ID
    system["apiAccessToken"] = API_TOKEN
    if "session" in event:
        event["session"]["sessionId"] = session_id
        event["session"]["user"] = copy.deepcopy(system["user"])
    return event


def secrets_of(session_id: str) -> list[str]:
    return [
        USER_ID,
        USER_ID.rsplit(".", 1)[-1],
        DEVICE_ID,
        DEVICE_ID.rsplit(".", 1)[-1],
        PERSON_ID,
        session_id,
        session_id.rsplit(".", 1)[-1],
        API_TOKEN,
        "PRIVACY-API-TOKEN",
        CONSENT_TOKEN,
        ACCESS_TOKEN,
        hashlib.sha256(USER_ID.encode()).hexdigest(),  # the pseudonymous key is the store's only
        *SPOKEN.values(),
        "quokkaberry",
        "zigzag",
        "drooping",
    ]


def run_conversation(
    skill: CustomSkill, settings: Settings
) -> tuple[list[tuple[str, dict[str, Any]]], str]:
    """Launch, a matched trigger, an unmatched one, yes, whisper, a symptom, a red flag, end."""
    session = Session(user_id=USER_ID)
    turns: list[tuple[str, dict[str, Any]]] = []

    def run(label: str, event: dict[str, Any]) -> dict[str, Any]:
        event = identify(event, session.session_id)
        response = handle_event(event, None, skill=skill, settings=settings)
        session.absorb(response)
        turns.append((label, response))
        return response

    run("launch", session.launch())
    run(
        "trigger matched",
        session.intent(
            "TriggerIntent", {"trigger": slot("trigger", SPOKEN["trigger_matched"], "alcohol")}
        ),
    )
    run(
        "trigger unmatched",
        session.intent(
            "TriggerIntent", {"trigger": slot("trigger", SPOKEN["trigger_unmatched"], None)}
        ),
    )
    run("yes", session.intent("AMAZON.YesIntent"))
    run("whisper", session.intent("WhisperIntent"))
    run(
        "symptom",
        session.intent(
            "SymptomsIntent",
            {"symptom": slot("symptom", SPOKEN["symptom"], "blurred_vision")},
        ),
    )
    run(
        "red flag",
        session.intent(
            "RedFlagIntent", {"redFlag": slot("redFlag", SPOKEN["red_flag"], "face_drooping")}
        ),
    )
    run("session end", session.session_ended("USER_INITIATED"))
    return turns, session.session_id


@pytest.fixture
def skill(json_logs: JsonLines, settings: Settings, library: ContentLibrary) -> CustomSkill:
    """The real skill, writing its per-request lines where the test reads them."""
    return build_skill(settings, library, recorder=RequestRecorder(json_logs.sink))


@pytest.fixture
def conversation_logs(
    json_logs: JsonLines, skill: CustomSkill, settings: Settings
) -> tuple[list[dict[str, Any]], list[str], list[tuple[str, dict[str, Any]]], str]:
    turns, session_id = run_conversation(skill, settings)
    return json_logs.documents(), json_logs.lines, turns, session_id


Logs = tuple[list[dict[str, Any]], list[str], list[tuple[str, dict[str, Any]]], str]


def test_the_conversation_went_as_a_person_would_hear_it(conversation_logs: Logs) -> None:
    _, _, turns, _ = conversation_logs
    said = {label: json.dumps(response) for label, response in turns}
    assert "quokkaberry" in said["trigger unmatched"]  # said back to the person, not logged
    assert "whispered" in said["symptom"]
    assert "911" in said["red flag"]
    assert "outputSpeech" not in turns[-1][1]["response"]


def test_every_log_line_is_json_with_the_fields_operators_need(conversation_logs: Logs) -> None:
    documents, _, turns, _ = conversation_logs
    handled = [line for line in documents if line["message"] == "request handled"]
    assert len(handled) == len(turns), "one 'request handled' line per request"
    for line in handled:
        for name in REQUEST_FIELDS:
            assert name in line, f"{name} missing from {line}"
        assert isinstance(line["latency_ms"], int | float)
        assert 0 <= line["latency_ms"] < 1000
        assert isinstance(line["cold_start"], bool)
        assert line["locale"] == "en-US"
    types = [line["request_type"] for line in handled]
    assert types == ["LaunchRequest"] + ["IntentRequest"] * 6 + ["SessionEndedRequest"]
    intents = [line.get("intent") for line in handled]
    assert intents == [
        None,
        "TriggerIntent",
        "TriggerIntent",
        "AMAZON.YesIntent",
        "WhisperIntent",
        "SymptomsIntent",
        "RedFlagIntent",
        None,
    ]
    topics = [line.get("topic") for line in handled]
    assert topics[1:4] == ["triggers", "triggers", "triggers"]
    assert topics[5] == "symptoms"
    assert topics[6] == "call_now"
    safety = [line.get("safety") for line in handled]
    assert safety == [None] * 6 + ["call_now", None]
    assert topics[0] is None and topics[4] is None
    ended = [line for line in documents if line["message"] == "session ended"]
    assert len(ended) == 1 and ended[0]["reason"] == "USER_INITIATED"


def test_no_identifier_token_or_spoken_word_in_any_log_line(conversation_logs: Logs) -> None:
    _, lines, _, session_id = conversation_logs
    assert lines
    everything = "\n".join(lines).lower()
    for secret in secrets_of(session_id):
        assert secret.lower() not in everything, f"{secret!r} is in the logs"


def test_the_store_holds_hashed_keys_and_preferences_only(
    conversation_logs: Logs, settings: Settings
) -> None:
    _, _, _, session_id = conversation_logs
    text = settings.store_path.read_text(encoding="utf-8")
    for secret in secrets_of(session_id):
        if HEX64.match(secret):
            continue  # the hashed user id is the key, by design
        assert secret.lower() not in text.lower(), f"{secret!r} is in the preference store"
    data = json.loads(text)
    assert isinstance(data, dict) and data
    for key, record in data.items():
        assert HEX64.match(key), f"store key {key!r} is not a SHA-256 hex digest"
        assert set(record) <= STORE_RECORD_KEYS, f"unexpected keys {set(record)}"
    record = data[hashlib.sha256(USER_ID.encode()).hexdigest()]
    assert record["voice"] == "whisper" and record["heard_welcome"] is True
    for path in settings.store_path.parent.iterdir():  # no stray temporary files either
        assert path == settings.store_path or not path.name.endswith(".tmp")


# --------------------------------------------------------------------------------------------
# Fuzzed envelopes with markers in every identifying place, error paths included


class _Relay:
    """Hands the skill's per-request lines to whichever JsonLines a test is reading."""

    target: JsonLines | None = None

    def sink(self, line: str) -> None:
        if self.target is not None:
            self.target.sink(line)


RELAY = _Relay()


@pytest.fixture(scope="module")
def marked_target(
    tmp_path_factory: pytest.TempPathFactory, library: ContentLibrary
) -> tuple[CustomSkill, Settings]:
    settings = Settings(store_path=tmp_path_factory.mktemp("privacy") / "preferences.json")
    return build_skill(settings, library, recorder=RequestRecorder(RELAY.sink)), settings


KINDS = (
    "launch",
    "matched slot",
    "unmatched slot",
    "huge slot",  # over the speech limit: the error handler runs
    "unknown intent",
    "whisper",
    "session ended",
    "session ended with error",
    "exception encountered",
    "can fulfill",
    "unreadable",  # a timestamp the SDK cannot parse
    "no session",
)


@st.composite
def marked_envelope(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    tag = draw(st.integers(0, 10**9))
    markers = {name: f"MARK{name.upper()}{tag}X" for name in ("user", "device", "session", "slot")}
    kind = draw(st.sampled_from(KINDS))
    locale = draw(st.sampled_from(("en-US", "en-GB", "de-DE")))
    session = Session(user_id=f"amzn1.ask.account.{markers['user']}", locale=locale)
    session.session_id = f"amzn1.echo-api.session.{markers['session']}"
    session.new = draw(st.booleans())
    session.screen = draw(st.booleans())
    spoken = f"{draw(st.sampled_from(('my', 'the', 'a lot of')))} {markers['slot']}"
    if kind == "launch":
        event = session.launch()
    elif kind in ("matched slot", "unmatched slot", "huge slot", "can fulfill"):
        value_id = "chocolate" if kind == "matched slot" else None
        if kind == "huge slot":
            spoken = f"{markers['slot']}{'z' * 9000}"
        event = session.intent("TriggerIntent", {"trigger": slot("trigger", spoken, value_id)})
        if kind == "can fulfill":
            event["request"]["type"] = "CanFulfillIntentRequest"
    elif kind == "unknown intent":
        event = session.intent(f"Marked{tag}Intent", {"thing": slot("thing", spoken)})
    elif kind == "whisper":
        event = session.intent("WhisperIntent")
    elif kind == "session ended":
        event = session.session_ended("USER_INITIATED")
    elif kind == "session ended with error":
        event = session.session_ended("ERROR")
        event["request"]["error"] = {"type": "INVALID_RESPONSE", "message": "Invalid SSML"}
    elif kind == "exception encountered":
        event = session.launch()
        event["request"] = {
            "type": "System.ExceptionEncountered",
            "requestId": "amzn1.echo-api.request.x",
            "timestamp": "2026-11-24T16:00:00Z",
            "locale": locale,
            "error": {"type": "INVALID_RESPONSE", "message": "bad"},
            "cause": {"requestId": "amzn1.echo-api.request.y"},
        }
        del event["session"]
    elif kind == "unreadable":
        event = session.intent("TriggerIntent", {"trigger": slot("trigger", spoken)})
        event["request"]["timestamp"] = f"not a time {markers['slot']}"
    else:  # no session
        event = session.intent("TriggerIntent", {"trigger": slot("trigger", spoken)})
        del event["session"]
    system = event["context"]["System"]
    system["device"]["deviceId"] = f"amzn1.ask.device.{markers['device']}"
    system["apiAccessToken"] = f"token.{markers['user']}.sig"
    system["user"]["permissions"] = {"consentToken": f"consent{markers['device']}"}
    return event, list(markers.values())


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=marked_envelope())
def test_fuzzed_envelopes_leave_no_marker_in_the_logs(
    marked_target: tuple[CustomSkill, Settings], case: tuple[dict[str, Any], list[str]]
) -> None:
    skill, settings = marked_target
    event, markers = case
    handler = JsonLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    RELAY.target = handler
    try:
        response = handle_event(event, None, skill=skill, settings=settings)
    finally:
        RELAY.target = None
        root.removeHandler(handler)
        root.setLevel(level)
    assert isinstance(response, dict)
    documents = handler.documents()
    assert documents, "every request logs at least one line"
    everything = "\n".join(handler.lines)
    for marker in markers:
        assert marker not in everything, f"{marker} leaked into {everything}"
    store = settings.store_path
    if store.exists():
        text = store.read_text(encoding="utf-8")
        assert not any(marker in text for marker in markers)


def test_the_fuzzed_cases_reach_the_error_paths(
    marked_target: tuple[CustomSkill, Settings], json_logs: JsonLines
) -> None:
    """The kinds above do produce the warning and error lines they are meant to."""
    skill, settings = marked_target
    huge = Session()
    event = huge.intent("TriggerIntent", {"trigger": slot("trigger", "z" * 9000)})
    handle_event(event, None, skill=skill, settings=settings)
    unreadable = Session().launch()
    unreadable["request"]["timestamp"] = "not a time"
    handle_event(unreadable, None, skill=skill, settings=settings)
    messages = {line["message"] for line in json_logs.documents()}
    assert {"request failed", "request unreadable"} <= messages


# --------------------------------------------------------------------------------------------
# The formatter and the logging set-up themselves


def test_the_formatter_drops_fields_off_its_allow_list() -> None:
    record = logging.LogRecord("skill.test", logging.INFO, __file__, 1, "handled", None, None)
    record.__dict__.update(
        user_id=USER_ID,
        slot_value="red wine",
        session={"sessionId": "s"},
        intent="TriggerIntent",
        reason="x" * 500,
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["intent"] == "TriggerIntent"
    assert USER_ID not in json.dumps(line) and "red wine" not in json.dumps(line)
    assert set(line) == {"level", "logger", "message", "intent", "reason"}
    assert len(line["reason"]) <= 203  # long values are clipped


def test_an_exception_is_logged_by_type_only() -> None:
    try:
        raise ValueError(f"secret detail {USER_ID}")
    except ValueError:
        record = logging.LogRecord(
            "skill.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert json.loads(line)["exception"] == "ValueError"
    assert USER_ID not in line and "Traceback" not in line


@pytest.fixture
def pristine_logging() -> Iterator[logging.Logger]:
    """Put the root logger's handlers, formatters and levels back after the test."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    formatters = [handler.formatter for handler in handlers]
    levels = {name: logging.getLogger(name).level for name in ("ask_sdk_core", "boto3", "")}
    try:
        yield root
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler, formatter in zip(handlers, formatters, strict=True):
            handler.setFormatter(formatter)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_configure_logging_formats_as_json_and_keeps_libraries_quiet(
    pristine_logging: logging.Logger,
) -> None:
    configure_logging("DEBUG")
    assert pristine_logging.handlers
    assert all(isinstance(h.formatter, JsonFormatter) for h in pristine_logging.handlers)
    for noisy in ("ask_sdk_core", "boto3"):
        assert logging.getLogger(noisy).getEffectiveLevel() >= logging.INFO
