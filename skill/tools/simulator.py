"""The simulator: the skill in a browser page, for clinic staff (contract 8, ``--dev`` only).

``GET /simulator`` is the page; ``POST /simulate`` takes
``{"text": "...", "locale": "en-US", "device": "echo-dot", "session": <token or null>}`` and
answers with what the skill said and how the words were understood::

    {"intent", "slots", "matched", "speech", "ssml", "reprompt", "reprompt_ssml", "card",
     "screen", "whispered", "ended", "session", "new_session", "notice", "locale", "device"}

Typed words become an intent exactly as ``python -m skill chat`` makes them one: the console
(``skill.tools.console``, offline NLU and its safety guard) builds the envelope Alexa would
send and runs it through the Lambda entry with the server's own skill. The Echo Show screen
is drawn from the response's APL directive with the CSS and markup ``python -m skill
preview`` uses.

Conversations stay on the server. The client holds only a random token (22 characters),
checked for its shape and looked up; it names a conversation and carries nothing else, so a
client cannot put anything into an envelope but the words it types, a listed locale and a
listed device. A session that ended, idled past :data:`SESSION_IDLE_SECONDS`, or was pushed
out by :data:`MAX_SESSIONS` newer ones is gone: its token starts a new session, and the reply
says so. Preferences (whisper, "has heard the welcome") live in the skill's store as on a
device, for one simulator user kept apart from the console's.

``skill.web`` imports this module only when the server runs with ``--dev``.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from skill.app import handle_event
from skill.content import Content, ContentError, ContentLibrary, load_library
from skill.screen import DATASOURCE, RENDER_DOCUMENT, TOKEN, Screen, load_document
from skill.settings import DEFAULT_LOCALE, Settings
from skill.tools.console import Console, Turn
from skill.tools.preview import FONT_STACK, PREVIEW_HEIGHT, PREVIEW_WIDTH, screen_css, screen_markup
from skill.vocabulary import model_path

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

ASSETS_DIR = Path(__file__).resolve().parent / "simulator_assets"
#: The one user the simulator speaks as (its preferences are kept apart from the console's).
SIMULATOR_USER_ID = "amzn1.ask.account.LOCAL-SIMULATOR"
#: Devices: name -> (label, has a screen).
DEVICES: Mapping[str, tuple[str, bool]] = {
    "echo-dot": ("Echo Dot (voice only)", False),
    "echo-show": ("Echo Show (with a screen)", True),
}
DEFAULT_DEVICE = "echo-dot"
MAX_TEXT_CHARS = 500  # what the offline NLU reads of an utterance; nobody says more at once
MAX_SESSIONS = 64  # conversations kept at once; the least recently used goes first
SESSION_IDLE_SECONDS = 30 * 60
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
_FIELDS = frozenset({"text", "locale", "session", "device"})
_WHISPERED = '<amazon:effect name="whispered">'

LOCALE_NAMES: Mapping[str, str] = {
    "en-US": "English, United States",
    "en-GB": "English, United Kingdom",
    "en-CA": "English, Canada",
    "en-AU": "English, Australia",
    "en-NZ": "English, New Zealand",
    "en-IN": "English, India",
    "en-001": "International English",
}

#: The pick lists beside the topics (which come from the content). A test proves every one
#: is understood exactly, in every locale, as the intent it is meant for.
CONVERSATION_PHRASINGS = (
    ("open migraine helper", "Open the skill"),
    ("yes", "Yes"),
    ("no", "No"),
    ("tell me more", "Tell me more"),
    ("repeat", "Repeat"),
    ("whisper", "Whisper"),
    ("speak normally", "Speak normally"),
    ("help", "Help"),
    ("stop", "Stop"),
)
HELP_PHRASINGS = (
    ("what triggers migraines", "Triggers"),
    ("can chocolate trigger a migraine", "Whether something like chocolate is a trigger"),
    ("what are the symptoms of a migraine", "Symptoms"),
    ("is dizziness a symptom of migraine", "Whether a symptom like dizziness is part of it"),
    ("what are treatments for migraine", "Treatments"),
    ("what can i do right now", "What may help right now"),
    ("is this an emergency", "Is this an emergency?"),
)
SAFETY_PHRASINGS = (
    ("my face is drooping", "A red flag: a drooping face"),
    ("i have the worst headache of my life", "A red flag: the worst headache ever"),
    ("my speech is slurred", "A red flag: slurred speech"),
    ("i took too many pills", "Poisoning: too many pills"),
    ("i want to hurt myself", "Crisis: wanting to self-harm"),
    ("i'm pregnant and have a bad headache", "Urgent: pregnancy and a bad headache"),
    ("my headache has lasted three days", "Urgent: an attack of three days"),
)


class BadRequest(ValueError):
    """A request the simulator cannot take; the message says why, for a 400 answer."""


@dataclass(frozen=True)
class SimulateRequest:
    """A checked ``POST /simulate`` body."""

    text: str
    locale: str
    device: str
    session: str | None


def parse_request(document: object, locales: frozenset[str]) -> SimulateRequest:
    """Check a parsed body; raise :class:`BadRequest` with a clear message for anything else."""
    if not isinstance(document, dict):
        raise BadRequest("request body must be a JSON object")
    unknown = sorted(str(key) for key in document if key not in _FIELDS)
    if unknown:
        shown = ", ".join(repr(key[:40]) for key in unknown[:5])
        raise BadRequest(f"unknown field(s) {shown}: only text, locale, device and session")
    text = document.get("text")
    if not isinstance(text, str):
        raise BadRequest("text must be a string: what you would say to Alexa")
    if len(text) > MAX_TEXT_CHARS:
        raise BadRequest(f"text is longer than {MAX_TEXT_CHARS} characters")
    text = " ".join(text.split())
    if not text:
        raise BadRequest("text is empty: type what you would say to Alexa")
    locale = document.get("locale", DEFAULT_LOCALE)
    if not isinstance(locale, str) or locale not in locales:
        raise BadRequest(f"locale must be one of {', '.join(sorted(locales))}")
    device = document.get("device", DEFAULT_DEVICE)
    if not isinstance(device, str) or device not in DEVICES:
        raise BadRequest(f"device must be one of {', '.join(DEVICES)}")
    session = document.get("session")
    if session is not None and not (isinstance(session, str) and _TOKEN.fullmatch(session)):
        raise BadRequest("session must be null or the session value the last reply returned")
    return SimulateRequest(text=text, locale=locale, device=device, session=session)


class _Recorder:
    """The console's invoke: runs the skill and keeps the last response envelope."""

    def __init__(self, run: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._run = run
        self.last: dict[str, Any] = {}

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.last = self._run(event)
        return self.last


@dataclass
class _Conversation:
    console: Console
    recorder: _Recorder
    locale: str
    device: str
    last_used: float


class Simulator:
    """Conversations with one skill, kept on the server and named by random tokens."""

    def __init__(
        self,
        settings: Settings,
        skill: CustomSkill,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_sessions: int = MAX_SESSIONS,
        idle_seconds: float = SESSION_IDLE_SECONDS,
    ) -> None:
        self._settings = settings
        # The envelopes are built here, for the local skill ID: the web entry's skill-ID
        # check is for requests from Alexa, which these are not.
        self._invoke_settings = settings._replace(skill_id=None)
        self._skill = skill
        self._clock = clock
        self._max_sessions = max_sessions
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._library: ContentLibrary | None = None
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()

    def library(self) -> ContentLibrary:
        """The content (read on first use); raises ``ContentError`` when it is broken."""
        with self._lock:
            if self._library is None:
                self._library = load_library(self._settings.content_dir, validate_all=False)
            return self._library

    @property
    def locales(self) -> frozenset[str]:
        return self.library().available

    def simulate(self, asked: SimulateRequest) -> dict[str, Any]:
        """One turn of a conversation: what was understood and what the skill answered."""
        library = self.library()
        with self._lock:
            now = self._clock()
            self._forget_idle(now)
            conversation = self._conversations.get(asked.session) if asked.session else None
            notice = None
            if asked.session is not None and conversation is None:
                notice = "That session had ended or expired, so this is a new one."
            elif conversation is not None and (
                conversation.locale != asked.locale or conversation.device != asked.device
            ):
                notice = "The locale or device changed, so this is a new session."
                del self._conversations[asked.session or ""]
                conversation = None
            new_session = conversation is None
            key = asked.session if conversation and asked.session else secrets.token_urlsafe(16)
            if conversation is None:
                conversation = self._start(library, asked.locale, asked.device)
            conversation.last_used = now
            turn = conversation.console.say(asked.text)
            token: str | None = None  # an ended session is forgotten; the next turn starts anew
            self._conversations.pop(key, None)
            if not turn.ended:
                token = key
                self._conversations[key] = conversation  # the most recently used, last
                while len(self._conversations) > self._max_sessions:
                    self._conversations.popitem(last=False)
            response_envelope = conversation.recorder.last
        reply = reply_json(turn, response_envelope, library.for_locale(asked.locale))
        reply.update(
            session=token,
            new_session=new_session,
            notice=notice,
            locale=asked.locale,
            device=asked.device,
        )
        return reply

    def _forget_idle(self, now: float) -> None:
        for token, conversation in list(self._conversations.items()):
            if now - conversation.last_used > self._idle_seconds:
                del self._conversations[token]

    def _start(self, library: ContentLibrary, locale: str, device: str) -> _Conversation:
        settings, skill = self._invoke_settings, self._skill
        recorder = _Recorder(lambda event: handle_event(event, skill=skill, settings=settings))
        console = Console(
            self._settings,
            locale=locale,
            screen=DEVICES[device][1],
            invoke=recorder,
            library=library,
            user_id=SIMULATOR_USER_ID,
        )
        return _Conversation(console, recorder, locale, device, self._clock())

    def page(self) -> str:
        """The simulator page, rendered on the server."""
        library = self.library()
        content = library.for_locale(DEFAULT_LOCALE)
        locales = [
            {
                "code": code,
                "name": LOCALE_NAMES.get(code, code),
                "emergency": emergency_number(library.for_locale(code)),
            }
            for code in sorted(library.available, key=_locale_order)
        ]
        return (
            _templates()
            .get_template("simulator.html")
            .render(
                skill_name=content.skill_name,
                locales=locales,
                default_locale=DEFAULT_LOCALE,
                devices=[{"code": code, "name": name} for code, (name, _) in DEVICES.items()],
                default_device=DEFAULT_DEVICE,
                groups=phrasing_groups(content, self._settings.model_dir),
                max_chars=MAX_TEXT_CHARS,
                screen_width=PREVIEW_WIDTH,
                screen_height=PREVIEW_HEIGHT,
            )
        )


def _locale_order(code: str) -> tuple[int, str]:
    """The default locale first, the named ones next, anything else after them."""
    order = list(LOCALE_NAMES)
    return (order.index(code) if code in order else len(order), code)


def emergency_number(content: Content) -> str:
    """The emergency number as a card shows it ("911", "000", "your local emergency number")."""
    line = content.emergency
    return line.number or line.spoken or ""


def phrasing_groups(content: Content, model_dir: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """The pick lists: (group label, [(phrasing, label)]), the topics from the content."""
    samples = _slotless_samples(model_path(model_dir, content.locale))
    topics = []
    for topic in content.topics.values():
        phrasing = next(iter(samples.get(topic.intent, ())), None)
        if phrasing is not None:
            name = topic.answer.name
            topics.append((phrasing, f"{name[:1].upper()}{name[1:]}: \u201c{phrasing}\u201d"))
    return [
        ("Start, answer and finish", list(CONVERSATION_PHRASINGS)),
        ("What help says you can ask", list(HELP_PHRASINGS)),
        ("Every topic", topics),
        ("Safety examples", list(SAFETY_PHRASINGS)),
    ]


@cache
def _slotless_samples(path: Path) -> dict[str, tuple[str, ...]]:
    model = json.loads(path.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    return {
        intent["name"]: tuple(s for s in intent.get("samples", []) if "{" not in s)
        for intent in model.get("intents", [])
    }


def reply_json(
    turn: Turn, response_envelope: Mapping[str, Any], content: Content
) -> dict[str, Any]:
    """What the page shows of one turn (the session fields are added by the caller)."""
    response = response_envelope.get("response") or {}
    ssml = _ssml(response)
    reprompt_node = response.get("reprompt")
    reprompt_ssml = _ssml(reprompt_node) if isinstance(reprompt_node, dict) else None
    card = response.get("card")
    resolution = turn.resolution
    screen = screen_of(response_envelope)
    return {
        "intent": resolution.intent,
        "slots": {
            name: {"value": match.spoken, "id": match.value_id, "name": match.canonical}
            for name, match in resolution.slots.items()
        },
        "matched": {
            "how": resolution.how,
            "sample": resolution.sample,
            "score": resolution.score,
            "device_may_differ": resolution.device_may_differ,
            "explanation": resolution.explain(),
        },
        "speech": turn.speech,
        "ssml": ssml,
        "reprompt": turn.reprompt,
        "reprompt_ssml": reprompt_ssml or None,
        "card": {"title": str(card.get("title") or ""), "text": str(card.get("content") or "")}
        if isinstance(card, dict)
        else None,
        "screen": None if screen is None else screen_json(screen),
        "whispered": _WHISPERED in ssml,
        "ended": turn.ended,
        "emergency_number": emergency_number(content),
    }


def _ssml(node: Mapping[str, Any]) -> str:
    speech = node.get("outputSpeech")
    return str(speech.get("ssml") or "") if isinstance(speech, dict) else ""


def screen_of(response_envelope: Mapping[str, Any]) -> Screen | None:
    """The calm screen a response draws on an Echo Show, as plain text; None for none."""
    response = response_envelope.get("response") or {}
    for directive in response.get("directives") or ():
        if not isinstance(directive, dict) or directive.get("type") != RENDER_DOCUMENT:
            continue
        if directive.get("token") != TOKEN:
            continue
        calm = (directive.get("datasources") or {}).get(DATASOURCE) or {}
        # The datasources hold APL text markup (&, < and > escaped): back to plain text.
        return Screen(
            title=html.unescape(str(calm.get("title") or "")),
            body=html.unescape(str(calm.get("body") or "")),
            emergency=html.unescape(str(calm.get("emergency") or "")),
        )
    return None


def screen_json(screen: Screen) -> dict[str, str]:
    return {
        "title": screen.title,
        "body": screen.body,
        "emergency": screen.emergency,
        "html": screen_page(screen),
    }


def screen_page(screen: Screen) -> str:
    """The screen as a page of its own (for a sandboxed frame), drawn as ``preview`` draws it."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="color-scheme" content="dark"><style>'
        f"html,body{{margin:0;background:#000;font-family:{FONT_STACK}}}\n"
        f"{screen_css(load_document())}</style></head><body>{screen_markup(screen)}</body></html>"
    )


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(ASSETS_DIR),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


# --------------------------------------------------------------------------- Flask

#: Nothing but this server: the page's own script and stylesheet, and its own requests. The
#: Echo Show frame (srcdoc, sandboxed) inherits this policy; it needs its inline style.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_STATIC = {
    "simulator.js": "text/javascript; charset=utf-8",
    "simulator.css": "text/css; charset=utf-8",
}


def _json_error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _guarded(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def register_simulator(app: Flask, settings: Settings, skill: CustomSkill) -> Simulator:
    """Add ``GET /simulator`` (and its script and stylesheet) and ``POST /simulate``."""
    simulator = Simulator(settings, skill)
    broken = "the content could not be loaded: run python -m skill check"

    def page() -> Response:
        try:
            text = simulator.page()
        except ContentError:
            return _guarded(Response(broken, status=503, mimetype="text/plain"))
        return _guarded(Response(text, mimetype="text/html"))

    def asset(name: str) -> Response:
        if name not in _STATIC:
            return _json_error(404, "not found")
        body = (ASSETS_DIR / name).read_bytes()
        return _guarded(Response(body, content_type=_STATIC[name]))

    def simulate() -> Response:
        if request.mimetype != "application/json":
            return _json_error(400, "content type must be application/json")
        try:
            document = json.loads(request.get_data().decode("utf-8"))
        except UnicodeDecodeError:
            return _json_error(400, "request body is not UTF-8")
        except (ValueError, RecursionError):
            return _json_error(400, "request body is not valid JSON")
        try:
            locales = simulator.locales
        except ContentError:
            return _json_error(503, broken)
        try:
            asked = parse_request(document, locales)
        except BadRequest as error:
            return _json_error(400, str(error))
        return _guarded(jsonify(simulator.simulate(asked)))

    app.add_url_rule("/simulator", "simulator", page, methods=["GET"])
    app.add_url_rule("/simulator/<name>", "simulator_asset", asset, methods=["GET"])
    app.add_url_rule("/simulate", "simulate", simulate, methods=["POST"])
    return simulator
