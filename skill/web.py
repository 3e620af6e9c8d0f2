"""The web entry: the skill as a Flask app, served by waitress.

``POST /`` takes an Alexa request envelope and returns the response envelope; ``GET /`` is a
tiny status document. Alexa request verification (signature, certificate chain, timestamp)
is on unless ``dev=True``; when ``SKILL_ID`` is set, requests for other skills are refused in
every mode. Every refusal is a short JSON error (``{"error": "..."}``) and one log line that
carries neither the body nor any ID; no response ever carries a traceback.

A request is handled in order of cost, cheapest first, so that an unsigned one costs next to
nothing: content type and size; then the body, read once, against its signature (certificate
URL rules, the cached chain, RSA over the raw bytes); only then is it parsed (once) and read
into the SDK's envelope; then the envelope checks (timestamp, skill ID) and the skill.
flask-ask-sdk's ``SkillAdapter`` is not used for dispatch: it deserialises the body before any
verifier runs, and a second time after ours.

The same app and server (waitress, a production WSGI server) serve local development and
self-hosting behind an HTTPS reverse proxy; Alexa itself only calls HTTPS on port 443.
With ``dev=True`` it also serves the simulator page (``GET /simulator``, ``POST /simulate``).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.request_envelope import RequestEnvelope
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from skill.sdk_compat import (
    VERIFY_SIGNATURE_APP_CONFIG,
    VERIFY_TIMESTAMP_APP_CONFIG,
    AbstractVerifier,
    VerificationException,
)
from skill.serializer import FastSerializer
from skill.settings import Settings
from skill.verification import AlexaSignatureVerifier, AlexaTimestampVerifier, SkillIdVerifier

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

logger = logging.getLogger(__name__)

SERVICE_NAME = "Migraine Helper"
MAX_BODY_BYTES = 128 * 1024  # real envelopes are a few KB; an Echo Show's is under 20 KB
MAX_HEADER_BYTES = 16 * 1024  # request line and headers; Alexa's are about 2 KB

# waitress, tuned for a small endpoint that idle or half-sent connections must not lock out:
SERVER_THREADS = 4  # requests handled at once; the rest wait, already read, in waitress's queue
CONNECTION_LIMIT = 1000  # open connections (waitress's default, 100, is easy to fill)
FILE_DESCRIPTOR_RESERVE = 64  # descriptors kept free below RLIMIT_NOFILE for everything else
CHANNEL_TIMEOUT_SECONDS = 10  # a connection idle this long is closed (waitress: 120 s)
CLEANUP_INTERVAL_SECONDS = 2  # how often idle connections are looked for (waitress: 30 s)
LISTEN_BACKLOG = 128  # connections the kernel holds while the limit is reached (waitress: 1024)
NOT_AN_ENVELOPE = "request body is not an Alexa request envelope"
#: Request types that name an intent, which they must then carry.
_INTENT_REQUEST_TYPES = frozenset({"IntentRequest", "CanFulfillIntentRequest"})


class UnsafeHostError(ValueError):
    """The server was asked to start in a way that is not safe; nothing was bound.

    Dev mode (verification off) on a host beyond this machine, or (the subclass
    :class:`MissingSkillIdError`) production mode without ``SKILL_ID``. The command line
    prints the message as one line and exits 2.
    """


class MissingSkillIdError(UnsafeHostError):
    """Production mode without ``SKILL_ID``: it would answer any skill's requests (contract 2)."""


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (also written ``[::1]``), nothing else."""
    name = host.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_host(host: str, *, dev: bool) -> None:
    """Raise :class:`UnsafeHostError` for dev mode on a host other machines can reach."""
    if dev and not is_loopback_host(host):
        raise UnsafeHostError(
            f"--dev turns Alexa request verification off, so it only listens on this machine "
            f"(127.0.0.1, ::1 or localhost), not on {host!r}. Drop --dev to serve on {host!r} "
            f"with verification on."
        )


def check_serving(host: str, *, dev: bool, settings: Settings) -> None:
    """Raise :class:`UnsafeHostError` unless serving ``host`` this way is safe.

    Dev mode only on loopback; production mode (verification on) only for one skill.
    """
    check_host(host, dev=dev)
    if not dev and not settings.skill_id:
        raise MissingSkillIdError(
            "SKILL_ID is not set: without --dev this server checks Alexa's signature but "
            "would answer requests signed for any skill. Set SKILL_ID to your skill's ID "
            "(amzn1.ask.skill...), or use --dev to try it on this machine."
        )


def build_verifiers(
    settings: Settings, *, dev: bool, verifiers: Sequence[AbstractVerifier] | None = None
) -> list[AbstractVerifier]:
    """The verifiers for a request, in order.

    ``verifiers`` (tests, custom trust) replaces the default signature and timestamp
    verifiers; by default they are on unless ``dev``. The skill-ID check is added whenever
    ``settings.skill_id`` is set, in every mode, and cannot be replaced.
    """
    if verifiers is not None:
        chosen = list(verifiers)
    elif dev:
        chosen = []
    else:
        chosen = [AlexaSignatureVerifier(), AlexaTimestampVerifier()]
    if settings.skill_id:
        chosen.append(SkillIdVerifier(settings.skill_id))
    return chosen


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _refuse(status: int, reason: str) -> Response:
    """A refused request: one log line (no body, no IDs) and a short JSON error."""
    logger.warning("Alexa request refused: %s", reason, extra={"reason": reason, "status": status})
    return _error(status, reason)


def _verification_reason(exc: VerificationException) -> str:
    """The message of a refusal: our verifiers' messages are short and carry no identifier."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, str) and first else "request verification failed"


def _verification_status(verifiers: Sequence[AbstractVerifier], *, dev: bool) -> str:
    """What the status document says: only the Alexa checks really in place count."""
    signature = any(isinstance(v, AlexaSignatureVerifier) for v in verifiers)
    timestamp = any(isinstance(v, AlexaTimestampVerifier) for v in verifiers)
    if signature and timestamp:
        return "on"
    if signature or timestamp:
        return f"partial ({'signature' if signature else 'timestamp'} only)"
    return "off (dev mode)" if dev else "off"


def has_required_parts(document: dict[str, Any]) -> bool:
    """True when a parsed body has what every Alexa request carries.

    A ``version``; a ``request`` with a ``type``, a ``requestId`` and a ``timestamp`` (all
    non-empty strings); and, for an intent (or CanFulfill) request, an ``intent`` with a
    ``name``. Checked on the JSON itself, as the SDK's reader would turn ``5`` into ``"5"``.
    """
    request_part = document.get("request")
    if not isinstance(document.get("version"), str) or not isinstance(request_part, dict):
        return False
    for key in ("type", "requestId", "timestamp"):
        value = request_part.get(key)
        if not isinstance(value, str) or not value:
            return False
    if request_part["type"] in _INTENT_REQUEST_TYPES:
        intent = request_part.get("intent")
        name = intent.get("name") if isinstance(intent, dict) else None
        return isinstance(name, str) and bool(name)
    return True


def read_envelope(serializer: Any, document: dict[str, Any], text: str) -> RequestEnvelope:
    """The SDK's envelope for an already parsed body, without parsing the JSON again.

    The SDK's ``DefaultSerializer.deserialize`` takes text and parses it; its private
    ``__deserialize`` (ask-sdk-core 1.19, pinned) reads a parsed document, which is what we
    have. Another kind of serializer is given the text. Raises on an unreadable envelope.
    """
    if isinstance(serializer, FastSerializer):
        envelope = serializer.deserialize_document(document, RequestEnvelope)
    elif isinstance(serializer, DefaultSerializer):  # the SDK's own, in a test skill
        envelope = serializer._DefaultSerializer__deserialize(document, RequestEnvelope)  # type: ignore[attr-defined]
    else:
        envelope = serializer.deserialize(payload=text, obj_type=RequestEnvelope)
    if not isinstance(envelope, RequestEnvelope) or envelope.request is None:
        raise ValueError(NOT_AN_ENVELOPE)
    return envelope


def _default_skill() -> CustomSkill:
    """The process-wide skill (content loaded once), imported only when it is needed."""
    from skill.app import default_skill

    return default_skill()


def create_app(
    settings: Settings,
    *,
    skill: CustomSkill | None = None,
    dev: bool = False,
    verifiers: Sequence[AbstractVerifier] | None = None,
) -> Flask:
    """The Flask app serving ``skill`` (default: the process's skill built from settings)."""
    if skill is None:
        skill = _default_skill()
    request_verifiers = build_verifiers(settings, dev=dev, verifiers=verifiers)
    # The signature needs only the headers and the raw body: it runs before anything is parsed.
    body_verifiers = [v for v in request_verifiers if isinstance(v, AlexaSignatureVerifier)]
    envelope_verifiers = [v for v in request_verifiers if v not in body_verifiers]
    verification = _verification_status(request_verifiers, dev=dev)

    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        # The SDK's own verifiers need certvalidator (see skill.sdk_compat); ours replace them,
        # and this app never attaches flask-ask-sdk's adapter. Off, should anyone attach it.
        **{VERIFY_SIGNATURE_APP_CONFIG: False, VERIFY_TIMESTAMP_APP_CONFIG: False},
    )

    def status() -> Response:
        return jsonify(
            service=SERVICE_NAME,
            status="ok",
            request_verification=verification,
            skill_id_check=bool(settings.skill_id),
        )

    def invoke() -> Response:
        if request.mimetype != "application/json":
            return _refuse(400, "content type must be application/json")
        body = request.get_data()  # read once; 413 past MAX_CONTENT_LENGTH
        try:
            for verifier in body_verifiers:
                verifier.verify(request.headers, body, None)
        except VerificationException as exc:
            return _refuse(400, _verification_reason(exc))
        try:
            text = body.decode("utf-8")
            document = json.loads(text)
        except UnicodeDecodeError:
            return _refuse(400, "request body is not UTF-8")
        except (ValueError, RecursionError):  # RecursionError: JSON nested absurdly deep
            return _refuse(400, "request body is not valid JSON")
        if not isinstance(document, dict):
            return _refuse(400, "request body must be a JSON object")
        if not has_required_parts(document):
            return _refuse(400, NOT_AN_ENVELOPE)
        try:
            envelope = read_envelope(skill.serializer, document, text)
        except Exception:  # the SDK raises several kinds; its messages may quote the body
            return _refuse(400, NOT_AN_ENVELOPE)
        try:
            # Werkzeug's case-insensitive headers, as flask-ask-sdk hands them to verifiers.
            headers: Any = request.headers
            for envelope_verifier in envelope_verifiers:
                envelope_verifier.verify(headers, text, envelope)
        except VerificationException as exc:
            return _refuse(400, _verification_reason(exc))
        response_envelope = skill.invoke(request_envelope=envelope, context=None)
        return jsonify(skill.serializer.serialize(response_envelope))

    app.add_url_rule("/", "status", status, methods=["GET"])
    app.add_url_rule("/", "invoke", invoke, methods=["POST"])
    if dev:  # the simulator page (contract 8): a local tool, imported only for --dev
        from skill.tools.simulator import register_simulator

        register_simulator(app, settings, skill)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status_code = exc.code or 500
        if status_code == 413:
            return _refuse(413, "request body is too large")
        if status_code >= 500:
            return _error(status_code, "internal error")
        response = _error(status_code, (exc.name or "error").lower())
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Response:
        logger.error("unexpected error serving a request", exc_info=exc)
        return _error(500, "internal error")

    return app


def connection_limit() -> int:
    """CONNECTION_LIMIT, or less where the open-file limit would not leave room for it.

    Past the limit waitress stops accepting; past the open-file limit every ``accept()``
    fails, and its loop would spin on the waiting connection.
    """
    try:
        import resource
    except ImportError:  # not a Unix
        return CONNECTION_LIMIT
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(16, min(CONNECTION_LIMIT, soft - FILE_DESCRIPTOR_RESERVE))


def _waitress_error(code: int, reason: str) -> str:
    """The JSON error for one of waitress's own refusals, worded as the app words its own."""
    if code == 413:
        return "request body is too large"
    if code == 500:  # the app failed in a way even its own error handler could not answer
        return "internal error"
    return reason.lower()


@functools.cache
def _json_error_channel() -> type:
    """waitress's connection class, answering waitress's own refusals as JSON errors.

    waitress refuses some requests before the app sees them (malformed HTTP: 400; headers
    past MAX_HEADER_BYTES: 431; a body past MAX_BODY_BYTES: 413; a transfer coding it does not
    know: 501) and answers those, and an app crash, in plain text. These answer as the app
    does: ``{"error": "..."}``, and a refusal logs the app's one refusal line.
    """
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class JsonErrorTask(ErrorTask):  # type: ignore[misc]
        def execute(self) -> None:
            error = self.request.error
            message = _waitress_error(int(error.code), str(error.reason))
            if error.code != 500:  # waitress logs a crash itself
                logger.warning(
                    "Alexa request refused: %s",
                    message,
                    extra={"reason": message, "status": error.code},
                )
            body = json.dumps({"error": message}, separators=(",", ":")).encode("utf-8")
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class JsonErrorChannel(HTTPChannel):  # type: ignore[misc]
        error_task_class = JsonErrorTask

    return JsonErrorChannel


def _answer_refusals_in_json(server: Any) -> None:
    """Give each of waitress's listening servers the JSON-answering connection class."""
    from waitress.server import BaseWSGIServer, MultiSocketServer

    listeners = (
        [d for d in server.map.values() if isinstance(d, BaseWSGIServer)]
        if isinstance(server, MultiSocketServer)
        else [server]
    )
    for listener in listeners:
        listener.channel_class = _json_error_channel()


def create_server(
    host: str,
    port: int,
    *,
    dev: bool,
    settings: Settings,
    app: Flask | None = None,
) -> Any:
    """A bound (not yet running) waitress server for the app; ``port=0`` picks a free port.

    Raises :class:`UnsafeHostError` first, before anything is built or bound, when serving
    this way is not safe (see :func:`check_serving`).
    """
    check_serving(host, dev=dev, settings=settings)
    import waitress.server

    server = waitress.server.create_server(
        app if app is not None else create_app(settings, dev=dev),
        host=host,
        port=port,
        threads=SERVER_THREADS,
        connection_limit=connection_limit(),
        channel_timeout=CHANNEL_TIMEOUT_SECONDS,
        cleanup_interval=CLEANUP_INTERVAL_SECONDS,
        backlog=LISTEN_BACKLOG,
        asyncore_use_poll=True,  # select() cannot watch descriptors past 1023
        max_request_header_size=MAX_HEADER_BYTES,
        # waitress refuses a body of max_request_body_size or more; Flask one of more than
        # MAX_CONTENT_LENGTH. So both allow exactly MAX_BODY_BYTES and refuse a byte more.
        max_request_body_size=MAX_BODY_BYTES + 1,
        clear_untrusted_proxy_headers=True,
    )
    _answer_refusals_in_json(server)
    return server


def server_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def listening_urls(server: Any) -> list[str]:
    """Where a waitress server listens (``localhost`` may mean both 127.0.0.1 and ::1)."""
    listen = getattr(server, "effective_listen", None)
    if listen is None:
        listen = [(server.effective_host, server.effective_port)]
    return [server_url(str(host), int(port)) for host, port in listen]


def run_server(host: str, port: int, *, dev: bool, settings: Settings) -> None:
    """Serve the skill with waitress until interrupted.

    Raises :class:`UnsafeHostError` before binding anything when ``dev`` is asked for a host
    that is not loopback, or production mode has no ``SKILL_ID``.
    """
    server = create_server(host, port, dev=dev, settings=settings)
    verification = (
        "OFF (--dev: signature and timestamp not checked; loopback only)"
        if dev
        else "ON (Alexa signature, certificate chain and timestamp)"
    )
    skill_id = ", skill ID checked" if settings.skill_id else ""
    urls = listening_urls(server)
    simulator = f"; the simulator page is {urls[0]}simulator" if dev else ""
    print(
        f"{SERVICE_NAME} serving on {' and '.join(urls)}"
        f" - request verification {verification}{skill_id}{simulator}",
        flush=True,
    )
    try:
        server.run()
    finally:
        server.close()
