"""The web entry under junk: every bad request gets a short JSON 4xx, never a 5xx or a trace.

Both modes go through the Flask test client: dev (verification off) and verifying (Alexa
signature and timestamp checks on, with an offline certificate fetcher and a private PKI from
``web_support``, so nothing leaves the machine). Hand-picked junk first, then hypothesis
throwing random bytes, random JSON and mutated envelopes at it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import ResponseEnvelope
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import GENERATED, MUTATED
from web_support import (
    NOW,
    DictFetcher,
    body_of,
    envelope,
    fixed_clock,
    make_pki,
    signed_headers,
)

from skill.app import build_skill
from skill.content import ContentLibrary
from skill.settings import Settings
from skill.verification import AlexaSignatureVerifier, AlexaTimestampVerifier
from skill.web import MAX_BODY_BYTES, create_app

EVENTS_DIR = Path(__file__).with_name("events")
MAX_ERROR_BODY = 300  # "short": a sentence, not a dump
TRACE_MARKS = ("Traceback", 'File "', "line ", "Exception", "Error:", "<html", "werkzeug")
SERIALIZER = DefaultSerializer()
MODES = ("dev", "verifying")


@dataclass(frozen=True)
class Web:
    mode: str
    app: Flask

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture(scope="module")
def skill_and_settings(
    tmp_path_factory: pytest.TempPathFactory, library: ContentLibrary
) -> tuple[CustomSkill, Settings]:
    settings = Settings(store_path=tmp_path_factory.mktemp("web-junk") / "preferences.json")
    return build_skill(settings, library), settings


def offline_verifiers() -> list[Any]:
    """The real verifiers, trusting the test PKI, fetching from a dict, at a fixed time."""
    pki = make_pki()
    return [
        AlexaSignatureVerifier(
            fetcher=DictFetcher(pki.chains), trust_store=pki.trust_store(), clock=fixed_clock()
        ),
        AlexaTimestampVerifier(clock=fixed_clock()),
    ]


@pytest.fixture(scope="module")
def webs(skill_and_settings: tuple[CustomSkill, Settings]) -> dict[str, Web]:
    skill, settings = skill_and_settings
    return {
        "dev": Web("dev", create_app(settings, skill=skill, dev=True)),
        "verifying": Web(
            "verifying", create_app(settings, skill=skill, dev=False, verifiers=offline_verifiers())
        ),
    }


@pytest.fixture(params=MODES)
def web(request: pytest.FixtureRequest, webs: dict[str, Web]) -> Web:
    chosen: Web = webs[request.param]
    return chosen


def check_refusal(response: Any, *, status: int | None = None) -> str:
    """A short JSON error with a 4xx status and nothing of a traceback; returns the error."""
    body = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, f"{response.status_code}: {body[:300]}"
    if status is not None:
        assert response.status_code == status, body
    assert response.mimetype == "application/json", response.mimetype
    assert len(body) <= MAX_ERROR_BODY, f"error body is {len(body)} characters"
    for mark in TRACE_MARKS:
        assert mark not in body, f"{mark!r} in the error body: {body}"
    document = json.loads(body)
    assert isinstance(document, dict) and set(document) == {"error"}, body
    error = document["error"]
    assert isinstance(error, str) and error.strip()
    return error


def check_answer_or_refusal(response: Any) -> None:
    """What any request may get: a 4xx refusal or (dev, a real envelope) a valid response."""
    if response.status_code == 200:
        text = response.get_data(as_text=True)
        parsed = SERIALIZER.deserialize(payload=text, obj_type=ResponseEnvelope)
        assert isinstance(parsed, ResponseEnvelope) and parsed.response is not None
    else:
        check_refusal(response)


def launch_body() -> bytes:
    return (EVENTS_DIR / "launch.json").read_bytes()


def post(web: Web, body: bytes | str, content_type: str | None = "application/json") -> Any:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return web.client.post("/", data=body, headers=headers)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --------------------------------------------------------------------------------------------
# Hand-picked junk


JUNK: dict[str, tuple[bytes | str, str | None]] = {
    "malformed JSON": ('{"version": "1.0", "request": {', "application/json"),
    "trailing garbage": ('{"version": "1.0"} and more', "application/json"),
    "single quotes": ("{'version': '1.0'}", "application/json"),
    "empty body": ("", "application/json"),
    "whitespace body": (" \n\t ", "application/json"),
    "text/plain": (launch_body(), "text/plain"),
    "form encoded": ("version=1.0&request=launch", "application/x-www-form-urlencoded"),
    "multipart": ("--x\r\n\r\n--x--", "multipart/form-data; boundary=x"),
    "no content type": (launch_body(), None),
    "json-ish type": (launch_body(), "application/jsonp"),
    "a list": ("[1, 2, 3]", "application/json"),
    "a string": ('"LaunchRequest"', "application/json"),
    "a number": ("42", "application/json"),
    "a float": ("1e400", "application/json"),
    "null": ("null", "application/json"),
    "true": ("true", "application/json"),
    "empty object": ("{}", "application/json"),
    "no request": ('{"version": "1.0", "session": {}}', "application/json"),
    "request is null": ('{"version": "1.0", "request": null}', "application/json"),
    "request is a string": ('{"version": "1.0", "request": "LaunchRequest"}', "application/json"),
    "request without type": (
        '{"version": "1.0", "request": {"locale": "en-US"}}',
        "application/json",
    ),
    "unknown request type": ('{"version": "1.0", "request": {"type": "Nope"}}', "application/json"),
    "session is a list": (
        '{"version": "1.0", "session": [1], "request": {"type": "LaunchRequest"}}',
        "application/json",
    ),
    "NaN": ('{"version": "1.0", "request": NaN}', "application/json"),
    "huge integer": ('{"version": "1.0", "n": ' + "9" * 5000 + "}", "application/json"),
    "invalid UTF-8": (b'{"version": "\xff\xfe"}', "application/json"),
    "UTF-16": (launch_body().decode("utf-8").encode("utf-16"), "application/json"),
    "a byte-order mark": (b"\xef\xbb\xbf" + launch_body(), "application/json"),
    "lone surrogate escape": ('{"version": "\\ud800", "request": {}}', "application/json"),
    "NUL bytes": (b"\x00" * 64, "application/json"),
    "moderately nested": (_nested(200), "application/json"),
}


@pytest.mark.parametrize("case", list(JUNK), ids=list(JUNK))
def test_junk_gets_a_short_json_4xx(web: Web, case: str) -> None:
    body, content_type = JUNK[case]
    check_refusal(post(web, body, content_type), status=400)


def test_an_oversized_body_gets_413(web: Web) -> None:
    document = json.loads(launch_body())
    document["padding"] = "x" * MAX_BODY_BYTES
    error = check_refusal(post(web, json.dumps(document)), status=413)
    assert "large" in error


def test_an_oversized_body_of_junk_gets_413(web: Web) -> None:
    check_refusal(post(web, b"\xff" * (MAX_BODY_BYTES + 1), "text/plain"))


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_get_a_json_405(web: Web, method: str) -> None:
    response = web.client.open("/", method=method, data=launch_body())
    check_refusal(response, status=405)


def test_other_paths_get_a_json_404(web: Web) -> None:
    check_refusal(web.client.post("/admin", data=launch_body()), status=404)


def test_status_page_says_which_mode(web: Web) -> None:
    status = web.client.get("/").get_json()
    assert status["status"] == "ok"
    assert status["request_verification"].startswith("on" if web.mode == "verifying" else "off")


# --------------------------------------------------------------------------------------------
# The verifying mode: junk that is signed, and real requests that are not


def test_dev_mode_answers_a_real_envelope(webs: dict[str, Web]) -> None:
    response = post(webs["dev"], launch_body())
    assert response.status_code == 200
    check_answer_or_refusal(response)


def test_verifying_mode_refuses_an_unsigned_real_envelope(webs: dict[str, Web]) -> None:
    error = check_refusal(post(webs["verifying"], launch_body()), status=400)
    assert "Signature" in error


def test_verifying_mode_answers_a_signed_envelope(webs: dict[str, Web]) -> None:
    body = body_of(envelope(timestamp=NOW))
    headers = signed_headers(body, make_pki().leaf_key)
    response = webs["verifying"].client.post("/", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(
    "change",
    ["bad signature", "body changed after signing", "stale timestamp", "junk headers"],
)
def test_verifying_mode_refuses_forged_requests_with_a_short_400(
    webs: dict[str, Web], change: str
) -> None:
    pki = make_pki()
    body = body_of(envelope(timestamp=NOW))
    headers = signed_headers(body, pki.leaf_key)
    if change == "bad signature":
        headers = signed_headers(body, pki.other_key)
    elif change == "body changed after signing":
        body = body.replace(b"LaunchRequest", b"IntentRequest")
    elif change == "stale timestamp":
        body = body_of(envelope(timestamp=NOW.replace(year=2020)))
        headers = signed_headers(body, pki.leaf_key)
    else:
        headers["SignatureCertChainUrl"] = "file:///etc/passwd"
        headers["Signature-256"] = "!!not base64!!" * 100
    response = webs["verifying"].client.post("/", data=body, headers=headers)
    check_refusal(response, status=400)


# --------------------------------------------------------------------------------------------
# Regressions: deeply nested input (RecursionError in json and in the SDK's deepcopy)

DEEP_JSON = _nested(50_000)  # 100 KB: under the body limit


def test_deeply_nested_json_gets_a_400(web: Web) -> None:
    check_refusal(post(web, DEEP_JSON), status=400)


def test_deeply_nested_session_attributes_get_an_answer(webs: dict[str, Web]) -> None:
    document = json.loads(launch_body())
    document["session"]["attributes"] = {"x": json.loads(_nested(700))}
    check_answer_or_refusal(post(webs["dev"], json.dumps(document)))


# --------------------------------------------------------------------------------------------
# Hypothesis: random bytes, random JSON, mutated envelopes

CONTENT_TYPES = st.sampled_from(
    (
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "text/plain",
        "application/octet-stream",
        "",
    )
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _encode(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8")


BODIES = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    JSON_VALUES.map(_encode),
    GENERATED.map(lambda document: json.dumps(document).encode("utf-8", "surrogatepass")),
    MUTATED.map(lambda document: json.dumps(document).encode("utf-8", "surrogatepass")),
)


def test_random_bodies_never_get_a_5xx(webs: dict[str, Web]) -> None:
    statuses: dict[str, set[int]] = {"dev": set(), "verifying": set()}

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=BODIES, content_type=CONTENT_TYPES)
    def check(body: bytes, content_type: str) -> None:
        for mode, web in webs.items():
            response = post(web, body, content_type or None)
            check_answer_or_refusal(response)
            statuses[mode].add(response.status_code)
            if mode == "verifying":  # nothing unsigned gets through
                assert response.status_code != 200

    check()
    assert {200, 400} <= statuses["dev"], "the dev app both answered and refused"
