"""Requests that are not questions, foreign envelopes, and failures: never silent, never a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from conftest import SHARED_ENVELOPES_DIR, Invoke, load_event, shared_envelope, speech_of
from skill import app as app_module
from skill.app import ForeignSkillError, handle_event
from skill.handlers.topics import TopicHandler
from skill.lambda_function import handler
from skill.logs import JsonFormatter
from skill.settings import Settings


def _valid_envelope(response: dict[str, Any]) -> None:
    parsed = DefaultSerializer().deserialize(
        payload=__import__("json").dumps(response), obj_type=ResponseEnvelope
    )
    assert parsed is not None and parsed.response is not None


def test_session_ended_with_an_error_is_logged_without_speech(
    invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    response = invoke(load_event("session_ended_error.json"))
    assert "outputSpeech" not in response["response"]
    ended = [record for record in caplog.records if record.getMessage() == "session ended"]
    assert ended and ended[0].__dict__["reason"] == "ERROR"
    assert ended[0].__dict__["error_type"] == "INVALID_RESPONSE"


def test_exception_encountered_is_logged_without_speech(
    invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    response = invoke(load_event("exception_encountered.json"))
    assert "outputSpeech" not in response["response"]
    assert any("Alexa reported an error" in record.getMessage() for record in caplog.records)


ALEXA_SAYS = "Invalid SSML near 'my face is drooping' for MARKER-amzn1.ask.account.X"


@pytest.mark.parametrize("name", ["session_ended_error.json", "exception_encountered.json"])
def test_alexas_error_message_is_never_logged_verbatim(
    invoke: Invoke, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    """Alexa's free text may quote what was said or sent: only its type and length are logged."""
    caplog.set_level("DEBUG")
    event = load_event(name)
    event["request"]["error"]["message"] = ALEXA_SAYS
    invoke(event)
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    logged += "\n".join(repr(record.__dict__) for record in caplog.records)
    assert "MARKER" not in logged and "drooping" not in logged
    reported = [r for r in caplog.records if getattr(r, "error_message", None) is not None]
    assert reported, "the error is still reported"
    assert reported[0].__dict__["error_message"] == f"withheld ({len(ALEXA_SAYS)} characters)"
    assert reported[0].__dict__["error_type"] == "INVALID_RESPONSE"


def _can_fulfill(invoke: Invoke, intent: str, slots: dict[str, Any]) -> dict[str, Any]:
    event = load_event("launch.json")
    event["request"] = {
        "type": "CanFulfillIntentRequest",
        "requestId": "amzn1.echo-api.request.cfir",
        "timestamp": "2026-11-24T16:00:00Z",
        "locale": "en-US",
        "intent": {"name": intent, "slots": slots},
    }
    verdict: dict[str, Any] = invoke(event)["response"]["canFulfillIntent"]
    return verdict


def test_can_fulfill_yes_for_our_intents_with_understood_slots(invoke: Invoke) -> None:
    assert _can_fulfill(invoke, "AuraIntent", {})["canFulfill"] == "YES"
    verdict = _can_fulfill(
        invoke, "TriggerIntent", {"trigger": {"name": "trigger", "value": "red wine"}}
    )
    assert verdict["canFulfill"] == "YES"
    assert verdict["slots"]["trigger"] == {"canUnderstand": "YES", "canFulfill": "YES"}


def test_can_fulfill_no_otherwise(invoke: Invoke) -> None:
    assert _can_fulfill(invoke, "OrderPizzaIntent", {})["canFulfill"] == "NO"
    verdict = _can_fulfill(
        invoke, "TriggerIntent", {"trigger": {"name": "trigger", "value": "tax returns"}}
    )
    assert verdict["canFulfill"] == "NO"
    shared = invoke(shared_envelope("can_fulfill_intent_request.json"))
    assert shared["response"]["canFulfillIntent"]["canFulfill"] == "NO"


def test_an_intent_from_another_model_gets_the_fallback_answer(invoke: Invoke) -> None:
    event = load_event("launch.json")
    event["request"].update(type="IntentRequest", intent={"name": "MyNameIsIntent", "slots": {}})
    response = invoke(event)
    assert "triggers" in speech_of(response).lower()
    assert response["response"]["shouldEndSession"] is False


@pytest.mark.parametrize(
    "name", sorted(path.name for path in SHARED_ENVELOPES_DIR.glob("*.json")) or ["(none)"]
)
def test_real_captured_envelopes_get_valid_answers(invoke: Invoke, name: str) -> None:
    event = shared_envelope(name)
    response = invoke(event)
    _valid_envelope(response)
    request_type = event["request"]["type"]
    speech = response["response"].get("outputSpeech")
    if request_type in {"LaunchRequest", "IntentRequest"}:
        assert speech is not None and len(speech["ssml"]) < 8000
        if not response["response"].get("shouldEndSession"):
            assert response["response"]["reprompt"]
    else:
        assert speech is None


def test_a_foreign_locale_gets_english(invoke: Invoke) -> None:
    event = shared_envelope("intent_request_er_success_match.json")  # de-DE, another skill
    assert speech_of(invoke(event)).startswith("I'm not sure")


def test_skill_id_refuses_other_skills(skill: Any, tmp_path: Path) -> None:
    settings = Settings(skill_id="amzn1.ask.skill.ours", store_path=tmp_path / "p.json")
    event = load_event("launch.json")
    with pytest.raises(ForeignSkillError):
        handle_event(event, skill=skill, settings=settings)
    event["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.ours"
    with pytest.raises(ForeignSkillError):  # the session still names another skill
        handle_event(event, skill=skill, settings=settings)
    event["session"]["application"]["applicationId"] = "amzn1.ask.skill.ours"
    assert speech_of(handle_event(event, skill=skill, settings=settings))


@pytest.mark.parametrize(
    "event", [None, [], "text", 42, {}, {"request": "nope"}, {"version": "1.0"}]
)
def test_unreadable_requests_still_get_a_calm_answer(invoke: Invoke, event: Any) -> None:
    response = invoke(event)
    _valid_envelope(response)
    assert "emergency number" in speech_of(response)


def test_a_failing_handler_gets_the_calm_apology(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(self: object, handler_input: object) -> None:
        raise RuntimeError("forced failure")

    monkeypatch.setattr(TopicHandler, "handle", explode)
    response = invoke(load_event("intent_trigger_er_match.json"))
    heard = speech_of(response)
    assert heard.startswith("Sorry, something went wrong")
    assert "call 911" in heard
    assert response["response"]["shouldEndSession"] is False
    assert "whispered" not in response["response"]["outputSpeech"]["ssml"]
    assert any(record.__dict__.get("error_type") == "RuntimeError" for record in caplog.records)


@pytest.fixture
def fresh_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The Lambda entry as in a new process: settings and skill built from the environment."""
    monkeypatch.setenv("SKILL_STORE_PATH", str(tmp_path / "p.json"))
    app_module.default_skill.cache_clear()
    app_module.default_settings.cache_clear()
    yield
    app_module.default_skill.cache_clear()
    app_module.default_settings.cache_clear()


def test_broken_content_serves_the_last_resort_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_process: None
) -> None:
    (tmp_path / "en.yaml").write_text("skill_name: [unclosed", encoding="utf-8")
    monkeypatch.setenv("SKILL_CONTENT_DIR", str(tmp_path))
    response = handler(load_event("launch.json"), None)
    assert "isn't working right now" in speech_of(response)
    assert "emergency number" in speech_of(response)


def test_the_lambda_entry_answers(fresh_process: None) -> None:
    response = handler(load_event("intent_trigger_er_match.json"), None)
    assert speech_of(response).startswith("Alcohol")


def test_values_newer_than_the_sdk_still_get_the_answer(invoke: Invoke) -> None:
    """A future status code or dialog state must not turn an answer into an apology."""
    event = load_event("intent_trigger_er_match.json")
    event["request"]["dialogState"] = "SOMETHING_NEW"
    slot = event["request"]["intent"]["slots"]["trigger"]
    slot["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"] = "ER_SUCCESS_NEWER"
    slot["confirmationStatus"] = "MAYBE_LATER"
    assert speech_of(invoke(event)).startswith("Alcohol")


def test_a_locale_is_never_used_as_a_path(invoke: Invoke) -> None:
    event = load_event("intent_trigger_er_no_match.json")
    event["request"]["locale"] = "../../../etc/passwd"
    event["request"]["intent"]["slots"]["trigger"].pop("resolutions")
    assert speech_of(invoke(event)).startswith("I don't have specific information")


@pytest.mark.parametrize("request_type", ["SessionEndedRequest", "System.ExceptionEncountered"])
def test_unreadable_requests_where_speech_is_not_allowed_stay_silent(
    invoke: Invoke, request_type: str
) -> None:
    event = {"version": "1.0", "request": {"type": request_type, "reason": 17, "error": "x"}}
    response = invoke(event)
    assert "outputSpeech" not in response["response"]
