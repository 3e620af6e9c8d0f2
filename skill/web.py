"""The web entry: the skill as a Flask app (flask-ask-sdk), served by waitress.

``POST /`` takes an Alexa request envelope and returns the response envelope; ``GET /`` is a
tiny status document. Alexa request verification (signature, certificate chain, timestamp)
is on unless ``dev=True``; when ``SKILL_ID`` is set, requests for other skills are refused in
every mode. Every refusal is a short JSON error (``{"error": "..."}``) and one log line that
carries neither the body nor any ID; no response ever carries a traceback.

The same app and server (waitress, a production WSGI server) serve local development and
self-hosting behind an HTTPS reverse proxy; Alexa itself only calls HTTPS on port 443.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ask_sdk_model.request_envelope import RequestEnvelope
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed

from skill.sdk_compat import (
    VERIFY_SIGNATURE_APP_CONFIG,
    VERIFY_TIMESTAMP_APP_CONFIG,
    AbstractVerifier,
    SkillAdapter,
    VerificationException,
)
from skill.settings import Settings
from skill.verification import AlexaSignatureVerifier, AlexaTimestampVerifier, SkillIdVerifier

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

logger = logging.getLogger(__name__)

SERVICE_NAME = "Migraine Helper"
MAX_BODY_BYTES = 128 * 1024  # real envelopes are a few KB; an Echo Show's is under 20 KB
SERVER_THREADS = 4
ADAPTER_KEY = "migraine-helper"  # flask-ask-sdk's key in app.extensions, not the skill ID

_SDK_VERIFICATION_LOG_MESSAGE = "Request verification failed"  # flask-ask-sdk's own log line


class UnsafeHostError(ValueError):
    """Dev mode (verification off) was asked to listen beyond this machine."""


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


def _verification_reason(exc: BaseException) -> str | None:
    """The message of the VerificationException behind an SDK BadRequest, if there is one."""
    cause: BaseException | None = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, VerificationException):
            first = cause.args[0] if cause.args else None
            return first if isinstance(first, str) and first else "request verification failed"
        cause = cause.__cause__ or cause.__context__
    return None


def _not_the_sdk_verification_log(record: logging.LogRecord) -> bool:
    """Drop flask-ask-sdk's traceback log of a refused request: :func:`_refuse` logs it."""
    return record.msg != _SDK_VERIFICATION_LOG_MESSAGE


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
    verification_on = not dev or verifiers is not None

    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        # The SDK's own verifiers need certvalidator (see skill.sdk_compat); ours replace them.
        **{VERIFY_SIGNATURE_APP_CONFIG: False, VERIFY_TIMESTAMP_APP_CONFIG: False},
    )
    app.logger.addFilter(_not_the_sdk_verification_log)
    adapter = SkillAdapter(skill=skill, skill_id=ADAPTER_KEY, verifiers=request_verifiers, app=app)

    def status() -> Response:
        return jsonify(
            service=SERVICE_NAME,
            status="ok",
            request_verification="on" if verification_on else "off (dev mode)",
            skill_id_check=bool(settings.skill_id),
        )

    def invoke() -> Response:
        if request.mimetype != "application/json":
            return _refuse(400, "content type must be application/json")
        body = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
        try:
            text = body.decode("utf-8")
            document = json.loads(text)
        except UnicodeDecodeError:
            return _refuse(400, "request body is not UTF-8")
        except (ValueError, RecursionError):  # RecursionError: JSON nested absurdly deep
            return _refuse(400, "request body is not valid JSON")
        if not isinstance(document, dict):
            return _refuse(400, "request body must be a JSON object")
        # The SDK deserialises again before it verifies; doing it first means a body it cannot
        # read is a 400 here, not a 500 (with the body in the log) there.
        try:
            envelope = skill.serializer.deserialize(payload=text, obj_type=RequestEnvelope)
        except Exception:
            return _refuse(400, "request body is not an Alexa request envelope")
        if getattr(envelope, "request", None) is None:
            return _refuse(400, "request body is not an Alexa request envelope")
        response: Response = adapter.dispatch_request()
        return response

    app.add_url_rule("/", "status", status, methods=["GET"])
    app.add_url_rule("/", "invoke", invoke, methods=["POST"])

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status_code = exc.code or 500
        if isinstance(exc, BadRequest):
            reason = _verification_reason(exc)
            if reason is not None:
                return _refuse(400, reason)
        if status_code == 413:
            return _refuse(413, "request body is too large")
        if status_code >= 500:  # the SDK has logged what failed in the skill
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


def create_server(
    host: str,
    port: int,
    *,
    dev: bool,
    settings: Settings,
    app: Flask | None = None,
) -> Any:
    """A bound (not yet running) waitress server for the app; ``port=0`` picks a free port."""
    check_host(host, dev=dev)
    import waitress.server

    return waitress.server.create_server(
        app if app is not None else create_app(settings, dev=dev),
        host=host,
        port=port,
        threads=SERVER_THREADS,
        max_request_body_size=MAX_BODY_BYTES,
        clear_untrusted_proxy_headers=True,
    )


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
    that is not loopback.
    """
    server = create_server(host, port, dev=dev, settings=settings)
    verification = (
        "OFF (--dev: signature and timestamp not checked; loopback only)"
        if dev
        else "ON (Alexa signature, certificate chain and timestamp)"
    )
    skill_id = ", skill ID checked" if settings.skill_id else ""
    print(
        f"{SERVICE_NAME} serving on {' and '.join(listening_urls(server))}"
        f" - request verification {verification}{skill_id}",
        flush=True,
    )
    try:
        server.run()
    finally:
        server.close()
