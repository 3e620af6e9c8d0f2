"""The web entry end to end: Flask test client, then waitress for real on loopback."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model.request_envelope import RequestEnvelope
from flask import Flask
from flask.testing import FlaskClient
from web_support import (
    CHAIN_URL,
    HELLO_SPEECH,
    NOW,
    OTHER_SKILL_ID,
    SKILL_ID,
    DictFetcher,
    Pki,
    body_of,
    envelope,
    fixed_clock,
    hello_skill,
    make_pki,
    running,
    sign,
    signed_headers,
    stop_server,
)

from skill import app as skill_app
from skill import web
from skill.app import handle_event
from skill.sdk_compat import AbstractVerifier
from skill.settings import Settings
from skill.tools.envelopes import LOCAL_SKILL_ID, Session
from skill.verification import AlexaSignatureVerifier, AlexaTimestampVerifier
from skill.web import (
    MAX_BODY_BYTES,
    UnsafeHostError,
    check_host,
    create_app,
    create_server,
    is_loopback_host,
    run_server,
)

JSON = "application/json; charset=utf-8"
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings(skill_id=SKILL_ID, store_path=tmp_path / "preferences.json")


@pytest.fixture
def fetcher(pki: Pki) -> DictFetcher:
    return DictFetcher(dict(pki.chains))


@pytest.fixture
def verifiers_at_now(pki: Pki, fetcher: DictFetcher) -> list[AbstractVerifier]:
    """The production verifiers, trusting the test root and living at ``NOW``."""
    return [
        AlexaSignatureVerifier(fetcher=fetcher, trust_store=pki.trust_store(), clock=fixed_clock()),
        AlexaTimestampVerifier(clock=fixed_clock()),
    ]


@pytest.fixture
def app(web_settings: Settings, verifiers_at_now: list[AbstractVerifier]) -> Flask:
    return create_app(web_settings, skill=hello_skill(), verifiers=verifiers_at_now)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def post_signed(client: FlaskClient, pki: Pki, document: dict[str, Any]) -> Any:
    body = body_of(document)
    return client.post("/", data=body, headers=signed_headers(body, pki.leaf_key))


def speech(response_json: dict[str, Any]) -> str:
    return str(response_json["response"]["outputSpeech"]["ssml"])


# --- verified requests ------------------------------------------------------------------------


def test_a_signed_request_gets_the_response_envelope(client: FlaskClient, pki: Pki) -> None:
    response = post_signed(client, pki, envelope())
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert data["version"] == "1.0"
    assert HELLO_SPEECH in speech(data)


def test_an_unsigned_request_is_refused(client: FlaskClient) -> None:
    response = client.post("/", data=body_of(envelope()), content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "missing SignatureCertChainUrl header"}


def test_a_bad_signature_is_refused(client: FlaskClient, pki: Pki) -> None:
    body = body_of(envelope())
    headers = signed_headers(body, pki.leaf_key)
    headers["Signature-256"] = sign(body, pki.other_key)
    response = client.post("/", data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "request signature is not valid"}


def test_a_replayed_body_with_a_new_timestamp_is_refused(client: FlaskClient, pki: Pki) -> None:
    original = body_of(envelope())
    headers = signed_headers(original, pki.leaf_key)
    replay = original.replace(b"2026-03-01T12:00:00Z", b"2026-03-01T12:01:00Z")
    assert replay != original
    response = client.post("/", data=replay, headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "request signature is not valid"}


def test_a_stale_signed_request_is_refused(client: FlaskClient, pki: Pki) -> None:
    from datetime import timedelta

    response = post_signed(client, pki, envelope(timestamp=NOW - timedelta(seconds=151)))
    assert response.status_code == 400
    assert response.get_json() == {"error": "request timestamp is too old"}


@pytest.mark.parametrize("timestamp", ["2026-03-01T12:00:00+25:00", "9999-12-31T23:59:59-01:00"])
def test_a_signed_request_with_an_unrepresentable_timestamp_is_400(
    client: FlaskClient, pki: Pki, timestamp: str
) -> None:
    document = envelope()
    document["request"]["timestamp"] = timestamp
    response = post_signed(client, pki, document)
    assert response.status_code == 400
    assert response.get_json() == {"error": "request timestamp is not valid"}


def test_a_signed_request_for_another_skill_is_refused(client: FlaskClient, pki: Pki) -> None:
    response = post_signed(client, pki, envelope(application_id=OTHER_SKILL_ID))
    assert response.status_code == 400
    assert response.get_json() == {"error": "request is for another skill"}


def test_a_forged_cert_url_is_refused_without_a_fetch(
    client: FlaskClient, pki: Pki, fetcher: DictFetcher
) -> None:
    body = body_of(envelope())
    headers = signed_headers(body, pki.leaf_key, url="https://evil.example/echo.api/cert.pem")
    response = client.post("/", data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "certificate URL host is not s3.amazonaws.com"}
    assert fetcher.calls == []


def test_the_chain_is_fetched_once_across_requests(
    client: FlaskClient, pki: Pki, fetcher: DictFetcher
) -> None:
    for _ in range(3):
        assert post_signed(client, pki, envelope()).status_code == 200
    assert fetcher.calls == [CHAIN_URL]


def test_a_refusal_logs_one_line_without_body_or_ids(
    client: FlaskClient, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    body = body_of(envelope(application_id=OTHER_SKILL_ID))
    headers = signed_headers(body, pki.leaf_key)
    headers["Signature-256"] = sign(body, pki.other_key)
    with caplog.at_level(logging.INFO):
        response = client.post("/", data=body, headers=headers)
    assert response.status_code == 400
    refusals = [r for r in caplog.records if r.getMessage().startswith("Alexa request refused")]
    assert [r.getMessage() for r in refusals] == [
        "Alexa request refused: request signature is not valid"
    ]
    assert refusals[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.getMessage() == "Request verification failed"]
    for text in (OTHER_SKILL_ID, SKILL_ID, "amzn1", "LaunchRequest", headers["Signature-256"]):
        assert text not in caplog.text


# --- what is refused as unreadable -------------------------------------------------------------

MALFORMED = pytest.mark.parametrize(
    ("data", "content_type", "error"),
    [
        (b"{not json", JSON, "request body is not valid JSON"),
        (b"", JSON, "request body is not valid JSON"),
        (b"[1, 2]", JSON, "request body must be a JSON object"),
        (b'"text"', JSON, "request body must be a JSON object"),
        (b'{"a": "\xff"}', JSON, "request body is not UTF-8"),
        (b'{"version": "1.0"}', JSON, "request body is not an Alexa request envelope"),
        (b'{"request": {"type": "NoSuchRequest"}}', JSON, "not an Alexa request envelope"),
        (b'{"request": 5}', JSON, "request body is not an Alexa request envelope"),
        (b"{}", "text/plain", "content type must be application/json"),
        (b"{}", "application/x-www-form-urlencoded", "content type must be application/json"),
        # present as JSON, but missing what every Alexa request carries
        (b'{"request": {"type": "IntentRequest"}}', JSON, "not an Alexa request envelope"),
    ],
)


@MALFORMED
def test_malformed_requests_are_400_json_in_dev_mode(
    web_settings: Settings, data: bytes, content_type: str, error: str
) -> None:
    client = create_app(web_settings, skill=hello_skill(), dev=True).test_client()
    response = client.post("/", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert error in response.get_json()["error"]


@MALFORMED
def test_malformed_requests_signed_by_alexa_are_400_json(
    client: FlaskClient, pki: Pki, data: bytes, content_type: str, error: str
) -> None:
    """In production the same checks run, after the signature: junk Alexa signed is still junk."""
    headers = {**signed_headers(data, pki.leaf_key), "Content-Type": content_type}
    response = client.post("/", data=data, headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert error in response.get_json()["error"]


def test_unsigned_junk_is_refused_for_its_missing_signature_first(client: FlaskClient) -> None:
    response = client.post("/", data=b"{not json", content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "missing SignatureCertChainUrl header"}


ENVELOPE_PARTS = {
    "no version": (("version",), None),
    "no request id": (("request", "requestId"), None),
    "no timestamp": (("request", "timestamp"), None),
    "an intent request without its intent": (("request", "intent"), None),
    "an intent without a name": (("request", "intent", "name"), None),
    "a numeric request id": (("request", "requestId"), 5),
}


@pytest.mark.parametrize("case", list(ENVELOPE_PARTS), ids=list(ENVELOPE_PARTS))
def test_an_envelope_missing_a_required_part_is_400_in_dev_mode(
    web_settings: Settings, case: str
) -> None:
    document = envelope(request_type="IntentRequest")
    document["request"]["intent"] = {"name": "AMAZON.HelpIntent", "confirmationStatus": "NONE"}
    path, value = ENVELOPE_PARTS[case]
    node = document
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    client = create_app(web_settings, skill=hello_skill(), dev=True).test_client()
    response = client.post("/", data=body_of(document), content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "request body is not an Alexa request envelope"}


def test_the_lambda_entry_still_answers_an_incomplete_envelope_calmly(
    skill: CustomSkill, settings: Settings
) -> None:
    response = handle_event({"request": {"type": "IntentRequest"}}, skill=skill, settings=settings)
    ssml = response["response"]["outputSpeech"]["ssml"]
    assert ssml.startswith("<speak>")


@pytest.mark.parametrize("where", ["context", "session"])
@pytest.mark.parametrize("value", [5, 5.5, True, [SKILL_ID], {"id": SKILL_ID}])
def test_both_entries_refuse_a_skill_id_that_is_not_a_string(
    skill: CustomSkill, settings: Settings, where: str, value: Any
) -> None:
    settings = settings._replace(skill_id=SKILL_ID)
    document = envelope()  # names SKILL_ID in both places; one of them becomes junk
    holder = document["context"]["System"] if where == "context" else document["session"]
    holder["application"]["applicationId"] = value
    with pytest.raises(skill_app.ForeignSkillError):
        handle_event(json.loads(body_of(document)), skill=skill, settings=settings)
    client = create_app(settings, skill=skill, dev=True).test_client()
    response = client.post("/", data=body_of(document), content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "request is for another skill"}


# --- the envelope is read once, and only after the signature checks out -------------------------


class CountingSerializer(DefaultSerializer):
    """The SDK's serializer, counting how often it reads a whole request envelope."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes_read = 0

    def _DefaultSerializer__deserialize(self, payload: Any, obj_type: Any) -> Any:
        if obj_type is RequestEnvelope:
            self.envelopes_read += 1
        return super()._DefaultSerializer__deserialize(payload, obj_type)  # type: ignore[misc]


@pytest.fixture
def counting() -> tuple[CustomSkill, CountingSerializer]:
    skill = hello_skill()
    serializer = CountingSerializer()
    skill.serializer = serializer
    return skill, serializer


def _padded_envelope() -> bytes:
    document = envelope()
    document["session"]["attributes"] = {f"k{index}": [1, 2, {"b": None}] for index in range(5000)}
    body = body_of(document)
    assert 100_000 < len(body) <= MAX_BODY_BYTES
    return body


def test_an_unsigned_request_is_refused_before_its_envelope_is_read(
    web_settings: Settings,
    verifiers_at_now: list[AbstractVerifier],
    counting: tuple[CustomSkill, CountingSerializer],
) -> None:
    skill, serializer = counting
    client = create_app(web_settings, skill=skill, verifiers=verifiers_at_now).test_client()
    response = client.post("/", data=_padded_envelope(), content_type=JSON)
    assert response.get_json() == {"error": "missing SignatureCertChainUrl header"}
    assert serializer.envelopes_read == 0


def test_a_forged_signature_is_refused_before_the_envelope_is_read(
    web_settings: Settings,
    verifiers_at_now: list[AbstractVerifier],
    counting: tuple[CustomSkill, CountingSerializer],
    pki: Pki,
) -> None:
    skill, serializer = counting
    client = create_app(web_settings, skill=skill, verifiers=verifiers_at_now).test_client()
    body = _padded_envelope()
    response = client.post("/", data=body, headers=signed_headers(body, pki.other_key))
    assert response.get_json() == {"error": "request signature is not valid"}
    assert serializer.envelopes_read == 0


def test_a_signed_request_is_read_once(
    web_settings: Settings,
    verifiers_at_now: list[AbstractVerifier],
    counting: tuple[CustomSkill, CountingSerializer],
    pki: Pki,
) -> None:
    skill, serializer = counting
    client = create_app(web_settings, skill=skill, verifiers=verifiers_at_now).test_client()
    response = post_signed(client, pki, envelope())
    assert response.status_code == 200
    assert serializer.envelopes_read == 1


def test_an_oversized_body_is_413_json(client: FlaskClient) -> None:
    padding = "x" * MAX_BODY_BYTES
    data = json.dumps({**envelope(), "padding": padding}).encode()
    response = client.post("/", data=data, content_type=JSON)
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body is too large"}


def test_a_body_just_under_the_limit_is_read(client: FlaskClient) -> None:
    document = envelope()
    document["padding"] = ""
    room = MAX_BODY_BYTES - len(body_of(document))
    document["padding"] = "x" * room
    body = body_of(document)
    assert len(body) == MAX_BODY_BYTES
    response = client.post("/", data=body, content_type=JSON)
    assert response.status_code == 400  # read, parsed, then refused for lack of a signature
    assert response.get_json() == {"error": "missing SignatureCertChainUrl header"}


def test_other_methods_and_paths_get_json_errors(client: FlaskClient) -> None:
    put = client.put("/", data=b"{}", content_type=JSON)
    assert put.status_code == 405
    assert put.get_json() == {"error": "method not allowed"}
    assert "POST" in put.headers["Allow"]
    missing = client.post("/elsewhere", data=b"{}", content_type=JSON)
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "not found"}


def test_a_failing_skill_is_500_json_without_a_traceback(
    client: FlaskClient, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    document = envelope(request_type="IntentRequest")
    document["request"]["intent"] = {"name": "AnyIntent", "confirmationStatus": "NONE"}
    with caplog.at_level(logging.ERROR):
        response = post_signed(client, pki, document)
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error"}
    assert b"Traceback" not in response.data
    assert b"failed on purpose" not in response.data
    assert "unexpected error serving a request" in caplog.text


@pytest.mark.parametrize(
    ("chosen", "reported"),
    [
        ([], "off"),
        (["signature"], "partial (signature only)"),
        (["timestamp"], "partial (timestamp only)"),
        (["signature", "timestamp"], "on"),
    ],
)
def test_status_reports_the_verification_really_in_place(
    web_settings: Settings,
    verifiers_at_now: list[AbstractVerifier],
    chosen: list[str],
    reported: str,
) -> None:
    by_name = dict(zip(["signature", "timestamp"], verifiers_at_now, strict=True))
    app = create_app(web_settings, skill=hello_skill(), verifiers=[by_name[n] for n in chosen])
    assert app.test_client().get("/").get_json()["request_verification"] == reported


def test_status_is_a_small_json_without_secrets(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.get_json() == {
        "service": "Migraine Helper",
        "status": "ok",
        "request_verification": "on",
        "skill_id_check": True,
    }
    assert SKILL_ID.encode() not in response.data


# --- dev mode ---------------------------------------------------------------------------------


def test_dev_mode_accepts_unsigned_requests(web_settings: Settings) -> None:
    client = create_app(web_settings, skill=hello_skill(), dev=True).test_client()
    response = client.post("/", data=body_of(envelope()), content_type=JSON)
    assert response.status_code == 200
    assert HELLO_SPEECH in speech(response.get_json())
    assert client.get("/").get_json()["request_verification"] == "off (dev mode)"


def test_dev_mode_accepts_any_timestamp(web_settings: Settings) -> None:
    client = create_app(web_settings, skill=hello_skill(), dev=True).test_client()
    old = envelope()  # NOW is a fixed date, far from the real clock
    assert client.post("/", data=body_of(old), content_type=JSON).status_code == 200


def test_dev_mode_still_checks_the_skill_id(web_settings: Settings) -> None:
    client = create_app(web_settings, skill=hello_skill(), dev=True).test_client()
    data = body_of(envelope(application_id=OTHER_SKILL_ID))
    response = client.post("/", data=data, content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "request is for another skill"}


def test_without_a_skill_id_any_skill_is_served_in_dev(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "p.json")
    client = create_app(settings, skill=hello_skill(), dev=True).test_client()
    data = body_of(envelope(application_id=OTHER_SKILL_ID))
    assert client.post("/", data=data, content_type=JSON).status_code == 200
    assert client.get("/").get_json()["skill_id_check"] is False


def test_production_mode_uses_the_real_verifiers_by_default(web_settings: Settings) -> None:
    verifiers = web.build_verifiers(web_settings, dev=False)
    assert [type(v).__name__ for v in verifiers] == [
        "AlexaSignatureVerifier",
        "AlexaTimestampVerifier",
        "SkillIdVerifier",
    ]
    assert [type(v).__name__ for v in web.build_verifiers(web_settings, dev=True)] == [
        "SkillIdVerifier"
    ]
    # and the SDK's own certvalidator-based verifiers are off
    app = create_app(web_settings, skill=hello_skill())
    assert app.config["ASK_SDK_VERIFY_SIGNATURE"] is False
    assert app.config["ASK_SDK_VERIFY_TIMESTAMP"] is False


def test_production_mode_refuses_an_unsigned_request_by_default(web_settings: Settings) -> None:
    client = create_app(web_settings, skill=hello_skill()).test_client()
    response = client.post("/", data=body_of(envelope()), content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "missing SignatureCertChainUrl header"}


# --- through the real skill -------------------------------------------------------------------


def test_the_real_skill_answers_a_signed_launch(
    skill: CustomSkill, settings: Settings, pki: Pki, verifiers_at_now: list[AbstractVerifier]
) -> None:
    settings = settings._replace(skill_id=LOCAL_SKILL_ID)
    client = create_app(settings, skill=skill, verifiers=verifiers_at_now).test_client()
    document = Session().launch()
    document["request"]["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    response = post_signed(client, pki, document)
    assert response.status_code == 200
    ssml = speech(response.get_json())
    assert ssml.startswith("<speak>")
    assert "Migraine Helper" in ssml or "migraine" in ssml.lower()


def test_the_real_skill_refuses_a_signed_request_for_another_skill(
    skill: CustomSkill, settings: Settings, pki: Pki, verifiers_at_now: list[AbstractVerifier]
) -> None:
    settings = settings._replace(skill_id=SKILL_ID)  # not Session's LOCAL_SKILL_ID
    client = create_app(settings, skill=skill, verifiers=verifiers_at_now).test_client()
    document = Session().launch()
    document["request"]["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    response = post_signed(client, pki, document)
    assert response.status_code == 400
    assert response.get_json() == {"error": "request is for another skill"}


def test_the_real_skill_in_dev_mode_answers_help(skill: CustomSkill, settings: Settings) -> None:
    client = create_app(settings, skill=skill, dev=True).test_client()
    session = Session()
    client.post("/", data=json.dumps(session.launch()), content_type=JSON)
    session.new = False
    response = client.post(
        "/", data=json.dumps(session.intent("AMAZON.HelpIntent")), content_type=JSON
    )
    assert response.status_code == 200
    assert speech(response.get_json()).startswith("<speak>")


def test_the_default_skill_comes_from_skill_app(
    skill: CustomSkill, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def fake_default_skill() -> CustomSkill:
        calls.append(1)
        return skill

    monkeypatch.setattr(skill_app, "default_skill", fake_default_skill)
    client = create_app(settings, dev=True).test_client()
    response = client.post("/", data=json.dumps(Session().launch()), content_type=JSON)
    assert response.status_code == 200
    assert calls == [1]


# --- hosts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)
    check_host(host, dev=True)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "10.0.0.1", "192.168.1.20", "::", "", "example.com", "localhost.evil"]
)
def test_dev_mode_refuses_other_hosts(host: str) -> None:
    assert not is_loopback_host(host)
    with pytest.raises(UnsafeHostError, match="--dev turns Alexa request verification off"):
        check_host(host, dev=True)
    check_host(host, dev=False)  # with verification on, any host is allowed


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.1"])
def test_run_server_refuses_dev_on_a_public_host_before_binding(
    host: str, web_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_app(*args: object, **kwargs: object) -> Flask:
        raise AssertionError("the app must not be built")

    monkeypatch.setattr(web, "create_app", no_app)
    with pytest.raises(UnsafeHostError, match=host):
        run_server(host, 8080, dev=True, settings=web_settings)


@pytest.mark.parametrize("skill_id", [None, ""])
def test_run_server_refuses_production_without_a_skill_id_before_binding(
    skill_id: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_app(*args: object, **kwargs: object) -> Flask:
        raise AssertionError("the app must not be built")

    monkeypatch.setattr(web, "create_app", no_app)
    settings = Settings(skill_id=skill_id, store_path=tmp_path / "p.json")
    with pytest.raises(UnsafeHostError, match="SKILL_ID is not set"):
        run_server("127.0.0.1", 0, dev=False, settings=settings)


@pytest.mark.parametrize("skill_id", [None, "   "])
def test_serve_without_dev_or_a_skill_id_exits_with_one_line(
    skill_id: str | None, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SKILL_ID"}
    env["SKILL_STORE_PATH"] = str(tmp_path / "p.json")
    if skill_id is not None:
        env["SKILL_ID"] = skill_id
    command = [sys.executable, "-m", "skill", "serve", "--host", "127.0.0.1", "--port", "0"]
    result = subprocess.run(  # a server that starts anyway is stopped by the timeout
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: SKILL_ID is not set")
    assert "--dev" in lines[0]


def test_dev_mode_serves_without_a_skill_id(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "p.json")
    app = create_app(settings, skill=hello_skill(), dev=True)
    server = create_server("127.0.0.1", 0, dev=True, settings=settings, app=app)
    with running(server) as base_url, requests.Session() as http:
        http.trust_env = False
        response = http.post(base_url, data=body_of(envelope()), headers={"Content-Type": JSON})
        assert response.status_code == 200


# --- waitress for real, on loopback -----------------------------------------------------------


def test_waitress_serves_a_signed_request(app: Flask, pki: Pki, web_settings: Settings) -> None:
    server = create_server("127.0.0.1", 0, dev=False, settings=web_settings, app=app)
    with running(server) as base_url, requests.Session() as http:
        http.trust_env = False  # loopback only: never through a proxy
        body = body_of(envelope())
        signed = http.post(base_url, data=body, headers=signed_headers(body, pki.leaf_key))
        assert signed.status_code == 200
        assert HELLO_SPEECH in speech(signed.json())
        unsigned = http.post(base_url, data=body, headers={"Content-Type": JSON})
        assert unsigned.status_code == 400
        assert unsigned.json() == {"error": "missing SignatureCertChainUrl header"}
        too_big = http.post(
            base_url, data=b"x" * (MAX_BODY_BYTES + 1), headers={"Content-Type": JSON}
        )
        assert too_big.status_code == 413


def _body_of_size(size: int) -> bytes:
    """A LaunchRequest envelope padded to exactly ``size`` bytes."""
    document = envelope()
    document["padding"] = ""
    document["padding"] = "x" * (size - len(body_of(document)))
    body = body_of(document)
    assert len(body) == size
    return body


@pytest.fixture
def live(app: Flask, web_settings: Settings) -> Iterator[tuple[Any, str]]:
    """The production server (waitress, the app with the test PKI) running on loopback."""
    server = create_server("127.0.0.1", 0, dev=False, settings=web_settings, app=app)
    with running(server) as base_url:
        yield server, base_url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # loopback only: never through a proxy
        yield session


def test_a_body_of_exactly_the_limit_is_served_and_one_byte_more_refused(
    live: tuple[Any, str], http: requests.Session, client: FlaskClient, pki: Pki
) -> None:
    _, base_url = live
    exact = _body_of_size(MAX_BODY_BYTES)
    over = _body_of_size(MAX_BODY_BYTES + 1)
    served = http.post(base_url, data=exact, headers=signed_headers(exact, pki.leaf_key))
    assert served.status_code == 200, served.text
    assert HELLO_SPEECH in speech(served.json())
    refused = http.post(base_url, data=over, headers=signed_headers(over, pki.leaf_key))
    assert refused.status_code == 413
    assert refused.json() == {"error": "request body is too large"}
    # and the same in Flask alone
    assert (
        client.post("/", data=exact, headers=signed_headers(exact, pki.leaf_key)).status_code == 200
    )
    flask_over = client.post("/", data=over, headers=signed_headers(over, pki.leaf_key))
    assert flask_over.status_code == 413
    assert flask_over.get_json() == {"error": "request body is too large"}


def _raw_exchange(base_url: str, request_bytes: bytes) -> tuple[int, str, Any]:
    """Send raw bytes; return the status, the Content-Type and the parsed JSON body."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request_bytes)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:  # it closed with part of what we sent unread
            assert received, "reset before any answer"
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return status, fields.get("Content-Type", ""), json.loads(body)


@pytest.mark.parametrize(
    ("request_bytes", "status", "error"),
    [
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (20 * 1024) + b"\r\n\r\n",
            431,
            "request header fields too large",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1),
            413,
            "request body is too large",
        ),
        (b"POST / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "bad request"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
            "not implemented",
        ),
    ],
    ids=["431 headers too large", "413 body too large", "400 bad HTTP", "501 transfer coding"],
)
def test_waitress_refusals_are_json_like_the_apps(
    live: tuple[Any, str], request_bytes: bytes, status: int, error: str
) -> None:
    _, base_url = live
    got_status, content_type, document = _raw_exchange(base_url, request_bytes)
    assert got_status == status
    assert content_type.startswith("application/json")
    assert document == {"error": error}


def test_idle_half_open_connections_do_not_lock_out_a_client(
    live: tuple[Any, str], http: requests.Session, pki: Pki
) -> None:
    """110 connections that send half a request and stop (more than waitress's default limit
    of 100) must not keep a real request waiting."""
    _, base_url = live
    parts = urlsplit(base_url)
    idle: list[socket.socket] = []
    try:
        for _ in range(110):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            idle.append(sock)
        time.sleep(0.5)  # the server has taken them all in (or as many as it will)
        body = body_of(envelope())
        started = time.monotonic()
        response = http.post(
            base_url, data=body, headers=signed_headers(body, pki.leaf_key), timeout=5
        )
        waited = time.monotonic() - started
        assert response.status_code == 200
        assert waited < 2.0
    finally:
        for sock in idle:
            sock.close()


def test_idle_connections_are_closed_after_the_channel_timeout(
    app: Flask, web_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "CHANNEL_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(web, "CLEANUP_INTERVAL_SECONDS", 1)
    server = create_server("127.0.0.1", 0, dev=False, settings=web_settings, app=app)
    with running(server) as base_url:
        parts = urlsplit(base_url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            assert sock.recv(1) == b""  # closed by the server, with nothing sent
            assert time.monotonic() - started < 5.0


def test_the_server_is_tuned_for_a_small_endpoint(live: tuple[Any, str]) -> None:
    server, _ = live
    adjustments = server.adj
    assert 500 <= adjustments.connection_limit <= web.CONNECTION_LIMIT
    assert adjustments.channel_timeout == web.CHANNEL_TIMEOUT_SECONDS <= 10
    assert adjustments.cleanup_interval <= 2
    assert adjustments.backlog == web.LISTEN_BACKLOG
    assert adjustments.max_request_header_size == web.MAX_HEADER_BYTES
    assert adjustments.asyncore_use_poll  # select() cannot watch descriptors past 1023
    assert adjustments.threads == web.SERVER_THREADS


def test_the_connection_limit_leaves_room_under_the_open_file_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda _which: (256, 4096))
    assert web.connection_limit() == 256 - web.FILE_DESCRIPTOR_RESERVE
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (resource.RLIM_INFINITY,) * 2)
    assert web.connection_limit() == web.CONNECTION_LIMIT


def test_run_server_prints_where_it_serves(
    web_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    servers: list[Any] = []
    real_create_server = web.create_server

    def capture(*args: Any, **kwargs: Any) -> Any:
        kwargs["app"] = create_app(web_settings, skill=hello_skill(), dev=True)
        server = real_create_server(*args, **kwargs)
        servers.append(server)
        return server

    monkeypatch.setattr(web, "create_server", capture)
    thread = threading.Thread(
        target=run_server, args=("127.0.0.1", 0), kwargs={"dev": True, "settings": web_settings}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not servers and time.monotonic() < deadline:
            time.sleep(0.01)
        assert servers, "run_server did not create a server"
        server = servers[0]
        url = f"http://127.0.0.1:{server.effective_port}/"
        with requests.Session() as http:
            http.trust_env = False
            response = http.post(url, data=body_of(envelope()), headers={"Content-Type": JSON})
            assert response.status_code == 200
    finally:
        if servers:
            stop_server(servers[0], thread)
        thread.join(timeout=10)
    assert not thread.is_alive()
    out = capsys.readouterr().out
    assert f"serving on {url}" in out
    assert "request verification OFF" in out
    assert out.count("\n") == 1
