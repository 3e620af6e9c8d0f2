"""The simulator (contract 8) through the Flask test client: its page, its JSON, its limits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import markupsafe
import pytest
from ask_sdk_core.skill import CustomSkill
from flask.testing import FlaskClient
from web_support import SKILL_ID, hello_skill

from skill import web
from skill.app import build_skill, handle_event
from skill.content import ContentLibrary
from skill.screen import RENDER_DOCUMENT, TOKEN, Screen, datasources, load_document
from skill.settings import DEFAULT_LOCALE, PROJECT_DIR, Settings
from skill.speech import ssml_to_text
from skill.tools import preview
from skill.tools.console import Console
from skill.tools.nlu import load_resolver
from skill.tools.simulator import (
    CONVERSATION_PHRASINGS,
    HELP_PHRASINGS,
    MAX_TEXT_CHARS,
    SAFETY_PHRASINGS,
    SimulateRequest,
    Simulator,
    phrasing_groups,
    screen_of,
    screen_page,
)
from skill.web import create_app

CONTRACT_FIELDS = {"intent", "slots", "speech", "ssml", "reprompt", "card", "ended", "session"}
SESSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
LOCALES = ["en-001", "en-AU", "en-CA", "en-GB", "en-IN", "en-NZ", "en-US"]

Say = Callable[..., dict[str, Any]]


@pytest.fixture
def client(settings: Settings, skill: CustomSkill) -> FlaskClient:
    return create_app(settings, skill=skill, dev=True).test_client()


@pytest.fixture
def say(client: FlaskClient) -> Say:
    """POST /simulate; fails the test unless the answer is a 200 JSON object."""

    def post(text: str, session: str | None = None, **fields: str) -> dict[str, Any]:
        response = client.post("/simulate", json={"text": text, "session": session, **fields})
        assert response.status_code == 200, response.get_data(as_text=True)
        reply: dict[str, Any] = response.get_json()
        return reply

    return post


def emergency_of(library: ContentLibrary, locale: str) -> tuple[str, str]:
    """The emergency number as printed (card, screen) and as spoken (speech as text)."""
    line = library.for_locale(locale).emergency
    return line.number or line.spoken or "", line.spoken or line.number


# --- the page -------------------------------------------------------------------------------


def test_the_page_is_server_rendered_with_real_labels(client: FlaskClient) -> None:
    response = client.get("/simulator")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for control in ("text", "pick", "locale"):  # each control has a label that names it
        assert re.search(rf'<label for="{control}">[^<]+</label>', page), control
        assert f'id="{control}"' in page
    assert "<legend>Device</legend>" in page
    assert 'value="echo-dot"' in page and 'value="echo-show"' in page
    assert re.search(r'<ol id="transcript"[^>]*role="log"[^>]*aria-live="polite"', page)
    assert '<button id="read-aloud"' in page and '<button id="new-session"' in page
    for locale in LOCALES:
        assert f'<option value="{locale}"' in page
    assert '<p id="emergency-note" class="quiet">Emergency number: 911</p>' in page


def test_the_page_lists_help_topics_every_topic_and_safety_examples(
    client: FlaskClient, library: ContentLibrary
) -> None:
    page = client.get("/simulator").get_data(as_text=True)
    for label in ("What help says you can ask", "Every topic", "Safety examples"):
        assert f'<optgroup label="{label}">' in page
    for phrasing, _ in (*HELP_PHRASINGS, *SAFETY_PHRASINGS, *CONVERSATION_PHRASINGS):
        assert f'value="{markupsafe.escape(phrasing)}"' in page, phrasing
    topics = library.for_locale(DEFAULT_LOCALE).topics.values()
    for topic in topics:
        name = topic.answer.name
        assert f">{markupsafe.escape(name[:1].upper() + name[1:])}: \u201c" in page, name


def test_the_page_fetches_nothing_from_elsewhere(client: FlaskClient) -> None:
    page = client.get("/simulator")
    references = re.findall(r'(?:src|href)="([^"]*)"', page.get_data(as_text=True))
    assert "/simulator/simulator.js" in references and "/simulator/simulator.css" in references
    assert all(ref.startswith(("/simulator/", "#", "data:")) for ref in references), references
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    for name, kind in (("simulator.js", "text/javascript"), ("simulator.css", "text/css")):
        asset = client.get(f"/simulator/{name}")
        assert asset.status_code == 200 and asset.mimetype == kind
        text = asset.get_data(as_text=True)
        assert "http:" not in text and "https:" not in text and "@import" not in text
    assert client.get("/simulator/simulator.html").status_code == 404
    assert client.get("/simulator/..%2Fsimulator.py").status_code == 404


def test_the_page_script_sets_text_never_markup(client: FlaskClient) -> None:
    script = client.get("/simulator/simulator.js").get_data(as_text=True)
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "eval(" not in script and "document.write" not in script


# --- the contract ---------------------------------------------------------------------------


def test_a_reply_has_the_contract_fields(say: Say) -> None:
    reply = say("what triggers migraines", locale="en-US")
    assert set(reply) >= CONTRACT_FIELDS
    assert reply["intent"] == "TriggerIntent" and reply["slots"] == {}
    assert reply["speech"].startswith("Common migraine triggers")
    assert reply["ssml"].startswith("<speak>") and ssml_to_text(reply["ssml"]) == reply["speech"]
    assert reply["reprompt"] == ssml_to_text(reply["reprompt_ssml"])
    assert reply["reprompt"].startswith("Would you like to hear more")
    assert reply["card"]["title"] == "Migraine triggers"
    assert "Sources:" in reply["card"]["text"]
    assert reply["ended"] is False and reply["whispered"] is False
    assert SESSION_TOKEN.fullmatch(reply["session"])
    assert reply["new_session"] is True and reply["notice"] is None
    assert reply["matched"] == {
        "how": "exact",
        "sample": "what triggers migraines",
        "score": None,
        "device_may_differ": False,
        "explanation": "[TriggerIntent] exact match of the sample 'what triggers migraines'",
    }
    assert reply["device"] == "echo-dot" and reply["screen"] is None


def test_slots_say_what_was_heard_and_what_it_resolved_to(say: Say) -> None:
    reply = say("can red wine give me a migraine")
    assert reply["intent"] == "TriggerIntent"
    assert reply["slots"] == {"trigger": {"value": "red wine", "id": "alcohol", "name": "alcohol"}}
    words = say("i feel dizzy")  # a search-query slot: any words, no listed value
    assert words["intent"] == "StatementIntent"
    assert words["slots"] == {"statement": {"value": "feel dizzy", "id": None, "name": None}}


def test_a_match_by_similarity_is_labelled(say: Say) -> None:
    reply = say("waht triggers migraines")  # a typo where no carrier phrase can catch it
    assert reply["intent"] == "TriggerIntent"
    assert reply["matched"]["how"] == "similar" and reply["matched"]["device_may_differ"] is True
    assert 88 <= reply["matched"]["score"] < 100


def test_the_answers_are_the_consoles(say: Say, settings: Settings) -> None:
    """Typed words become intents as `chat` makes them: the same console, the same answers."""
    console = Console(settings)
    token = None
    for text in ("open migraine helper", "can pineapple trigger a migraine", "yes", "stop"):
        turn = console.say(text)
        reply = say(text, token)
        token = reply["session"]
        assert reply["intent"] == turn.resolution.intent
        assert reply["matched"]["explanation"] == turn.explain()
        assert reply["speech"] == turn.speech and reply["reprompt"] == turn.reprompt
        assert reply["ended"] is turn.ended


def test_the_session_carries_a_conversation_across_turns(say: Say) -> None:
    first = say("what triggers migraines")
    token = first["session"]
    more = say("yes", token)
    assert more["session"] == token and more["new_session"] is False
    assert more["intent"] == "AMAZON.YesIntent"
    fresh_yes = say("yes")  # the same word without the session answers something else
    assert more["speech"] != fresh_yes["speech"] and fresh_yes["new_session"] is True
    assert more["card"] is not None and more["card"]["title"] == "Migraine triggers"
    further = say("tell me more", token)
    assert further["session"] == token and further["speech"] not in {more["speech"], ""}
    goodbye = say("stop", token)
    assert goodbye["intent"] == "AMAZON.StopIntent"
    assert goodbye["ended"] is True and goodbye["session"] is None
    after = say("yes", token)  # the ended session's token starts a new one, and says so
    assert after["new_session"] is True and after["session"] not in {None, token}
    assert "ended or expired" in after["notice"]


def test_a_well_formed_unknown_token_starts_a_new_session(say: Say) -> None:
    reply = say("what is an aura", "A" * 22)
    assert reply["new_session"] is True and reply["session"] != "A" * 22
    assert reply["intent"] == "AuraIntent"


def test_a_new_locale_or_device_is_a_new_session(say: Say) -> None:
    token = say("what triggers migraines", locale="en-US")["session"]
    moved = say("yes", token, locale="en-GB")
    assert moved["new_session"] is True and "locale or device changed" in moved["notice"]
    assert moved["session"] != token and moved["locale"] == "en-GB"
    token = moved["session"]
    shown = say("yes", token, locale="en-GB", device="echo-show")
    assert shown["new_session"] is True and shown["device"] == "echo-show"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_answers_and_gives_its_own_emergency_number(
    say: Say, library: ContentLibrary, locale: str
) -> None:
    printed, spoken = emergency_of(library, locale)
    topic = say("what triggers migraines", locale=locale)
    assert topic["locale"] == locale and topic["intent"] == "TriggerIntent"
    assert topic["card"]["title"] == "Migraine triggers" and topic["ended"] is False
    urgent = say("my face is drooping", locale=locale, device="echo-show")
    assert urgent["intent"] == "RedFlagIntent" and urgent["ended"] is True
    assert urgent["emergency_number"] == printed
    assert spoken in urgent["speech"] and printed in urgent["card"]["text"]
    assert urgent["screen"]["emergency"] == f"Call {printed} now"
    assert urgent["whispered"] is False


@pytest.mark.parametrize("locale", LOCALES)
def test_every_safety_example_names_the_emergency_number(
    say: Say, library: ContentLibrary, locale: str
) -> None:
    printed, spoken = emergency_of(library, locale)
    for phrasing, _ in SAFETY_PHRASINGS:
        reply = say(phrasing, locale=locale, device="echo-show")
        assert spoken in reply["speech"], (phrasing, reply["speech"])
        assert printed in reply["screen"]["emergency"], phrasing


@pytest.mark.parametrize("locale", LOCALES)
def test_every_phrasing_offered_is_understood_exactly(library: ContentLibrary, locale: str) -> None:
    """Each pick is a phrasing a literal device understands (strict), as what it is meant for."""
    settings = Settings()
    resolver = load_resolver(settings.model_dir, locale)
    content = library.for_locale(DEFAULT_LOCALE)
    groups = dict(phrasing_groups(content, settings.model_dir))
    topics = list(content.topics.values())
    assert len(groups["Every topic"]) == len(topics)
    for (phrasing, _), topic in zip(groups["Every topic"], topics, strict=True):
        assert resolver.resolve(phrasing, strict=True).intent == topic.intent, phrasing
    for phrasings in groups.values():
        for phrasing, _ in phrasings:
            assert resolver.resolve(phrasing, strict=True).how in {"exact", "launch"}, phrasing


def test_the_echo_show_screen_is_drawn_as_preview_draws_it(say: Say) -> None:
    reply = say("what triggers migraines", device="echo-show")
    screen = reply["screen"]
    assert screen["title"] == "Migraine triggers" and screen["emergency"] == ""
    assert reply["speech"].startswith(screen["body"])  # the answer, without "hear more?"
    assert "hear more" not in screen["body"]
    drawn = Screen(screen["title"], screen["body"], screen["emergency"])
    document = load_document()
    assert screen["html"] == screen_page(drawn)
    page = preview.render_html(document, drawn)  # what `python -m skill preview` writes
    for piece in (preview.screen_css(document), preview.screen_markup(drawn)):
        assert piece in screen["html"] and piece in page
    assert "<script" not in screen["html"]


def test_the_screen_is_read_back_from_apl_text_and_escaped_as_html() -> None:
    calm = datasources(Screen("Tea & <b>cake</b>", "A < B & C > D", "Call 911 now"))
    envelope = {
        "response": {
            "directives": [
                {"type": "Alexa.Presentation.APL.ExecuteCommands", "token": TOKEN},
                {"type": RENDER_DOCUMENT, "token": TOKEN, "datasources": calm},
            ]
        }
    }
    screen = screen_of(envelope)
    assert screen == Screen("Tea & <b>cake</b>", "A < B & C > D", "Call 911 now")
    html = screen_page(screen)
    assert "<b>" not in html and "Tea &amp; &lt;b&gt;cake&lt;/b&gt;" in html
    assert "A &lt; B &amp; C &gt; D" in html
    assert (
        screen_of({"response": {"directives": [{"type": RENDER_DOCUMENT, "token": "x"}]}}) is None
    )
    assert screen_of({"response": {}}) is None


def test_a_goodbye_shows_no_screen(say: Say) -> None:
    token = say("open migraine helper", device="echo-show")["session"]
    assert say("stop", token, device="echo-show")["screen"] is None


def test_whisper_is_reported_kept_across_sessions_and_never_for_safety(say: Say) -> None:
    token = say("whisper")["session"]
    quiet = say("what is an aura", token)
    assert quiet["whispered"] is True and '<amazon:effect name="whispered">' in quiet["ssml"]
    later = say("what is an aura")  # a new session: the preference was kept
    assert later["new_session"] is True and later["whispered"] is True
    urgent = say("my face is drooping", later["session"])
    assert urgent["whispered"] is False and "whispered" not in urgent["ssml"]
    say("speak normally")
    assert say("what is an aura")["whispered"] is False


def test_the_simulators_preferences_are_its_own(
    say: Say, settings: Settings, skill: CustomSkill
) -> None:
    say("whisper")
    heard: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        heard.append(handle_event(event, skill=skill, settings=settings))
        return heard[-1]

    Console(settings, invoke=invoke).say("what is an aura")  # the console's user
    assert "whispered" not in heard[-1]["response"]["outputSpeech"]["ssml"]
    assert say("what is an aura")["whispered"] is True


def test_the_simulator_works_in_dev_with_a_skill_id_set(
    tmp_path: Path, library: ContentLibrary
) -> None:
    settings = Settings(skill_id=SKILL_ID, store_path=tmp_path / "p.json")
    client = create_app(settings, skill=build_skill(settings, library), dev=True).test_client()
    response = client.post("/simulate", json={"text": "what is an aura", "session": None})
    assert response.status_code == 200 and response.get_json()["intent"] == "AuraIntent"


# --- bad requests ---------------------------------------------------------------------------

BAD_BODIES = [
    (b'{"text": "help"}', "text/plain", "content type must be application/json"),
    (b"{not json", "application/json", "not valid JSON"),
    (b'{"text": "\xff\xfe"}', "application/json", "not UTF-8"),
    (b"[" * 50_000 + b"]" * 50_000, "application/json", "not valid JSON"),
    (b'["help"]', "application/json", "must be a JSON object"),
    (b'"help"', "application/json", "must be a JSON object"),
    (b"{}", "application/json", "text must be a string"),
    (b'{"text": 5}', "application/json", "text must be a string"),
    (b'{"text": null}', "application/json", "text must be a string"),
    (b'{"text": "   "}', "application/json", "text is empty"),
    (b'{"text": ""}', "application/json", "text is empty"),
    (
        json.dumps({"text": "a" * (MAX_TEXT_CHARS + 1)}).encode(),
        "application/json",
        "longer than 500",
    ),
    (b'{"text": "help", "locale": "fr-FR"}', "application/json", "locale must be one of"),
    (b'{"text": "help", "locale": 7}', "application/json", "locale must be one of"),
    (b'{"text": "help", "device": "tv"}', "application/json", "device must be one of"),
    (b'{"text": "help", "session": 42}', "application/json", "session must be null"),
    (b'{"text": "help", "session": "short"}', "application/json", "session must be null"),
    (b'{"text": "help", "session": "' + b"A" * 23 + b'"}', "application/json", "session must"),
    (b'{"text": "help", "session": "AAAAAAAAAAAAAAAAAAAA/."}', "application/json", "session"),
    (
        json.dumps(
            {"text": "yes", "session": {"attributes": {"pending": "emergency_check"}}}
        ).encode(),
        "application/json",
        "session must be null",
    ),
    (
        json.dumps({"text": "yes", "session": None, "attributes": {"x": 1}}).encode(),
        "application/json",
        "unknown field(s) 'attributes'",
    ),
    (
        json.dumps({"text": "yes", "request": {"type": "IntentRequest"}}).encode(),
        "application/json",
        "unknown field(s) 'request'",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "message"), BAD_BODIES)
def test_a_bad_body_is_a_clear_400(
    client: FlaskClient, body: bytes, content_type: str, message: str
) -> None:
    response = client.post("/simulate", data=body, content_type=content_type)
    assert response.status_code == 400
    error = response.get_json()
    assert set(error) == {"error"} and message in error["error"], error


def test_other_methods_are_json_errors(client: FlaskClient) -> None:
    assert client.get("/simulate").status_code == 405
    assert client.get("/simulate").get_json() == {"error": "method not allowed"}
    assert client.post("/simulator", json={}).status_code == 405
    assert client.post(
        "/simulate", data=b"x" * (129 * 1024), content_type="application/json"
    ).get_json() == {"error": "request body is too large"}


# --- production: nothing of it --------------------------------------------------------------


def test_without_dev_both_paths_are_404(tmp_path: Path, skill: CustomSkill) -> None:
    settings = Settings(skill_id=SKILL_ID, store_path=tmp_path / "p.json")
    client = create_app(settings, skill=skill, dev=False).test_client()
    for path in ("/simulator", "/simulator/simulator.js", "/simulator/simulator.css"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json() == {"error": "not found"}
    response = client.post("/simulate", json={"text": "help", "session": None})
    assert response.status_code == 404 and response.get_json() == {"error": "not found"}


_PROBE = """
import json, sys
from skill.settings import Settings
from skill import web
from skill.web import create_app
dev = sys.argv[1] == "dev"
settings = Settings(skill_id="amzn1.ask.skill.probe", store_path=sys.argv[2])
client = create_app(settings, dev=dev).test_client()
statuses = [client.get("/simulator").status_code,
            client.post("/simulate", json={"text": "help", "session": None}).status_code]
print(json.dumps({"statuses": statuses,
                  "tools": sorted(m for m in sys.modules if m.startswith("skill.tools"))}))
"""


@pytest.mark.parametrize(
    ("mode", "statuses", "imported"), [("prod", [404, 404], False), ("dev", [200, 200], True)]
)
def test_the_production_path_never_imports_the_simulator(
    tmp_path: Path, mode: str, statuses: list[int], imported: bool
) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, mode, str(tmp_path / "p.json")],
        env={**os.environ, "SKILL_STORE_PATH": str(tmp_path / "default.json")},
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=True,
        timeout=60,
    )
    found = json.loads(completed.stdout.splitlines()[-1])
    assert found["statuses"] == statuses
    assert ("skill.tools.simulator" in found["tools"]) is imported
    if not imported:
        assert found["tools"] == []


# --- the conversations kept on the server ---------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _asked(text: str, session: str | None = None) -> SimulateRequest:
    return SimulateRequest(text=text, locale="en-US", device="echo-dot", session=session)


def test_an_idle_session_is_forgotten(settings: Settings, skill: CustomSkill) -> None:
    clock = Clock()
    simulator = Simulator(settings, skill, clock=clock, idle_seconds=60)
    token = simulator.simulate(_asked("what triggers migraines"))["session"]
    clock.now += 59
    assert simulator.simulate(_asked("yes", token))["new_session"] is False
    clock.now += 61
    late = simulator.simulate(_asked("yes", token))
    assert late["new_session"] is True and "expired" in late["notice"]


def test_the_least_recently_used_session_makes_room(settings: Settings, skill: CustomSkill) -> None:
    simulator = Simulator(settings, skill, max_sessions=2)
    first = simulator.simulate(_asked("what triggers migraines"))["session"]
    second = simulator.simulate(_asked("what is an aura"))["session"]
    assert simulator.simulate(_asked("yes", first))["new_session"] is False  # first: recent
    simulator.simulate(_asked("what causes migraines"))  # a third pushes out the second
    assert simulator.simulate(_asked("yes", first))["new_session"] is False
    assert simulator.simulate(_asked("yes", second))["new_session"] is True


class _BoundServer:
    """Stands in for a bound waitress server: run() returns at once."""

    effective_host, effective_port = "127.0.0.1", 5123

    def run(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.parametrize("dev", [True, False])
def test_the_server_says_where_the_simulator_is_in_dev_only(
    dev: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(web, "create_server", lambda *args, **kwargs: _BoundServer())
    web.run_server("127.0.0.1", 5123, dev=dev, settings=Settings(skill_id=SKILL_ID))
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "serving on http://127.0.0.1:5123/" in out
    assert ("the simulator page is http://127.0.0.1:5123/simulator" in out) is dev


def test_broken_content_is_a_clear_503_not_a_crash(tmp_path: Path) -> None:
    settings = Settings(content_dir=tmp_path / "no-content", store_path=tmp_path / "p.json")
    client = create_app(settings, skill=hello_skill(), dev=True).test_client()
    page = client.get("/simulator")
    assert page.status_code == 503 and "python -m skill check" in page.get_data(as_text=True)
    reply = client.post("/simulate", json={"text": "help", "session": None})
    assert reply.status_code == 503 and "python -m skill check" in reply.get_json()["error"]
